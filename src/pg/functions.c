/*
 * The gv_* SQL functions: each converts its arguments into one engine request, sends it with gv_call, and
 * converts the answer back (ids as text, vectors as real[], payloads as jsonb). Argument checks that need no
 * engine (NULLs, array shapes, negative numbers) happen here; everything else is the engine's to judge, so
 * SQL and HTTP reject the same inputs with the same messages.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "govector_pg.h"

/* ---------------------------------------------------------------------------------------------------------
 * Argument helpers
 */

static char *
gv_text_arg(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static int32
gv_int_arg(FunctionCallInfo fcinfo, int n, const char *what, int32 min, int32 max)
{
	int32		v;

	if (PG_ARGISNULL(n))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
	v = PG_GETARG_INT32(n);
	if (v < min || v > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d, got %d", what, min, max, v)));
	return v;
}

/* A real[] of one dimension without NULLs, as a float array. */
static float *
gv_vector_arg(FunctionCallInfo fcinfo, int n, const char *what, size_t *len)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
	return gv_vector_from_array(PG_GETARG_ARRAYTYPE_P(n), what, len);
}

/* A text[] without NULLs. */
static char **
gv_ids_arg(FunctionCallInfo fcinfo, int n, const char *what, size_t *count)
{
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	char	  **out;

	if (PG_ARGISNULL(n))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
	a = PG_GETARG_ARRAYTYPE_P(n);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	out = palloc(sizeof(char *) * (nelems > 0 ? nelems : 1));
	for (int i = 0; i < nelems; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL elements", what)));
		out[i] = TextDatumGetCString(elems[i]);
	}
	*count = (size_t) nelems;
	return out;
}


/*
 * A filter argument as engine filter JSON, or "" for none. A JSON object without must/should/must_not/
 * min_should is a shorthand for "the payload contains this object" (jsonb @> semantics).
 */
static char *
gv_filter_arg(FunctionCallInfo fcinfo, int n)
{
	Jsonb	   *jb;
	static const char *const clauses[] = {"must", "should", "must_not", "min_should"};
	bool		has_clause = false;

	if (PG_ARGISNULL(n))
		return "";
	jb = PG_GETARG_JSONB_P(n);
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("govector: filter must be a JSON object"),
				 errhint("Use {\"must\": [...]} conditions, or an object the payload must contain.")));
	if (JB_ROOT_COUNT(jb) == 0)
		return "";
	for (int i = 0; i < lengthof(clauses); i++)
		if (getKeyJsonValueFromContainer(&jb->root, clauses[i], strlen(clauses[i]), NULL) != NULL)
			has_clause = true;
	if (has_clause)
		return gv_jsonb_text(jb);
	return psprintf("{\"must\":[{\"payload_contains\":%s}]}", gv_jsonb_text(jb));
}


