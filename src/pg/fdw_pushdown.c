/*
 * What the engine can evaluate for a govector foreign table, and the engine filter it becomes.
 *
 * A clause is pushed down only when the engine's answer equals Postgres's for every possible payload,
 * NULLs included: ORDER BY ... LIMIT is answered by the engine, so a row the engine wrongly drops or keeps
 * could not be corrected later. Anything else stays in Postgres (always correct, only slower).
 *
 * Pushed: id = v, id = ANY(a); payload @> v; payload ->> 'k' compared with =, <>, IN, LIKE 'prefix%',
 * IS [NOT] NULL; on payload-mapped columns =, <>, <, <=, >, >= (numbers), IN, NOT IN, BETWEEN (two
 * comparisons), LIKE 'prefix%' (text), IS [NOT] NULL, and boolean columns as conditions; combined with
 * AND, OR and NOT. NOT is pushed to the leaves (NOT (x < v) becomes x >= v), which keeps SQL's rule that
 * a comparison with NULL is never true. Values may be constants, parameters or stable expressions; they
 * are evaluated when the scan starts.
 *
 * Not pushed, because the engine would answer otherwise: an id constant not spelt as the engine prints
 * ids (an upper-case UUID); comparisons on real columns (Postgres compares float4 values); numeric
 * constants a double does not hold exactly enough (gv_numeric_is_exact).
 */
#include "postgres.h"

#include <math.h>

#include "access/transam.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "common/shortest_dec.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

#include "fdw.h"

/* What an expression refers to: a base column, or payload ->> 'key' (a text view of a payload key). */
typedef struct GvRef
{
	GvColumnKind kind;			/* GV_COL_ID, GV_COL_PAYLOAD, GV_COL_MAPPED, or GV_COL_DROPPED for none */
	const char *key;			/* GV_COL_MAPPED */
	GvMapType map_type;			/* GV_COL_MAPPED */
	Oid			type;			/* GV_COL_MAPPED: the column's SQL type (text for payload ->> 'k') */
} GvRef;

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

static Expr *
strip_relabel(Expr *e)
{
	while (e && IsA(e, RelabelType))
		e = ((RelabelType *) e)->arg;
	return e;
}

/* Recognises a reference to one of the table's columns, or to payload ->> 'constant key'. */
static GvRef
gv_ref(RelOptInfo *rel, GvTable *table, Expr *expr)
{
	GvRef		ref = {GV_COL_DROPPED, NULL, GV_MAP_TEXT, InvalidOid};

	expr = strip_relabel(expr);
	if (IsA(expr, Var))
	{
		Var		   *v = (Var *) expr;
		GvColumn   *c;

		if (v->varno != rel->relid || v->varlevelsup != 0 || v->varattno <= 0 || v->varattno > table->natts)
			return ref;
		c = &table->columns[v->varattno - 1];
		ref.kind = c->kind;
		ref.key = c->payload_key;
		ref.map_type = c->map_type;
		ref.type = c->type;
		if (ref.kind == GV_COL_VECTOR || ref.kind == GV_COL_VERSION)
			ref.kind = GV_COL_DROPPED;	/* nothing is pushed on these */
		return ref;
	}
	if (IsA(expr, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) expr;
		GvRef		base;
		Const	   *key;

		if (op->opfuncid != F_JSONB_OBJECT_FIELD_TEXT || list_length(op->args) != 2)
			return ref;
		base = gv_ref(rel, table, linitial(op->args));
		key = (Const *) strip_relabel(lsecond(op->args));
		if (base.kind != GV_COL_PAYLOAD || !IsA(key, Const) || key->constisnull || key->consttype != TEXTOID)
			return ref;
		ref.kind = GV_COL_MAPPED;
		ref.key = TextDatumGetCString(key->constvalue);
		ref.map_type = GV_MAP_TEXT;
		ref.type = TEXTOID;
	}
	return ref;
}

static int
gv_value_index(List **values, Expr *expr)
{
	int			i = 0;
	ListCell   *lc;

	foreach(lc, *values)
	{
		if (equal(lfirst(lc), expr))
			return i;
		i++;
	}
	*values = lappend(*values, expr);
	return i;
}

