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
from django.db.models import F, FloatField, Func, Value  # noqa: E402
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


class Doc8(models.Model):
    id = models.TextField(primary_key=True)
    vector = ArrayField(models.FloatField())   # a double precision[] column: Django's own type for it
    payload = models.JSONField(default=dict)
    version = models.BigIntegerField(null=True)

    class Meta:
        app_label = "govector_orm"
        managed = False
        db_table = "orm_docs8"


class L2Distance(Func):
    """vector <-> q as a Django expression (pgvector-python's L2Distance is the same)."""
    arg_joiner = " <-> "
    template = "(%(expressions)s)"
    output_field = FloatField()


def nearest(q, k=3):
    # The distance as an expression; the query vector is a plain list (numeric[] on the wire).
    return list(Doc.objects.annotate(distance=RawSQL("vector <-> %s", (q,)))
                .order_by("distance").values_list("id", flat=True)[:k])


class DjangoOverForeignTable(unittest.TestCase):
    def setUp(self):
        Doc.objects.all().delete()
        Doc8.objects.all().delete()

    def test_float_array_field(self):
        for i in range(1, 11):
            Doc8.objects.create(id=str(i), vector=[i * 0.1, 0.25, 1.0], payload={"n": i})
        q = [0.32, 0.25, 1.0]
        by_expr = Doc8.objects.annotate(d=L2Distance(F("vector"), Value(q, output_field=ArrayField(FloatField()))))
        self.assertEqual(list(by_expr.order_by("d").values_list("id", flat=True)[:3]), ["3", "4", "2"])
        by_raw = Doc8.objects.annotate(d=RawSQL("vector <-> %s", (q,))).order_by("d")
        self.assertEqual(list(by_raw.values_list("id", flat=True)[:3]), ["3", "4", "2"])
        doc = Doc8.objects.get(id="7")
        self.assertEqual(doc.vector, [0.7, 0.25, 1.0])
        doc.vector = [0.5, 0.5, 0.5]
        doc.save()
        self.assertEqual(Doc8.objects.get(id="7").vector, [0.5, 0.5, 0.5])

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
