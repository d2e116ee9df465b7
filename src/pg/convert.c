/*
 * Conversions between SQL values and the fields of engine messages, shared by the gv_* functions and the
 * foreign data wrapper.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

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

float *
gv_vector_from_array(ArrayType *a, const char *what, size_t *len)
{
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional real[] array", what)));
	if (array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what)));
	*len = ARR_NDIM(a) == 0 ? 0 : (size_t) ARR_DIMS(a)[0];
	return (float *) ARR_DATA_PTR(a);
}