static List *
gv_leaf(int kind, int value, bool negated, const char *key, const char *type, const char *op)
{
	List	   *l = list_make4(makeInteger(GV_NODE_LEAF), makeInteger(kind), makeInteger(value),
							   makeInteger(negated ? 1 : 0));

	l = lappend(l, makeString(pstrdup(key ? key : "")));
	l = lappend(l, makeString(pstrdup(type ? type : "")));
	l = lappend(l, makeString(pstrdup(op ? op : "")));
	return l;
}

static const char *
gv_negate_op(const char *op)
{
	static const char *const pairs[][2] = {
		{"eq", "ne"}, {"lt", "ge"}, {"le", "gt"}, {"in", "not_in"}, {"prefix", "not_prefix"},
		{"is_null", "is_not_null"}
	};

	for (int i = 0; i < lengthof(pairs); i++)
	{
		if (strcmp(op, pairs[i][0]) == 0)
			return pairs[i][1];
		if (strcmp(op, pairs[i][1]) == 0)
			return pairs[i][0];
	}
	return NULL;
}

static bool
gv_is_number_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

/*
 * Whether the engine can compare a number column as Postgres does. A real column cannot: Postgres rounds
 * the payload's 0.1 to float4 and compares it, widened, with the float8 0.1, which it does not equal;
 * the engine compares the double 0.1. (IS [NOT] NULL is pushed for every number column.)
 */
