/*
 * Recognising the conditions of a query on a govector foreign table that the engine can evaluate: each
 * becomes a tree of filter nodes (fdw.h) kept in the plan.
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
 * What the engine would answer differently stays in Postgres: fdw_shippable.c says what that is. The
 * pushed conditions become engine filter JSON in fdw_render.c.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "fdw.h"

/* What an expression refers to: a base column, or payload ->> 'key' (a text view of a payload key). */
typedef struct GvRef
{
	GvColumnKind kind;			/* GV_COL_ID, GV_COL_PAYLOAD, GV_COL_MAPPED, or GV_COL_DROPPED for none */
	const char *key;			/* GV_COL_MAPPED */
	GvMapType map_type;			/* GV_COL_MAPPED */
	Oid			type;			/* GV_COL_MAPPED: the column's SQL type (text for payload ->> 'k') */
} GvRef;

Expr *
gv_strip_relabel(Expr *e)
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

	expr = gv_strip_relabel(expr);
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
		key = (Const *) gv_strip_relabel(lsecond(op->args));
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

/* "eq" or "ne" when funcid is the equality function eq_func or the inequality function ne_func, else NULL. */
static const char *
gv_equality_op(Oid funcid, Oid eq_func, Oid ne_func)
{
	if (funcid == eq_func)
		return "eq";
	if (funcid == ne_func)
		return "ne";
	return NULL;
}

/*
 * text [NOT] LIKE 'literal prefix%' (or a plain literal): "prefix" or "eq" (negated for NOT LIKE), with
 * *value replaced by the literal. NULL for any other pattern, or a pattern not known when planning.
 */
static const char *
gv_like_op(Oid funcid, Expr **value)
{
	Const	   *c = (Const *) gv_strip_relabel(*value);
	bool		is_prefix;
	char	   *prefix;
	const char *op;

	if (!IsA(c, Const) || c->constisnull)
		return NULL;
	prefix = gv_like_prefix(TextDatumGetCString(c->constvalue), &is_prefix);
	if (prefix == NULL)
		return NULL;
	op = is_prefix ? "prefix" : "eq";
	*value = (Expr *) makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1, CStringGetTextDatum(prefix), false,
								false);
	return funcid == F_TEXTNLIKE ? gv_negate_op(op) : op;
}

/*
 * The engine comparison ("eq", "lt", ...) that mapped column OP *value is, and in *type the column type
 * it compares as; NULL when the engine cannot do it. May replace *value (LIKE).
 */
static const char *
gv_column_op(GvRef ref, Oid opno, Expr **value, const char **type)
{
	Oid			funcid = get_opcode(opno);

	*type = gv_map_type_name(ref.map_type);
	switch (ref.map_type)
	{
		case GV_MAP_TEXT:
			if (funcid == F_TEXTLIKE || funcid == F_TEXTNLIKE)
				return gv_like_op(funcid, value);
			return gv_equality_op(funcid, F_TEXTEQ, F_TEXTNE);
		case GV_MAP_NUMBER:
			if (gv_number_comparable(ref.type) && gv_is_number_type(exprType((Node *) *value)) &&
				gv_number_constant_ok(*value))
				return gv_number_op(opno);
			return NULL;
		case GV_MAP_BOOL:
			return gv_equality_op(funcid, F_BOOLEQ, F_BOOLNE);
		case GV_MAP_JSON:
			break;
	}
	return NULL;
}

static List *gv_push(RelOptInfo *rel, GvTable *table, Expr *e, bool negate, List **values);

/* column OP value, for a reference known to be on the left. */
static List *
gv_push_comparison(RelOptInfo *rel, GvTable *table, GvRef ref, Oid opno, Oid collid, Expr *value, bool negate,
				   List **values)
{
	Oid			funcid = get_opcode(opno);
	const char *op;
	const char *type;

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
			op = gv_column_op(ref, opno, &value, &type);
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
			else if (ref.map_type == GV_MAP_NUMBER && gv_number_comparable(ref.type) && gv_number_op(e->opno) &&
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
