"""Django (Debian's python3-django, psycopg2) over a govector foreign table: an unmanaged model, create,
save() of an existing row (Django's UPDATE sets every column, version included), a distance expression,
transaction.atomic() rolled back, delete. Run by test/orm/run.sh, which starts the cluster."""
import os
import unittest

import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ["GV_DB"],
                           "USER": "postgres", "HOST": os.environ["GV_HOST"], "PORT": os.environ["GV_PORT"]}},
    INSTALLED_APPS=[],
    USE_TZ=True,
)
django.setup()

from django.contrib.postgres.fields import ArrayField  # noqa: E402
from django.db import models, transaction  # noqa: E402
from django.db.models.expressions import RawSQL  # noqa: E402


class Doc(models.Model):
    id = models.TextField(primary_key=True)
    vector = ArrayField(models.FloatField())   # the foreign table's real[] column
    payload = models.JSONField(default=dict)
    category = models.TextField(null=True)     # OPTIONS (payload_key 'category')
    version = models.BigIntegerField(null=True)

    class Meta:
        app_label = "govector_orm"
        managed = False                        # a foreign table over a collection, not Django's to create
        db_table = "orm_docs"


def nearest(q, k=3):
    # The distance as an expression; the query vector cast to the column's type.
    return list(Doc.objects.annotate(distance=RawSQL("vector <-> %s::real[]", (q,)))
                .order_by("distance").values_list("id", flat=True)[:k])


class DjangoOverForeignTable(unittest.TestCase):
    def setUp(self):
        Doc.objects.all().delete()

    def test_create_save_distance_delete(self):
        for i in range(1, 11):
            Doc.objects.create(id=str(i), vector=[float(i), 0.0, 1.0], payload={"n": i}, category="c%d" % (i % 2))
        self.assertEqual(Doc.objects.count(), 10)
        self.assertEqual(nearest([3.2, 0.0, 1.0]), ["3", "4", "2"])
        doc = Doc.objects.get(id="5")
        old_version = doc.version
        doc.category = "saved"
        doc.vector = [50.0, 0.0, 1.0]
        doc.save()  # UPDATE orm_docs SET vector = ..., payload = ..., category = ..., version = <as read>
        doc.refresh_from_db()
        self.assertEqual(doc.category, "saved")
        self.assertEqual(doc.vector, [50.0, 0.0, 1.0])
        self.assertGreater(doc.version, old_version)
        self.assertEqual(list(Doc.objects.filter(category="c0").order_by("id").values_list("id", flat=True)),
                         ["10", "2", "4", "6", "8"])
        Doc.objects.filter(id="5").delete()
        self.assertFalse(Doc.objects.filter(id="5").exists())
        self.assertEqual(Doc.objects.count(), 9)

    def test_atomic_rolled_back(self):
        class Boom(Exception):
            pass

        with self.assertRaises(Boom):
            with transaction.atomic():
                Doc.objects.create(id="a1", vector=[1.0, 2.0, 3.0])
                self.assertTrue(Doc.objects.filter(id="a1").exists())  # its own write
                raise Boom()
        self.assertFalse(Doc.objects.filter(id="a1").exists())


if __name__ == "__main__":
    unittest.main(verbosity=2)
