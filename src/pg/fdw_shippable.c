/*
 * Which conditions the engine evaluates exactly as Postgres does (the counterpart of postgres_fdw's
 * shippable.c), and the extension's distance operators.
 *
 * fdw_pushdown.c asks these questions before it pushes a condition down; the answers are about operators,
 * collations and constants, not about the shape of the clause. Not shipped, because the engine would
 * answer otherwise: an id constant not spelt as the engine prints ids (an upper-case UUID); comparisons on
 * real columns (Postgres compares float4 values); numeric constants a double does not hold exactly enough
 * (gv_numeric_is_exact).
 */
#include "postgres.h"

#include <math.h>

#include "access/transam.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "fdw.h"
#include "govector_pg.h"
#include "govector_distance.h"
#include "govector_id.h"

static bool
is_builtin(Oid oid)
{
	return oid < FirstGenbkiObjectId;
}

bool
gv_is_scan_constant(Expr *expr)
{
	return !contain_var_clause((Node *) expr) && !contain_volatile_functions((Node *) expr) &&
		!contain_subplans((Node *) expr);
}

bool
gv_is_number_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

/*
 * Whether the engine can compare a number column as Postgres does. A real column cannot: Postgres rounds
 * the payload's 0.1 to float4 and compares it, widened, with the float8 0.1, which it does not equal;
 * the engine compares the double 0.1. (IS [NOT] NULL is pushed for every number column.)
 */
bool
gv_number_comparable(Oid column_type)
{
	return column_type != FLOAT4OID;
}

/*
 * Whether the engine compares a numeric constant as Postgres does. It is sent as a JSON integer when it
 * is integral (exact, within 64 bits), otherwise as a number the engine holds as a double. A double is
 * exact enough when the constant is the shortest decimal that reads as that double (95.5, 0.1, 1e30): a
 * payload value compares with the double as its own decimal compares with the constant. Others
 * (9007199254740992.5, which is the double 9007199254740992) stay in Postgres.
 */
static bool
gv_numeric_is_exact(Datum num)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, num));
	char	   *dot = strchr(s, '.');
	char		shortest[DOUBLE_SHORTEST_DECIMAL_LEN];
	double		d;
	Datum		back;

	if (strcmp(s, "NaN") == 0 || strstr(s, "Infinity") != NULL)
		return true;			/* compared with the largest double when rendered (fdw_render.c) */
	if (dot == NULL || strspn(dot + 1, "0") == strlen(dot + 1))
	{
		Datum		low = DirectFunctionCall3(numeric_in, CStringGetDatum("-9223372036854775808"),
											  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		Datum		high = DirectFunctionCall3(numeric_in, CStringGetDatum("18446744073709551615"),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));

		if (DatumGetBool(DirectFunctionCall2(numeric_ge, num, low)) &&
			DatumGetBool(DirectFunctionCall2(numeric_le, num, high)))
			return true;
	}
	d = strtod(s, NULL);		/* correctly rounded, as the engine reads it */
	if (isinf(d))
		return false;
	double_to_shortest_decimal_buf(d, shortest);
	back = DirectFunctionCall3(numeric_in, CStringGetDatum(shortest), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
	return DatumGetBool(DirectFunctionCall2(numeric_eq, num, back));
}

/*
 * True unless value is a constant (a scalar, or an array's non-NULL elements) that ok() refuses. Values known
 * only when the scan starts are not constants here, and are checked then.
 */
static bool
gv_constant_all(Expr *value, bool (*ok) (Datum))
{
	Const	   *c = (Const *) gv_strip_relabel(value);
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (!IsA(c, Const) || c->constisnull)
		return true;
	if (!OidIsValid(get_element_type(c->consttype)))
		return ok(c->constvalue);
	a = DatumGetArrayTypeP(c->constvalue);
	deconstruct_array(a, ARR_ELEMTYPE(a), -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i] && !ok(elems[i]))
			return false;
	return true;
}

/* For a number column: false when value is a numeric constant (or array) the engine cannot compare. */
bool
gv_number_constant_ok(Expr *value)
{
	Oid			type = exprType((Node *) gv_strip_relabel(value));

	if (type != NUMERICOID && get_element_type(type) != NUMERICOID)
		return true;
	return gv_constant_all(value, gv_numeric_is_exact);
}

/* The engine comparison ("eq", "lt", ...) a built-in number operator performs, or NULL. */
const char *
gv_number_op(Oid opno)
{
	ListCell   *lc;

	if (!is_builtin(opno))
		return NULL;
	foreach(lc, get_op_btree_interpretation(opno))
	{
		OpBtreeInterpretation *bi = lfirst(lc);

		if (!is_builtin(bi->opfamily_id) || !gv_is_number_type(bi->oplefttype) ||
			!gv_is_number_type(bi->oprighttype))
			continue;
		switch (bi->strategy)
		{
			case BTLessStrategyNumber:
				return "lt";
			case BTLessEqualStrategyNumber:
				return "le";
			case BTEqualStrategyNumber:
				return "eq";
			case BTGreaterEqualStrategyNumber:
				return "ge";
			case BTGreaterStrategyNumber:
				return "gt";
			case ROWCOMPARE_NE:
				return "ne";
		}
	}
	return NULL;
}

