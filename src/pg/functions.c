/*
 * The gv_* SQL functions: each converts its arguments into one engine request (engine_requests.c), and
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
#include "catalog/pg_authid.h"
#include "utils/acl.h"
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

/* The type of argument n as called (as declared where the call has no expression to tell). */
static Oid
gv_arg_type(FunctionCallInfo fcinfo, int n)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, n);
	Oid		   *types;
	int			nargs;

	if (OidIsValid(type))
		return type;
	get_func_signature(fcinfo->flinfo->fn_oid, &types, &nargs);
	if (n >= nargs)
		elog(ERROR, "govector: function %u has no argument %d", fcinfo->flinfo->fn_oid, n);
	return types[n];
}

bool
gv_may_execute(Oid namespace, const char *signature, char **qualified)
{
	*qualified = psprintf("%s.%s", quote_identifier(get_namespace_name(namespace)), signature);
	return pg_proc_aclcheck(DatumGetObjectId(DirectFunctionCall1(regprocedurein, CStringGetDatum(*qualified))),
							GetUserId(), ACL_EXECUTE) == ACLCHECK_OK;
}

/* Calling a function through its form that takes type needs EXECUTE on the canonical form. */
static void
gv_check_canonical(FunctionCallInfo fcinfo, const char *canonical, Oid type)
{
	char	   *sig;

	if (!gv_may_execute(get_func_namespace(fcinfo->flinfo->fn_oid), canonical, &sig))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s", get_func_name(fcinfo->flinfo->fn_oid)),
				 errdetail("Its forms that take %s need EXECUTE on %s.", format_type_be(type), sig),
				 errhint("GRANT EXECUTE ON FUNCTION %s TO the role.", sig)));
}

/*
 * A vector argument (or a 2-D array of them): an array of numbers, or text in either of its forms. The forms
 * other than real[] are overloads that every role may execute; a writing function called through one needs
 * what calling its real[] form needs (canonical: that form's signature), so one GRANT covers all of them.
 */
static ArrayType *
gv_vector_array_arg(FunctionCallInfo fcinfo, int n, const char *what, const char *canonical)
{
	Oid			type = getBaseType(gv_arg_type(fcinfo, n));

	if (PG_ARGISNULL(n))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
	if (canonical != NULL && type != FLOAT4ARRAYOID)
		gv_check_canonical(fcinfo, canonical, type);
	if (type == TEXTOID)
		return gv_array_from_text(text_to_cstring(PG_GETARG_TEXT_PP(n)));
	return PG_GETARG_ARRAYTYPE_P(n);
}