#define GV_SET_OP(req, field, kind, value) \
	do { (req).op_case = GOVECTOR__PB__REQUEST__OP_##kind; (req).field = (value); } while (0)

/* ---------------------------------------------------------------------------------------------------------
 * Collections
 */

PG_FUNCTION_INFO_V1(gv_create_collection);
Datum
gv_create_collection(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__CreateCollectionRequest c = GOVECTOR__PB__CREATE_COLLECTION_REQUEST__INIT;

	c.name = gv_text_arg(fcinfo, 0, "name");
	c.dimension = (uint32) gv_int_arg(fcinfo, 1, "dimension", 1, 16000);
	c.distance = gv_text_arg(fcinfo, 2, "distance");
	c.index = gv_text_arg(fcinfo, 3, "index");
	c.m = (uint32) gv_int_arg(fcinfo, 4, "m", 2, 512);
	c.ef_construct = (uint32) gv_int_arg(fcinfo, 5, "ef_construct", 1, 10000);
	c.quantization = gv_text_arg(fcinfo, 6, "quantization");
	GV_SET_OP(req, create_collection, CREATE_COLLECTION, &c);
	(void) gv_call(&req);
	gv_note_write();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(gv_drop_collection);
Datum
gv_drop_collection(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__DropCollectionRequest d = GOVECTOR__PB__DROP_COLLECTION_REQUEST__INIT;
	GvResponse *resp;

	d.name = gv_text_arg(fcinfo, 0, "name");
	d.if_exists = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	GV_SET_OP(req, drop_collection, DROP_COLLECTION, &d);
	resp = gv_call(&req);
	PG_RETURN_BOOL(resp->count != 0);
}

PG_FUNCTION_INFO_V1(gv_collections);
Datum
gv_collections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__ListCollectionsRequest l = GOVECTOR__PB__LIST_COLLECTIONS_REQUEST__INIT;
	GvResponse *resp;

	InitMaterializedSRF(fcinfo, 0);
	GV_SET_OP(req, list_collections, LIST_COLLECTIONS, &l);
	resp = gv_call(&req);
	for (size_t i = 0; i < resp->n_collections; i++)
	{
		Govector__Pb__CollectionSummary *s = resp->collections[i];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = CStringGetTextDatum(s->name);
		values[1] = Int32GetDatum((int32) s->dimension);
		values[2] = CStringGetTextDatum(s->distance);
		values[3] = CStringGetTextDatum(s->index);
		values[4] = Int64GetDatum((int64) s->points);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gv_collection_info);
Datum
gv_collection_info(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__CollectionInfoRequest r = GOVECTOR__PB__COLLECTION_INFO_REQUEST__INIT;

	r.name = gv_text_arg(fcinfo, 0, "name");
	GV_SET_OP(req, collection_info, COLLECTION_INFO, &r);
	PG_RETURN_DATUM(gv_jsonb_datum(gv_call(&req)->json));
}

PG_FUNCTION_INFO_V1(gv_create_payload_index);
Datum
gv_create_payload_index(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__CreatePayloadIndexRequest r = GOVECTOR__PB__CREATE_PAYLOAD_INDEX_REQUEST__INIT;

	r.collection = gv_text_arg(fcinfo, 0, "collection");
	r.field = gv_text_arg(fcinfo, 1, "field");
	r.type = gv_text_arg(fcinfo, 2, "type");
	GV_SET_OP(req, create_payload_index, CREATE_PAYLOAD_INDEX, &r);
	(void) gv_call(&req);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(gv_engine_status);
Datum
gv_engine_status(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__EngineStatusRequest r = GOVECTOR__PB__ENGINE_STATUS_REQUEST__INIT;

	GV_SET_OP(req, engine_status, ENGINE_STATUS, &r);
	PG_RETURN_DATUM(gv_jsonb_datum(gv_call(&req)->json));
}

/* ---------------------------------------------------------------------------------------------------------
 * Points
 */

PG_FUNCTION_INFO_V1(gv_upsert);
Datum
gv_upsert(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__UpsertRequest u = GOVECTOR__PB__UPSERT_REQUEST__INIT;
	Govector__Pb__PointInput p = GOVECTOR__PB__POINT_INPUT__INIT;
	Govector__Pb__PointInput *points[1] = {&p};
	GvResponse *resp;

	u.collection = gv_text_arg(fcinfo, 0, "collection");
	p.id = gv_text_arg(fcinfo, 1, "id");
	p.vector = gv_vector_arg(fcinfo, 2, "vector", &p.n_vector);
	p.payload_json = PG_ARGISNULL(3) ? "" : gv_jsonb_text(PG_GETARG_JSONB_P(3));
	u.n_points = 1;
	u.points = points;
	GV_SET_OP(req, upsert, UPSERT, &u);
	resp = gv_call(&req);
	gv_note_write();
	PG_RETURN_INT64((int64) resp->count);
}

PG_FUNCTION_INFO_V1(gv_upsert_batch);
Datum
gv_upsert_batch(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__UpsertRequest u = GOVECTOR__PB__UPSERT_REQUEST__INIT;
	char	  **ids;
	size_t		n;
	ArrayType  *vectors;
	int			rows,
				dim;
	float	   *data;
	Datum	   *payloads = NULL;
	bool	   *payload_nulls = NULL;
	int			npayloads = 0;
	GvResponse *resp;

	u.collection = gv_text_arg(fcinfo, 0, "collection");
	ids = gv_ids_arg(fcinfo, 1, "ids", &n);
	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("vectors must not be NULL")));
	vectors = PG_GETARG_ARRAYTYPE_P(2);
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("ids must not be empty")));
	if (ARR_NDIM(vectors) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vectors must be a two-dimensional real[] array with one row per id"),
				 errhint("For example ARRAY[[1,2,3],[4,5,6]]::real[] for two ids.")));
	if (array_contains_nulls(vectors))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("vectors must not contain NULL elements")));
	rows = ARR_DIMS(vectors)[0];
	dim = ARR_DIMS(vectors)[1];
	if ((size_t) rows != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vectors has %d rows but there are %zu ids", rows, n)));
	data = (float *) ARR_DATA_PTR(vectors);
	if (!PG_ARGISNULL(3))
	{
		ArrayType  *pa = PG_GETARG_ARRAYTYPE_P(3);

		deconstruct_array(pa, JSONBOID, -1, false, TYPALIGN_INT, &payloads, &payload_nulls, &npayloads);
		if ((size_t) npayloads != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("payloads has %d elements but there are %zu ids", npayloads, n)));
	}
	u.n_points = n;
	u.points = palloc(sizeof(Govector__Pb__PointInput *) * n);
	for (size_t i = 0; i < n; i++)
	{
		Govector__Pb__PointInput *p = palloc(sizeof(Govector__Pb__PointInput));

		govector__pb__point_input__init(p);
		p->id = ids[i];
		p->vector = data + i * (size_t) dim;
		p->n_vector = (size_t) dim;
		if (payloads && !payload_nulls[i])
			p->payload_json = gv_jsonb_text(DatumGetJsonbP(payloads[i]));
		u.points[i] = p;
	}
	GV_SET_OP(req, upsert, UPSERT, &u);
	resp = gv_call(&req);
	gv_note_write();
	PG_RETURN_INT64((int64) resp->count);
}