static bool
gv_number_comparable(GvRef ref)
{
	return ref.type != FLOAT4OID;
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
		return true;			/* refused with an error when rendered */
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
	Const	   *c = (Const *) strip_relabel(value);
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
static bool
gv_number_constant_ok(Expr *value)
{
	Oid			type = exprType((Node *) strip_relabel(value));

	if (type != NUMERICOID && get_element_type(type) != NUMERICOID)
		return true;
	return gv_constant_all(value, gv_numeric_is_exact);
}

/* The engine comparison ("eq", "lt", ...) a built-in number operator performs, or NULL. */
static const char *
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

/*
 * A LIKE pattern that is a literal prefix followed by one '%' (or a plain literal): the prefix, and
 * whether it was a prefix pattern. NULL for anything else (other wildcards, escapes at the end).
 */
static char *
gv_like_prefix(const char *pattern, bool *is_prefix)
{
	StringInfoData out;

	initStringInfo(&out);
	*is_prefix = false;
	for (const char *p = pattern; *p; p++)
	{
		if (*p == '\\')
		{
			if (p[1] == '\0')
				return NULL;
			appendStringInfoChar(&out, *++p);
		}
		else if (*p == '%')
		{
			if (p[1] != '\0')
				return NULL;
			*is_prefix = true;
		}
		else if (*p == '_')
			return NULL;
		else
			appendStringInfoChar(&out, *p);
	}
	return out.data;
}

static bool
gv_collation_ok(Oid collid)
{
	return !OidIsValid(collid) || get_collation_isdeterministic(collid);
}

/*
 * Whether an id is spelt as the engine prints ids (engine/point_id.cc), so that asking the engine for it
 * finds exactly the points whose id column equals it. The engine reads a UUID in either case and prints
 * it in lower case: asked for 'A0EEBC99-...' it finds the point that reads back as 'a0eebc99-...', which
 * Postgres's id = 'A0EEBC99-...' does not match. Every other text is canonical or no id at all: an
 * unsigned 64-bit integer without sign or leading zeros prints as itself, and any other text of 1 to
 * GV_MAX_ID_BYTES bytes is a string id, printed as itself ('007' is the string id "007", not 7). The
 * empty text and longer ones are no id (the engine refuses them in a filter), so no point has them.
 */
static bool
gv_id_is_canonical(const char *id, size_t len)
{
	bool		uuid = len == 36;

	if (len == 0 || len > GV_MAX_ID_BYTES)
		return false;
	/* The engine's UUID form: 8-4-4-4-12 hexadecimal digits, of either case. */
	for (size_t i = 0; uuid && i < len; i++)
	{
		char		c = id[i];

		if (i == 8 || i == 13 || i == 18 || i == 23)
			uuid = c == '-';
		else
			uuid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	}
	if (!uuid)
		return true;
	for (size_t i = 0; i < len; i++)
		if (id[i] >= 'A' && id[i] <= 'F')
			return false;
	return true;
}

static bool
gv_id_datum_is_canonical(Datum d)
{
	text	   *t = DatumGetTextPP(d);

	return gv_id_is_canonical(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * For id = value and id = ANY(value): false when value is a constant holding an id that is not canonical,
 * which the engine would answer differently from Postgres; the clause then stays in Postgres. Values
 * known only when the scan starts (parameters) are checked then: a non-canonical one matches no point
 * (gv_json_ids), as in Postgres.
 */
static bool
gv_id_constant_ok(Expr *value)
{
	return gv_constant_all(value, gv_id_datum_is_canonical);
}

static List *gv_push(RelOptInfo *rel, GvTable *table, Expr *e, bool negate, List **values);

/* column OP value, for a reference known to be on the left. */
static List *
gv_push_comparison(RelOptInfo *rel, GvTable *table, GvRef ref, Oid opno, Oid collid, Expr *value, bool negate,
				   List **values)
{
	Oid			funcid = get_opcode(opno);
	const char *op = NULL;
	const char *type = NULL;

	if (!gv_is_scan_constant(value) || !gv_collation_ok(collid))
		return NIL;
	switch (ref.kind)
	{
		case GV_COL_ID:
			if (funcid != F_TEXTEQ || !gv_id_constant_ok(value))
				return NIL;
			return gv_leaf(GV_LEAF_HAS_ID, gv_value_index(values, value), negate, NULL, NULL, NULL);
		case GV_COL_PAYLOAD:
			if (funcid != F_JSONB_CONTAINS)
				return NIL;
			return gv_leaf(GV_LEAF_CONTAINS, gv_value_index(values, value), negate, NULL, NULL, NULL);
		case GV_COL_MAPPED:
			switch (ref.map_type)
			{
				case GV_MAP_TEXT:
					type = "text";
					if (funcid == F_TEXTEQ)
						op = "eq";
					else if (funcid == F_TEXTNE)
						op = "ne";
					else if (funcid == F_TEXTLIKE || funcid == F_TEXTNLIKE)
					{
						Const	   *c = (Const *) strip_relabel(value);
						bool		is_prefix;
						char	   *prefix;
						Const	   *literal;

						if (!IsA(c, Const) || c->constisnull)
							return NIL;
						prefix = gv_like_prefix(TextDatumGetCString(c->constvalue), &is_prefix);
						if (prefix == NULL)
							return NIL;
						op = is_prefix ? "prefix" : "eq";
						if (funcid == F_TEXTNLIKE)
							op = gv_negate_op(op);
						literal = makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
											CStringGetTextDatum(prefix), false, false);
						value = (Expr *) literal;
					}
					break;
				case GV_MAP_NUMBER:
					type = "number";
					if (gv_number_comparable(ref) && gv_is_number_type(exprType((Node *) value)) &&
						gv_number_constant_ok(value))
						op = gv_number_op(opno);
					break;
				case GV_MAP_BOOL:
					type = "bool";
					if (funcid == F_BOOLEQ)
						op = "eq";
					else if (funcid == F_BOOLNE)
						op = "ne";
					break;
				case GV_MAP_JSON:
					break;
			}
			if (op == NULL)
				return NIL;
			if (negate)
				op = gv_negate_op(op);
			return gv_leaf(GV_LEAF_COLUMN, gv_value_index(values, value), false, ref.key, type, op);
		default:
			return NIL;
	}
}

static List *
gv_push_opexpr(RelOptInfo *rel, GvTable *table, OpExpr *e, bool negate, List **values)
{
	Expr	   *left,
			   *right;
	GvRef		ref;
	Oid			opno = e->opno;

	if (list_length(e->args) != 2)
		return NIL;
	left = linitial(e->args);
	right = lsecond(e->args);
	ref = gv_ref(rel, table, left);
	if (ref.kind == GV_COL_DROPPED)
	{
		/* value OP column: use the commutator (never for LIKE, whose pattern must be on the right). */
		ref = gv_ref(rel, table, right);
		if (ref.kind == GV_COL_DROPPED)
			return NIL;
		opno = get_commutator(e->opno);
		if (!OidIsValid(opno) || get_opcode(opno) == F_TEXTLIKE || get_opcode(opno) == F_TEXTNLIKE)
			return NIL;
		right = left;
	}
	return gv_push_comparison(rel, table, ref, opno, e->inputcollid, right, negate, values);
}

static List *
gv_push_array(RelOptInfo *rel, GvTable *table, ScalarArrayOpExpr *e, bool negate, List **values)
{
	GvRef		ref;
	Expr	   *array;
	Oid			funcid = get_opcode(e->opno);
	bool		is_in;
	const char *type = NULL;

	if (list_length(e->args) != 2)
		return NIL;
	ref = gv_ref(rel, table, linitial(e->args));
	array = lsecond(e->args);
	if (ref.kind == GV_COL_DROPPED || !gv_is_scan_constant(array) || !gv_collation_ok(e->inputcollid))
		return NIL;
	/* x = ANY(a) is IN; x <> ALL(a) is NOT IN. */
	if (e->useOr && (funcid == F_TEXTEQ || funcid == F_BOOLEQ || (gv_number_op(e->opno) &&
																  strcmp(gv_number_op(e->opno), "eq") == 0)))
		is_in = true;
	else if (!e->useOr && (funcid == F_TEXTNE || funcid == F_BOOLNE ||
						   (gv_number_op(e->opno) && strcmp(gv_number_op(e->opno), "ne") == 0)))
		is_in = false;
	else
		return NIL;
	if (negate)
		is_in = !is_in;
	switch (ref.kind)
	{
		case GV_COL_ID:
			if ((funcid != F_TEXTEQ && funcid != F_TEXTNE) || !gv_id_constant_ok(array))
				return NIL;
			return gv_leaf(GV_LEAF_HAS_ID, gv_value_index(values, array), !is_in, NULL, NULL, NULL);
		case GV_COL_MAPPED:
			if (ref.map_type == GV_MAP_TEXT && (funcid == F_TEXTEQ || funcid == F_TEXTNE))
				type = "text";
			else if (ref.map_type == GV_MAP_BOOL && (funcid == F_BOOLEQ || funcid == F_BOOLNE))
				type = "bool";
			else if (ref.map_type == GV_MAP_NUMBER && gv_number_comparable(ref) && gv_number_op(e->opno) &&
					 gv_is_number_type(get_element_type(exprType((Node *) array))) &&
					 gv_number_constant_ok(array))
				type = "number";
			else
				return NIL;
			return gv_leaf(GV_LEAF_COLUMN, gv_value_index(values, array), false, ref.key, type,
						   is_in ? "in" : "not_in");
		default:
			return NIL;
	}
}

static List *
gv_push(RelOptInfo *rel, GvTable *table, Expr *e, bool negate, List **values)
{
	switch (nodeTag(e))
	{
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) e;
				bool		and_node;
				List	   *node;
				ListCell   *lc;

				if (b->boolop == NOT_EXPR)
					return gv_push(rel, table, linitial(b->args), !negate, values);
				/* De Morgan: a negated AND is an OR of negations, and the other way round. */
				and_node = (b->boolop == AND_EXPR) != negate;
				node = list_make1(makeInteger(and_node ? GV_NODE_AND : GV_NODE_OR));
				foreach(lc, b->args)
				{
					List	   *child = gv_push(rel, table, lfirst(lc), negate, values);

					if (child == NIL)
						return NIL;
					node = lappend(node, child);
				}
				return node;
			}
		case T_OpExpr:
			return gv_push_opexpr(rel, table, (OpExpr *) e, negate, values);
		case T_ScalarArrayOpExpr:
			return gv_push_array(rel, table, (ScalarArrayOpExpr *) e, negate, values);
		case T_NullTest:
			{
				NullTest   *n = (NullTest *) e;
				GvRef		ref = gv_ref(rel, table, n->arg);
				const char *type;
				bool		is_null = (n->nulltesttype == IS_NULL) != negate;

				if (ref.kind != GV_COL_MAPPED || n->argisrow)
					return NIL;
				type = gv_map_type_name(ref.map_type);
				return gv_leaf(GV_LEAF_COLUMN, -1, false, ref.key, type, is_null ? "is_null" : "is_not_null");
			}
		case T_Var:
			{
				GvRef		ref = gv_ref(rel, table, e);
				Expr	   *value;

				if (ref.kind != GV_COL_MAPPED || ref.map_type != GV_MAP_BOOL)
					return NIL;
				/* "WHERE flag" is flag = true; "WHERE NOT flag" is flag = false (NULL is neither). */
				value = (Expr *) makeBoolConst(!negate, false);
				return gv_leaf(GV_LEAF_COLUMN, gv_value_index(values, value), false, ref.key, "bool", "eq");
			}
		default:
			return NIL;
	}
}

