/*
 * Conversions between SQL values and the fields of engine messages, shared by the gv_* functions and the
 * foreign data wrapper.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "govector_pg.h"

char *
gv_jsonb_text(Jsonb *jb)
{
	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

Datum
gv_jsonb_datum(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json[0] ? json : "{}"));
}

Datum
gv_vector_datum(const float *v, size_t n)
{
	Datum	   *elems = palloc(sizeof(Datum) * (n > 0 ? n : 1));

	for (size_t i = 0; i < n; i++)
		elems[i] = Float4GetDatum(v[i]);
	return PointerGetDatum(construct_array(elems, (int) n, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
}

/*
 * Vectors arrive as arrays of any number type: real[] (stored as is), double precision[] (rounded to real as
 * the cast does, overflow and underflow refused), numeric[], smallint[], integer[], bigint[]. pgvector's vector
 * reaches the functions as real[] through its own implicit cast.
 */
bool
gv_is_vector_element_type(Oid elemtype)
{
	switch (elemtype)
	{
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return true;
	}
	return false;
}

static float
gv_element_float(Datum d, Oid elemtype)
{
	float8		x;
	float4		f;

	switch (elemtype)
	{
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case NUMERICOID:
			return DatumGetFloat4(DirectFunctionCall1(numeric_float4, d));
		case INT2OID:
			return (float) DatumGetInt16(d);
		case INT4OID:
			return (float) DatumGetInt32(d);
		case INT8OID:
			return (float) DatumGetInt64(d);
		case FLOAT8OID:
			break;
		default:
			elog(ERROR, "govector: no vector element of type %u", elemtype);
	}
	/* As the double precision -> real cast: no silent Infinity or zero. */
	x = DatumGetFloat8(d);
	f = (float4) x;
	if (unlikely(isinf(f)) && !isinf(x))
		float_overflow_error();
	if (unlikely(f == 0.0f) && x != 0.0)
		float_underflow_error();
	return f;
}

/* Every element of an array of numbers, in order, as floats (count of them in *count). */
static float *
gv_array_floats(ArrayType *a, const char *what, size_t *count)
{
	Oid			elemtype = ARR_ELEMTYPE(a);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			n;
	float	   *out;

	if (!gv_is_vector_element_type(elemtype))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be an array of numbers, not %s", what, format_type_be(get_array_type(elemtype))),
				 errhint("Pass real[], double precision[], numeric[] or integer[].")));
	if (array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what)));
	if (elemtype == FLOAT4OID)
	{
		*count = (size_t) ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
		return (float *) ARR_DATA_PTR(a);
	}
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign, &elems, NULL, &n);
	out = palloc(sizeof(float) * (n > 0 ? n : 1));
	for (int i = 0; i < n; i++)
		out[i] = gv_element_float(elems[i], elemtype);
	pfree(elems);
	*count = (size_t) n;
	return out;
}

float *
gv_vector_from_array(ArrayType *a, const char *what, size_t *len)
{
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what)));
	return gv_array_floats(a, what, len);
}

float *
gv_vectors_from_array(ArrayType *a, const char *what, int *rows, int *dim)
{
	size_t		count;

	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a two-dimensional array with one row per id", what),
				 errhint("For example ARRAY[[1,2,3],[4,5,6]] for two ids.")));
	*rows = ARR_DIMS(a)[0];
	*dim = ARR_DIMS(a)[1];
	return gv_array_floats(a, what, &count);
}

/*
 * A vector written as text: Postgres's array form '{1,2,3}' (or '{{1,2},{3,4}}' for several) or pgvector's
 * '[1,2,3]' (and '[[1,2],[3,4]]'), read as real[]. Brackets are pgvector's form only where nothing else of
 * the array syntax appears: '[1:3]={1,2,3}' (explicit bounds) is Postgres's.
 */