/* Emits (id, vector, payload, version) rows. */
static void
gv_emit_records(FunctionCallInfo fcinfo, GvResponse *resp)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	for (size_t i = 0; i < resp->n_records; i++)
	{
		Govector__Pb__Record *r = resp->records[i];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(r->id);
		values[1] = gv_vector_datum(r->vector, r->n_vector);
		values[2] = gv_jsonb_datum(r->payload_json);
		values[3] = Int64GetDatum((int64) r->version);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(gv_get);
Datum
gv_get(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__GetRequest g = GOVECTOR__PB__GET_REQUEST__INIT;

	InitMaterializedSRF(fcinfo, 0);
	g.collection = gv_text_arg(fcinfo, 0, "collection");
	g.ids = gv_ids_arg(fcinfo, 1, "ids", &g.n_ids);
	g.with_payload = true;
	g.with_vector = true;
	GV_SET_OP(req, get, GET, &g);
	gv_emit_records(fcinfo, gv_call(&req));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gv_delete);
Datum
gv_delete(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__DeleteRequest d = GOVECTOR__PB__DELETE_REQUEST__INIT;
	GvResponse *resp;

	d.collection = gv_text_arg(fcinfo, 0, "collection");
	d.ids = gv_ids_arg(fcinfo, 1, "ids", &d.n_ids);
	GV_SET_OP(req, delete_, DELETE, &d);
	resp = gv_call(&req);
	gv_note_write();
	PG_RETURN_INT64((int64) resp->count);
}

PG_FUNCTION_INFO_V1(gv_delete_where);
Datum
gv_delete_where(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__DeleteRequest d = GOVECTOR__PB__DELETE_REQUEST__INIT;
	GvResponse *resp;

	d.collection = gv_text_arg(fcinfo, 0, "collection");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("filter must not be NULL"),
				 errhint("To delete every point, pass '{}' as the filter, or drop the collection.")));
	d.filter_json = gv_filter_arg(fcinfo, 1);
	if (d.filter_json[0] == '\0')
		d.filter_json = "{}";
	d.has_filter = true;
	GV_SET_OP(req, delete_, DELETE, &d);
	resp = gv_call(&req);
	gv_note_write();
	PG_RETURN_INT64((int64) resp->count);
}

PG_FUNCTION_INFO_V1(gv_count);
Datum
gv_count(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__CountRequest c = GOVECTOR__PB__COUNT_REQUEST__INIT;

	c.collection = gv_text_arg(fcinfo, 0, "collection");
	c.filter_json = gv_filter_arg(fcinfo, 1);
	GV_SET_OP(req, count, COUNT, &c);
	PG_RETURN_INT64((int64) gv_call(&req)->count);
}