List *
gv_pushdown_clause(PlannerInfo *root, RelOptInfo *rel, GvTable *table, Expr *clause, List **values)
{
	int			before = list_length(*values);
	List	   *node = gv_push(rel, table, clause, false, values);

	if (node == NIL)
		*values = list_truncate(*values, before);	/* forget values added by a clause that was not pushed */
	return node;
}

/* ---------------------------------------------------------------------------------------------------------
 * Distance operators
 */

GvDistanceOp
gv_distance_operator(Oid opno)
{
	/* The C symbols behind <->, <=>, <#>, <+> in this module, by GvDistanceOp. */
	static const char *const symbols[] = {NULL, "gv_l2_distance", "gv_cosine_distance",
	"gv_negative_inner_product", "gv_l1_distance"};
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
	if (proc->prolang == ClanguageId && !isnull && strstr(TextDatumGetCString(d), "govector") != NULL)
	{
		char	   *src = TextDatumGetCString(SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull));

		for (int i = 1; i < lengthof(symbols); i++)
			if (strcmp(src, symbols[i]) == 0)
				result = (GvDistanceOp) i;
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

const char *
gv_distance_op_metric(GvDistanceOp op)
{
	static const char *const names[] = {"?", "euclid", "cosine", "dot", "manhattan"};

	return names[op];
}

/*
 * The value of vector <op> query for a point the engine found, from its score, which has the scale of
 * the collection's distance (distance.h): the L2 distance for euclid, the cosine similarity of the
 * normalised vectors for cosine, the dot product for dot, the L1 distance for manhattan. The engine
 * computes in float32, as pgvector does; the operators in double, so the two agree to float rounding.
 */
double
gv_distance_from_score(GvDistanceOp op, float score)
{
	switch (op)
	{
		case GV_OP_L2:
		case GV_OP_L1:
			return (double) score;
		case GV_OP_COSINE:
			return 1.0 - (double) score;
		case GV_OP_NEG_IP:
			return -(double) score;
		case GV_OP_NONE:
			break;
	}
	elog(ERROR, "govector: no distance for operator %d", (int) op);
	return 0;					/* keep compiler quiet */
}

/* ---------------------------------------------------------------------------------------------------------
 * Rendering
 */

static void gv_render_node(StringInfo out, List *node, List *exprs, Datum *values, bool *nulls);

/* A JSON scalar for a datum; false when the value has no exact JSON form (NaN, infinity). */
static bool
gv_json_scalar(StringInfo out, Datum v, Oid type)
{
	switch (type)
	{
		case BOOLOID:
			appendStringInfoString(out, DatumGetBool(v) ? "true" : "false");
			return true;
		case INT2OID:
			appendStringInfo(out, "%d", (int) DatumGetInt16(v));
			return true;
		case INT4OID:
			appendStringInfo(out, "%d", DatumGetInt32(v));
			return true;
		case INT8OID:
			appendStringInfo(out, INT64_FORMAT, DatumGetInt64(v));
			return true;
		case FLOAT4OID:
		case FLOAT8OID:
			{
				/*
				 * Always with a fraction or an exponent: the engine compares integers with integers
				 * exactly, but Postgres compares a double precision column as doubles (the payload's
				 * 9007199254740993 reads as 9007199254740992), and so does the engine with a fraction.
				 */
				double		d = type == FLOAT4OID ? DatumGetFloat4(v) : DatumGetFloat8(v);
				int			start = out->len;

				if (isnan(d) || isinf(d))
					return false;
				appendStringInfo(out, "%.17g", d);
				if (strpbrk(out->data + start, ".e") == NULL)
					appendStringInfoString(out, ".0");
				return true;
			}
		case NUMERICOID:
			{
				/*
				 * An integral value as a JSON integer (12.00 as 12), which the engine compares exactly with
				 * integer payload values, as Postgres compares numerics; with a fraction as a double.
				 */
				char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, v));
				char	   *dot = strchr(s, '.');

				if (strcmp(s, "NaN") == 0 || strstr(s, "Infinity") != NULL)
					return false;
				if (dot != NULL && strspn(dot + 1, "0") == strlen(dot + 1))
					*dot = '\0';
				appendStringInfoString(out, s);
				return true;
			}
		case JSONBOID:
			{
				Jsonb	   *jb = DatumGetJsonbP(v);

				appendStringInfoString(out, JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
				return true;
			}
		default:
			{
				Oid			output;
				bool		varlena;

				getTypeOutputInfo(type, &output, &varlena);
				escape_json(out, OidOutputFunctionCall(output, v));
				return true;
			}
	}
}