bool
gv_collation_ok(Oid collid)
{
	return !OidIsValid(collid) || get_collation_isdeterministic(collid);
}

/*
 * Whether an id is spelt as the engine prints ids (the rule of govector_id.h, which the engine uses too),
 * so that asking the engine for it finds exactly the points whose id column equals it. The engine reads a
 * UUID in either case and prints it in lower case: asked for 'A0EEBC99-...' it finds the point that reads
 * back as 'a0eebc99-...', which Postgres's id = 'A0EEBC99-...' does not match. Every other text is
 * canonical or no id at all ('007' is the string id "007", not 7); the empty text and longer ones than
 * GV_MAX_ID_BYTES are no id (the engine refuses them in a filter), so no point has them.
 */
bool
gv_id_datum_is_canonical(Datum d)
{
	text	   *t = DatumGetTextPP(d);

	return gv_id_text_is_canonical(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * For id = value and id = ANY(value): false when value is a constant holding an id that is not canonical,
 * which the engine would answer differently from Postgres; the clause then stays in Postgres. Values
 * known only when the scan starts (parameters) are checked then: a non-canonical one matches no point
 * (gv_json_ids), as in Postgres.
 */
bool
gv_id_constant_ok(Expr *value)
{
	return gv_constant_all(value, gv_id_datum_is_canonical);
}

/* ---------------------------------------------------------------------------------------------------------
 * Distance operators
 */

GvDistanceOp
gv_distance_operator(Oid opno)
{
	/*
	 * The C symbols behind <->, <=>, <#>, <+> in this module, by GvDistanceOp; and in pgvector's, on vector
	 * and on halfvec (a foreign table's vector column may have those types), which mean the same.
	 */
	static const char *const symbols[] = {NULL, "gv_l2_distance", "gv_cosine_distance",
	"gv_negative_inner_product", "gv_l1_distance"};
	static const char *const pgvector_symbols[][5] = {
		{NULL, "l2_distance", "cosine_distance", "vector_negative_inner_product", "l1_distance"},
		{NULL, "halfvec_l2_distance", "halfvec_cosine_distance", "halfvec_negative_inner_product",
		"halfvec_l1_distance"}};
	Oid			funcid = get_opcode(opno);
	HeapTuple	tup;
	Form_pg_proc proc;
	GvDistanceOp result = GV_OP_NONE;
	bool		isnull;
	Datum		d;

	if (!OidIsValid(funcid))
		return GV_OP_NONE;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return GV_OP_NONE;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
	if (proc->prolang == ClanguageId && !isnull)
	{
		char	   *bin = TextDatumGetCString(d);
		char	   *src = TextDatumGetCString(SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull));
		size_t		len = strlen(bin);

		if (strstr(bin, "govector") != NULL)
		{
			for (int i = 1; i < lengthof(symbols); i++)
				if (strcmp(src, symbols[i]) == 0)
					result = (GvDistanceOp) i;
		}
		else if (len >= 7 && strcmp(bin + len - 7, "/vector") == 0 && gv_is_pgvector_type(proc->proargtypes.values[0]))
		{
			for (int k = 0; k < lengthof(pgvector_symbols); k++)
				for (int i = 1; i < lengthof(symbols); i++)
					if (strcmp(src, pgvector_symbols[k][i]) == 0)
						result = (GvDistanceOp) i;
		}
	}
	ReleaseSysCache(tup);
	return result;
}

const char *
gv_distance_op_name(GvDistanceOp op)
{
	static const char *const names[] = {"?", "<->", "<=>", "<#>", "<+>"};

	return names[op];
}

/* The engine distance each operator accelerates, by GvDistanceOp (none for GV_OP_NONE). */
static const GvDistance gv_op_distances[] = {0, GV_DISTANCE_EUCLID, GV_DISTANCE_COSINE, GV_DISTANCE_DOT,
GV_DISTANCE_MANHATTAN};

const char *
gv_distance_op_metric(GvDistanceOp op)
{
	return gv_distance_name(gv_op_distances[op]);
}

/*
 * The value of vector <op> query for a point the engine found, from its score (govector_distance.h has
 * the scale of both). The engine computes in float32, as pgvector does; the operators in double, so the
 * two agree to float rounding.
 */
double
gv_distance_from_score(GvDistanceOp op, float score)
{
	if (op == GV_OP_NONE)
		elog(ERROR, "govector: no distance for operator %d", (int) op);
	return gv_operator_distance_from_score(gv_op_distances[op], score);
}