/* A vector argument of one dimension without NULLs, as a float array. */
static float *
gv_vector_arg(FunctionCallInfo fcinfo, int n, const char *what, const char *canonical, size_t *len)
{
	return gv_vector_from_array(gv_vector_array_arg(fcinfo, n, what, canonical), what, len);
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


/* Arguments 0 and 1 of the functions on points named by id: the collection, and the ids (a text[]). */
typedef struct GvPointsArg
{
	char	   *collection;
	char	  **ids;
	size_t		n;
} GvPointsArg;

static GvPointsArg
gv_points_arg(FunctionCallInfo fcinfo)
{
	GvPointsArg a;

	a.collection = gv_text_arg(fcinfo, 0, "collection");
	a.ids = gv_ids_arg(fcinfo, 1, "ids", &a.n);
	return a;
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

/* The most columns a set-returning function here returns. */
#define GV_MAX_RESULT_COLUMNS 5

/* Adds a row without NULLs to a set-returning function's result (set up by InitMaterializedSRF). */
static void
gv_put_row(FunctionCallInfo fcinfo, Datum *values)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		nulls[GV_MAX_RESULT_COLUMNS] = {false};

	Assert(rsinfo->setDesc->natts <= GV_MAX_RESULT_COLUMNS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The result of a write that returns a count (or a version): the transaction must make it durable. */
static Datum
gv_written(uint64 count)
{
	return Int64GetDatum((int64) count);
}

/* ---------------------------------------------------------------------------------------------------------
 * Collections
 */

PG_FUNCTION_INFO_V1(gv_create_collection);
Datum
gv_create_collection(PG_FUNCTION_ARGS)
{
	char	   *name = gv_text_arg(fcinfo, 0, "name");
	uint32		dimension = (uint32) gv_int_arg(fcinfo, 1, "dimension", 1, GV_MAX_DIMENSION);
	char	   *distance = gv_text_arg(fcinfo, 2, "distance");
	char	   *index = gv_text_arg(fcinfo, 3, "index");
	uint32		m = (uint32) gv_int_arg(fcinfo, 4, "m", GV_MIN_M, GV_MAX_M);
	uint32		ef_construct = (uint32) gv_int_arg(fcinfo, 5, "ef_construct", GV_MIN_EF_CONSTRUCT,
													   GV_MAX_EF_CONSTRUCT);
	char	   *quantization = gv_text_arg(fcinfo, 6, "quantization");

	gv_engine_create_collection(name, dimension, distance, index, m, ef_construct, 0, quantization);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(gv_drop_collection);
Datum
gv_drop_collection(PG_FUNCTION_ARGS)
{
	char	   *name = gv_text_arg(fcinfo, 0, "name");
	bool		if_exists = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	/* 0.1.0's SQL declares no cascade argument. */
	bool		cascade = PG_NARGS() > 2 && !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);

	if (gv_engine_find_collection(name) != NULL)
		gv_check_collection_users(name, cascade);
	PG_RETURN_BOOL(gv_engine_drop_collection(name, if_exists));
}

PG_FUNCTION_INFO_V1(gv_collections);
Datum
gv_collections(PG_FUNCTION_ARGS)
{
	GvResponse *resp;

	InitMaterializedSRF(fcinfo, 0);
	resp = gv_engine_list_collections();
	for (size_t i = 0; i < resp->n_collections; i++)
	{
		Govector__Pb__CollectionSummary *s = resp->collections[i];
		Datum		values[5];

		values[0] = CStringGetTextDatum(s->name);
		values[1] = Int32GetDatum((int32) s->dimension);
		values[2] = CStringGetTextDatum(s->distance);
		values[3] = CStringGetTextDatum(s->index);
		values[4] = Int64GetDatum((int64) s->points);
		gv_put_row(fcinfo, values);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gv_collection_info);
Datum
gv_collection_info(PG_FUNCTION_ARGS)
{
	char	   *name = gv_text_arg(fcinfo, 0, "name");

	PG_RETURN_DATUM(gv_jsonb_datum(gv_engine_collection_info(name)));
}

PG_FUNCTION_INFO_V1(gv_create_payload_index);
Datum
gv_create_payload_index(PG_FUNCTION_ARGS)
{
	char	   *collection = gv_text_arg(fcinfo, 0, "collection");
	char	   *field = gv_text_arg(fcinfo, 1, "field");
	char	   *type = gv_text_arg(fcinfo, 2, "type");

	gv_engine_create_payload_index(collection, field, type);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(gv_engine_status);
Datum
gv_engine_status(PG_FUNCTION_ARGS)
{
	Datum		engine = gv_jsonb_datum(gv_engine_status_json());
	Datum		wal = gv_jsonb_datum(psprintf("{\"wal\": %s}", gv_wal_status_json()));
	GvResponse *mine = gv_engine_list_collections();
	uint64		points = 0;
	bool		privileged = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_SETTINGS);
	Datum		totals;

	/*
	 * collections and points are this database's; the whole cluster's, the data directory and the disk the
	 * engine uses are shown to superusers and pg_read_all_settings only.
	 */
	for (size_t i = 0; i < mine->n_collections; i++)
		points += mine->collections[i]->points;
	if (privileged)
	{
		Jsonb	   *e = DatumGetJsonbP(engine);
		JsonbValue *c = getKeyJsonValueFromContainer(&e->root, "collections", strlen("collections"), NULL);
		JsonbValue *p = getKeyJsonValueFromContainer(&e->root, "points", strlen("points"), NULL);
		char	   *cs = c && c->type == jbvNumeric ? numeric_normalize(c->val.numeric) : "null";
		char	   *ps = p && p->type == jbvNumeric ? numeric_normalize(p->val.numeric) : "null";

		totals = gv_jsonb_datum(psprintf("{\"collections\": %zu, \"points\": " UINT64_FORMAT ", "
										 "\"cluster\": {\"collections\": %s, \"points\": %s}}",
										 mine->n_collections, points, cs, ps));
	}
	else
	{
		engine = DirectFunctionCall2(jsonb_delete, engine, CStringGetTextDatum("data_directory"));
		engine = DirectFunctionCall2(jsonb_delete, engine, CStringGetTextDatum("storage_bytes"));
		totals = gv_jsonb_datum(psprintf("{\"collections\": %zu, \"points\": " UINT64_FORMAT "}",
										 mine->n_collections, points));
	}
	engine = DirectFunctionCall2(jsonb_concat, engine, totals);
	PG_RETURN_DATUM(DirectFunctionCall2(jsonb_concat, engine, wal));
}

/* ---------------------------------------------------------------------------------------------------------
 * Points
 */

PG_FUNCTION_INFO_V1(gv_upsert);
Datum
gv_upsert(PG_FUNCTION_ARGS)
{
	char	   *collection = gv_text_arg(fcinfo, 0, "collection");
	Govector__Pb__PointInput p = GOVECTOR__PB__POINT_INPUT__INIT;
	Govector__Pb__PointInput *points[1] = {&p};

	p.id = gv_text_arg(fcinfo, 1, "id");
	p.vector = gv_vector_arg(fcinfo, 2, "vector", "gv_upsert(text,text,real[],jsonb)", &p.n_vector);
	p.payload_json = PG_ARGISNULL(3) ? "" : gv_jsonb_text(PG_GETARG_JSONB_P(3));
	PG_RETURN_DATUM(gv_written(gv_engine_upsert(collection, points, 1)));
}

PG_FUNCTION_INFO_V1(gv_upsert_batch);
Datum
gv_upsert_batch(PG_FUNCTION_ARGS)
{
	char	   *collection;
	char	  **ids;
	size_t		n;
	ArrayType  *vectors;
	int			rows,
				dim;
	float	   *data;
	Datum	   *payloads = NULL;
	bool	   *payload_nulls = NULL;
	int			npayloads = 0;
	Govector__Pb__PointInput **points;

	collection = gv_text_arg(fcinfo, 0, "collection");
	ids = gv_ids_arg(fcinfo, 1, "ids", &n);
	vectors = gv_vector_array_arg(fcinfo, 2, "vectors", "gv_upsert_batch(text,text[],real[],jsonb[])");
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("ids must not be empty")));
	data = gv_vectors_from_array(vectors, "vectors", &rows, &dim);
	if ((size_t) rows != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vectors has %d rows but there are %zu ids", rows, n)));
	if (!PG_ARGISNULL(3))
	{
		ArrayType  *pa = PG_GETARG_ARRAYTYPE_P(3);

		/* jsonb[], or text[] of JSON (what drivers send for a list of JSON strings): each is parsed. */
		if (gv_arg_type(fcinfo, 3) == TEXTARRAYOID)
		{
			gv_check_canonical(fcinfo, "gv_upsert_batch(text,text[],real[],jsonb[])", TEXTARRAYOID);
			deconstruct_array(pa, TEXTOID, -1, false, TYPALIGN_INT, &payloads, &payload_nulls, &npayloads);
			for (int i = 0; i < npayloads; i++)
				if (!payload_nulls[i])
					payloads[i] = DirectFunctionCall1(jsonb_in, CStringGetDatum(TextDatumGetCString(payloads[i])));
		}
		else
			deconstruct_array(pa, JSONBOID, -1, false, TYPALIGN_INT, &payloads, &payload_nulls, &npayloads);
		if ((size_t) npayloads != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("payloads has %d elements but there are %zu ids", npayloads, n)));
	}
	points = palloc(sizeof(Govector__Pb__PointInput *) * n);
	for (size_t i = 0; i < n; i++)
	{
		Govector__Pb__PointInput *p = palloc(sizeof(Govector__Pb__PointInput));

		govector__pb__point_input__init(p);
		p->id = ids[i];
		p->vector = data + i * (size_t) dim;
		p->n_vector = (size_t) dim;
		if (payloads && !payload_nulls[i])
			p->payload_json = gv_jsonb_text(DatumGetJsonbP(payloads[i]));
		points[i] = p;
	}
	PG_RETURN_DATUM(gv_written(gv_engine_upsert(collection, points, n)));
}

/* Emits (id, vector, payload, version) rows, or for a search (id, score, payload, version) rows. */
static void
gv_emit_records(FunctionCallInfo fcinfo, GvResponse *resp, bool scores)
{
	for (size_t i = 0; i < resp->n_records; i++)
	{
		Govector__Pb__Record *r = resp->records[i];
		Datum		values[4];

		values[0] = CStringGetTextDatum(r->id);
		values[1] = scores ? Float4GetDatum(r->score) : gv_vector_datum(r->vector, r->n_vector);
		values[2] = gv_jsonb_datum(r->payload_json);
		values[3] = Int64GetDatum((int64) r->version);
		gv_put_row(fcinfo, values);
	}
}

PG_FUNCTION_INFO_V1(gv_get);
Datum
gv_get(PG_FUNCTION_ARGS)
{
	GvRecordParts parts = {.payload = true,.vector = true};
	GvPointsArg a;

	InitMaterializedSRF(fcinfo, 0);
	a = gv_points_arg(fcinfo);
	gv_emit_records(fcinfo, gv_engine_get(a.collection, a.ids, a.n, &parts), false);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gv_delete);
Datum
gv_delete(PG_FUNCTION_ARGS)
{
	GvPointsArg a = gv_points_arg(fcinfo);

	PG_RETURN_DATUM(gv_written(gv_engine_delete(a.collection, a.ids, a.n, NULL)));
}

PG_FUNCTION_INFO_V1(gv_delete_where);
Datum
gv_delete_where(PG_FUNCTION_ARGS)
{
	char	   *collection = gv_text_arg(fcinfo, 0, "collection");

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("filter must not be NULL"),
				 errhint("To delete every point, pass '{}' as the filter, or drop the collection.")));
	PG_RETURN_DATUM(gv_written(gv_engine_delete(collection, NULL, 0, gv_filter_arg(fcinfo, 1))));
}

