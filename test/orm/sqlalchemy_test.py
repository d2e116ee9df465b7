"""SQLAlchemy (Debian's python3-sqlalchemy, psycopg2) over a govector foreign table: a declarative model,
insert, nearest-neighbour order_by with the distance operator, update, delete, rollback, and a bulk upsert
from Python floats and numpy arrays. Run by test/orm/run.sh, which starts the cluster and passes GV_DSN."""
import os
import unittest

import numpy as np
from sqlalchemy import BigInteger, Column, Float, Text, cast, create_engine, func, select, text
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


class Doc8(Base):
    # The same shape with SQLAlchemy's natural ARRAY(Float): the foreign table's vector column is
    # double precision[] (CREATE FOREIGN TABLE orm_docs8 (id text, vector double precision[], ...)).
    __tablename__ = "orm_docs8"
    id = Column(Text, primary_key=True)
    vector = Column(ARRAY(Float))
    payload = Column(JSONB)
    version = Column(BigInteger)


engine = create_engine(os.environ["GV_SQLALCHEMY_URL"], future=True)


def nearest(session, q, k=3):
    # A Python list binds as numeric[]; the operator takes it as it is (a cast to real[] works too).
    stmt = select(Doc.id).order_by(Doc.vector.op("<->")(q)).limit(k)
    return list(session.scalars(stmt))


class SqlAlchemyOverForeignTable(unittest.TestCase):
    def setUp(self):
        with engine.begin() as c:
            c.execute(text("SELECT gv_delete_where('orm_docs', '{}')"))
            c.execute(text("SELECT gv_delete_where('orm_docs8', '{}')"))

    def test_insert_query_update_delete(self):
        with Session(engine) as s:
            s.add_all([Doc(id=str(i), vector=[float(i), 0.0, 1.0], payload={"n": i}, category="c%d" % (i % 2))
                       for i in range(1, 11)])
            s.commit()
        with Session(engine) as s:
            self.assertEqual(s.scalar(select(func.count()).select_from(Doc)), 10)
            self.assertEqual(nearest(s, [3.2, 0.0, 1.0]), ["3", "4", "2"])
            cast_q = select(Doc.id).order_by(Doc.vector.op("<->")(cast([3.2, 0.0, 1.0], ARRAY(REAL)))).limit(3)
            self.assertEqual(list(s.scalars(cast_q)), ["3", "4", "2"])
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


    def test_float_array_model_without_casts(self):
        # ARRAY(Float) is double precision[]: inserts, the distance operator with a plain list (as numeric[])
        # and as a float8[] bind, reads back as Python floats equal to what was written.
        with Session(engine) as s:
            s.add_all([Doc8(id=str(i), vector=[i * 0.1, 0.25, 1.0], payload={"n": i}) for i in range(1, 11)])
            s.commit()
        with Session(engine) as s:
            q = [0.32, 0.25, 1.0]
            stmt = select(Doc8.id).order_by(Doc8.vector.op("<->")(q)).limit(3)
            self.assertEqual(list(s.scalars(stmt)), ["3", "4", "2"])
            compiled = stmt.compile(engine)
            plan = "\n".join(r[0] for r in s.connection().exec_driver_sql("EXPLAIN " + str(compiled),
                                                                           compiled.params))
            self.assertIn("Engine Search", plan)
            typed = select(Doc8.id).order_by(Doc8.vector.op("<->")(cast(q, ARRAY(Float)))).limit(3)
            self.assertEqual(list(s.scalars(typed)), ["3", "4", "2"])
            dist = s.execute(select(Doc8.id, Doc8.vector.op("<->", return_type=Float)(q).label("d"))
                             .order_by("d").limit(1)).one()
            self.assertEqual(dist.id, "3")
            self.assertAlmostEqual(dist.d, 0.02, places=5)
            doc = s.get(Doc8, "7")
            self.assertEqual(doc.vector, [0.7, 0.25, 1.0])  # 0.1 * 7 = 0.7000000000000001 stored as real
            doc.vector = [0.5, 0.5, 0.5]
            s.commit()
        with Session(engine) as s:
            self.assertEqual(s.get(Doc8, "7").vector, [0.5, 0.5, 0.5])

    def test_bulk_upsert_without_casts(self):
        # What psycopg2 sends for plain lists: ids text[], vectors numeric[] (2-D), payloads text[] of JSON.
        rng = np.random.default_rng(11)
        arr = rng.random((50, 3), dtype=np.float32)
        with engine.begin() as c:
            c.execute(text("SELECT gv_upsert_batch('orm_docs8', :ids, :vectors, :payloads)"),
                      {"ids": ["n%d" % i for i in range(50)], "vectors": arr.tolist(),
                       "payloads": ['{"i": %d}' % i for i in range(50)]})
            c.execute(text("SELECT gv_upsert_batch('orm_docs8', :ids, :vectors)"),
                      {"ids": ["f1", "f2"], "vectors": [[1.0, 2.0, 3.0], [4, 5, 6]]})
            c.execute(text("SELECT gv_upsert('orm_docs8', :id, :vector)"), {"id": "one", "vector": [7.5, 8.0, 9.0]})
        with Session(engine) as s:
            self.assertEqual(s.scalar(select(func.count()).select_from(Doc8)), 53)
            got = s.get(Doc8, "n0")
            self.assertTrue(np.array_equal(np.array(got.vector, dtype=np.float32), arr[0]), got.vector)
            self.assertEqual(got.payload, {"i": 0})
            self.assertEqual(s.get(Doc8, "f2").vector, [4.0, 5.0, 6.0])
            self.assertEqual(s.get(Doc8, "one").vector, [7.5, 8.0, 9.0])
            hits = s.execute(text("SELECT id FROM gv_search('orm_docs8', :q, 1)"), {"q": arr[5].tolist()}).all()
            self.assertEqual(hits[0][0], "n5")

    def test_numpy_arrays_as_parameters(self):
        # psycopg2 has no adapter for numpy arrays; one line gives it one (a list, sent as an array).
        import psycopg2.extensions
        psycopg2.extensions.register_adapter(np.ndarray, lambda a: psycopg2.extensions.adapt(a.tolist()))
        arr = np.random.default_rng(5).random((20, 3), dtype=np.float32)
        with engine.begin() as c:
            c.execute(text("SELECT gv_upsert_batch('orm_docs8', :ids, :vectors)"),
                      {"ids": ["np%d" % i for i in range(20)], "vectors": arr})
        with Session(engine) as s:
            hit = s.execute(text("SELECT id FROM gv_search('orm_docs8', :q, 1)"), {"q": arr[3]}).scalar_one()
            self.assertEqual(hit, "np3")
            # Bound to an ARRAY(Float) column, SQLAlchemy hands psycopg2 the elements (numpy scalars): a list.
            stmt = select(Doc8.id).order_by(Doc8.vector.op("<->")(arr[3].tolist())).limit(1)
            self.assertEqual(s.scalars(stmt).one(), "np3")
            self.assertTrue(np.array_equal(np.array(s.get(Doc8, "np7").vector, dtype=np.float32), arr[7]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