/* gv_search and gv_search_by_id: the query is a vector (argument 1) or a stored point's id. */
static Datum
gv_search_common(FunctionCallInfo fcinfo, bool by_id)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__SearchRequest s = GOVECTOR__PB__SEARCH_REQUEST__INIT;
	GvResponse *resp;

	InitMaterializedSRF(fcinfo, 0);
	s.collection = gv_text_arg(fcinfo, 0, "collection");
	if (by_id)
		s.query_id = gv_text_arg(fcinfo, 1, "id");
	else
		s.vector = gv_vector_arg(fcinfo, 1, "query", &s.n_vector);
	s.k = (uint32) gv_int_arg(fcinfo, 2, "k", 1, 10000);
	s.filter_json = gv_filter_arg(fcinfo, 3);
	s.ef = PG_ARGISNULL(4) ? (uint32) gv_ef_search : (uint32) gv_int_arg(fcinfo, 4, "ef", 1, 100000);
	s.exact = PG_ARGISNULL(5) ? false : PG_GETARG_BOOL(5);
	s.with_payload = true;
	GV_SET_OP(req, search, SEARCH, &s);
	resp = gv_call(&req);
	for (size_t i = 0; i < resp->n_records; i++)
	{
		Govector__Pb__Record *r = resp->records[i];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(r->id);
		values[1] = Float4GetDatum(r->score);
		values[2] = gv_jsonb_datum(r->payload_json);
		values[3] = Int64GetDatum((int64) r->version);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gv_search);
Datum
gv_search(PG_FUNCTION_ARGS)
{
	return gv_search_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gv_search_by_id);
Datum
gv_search_by_id(PG_FUNCTION_ARGS)
{
	return gv_search_common(fcinfo, true);
}

PG_FUNCTION_INFO_V1(gv_scroll);
Datum
gv_scroll(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__ScrollRequest s = GOVECTOR__PB__SCROLL_REQUEST__INIT;

	InitMaterializedSRF(fcinfo, 0);
	s.collection = gv_text_arg(fcinfo, 0, "collection");
	s.filter_json = gv_filter_arg(fcinfo, 1);
	s.limit = (uint32) gv_int_arg(fcinfo, 2, "lim", 1, 100000);
	if (!PG_ARGISNULL(3))
	{
		s.after = text_to_cstring(PG_GETARG_TEXT_PP(3));
		s.has_after = true;
	}
	s.with_payload = true;
	s.with_vector = true;
	GV_SET_OP(req, scroll, SCROLL, &s);
	gv_emit_records(fcinfo, gv_call(&req));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gv_set_payload);
Datum
gv_set_payload(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__SetPayloadRequest s = GOVECTOR__PB__SET_PAYLOAD_REQUEST__INIT;
	GvResponse *resp;

	s.collection = gv_text_arg(fcinfo, 0, "collection");
	s.ids = gv_ids_arg(fcinfo, 1, "ids", &s.n_ids);
	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("payload must not be NULL")));
	s.payload_json = gv_jsonb_text(PG_GETARG_JSONB_P(2));
	s.overwrite = PG_ARGISNULL(3) ? false : PG_GETARG_BOOL(3);
	GV_SET_OP(req, set_payload, SET_PAYLOAD, &s);
	resp = gv_call(&req);
	gv_note_write();
	PG_RETURN_INT64((int64) resp->count);
}

PG_FUNCTION_INFO_V1(gv_delete_payload);
Datum
gv_delete_payload(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__DeletePayloadRequest d = GOVECTOR__PB__DELETE_PAYLOAD_REQUEST__INIT;
	GvResponse *resp;

	d.collection = gv_text_arg(fcinfo, 0, "collection");
	d.ids = gv_ids_arg(fcinfo, 1, "ids", &d.n_ids);
	d.keys = gv_ids_arg(fcinfo, 2, "keys", &d.n_keys);
	GV_SET_OP(req, delete_payload, DELETE_PAYLOAD, &d);
	resp = gv_call(&req);
	gv_note_write();
	PG_RETURN_INT64((int64) resp->count);
}

PG_FUNCTION_INFO_V1(gv_clear_payload);
Datum
gv_clear_payload(PG_FUNCTION_ARGS)
{
	GvRequest	req = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__DeletePayloadRequest d = GOVECTOR__PB__DELETE_PAYLOAD_REQUEST__INIT;
	GvResponse *resp;

	d.collection = gv_text_arg(fcinfo, 0, "collection");
	d.ids = gv_ids_arg(fcinfo, 1, "ids", &d.n_ids);
	d.clear = true;
	GV_SET_OP(req, delete_payload, DELETE_PAYLOAD, &d);
	resp = gv_call(&req);
	gv_note_write();
	PG_RETURN_INT64((int64) resp->count);
}