ArrayType *
gv_array_from_text(const char *s)
{
	const char *p = s;
	char	   *copy;
	Oid			input;
	Oid			ioparam;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '[' && strpbrk(p, "{}=") == NULL)
	{
		copy = pstrdup(s);
		for (char *c = copy; *c; c++)
		{
			if (*c == '[')
				*c = '{';
			else if (*c == ']')
				*c = '}';
		}
		s = copy;
	}
	/* Through fmgr: array_in keeps its state in the FmgrInfo, which DirectFunctionCall has not. */
	getTypeInputInfo(FLOAT4ARRAYOID, &input, &ioparam);
	return DatumGetArrayTypeP(OidInputFunctionCall(input, (char *) s, ioparam, -1));
}

/*
 * A vector as an array of the given array type (real[], double precision[] or numeric[]), for a column of
 * that type. Each float becomes the shortest decimal that reads back as it: 0.1 stored reads back 0.1 in
 * every type, not 0.100000001490116.
 */
Datum
gv_vector_datum_as(const float *v, size_t n, Oid array_type)
{
	Datum	   *elems;
	char		buf[32];

	if (array_type == FLOAT4ARRAYOID)
		return gv_vector_datum(v, n);
	elems = palloc(sizeof(Datum) * (n > 0 ? n : 1));
	for (size_t i = 0; i < n; i++)
	{
		float_to_shortest_decimal_buf(v[i], buf);
		if (array_type == FLOAT8ARRAYOID)
			elems[i] = Float8GetDatum(strtod(buf, NULL));
		else
			elems[i] = DirectFunctionCall3(numeric_in, CStringGetDatum(buf), ObjectIdGetDatum(InvalidOid),
										   Int32GetDatum(-1));
	}
	if (array_type == FLOAT8ARRAYOID)
		return PointerGetDatum(construct_array(elems, (int) n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
											   TYPALIGN_DOUBLE));
	if (array_type != NUMERICARRAYOID)
		elog(ERROR, "govector: no vector of array type %u", array_type);
	return PointerGetDatum(construct_array(elems, (int) n, NUMERICOID, -1, false, TYPALIGN_INT));
}

/*
 * pgvector's vector and halfvec, where pgvector is installed: govector has no dependency on it, and reads
 * and writes them through their text forms ('[1,2,3]'), which their own input functions check (dimension
 * included).
 */
bool
gv_is_pgvector_type(Oid type)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
	bool		named;
	Oid			ext;

	if (!HeapTupleIsValid(tup))
		return false;
	named = strcmp(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname), "vector") == 0 ||
		strcmp(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname), "halfvec") == 0;
	ReleaseSysCache(tup);
	if (!named)
		return false;
	ext = getExtensionOfObject(TypeRelationId, type);
	return OidIsValid(ext) && strcmp(get_extension_name(ext), "vector") == 0;
}

float *
gv_vector_from_datum(Datum d, Oid type, const char *what, size_t *len)
{
	Oid			output;
	bool		varlena;

	/* The callers checked the type (a foreign table's column, an operand of a recognised operator). */
	if (type_is_array(getBaseType(type)))
		return gv_vector_from_array(DatumGetArrayTypeP(d), what, len);
	if (type == TEXTOID)
		return gv_vector_from_array(gv_array_from_text(TextDatumGetCString(d)), what, len);
	getTypeOutputInfo(type, &output, &varlena);
	return gv_vector_from_array(gv_array_from_text(OidOutputFunctionCall(output, d)), what, len);
}

Datum
gv_vector_datum_typed(const float *v, size_t n, Oid type, int32 typmod)
{
	StringInfoData s;
	char		buf[32];
	Oid			input;
	Oid			ioparam;

	if (type_is_array(getBaseType(type)))
		return gv_vector_datum_as(v, n, getBaseType(type));
	initStringInfo(&s);
	appendStringInfoChar(&s, '[');
	for (size_t i = 0; i < n; i++)
	{
		float_to_shortest_decimal_buf(v[i], buf);
		appendStringInfo(&s, "%s%s", i ? "," : "", buf);
	}
	appendStringInfoChar(&s, ']');
	getTypeInputInfo(type, &input, &ioparam);
	return OidInputFunctionCall(input, s.data, ioparam, typmod);
}