PG_FUNCTION_INFO_V1(gv_count);
Datum
gv_count(PG_FUNCTION_ARGS)
{
	char	   *collection = gv_text_arg(fcinfo, 0, "collection");

	PG_RETURN_INT64((int64) gv_engine_count(collection, gv_filter_arg(fcinfo, 1)));
}

/* gv_search and gv_search_by_id: the query is a vector (argument 1) or a stored point's id. */
static Datum
gv_search_common(FunctionCallInfo fcinfo, bool by_id)
{
	GvSearchQuery q = {0};
	GvRecordParts parts = {.payload = true};
	char	   *collection;

	InitMaterializedSRF(fcinfo, 0);
	collection = gv_text_arg(fcinfo, 0, "collection");
	if (by_id)
		q.id = gv_text_arg(fcinfo, 1, "id");
	else
		q.vector = gv_vector_arg(fcinfo, 1, "query", NULL, &q.dim);
	q.k = (uint32) gv_int_arg(fcinfo, 2, "k", 1, GV_MAX_K);
	q.filter_json = gv_filter_arg(fcinfo, 3);
	q.ef = PG_ARGISNULL(4) ? (uint32) gv_ef_search : (uint32) gv_int_arg(fcinfo, 4, "ef", 1, GV_MAX_EF);
	q.exact = PG_ARGISNULL(5) ? false : PG_GETARG_BOOL(5);
	gv_emit_records(fcinfo, gv_engine_search(collection, &q, &parts), true);
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
	GvRecordParts parts = {.payload = true,.vector = true};
	char	   *collection;
	char	   *filter;
	uint32		limit;

	InitMaterializedSRF(fcinfo, 0);
	collection = gv_text_arg(fcinfo, 0, "collection");
	filter = gv_filter_arg(fcinfo, 1);
	limit = (uint32) gv_int_arg(fcinfo, 2, "lim", 1, GV_MAX_SCROLL_LIMIT);
	gv_emit_records(fcinfo, gv_engine_scroll(collection, filter, limit,
											 PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
											 &parts), false);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gv_set_payload);
