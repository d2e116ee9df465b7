"""SQLAlchemy (Debian's python3-sqlalchemy, psycopg2) over a govector foreign table: a declarative model,
insert, nearest-neighbour order_by with the distance operator, update, delete, rollback, and a bulk upsert
from Python floats and numpy arrays. Run by test/orm/run.sh, which starts the cluster and passes GV_DSN."""
import os
import unittest

import numpy as np
from sqlalchemy import BigInteger, Column, Text, cast, create_engine, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, REAL
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Doc(Base):
    __tablename__ = "orm_docs"  # CREATE FOREIGN TABLE orm_docs (...) SERVER govector OPTIONS (collection 'orm_docs')
    id = Column(Text, primary_key=True)
    vector = Column(ARRAY(REAL))
    payload = Column(JSONB)
    category = Column(Text)  # OPTIONS (payload_key 'category')
    version = Column(BigInteger)


engine = create_engine(os.environ["GV_SQLALCHEMY_URL"], future=True)


def nearest(session, q, k=3):
    # A Python list binds as numeric[]: cast it to the column's type, real[].
    stmt = select(Doc.id).order_by(Doc.vector.op("<->")(cast(q, ARRAY(REAL)))).limit(k)
    return list(session.scalars(stmt))


class SqlAlchemyOverForeignTable(unittest.TestCase):
    def setUp(self):
        with engine.begin() as c:
            c.execute(text("SELECT gv_delete_where('orm_docs', '{}')"))

    def test_insert_query_update_delete(self):
        with Session(engine) as s:
            s.add_all([Doc(id=str(i), vector=[float(i), 0.0, 1.0], payload={"n": i}, category="c%d" % (i % 2))
                       for i in range(1, 11)])
            s.commit()
        with Session(engine) as s:
            self.assertEqual(s.scalar(select(func.count()).select_from(Doc)), 10)
            self.assertEqual(nearest(s, [3.2, 0.0, 1.0]), ["3", "4", "2"])
            evens = s.scalars(select(Doc.id).where(Doc.category == "c0").order_by(Doc.id)).all()
            self.assertEqual(evens, ["10", "2", "4", "6", "8"])
            doc = s.get(Doc, "5")
            self.assertEqual(doc.vector, [5.0, 0.0, 1.0])
            self.assertEqual(doc.payload, {"n": 5, "category": "c1"})
            self.assertGreater(doc.version, 0)
            doc.category = "changed"
            s.commit()
        with engine.connect() as c:
            payload = c.execute(text("SELECT payload FROM gv_get('orm_docs', ARRAY['5'])")).scalar_one()
            self.assertEqual(payload, {"n": 5, "category": "changed"})
        with Session(engine) as s:
            s.delete(s.get(Doc, "5"))
            s.commit()
            self.assertIsNone(s.get(Doc, "5"))
            self.assertEqual(s.scalar(select(func.count()).select_from(Doc)), 9)

    def test_rollback_leaves_nothing(self):
        with Session(engine) as s:
            s.add(Doc(id="r1", vector=[1.0, 1.0, 1.0], payload={}))
            s.flush()
            # The transaction sees its own write...
            self.assertEqual(s.scalar(select(func.count()).select_from(Doc)), 1)
            s.rollback()
        # ...and after the rollback nobody does.
        with engine.connect() as c:
            self.assertEqual(c.execute(text("SELECT gv_count('orm_docs')")).scalar_one(), 0)

    def test_bulk_upsert_from_floats_and_numpy(self):
        ids = [str(i) for i in range(100, 300)]
        floats = [[float(i), 1.0, 0.5] for i in range(200)]
        arr = np.random.default_rng(7).random((200, 3), dtype=np.float32)
        with engine.begin() as c:
            c.execute(text("SELECT gv_upsert_batch('orm_docs', :ids, CAST(:vectors AS real[]))"),
                      {"ids": ids, "vectors": floats})
            c.execute(text("SELECT gv_upsert_batch('orm_docs', :ids, CAST(:vectors AS real[]), CAST(:payloads AS jsonb[]))"),
                      {"ids": [str(i) for i in range(300, 500)], "vectors": arr.tolist(),
                       "payloads": ['{"np": true}'] * 200})
        with Session(engine) as s:
            self.assertEqual(s.scalar(select(func.count()).select_from(Doc)), 400)
            got = s.get(Doc, "300")
            # real[] reads back as the shortest decimals of the float4 values: as float32, exactly the array's.
            self.assertTrue(np.array_equal(np.array(got.vector, dtype=np.float32), arr[0]), got.vector)
            self.assertEqual(got.payload, {"np": True})


if __name__ == "__main__":
    unittest.main(verbosity=2)