/*
 * Appends the ids of a value (text, or an array of text) as a JSON array, leaving out those that are not
 * canonical (gv_id_is_canonical): no point reads back with such an id, so in Postgres it matches no row,
 * while the engine would find another point for it. False when the array has a NULL element.
 */
static bool
gv_json_ids(StringInfo out, Datum value, bool is_array)
{
	Datum	   *elems = &value;
	bool	   *nulls = NULL;
	int			n = 1;
	bool		first = true,
				complete = true;

	if (is_array)
	{
		ArrayType  *a = DatumGetArrayTypeP(value);

		deconstruct_array(a, ARR_ELEMTYPE(a), -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	}
	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		if (nulls && nulls[i])
		{
			complete = false;
			continue;
		}
		if (!gv_id_datum_is_canonical(elems[i]))
			continue;
		if (!first)
			appendStringInfoChar(out, ',');
		first = false;
		escape_json(out, TextDatumGetCString(elems[i]));
	}
	appendStringInfoChar(out, ']');
	return complete;
}

/* Appends the values of an array as JSON array elements; false when the value set includes a NULL. */
static bool
gv_json_elements(StringInfo out, Datum array_datum, bool *ok)
{
	ArrayType  *a = DatumGetArrayTypeP(array_datum);
	Oid			elem = ARR_ELEMTYPE(a);
	int16		len;
	bool		byval;
	char		align;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	bool		first = true,
				had_null = false;

	get_typlenbyvalalign(elem, &len, &byval, &align);
	deconstruct_array(a, elem, len, byval, align, &elems, &nulls, &n);
	*ok = true;
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
		{
			had_null = true;
			continue;
		}
		if (!first)
			appendStringInfoChar(out, ',');
		first = false;
		if (!gv_json_scalar(out, elems[i], elem))
			*ok = false;
	}
	return !had_null;
}

