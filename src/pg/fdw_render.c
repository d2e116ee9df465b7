/*
 * Pushed-down conditions as engine filter JSON (the counterpart of postgres_fdw's deparse.c): with their
 * values when the scan starts, or with constants and $n parameters for row estimates and EXPLAIN.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "fdw.h"

static void gv_render_node(StringInfo out, List *node, List *exprs, Datum *values, bool *nulls);

/*
 * 0 for a finite number (or not a number); 1 for NaN or +Infinity, which Postgres orders above every number;
 * -1 for -Infinity. A payload number is always finite (JSON has no other).
 */
static int
gv_nonfinite(Datum v, Oid type)
{
	if (type == FLOAT4OID || type == FLOAT8OID)
	{
		double		d = type == FLOAT4OID ? DatumGetFloat4(v) : DatumGetFloat8(v);

		return isnan(d) ? 1 : isinf(d) ? (d > 0 ? 1 : -1) : 0;
	}
	if (type == NUMERICOID)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, v));

		return strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 ? 1 : strcmp(s, "-Infinity") == 0 ? -1 : 0;
	}
	return 0;
}

/*
 * A comparison of a number column with NaN or an infinity, as the same comparison with the largest (or most
 * negative) double, which no payload number exceeds: Postgres answers x < 'Infinity' true and x = 'NaN'
 * false for every number x, and so does the engine with x <= 1.7976931348623157e308 and x > that.
 */
static const char *
gv_nonfinite_op(const char *op, int sign)
{
	static const char *const up[][2] = {{"lt", "le"}, {"le", "le"}, {"ne", "le"}, {"gt", "gt"}, {"ge", "gt"}, {"eq", "gt"}};
	static const char *const down[][2] = {{"gt", "ge"}, {"ge", "ge"}, {"ne", "ge"}, {"lt", "lt"}, {"le", "lt"}, {"eq", "lt"}};

	for (int i = 0; i < lengthof(up); i++)
		if (strcmp(op, sign > 0 ? up[i][0] : down[i][0]) == 0)
			return sign > 0 ? up[i][1] : down[i][1];
	return NULL;
}

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
 * canonical (gv_id_datum_is_canonical): no point reads back with such an id, so in Postgres it matches no
 * row, while the engine would find another point for it. False when the array has a NULL element.
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
		/* NaN and the infinities equal no payload number: IN does not match them, NOT IN keeps every row. */
		if (gv_nonfinite(elems[i], elem) != 0)
			continue;
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

/*
 * Appends the value of a leaf to v: as JSON, or under EXPLAIN (values NULL) a value known only when the
 * scan starts as its parameter ($n), or "?" for other expressions. Returns NULL, or the filter the whole
 * leaf becomes whatever it compares. *complete is set false when an array value has NULL elements.
 */
static const char *
gv_render_value(StringInfo v, int kind, bool negated, Expr *expr, int idx, Datum *values, bool *nulls,
				bool *complete, const char **op)
{
	Oid			vtype = exprType((Node *) expr);
	bool		is_array = OidIsValid(get_element_type(vtype));
	bool		ok = true;
	Datum		d;
	bool		isnull;

	if (values == NULL)
	{
		Expr	   *s = gv_strip_relabel(expr);

		if (!IsA(s, Const))
		{
			if (IsA(s, Param))
				appendStringInfo(v, "$%d", ((Param *) s)->paramid);
			else
				appendStringInfoString(v, "?");
			return NULL;
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
		return GV_MATCH_NOTHING;
	if (kind == GV_LEAF_HAS_ID)
		*complete = gv_json_ids(v, d, is_array);
	else if (is_array)
	{
		appendStringInfoChar(v, '[');
		*complete = gv_json_elements(v, d, &ok);
		appendStringInfoChar(v, ']');
	}
	else if (kind == GV_LEAF_CONTAINS)
	{
		Jsonb	   *jb = DatumGetJsonbP(d);

		/* An object contains only objects (jsonb's rule): any other value matches nothing. */
		if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
			return negated ? GV_MATCH_ALL : GV_MATCH_NOTHING;
		ok = gv_json_scalar(v, d, vtype);
	}
	else
	{
		int			sign = kind == GV_LEAF_COLUMN ? gv_nonfinite(d, vtype) : 0;
		const char *finite_op = sign != 0 ? gv_nonfinite_op(*op, sign) : NULL;

		if (finite_op != NULL)
		{
			*op = finite_op;
			appendStringInfo(v, "%.17g", sign > 0 ? DBL_MAX : -DBL_MAX);
		}
		else
			ok = gv_json_scalar(v, d, vtype);
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("govector: cannot compare payload values with NaN or infinity")));
	return NULL;
}

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
	bool		is_array = expr != NULL && OidIsValid(get_element_type(exprType((Node *) expr)));
	StringInfoData v;
	bool		complete = true;	/* an array without NULL elements */

	initStringInfo(&v);
	if (expr != NULL)
	{
		const char *whole = gv_render_value(&v, kind, negated, expr, idx, values, nulls, &complete, &op);

		if (whole != NULL)
		{
			appendStringInfoString(out, whole);
			return;
		}
	}
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

/* Appends {"clause":[...]} with the nodes of the list nodes from index first on. */
static void
gv_render_clause(StringInfo out, const char *clause, List *nodes, int first, List *exprs, Datum *values,
				 bool *nulls)
{
	ListCell   *lc;

	appendStringInfo(out, "{\"%s\":[", clause);
	for_each_from(lc, nodes, first)
	{
		if (foreach_current_index(lc) > first)
			appendStringInfoChar(out, ',');
		gv_render_node(out, lfirst(lc), exprs, values, nulls);
	}
	appendStringInfoString(out, "]}");
}

static void
gv_render_node(StringInfo out, List *node, List *exprs, Datum *values, bool *nulls)
{
	int			tag = intVal(linitial(node));

	if (tag == GV_NODE_LEAF)
		gv_render_leaf(out, node, exprs, values, nulls);
	else
		gv_render_clause(out, tag == GV_NODE_AND ? "must" : "should", node, 1, exprs, values, nulls);
}

void
gv_render_filter(StringInfo out, List *conditions, List *value_exprs, Datum *values, bool *nulls)
{
	if (conditions != NIL)
		gv_render_clause(out, "must", conditions, 0, value_exprs, values, nulls);
}

void
gv_explain_filter(List *filter, List *exprs, ExplainState *es)
{
	StringInfoData f;

	if (filter == NIL)
		return;
	initStringInfo(&f);
	gv_render_filter(&f, filter, exprs, NULL, NULL);
	ExplainPropertyText("Engine Filter", f.data, es);
}
