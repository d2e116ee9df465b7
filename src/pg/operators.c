/*
 * Distance operators on arrays of numbers (real[], double precision[], numeric[], integer[]: either operand
 * any of them, which gv_vector_from_array converts), with pgvector's meanings: <-> Euclidean distance, <=>
 * cosine distance (1 - cosine similarity), <#> negative inner product, <+> Manhattan distance. On a govector
 * foreign table,
 * ORDER BY vector <op> $1 LIMIT n becomes one engine search when the operator matches the collection's
 * distance; everywhere else they are ordinary functions computed here.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/array.h"
#include "utils/float.h"

#include "govector_pg.h"

static void
gv_two_vectors(FunctionCallInfo fcinfo, const float **a, const float **b, size_t *n)
{
	size_t		na,
				nb;

	*a = gv_vector_from_array(PG_GETARG_ARRAYTYPE_P(0), "vector", &na);
	*b = gv_vector_from_array(PG_GETARG_ARRAYTYPE_P(1), "vector", &nb);
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("govector: vectors have different dimensions (%zu and %zu)", na, nb)));
	*n = na;
}

PG_FUNCTION_INFO_V1(gv_l2_distance);
Datum
gv_l2_distance(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	size_t		n;
	double		s = 0;

	gv_two_vectors(fcinfo, &a, &b, &n);
	for (size_t i = 0; i < n; i++)
		s += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
	PG_RETURN_FLOAT8(sqrt(s));
}

PG_FUNCTION_INFO_V1(gv_l1_distance);
Datum
gv_l1_distance(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	size_t		n;
	double		s = 0;

	gv_two_vectors(fcinfo, &a, &b, &n);
	for (size_t i = 0; i < n; i++)
		s += fabs((double) a[i] - b[i]);
	PG_RETURN_FLOAT8(s);
}

PG_FUNCTION_INFO_V1(gv_negative_inner_product);
Datum
gv_negative_inner_product(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	size_t		n;
	double		s = 0;

	gv_two_vectors(fcinfo, &a, &b, &n);
	for (size_t i = 0; i < n; i++)
		s += (double) a[i] * b[i];
	PG_RETURN_FLOAT8(-s);
}

PG_FUNCTION_INFO_V1(gv_cosine_distance);
Datum
gv_cosine_distance(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	size_t		n;
	double		dot = 0,
				na = 0,
				nb = 0;

	gv_two_vectors(fcinfo, &a, &b, &n);
	for (size_t i = 0; i < n; i++)
	{
		dot += (double) a[i] * b[i];
		na += (double) a[i] * a[i];
		nb += (double) b[i] * b[i];
	}
	/* As pgvector: a zero vector has no direction, and its distance to anything is NaN. */
	if (na == 0 || nb == 0)
		PG_RETURN_FLOAT8(get_float8_nan());
	PG_RETURN_FLOAT8(1.0 - dot / (sqrt(na) * sqrt(nb)));
}