#define GV_MATCH_NOTHING "{\"should\":[]}"
#define GV_MATCH_ALL "{\"must\":[]}"

static void
gv_render_leaf(StringInfo out, List *leaf, List *exprs, Datum *values, bool *nulls)
{
	int			kind = intVal(lsecond(leaf));
	int			idx = intVal(lthird(leaf));
	bool		negated = intVal(lfourth(leaf)) != 0;
	const char *key = strVal(list_nth(leaf, 4));
	const char *type = strVal(list_nth(leaf, 5));
	const char *op = strVal(list_nth(leaf, 6));
	Expr	   *expr = idx >= 0 ? list_nth(exprs, idx) : NULL;
	Oid			vtype = expr ? exprType((Node *) expr) : InvalidOid;
	bool		is_array = OidIsValid(vtype) && OidIsValid(get_element_type(vtype));
	StringInfoData v;
	bool		explain = values == NULL;
	bool		ok = true;
	bool		complete = true;	/* an array without NULL elements */

	initStringInfo(&v);
	if (expr != NULL)
	{
		Datum		d;
		bool		isnull;

		if (explain)
		{
			Expr	   *s = strip_relabel(expr);

			if (!IsA(s, Const))
			{
				/* Not known before execution: shown as the parameter (or "?" for other expressions). */
				if (IsA(s, Param))
					appendStringInfo(&v, "$%d", ((Param *) s)->paramid);
				else
					appendStringInfoString(&v, "?");
				goto emit;
			}
			d = ((Const *) s)->constvalue;
			isnull = ((Const *) s)->constisnull;
		}
		else
		{
			d = values[idx];
			isnull = nulls[idx];
		}
		/* A comparison with NULL is never true, and neither is its negation. */
		if (isnull)
		{
			appendStringInfoString(out, GV_MATCH_NOTHING);
			return;
		}
		if (kind == GV_LEAF_HAS_ID)
			complete = gv_json_ids(&v, d, is_array);
		else if (is_array)
		{
			appendStringInfoChar(&v, '[');
			complete = gv_json_elements(&v, d, &ok);
			appendStringInfoChar(&v, ']');
		}
		else if (kind == GV_LEAF_CONTAINS)
		{
			Jsonb	   *jb = DatumGetJsonbP(d);

			/* An object contains only objects (jsonb's rule): any other value matches nothing. */
			if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
			{
				appendStringInfoString(out, negated ? GV_MATCH_ALL : GV_MATCH_NOTHING);
				return;
			}
			ok = gv_json_scalar(&v, d, vtype);
		}
		else
			ok = gv_json_scalar(&v, d, vtype);
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("govector: cannot compare payload values with NaN or infinity")));
	}