Datum
gv_set_payload(PG_FUNCTION_ARGS)
{
	GvPointsArg a = gv_points_arg(fcinfo);
	char	   *payload;

	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("payload must not be NULL")));
	payload = gv_jsonb_text(PG_GETARG_JSONB_P(2));
	PG_RETURN_DATUM(gv_written(gv_engine_set_payload(a.collection, a.ids, a.n, payload,
													 PG_ARGISNULL(3) ? false : PG_GETARG_BOOL(3))));
}

PG_FUNCTION_INFO_V1(gv_delete_payload);
Datum
gv_delete_payload(PG_FUNCTION_ARGS)
{
	GvPointsArg a = gv_points_arg(fcinfo);
	size_t		nkeys;
	char	  **keys = gv_ids_arg(fcinfo, 2, "keys", &nkeys);

	PG_RETURN_DATUM(gv_written(gv_engine_delete_payload(a.collection, a.ids, a.n, keys, nkeys)));
}

PG_FUNCTION_INFO_V1(gv_clear_payload);
Datum
gv_clear_payload(PG_FUNCTION_ARGS)
{
	GvPointsArg a = gv_points_arg(fcinfo);

	PG_RETURN_DATUM(gv_written(gv_engine_delete_payload(a.collection, a.ids, a.n, NULL, 0)));
}