emit:
	switch (kind)
	{
		case GV_LEAF_HAS_ID:
			/* x <> ALL(array with a NULL) is never true; x = ANY(...) ignores NULL elements. */
			if (negated && !complete)
				appendStringInfoString(out, GV_MATCH_NOTHING);
			else if (negated)
				appendStringInfo(out, "{\"must_not\":[{\"has_id\":%s}]}", v.data);
			else
				appendStringInfo(out, "{\"has_id\":%s}", v.data);
			break;
		case GV_LEAF_CONTAINS:
			if (negated)
				appendStringInfo(out, "{\"must_not\":[{\"payload_contains\":%s}]}", v.data);
			else
				appendStringInfo(out, "{\"payload_contains\":%s}", v.data);
			break;
		case GV_LEAF_COLUMN:
			if (strcmp(op, "not_in") == 0 && !complete)
			{
				appendStringInfoString(out, GV_MATCH_NOTHING);
				break;
			}
			appendStringInfoString(out, "{\"column\":{\"key\":");
			escape_json(out, key);
			appendStringInfo(out, ",\"type\":\"%s\",\"op\":\"%s\"", type, op);
			if (expr != NULL)
				appendStringInfo(out, ",\"%s\":%s", is_array ? "values" : "value", v.data);
			appendStringInfoString(out, "}}");
			break;
	}
	pfree(v.data);
}

static void
gv_render_node(StringInfo out, List *node, List *exprs, Datum *values, bool *nulls)
{
	int			tag = intVal(linitial(node));
	ListCell   *lc;
	bool		first = true;

	if (tag == GV_NODE_LEAF)
	{
		gv_render_leaf(out, node, exprs, values, nulls);
		return;
	}
	appendStringInfoString(out, tag == GV_NODE_AND ? "{\"must\":[" : "{\"should\":[");
	for_each_from(lc, node, 1)
	{
		if (!first)
			appendStringInfoChar(out, ',');
		first = false;
		gv_render_node(out, lfirst(lc), exprs, values, nulls);
	}
	appendStringInfoString(out, "]}");
}

void
gv_render_filter(StringInfo out, List *conditions, List *value_exprs, Datum *values, bool *nulls)
{
	ListCell   *lc;
	bool		first = true;

	if (conditions == NIL)
		return;
	appendStringInfoString(out, "{\"must\":[");
	foreach(lc, conditions)
	{
		if (!first)
			appendStringInfoChar(out, ',');
		first = false;
		gv_render_node(out, lfirst(lc), value_exprs, values, nulls);
	}
	appendStringInfoString(out, "]}");
}
