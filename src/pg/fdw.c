/*
 * The govector foreign data wrapper: its handler, planning (row estimates from the engine, an ordered path
 * for ORDER BY vector <op> value) and IMPORT FOREIGN SCHEMA. Options and table definitions are in
 * fdw_option.c, scans in fdw_scan.c, writes in fdw_modify.c; what can be pushed down, and the engine
 * filter it becomes, in fdw_pushdown.c, fdw_shippable.c and fdw_render.c.
 */
#include "postgres.h"

#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/builtins.h"

#include "fdw.h"
#include "govector_pg.h"

/* ---------------------------------------------------------------------------------------------------------
 * Planning
 */

typedef struct GvRelInfo
{
	GvTable    *table;
	List	   *remote_conds;	/* RestrictInfos the engine evaluates */
	List	   *local_conds;	/* RestrictInfos Postgres evaluates */
	List	   *filter;			/* pushed nodes, one per remote condition */
	List	   *values;			/* value expressions the nodes refer to */
	double		points;
	char	   *distance;
} GvRelInfo;

static bool
gv_all_const(List *exprs)
{
	ListCell   *lc;

	foreach(lc, exprs)
	{
		if (!IsA(gv_strip_relabel(lfirst(lc)), Const))
			return false;
	}
	return true;
}

static void
gvGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	GvRelInfo  *info = palloc0(sizeof(GvRelInfo));
	ListCell   *lc;
	Govector__Pb__CollectionSummary *summary;
	double		rows;

	info->table = gv_fdw_table(foreigntableid);
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst(lc);
		List	   *node = gv_pushdown_clause(root, baserel, info->table, ri->clause, &info->values);

		if (node != NIL)
		{
			info->remote_conds = lappend(info->remote_conds, ri);
			info->filter = lappend(info->filter, node);
		}
		else
			info->local_conds = lappend(info->local_conds, ri);
	}
	summary = gv_engine_find_collection(info->table->collection);
	/* Points and distance of the collection: for row estimates and matching ORDER BY operators. */
	info->points = summary ? (double) summary->points : 0;
	info->distance = pstrdup(summary ? summary->distance : "");
	/* With only constants, the engine counts the matches exactly; otherwise Postgres's estimates. */
	if (info->filter != NIL && gv_all_const(info->values))
	{
		StringInfoData f;

		initStringInfo(&f);
		gv_render_filter(&f, info->filter, info->values, NULL, NULL);
		rows = (double) gv_engine_count(info->table->collection, f.data);
	}
	else
		rows = info->points * clauselist_selectivity(root, info->remote_conds, baserel->relid, JOIN_INNER, NULL);
	rows *= clauselist_selectivity(root, info->local_conds, baserel->relid, JOIN_INNER, NULL);
	baserel->rows = clamp_row_est(rows);
	baserel->tuples = info->points;
	baserel->fdw_private = info;
}

/*
 * Finds ORDER BY vector <op> value (ascending) among the query's sort keys, when the engine can do it:
 * the sort key, the operator, the value, and the whole expression as the query spells it.
 */
static bool
gv_ordered_search(PlannerInfo *root, RelOptInfo *baserel, GvRelInfo *info, PathKey **pathkey,
				  GvDistanceOp *op, Expr **query, Expr **order_expr)
{
	PathKey    *pk;
	ListCell   *lc;

	if (list_length(root->query_pathkeys) != 1 || info->table->vector_attnum == 0)
		return false;
	pk = linitial(root->query_pathkeys);
	if (pk->pk_strategy != BTLessStrategyNumber || pk->pk_nulls_first)
		return false;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		OpExpr	   *e = (OpExpr *) em->em_expr;
		Var		   *v;
		GvDistanceOp d;

		if (!IsA(e, OpExpr) || list_length(e->args) != 2 || !bms_equal(em->em_relids, baserel->relids))
			continue;
		d = gv_distance_operator(e->opno);
		/* A domain column (gv_vector) is relabelled to real[] when the other operand was untyped. */
		v = (Var *) gv_strip_relabel(linitial(e->args));
		if (d == GV_OP_NONE || !IsA(v, Var) || v->varno != baserel->relid ||
			v->varattno != info->table->vector_attnum || !gv_is_scan_constant(lsecond(e->args)))
			continue;
		/* Only the collection's own distance is what the index orders by. */
		if (strcmp(gv_distance_op_metric(d), info->distance) != 0)
			return false;
		*pathkey = pk;
		*op = d;
		*query = lsecond(e->args);
		*order_expr = (Expr *) e;
		return true;
	}
	return false;
}

static void
gvGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	GvRelInfo  *info = baserel->fdw_private;
	PathKey    *pk;
	GvDistanceOp op;
	Expr	   *query;
	Expr	   *order_expr;
	Cost		startup = 25;
	/* A scroll reads every point the filter matches, a page at a time. */
	Cost		total = startup + baserel->rows * (cpu_tuple_cost * 2) + info->points * 0.0001;

	add_path(baserel, (Path *) create_foreignscan_path(root, baserel, NULL, baserel->rows, startup, total, NIL,
													   baserel->lateral_relids, NULL,
													   list_make1(makeInteger(GV_OP_NONE))));
	/*
	 * The nearest points first, and more on demand: what ORDER BY vector <op> v LIMIT n needs. Without a
	 * LIMIT every row is read anyway, and one scroll plus a local sort is the better plan.
	 *
	 * When the table is the query's only relation, the ordered path is costed as the scroll: it returns
	 * no more points (usually only the LIMIT's), and the scroll would still need a Sort. So it wins
	 * however small the collection, where any per-row premium loses to the Sort of a few rows (which
	 * costs less than add_path's 1% fuzz). It then displaces the scroll path, which such a query has no
	 * use for. In a join the scroll path must stay: a hash join reads the whole table, which an ordered
	 * scan does by repeated searches and only up to GV_MAX_OFFSET rows; there the ordered path
	 * costs more per row, and Postgres chooses.
	 */
	if (root->parse->limitCount != NULL && gv_ordered_search(root, baserel, info, &pk, &op, &query, &order_expr))
	{
		Cost		ordered_startup = startup;
		Cost		ordered_total;

		if (bms_membership(root->all_baserels) == BMS_SINGLETON)
			ordered_total = total;
		else
			ordered_total = ordered_startup + baserel->rows * (cpu_tuple_cost * 10);

		add_path(baserel, (Path *) create_foreignscan_path(root, baserel, NULL, baserel->rows, ordered_startup,
														   ordered_total, list_make1(pk), baserel->lateral_relids,
														   NULL, list_make1(makeInteger(op))));
	}
}

/*
 * The scan tuple of an ordered engine search: the table's columns that Postgres reads (in the target
 * list, in conditions it evaluates itself), then the ORDER BY expression, whose value the engine's score
 * gives. set_foreignscan_references turns every occurrence of that expression above the scan (the sort
 * key, the select list, a local condition) into a reference to this column, so Postgres does not compute
 * the distance again, and the scan needs the stored vector only when something else reads it.
 */
static List *
gv_scan_tlist(RelOptInfo *baserel, List *tlist, List *local_exprs, Expr *order_expr)
{
	List	   *vars;
	List	   *own = NIL;
	List	   *scan_tlist;
	ListCell   *lc;

	/* tlist too: it may be the physical one, every column, which the scan tuple must then offer. */
	vars = pull_var_clause((Node *) baserel->reltarget->exprs, PVC_RECURSE_PLACEHOLDERS);
	vars = list_concat(vars, pull_var_clause((Node *) local_exprs, PVC_RECURSE_PLACEHOLDERS));
	vars = list_concat(vars, pull_var_clause((Node *) tlist, PVC_RECURSE_PLACEHOLDERS));
	foreach(lc, vars)
	{
		Var		   *v = lfirst(lc);

		/* Lateral references to other relations become parameters; they are not the scan's to return. */
		if (IsA(v, Var) && v->varno == baserel->relid && v->varlevelsup == 0)
			own = lappend(own, v);
	}
	scan_tlist = add_to_flat_tlist(NIL, own);
	return lappend(scan_tlist, makeTargetEntry((Expr *) copyObject(order_expr), list_length(scan_tlist) + 1,
											   NULL, false));
}

static ForeignScan *
gvGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid, ForeignPath *best_path,
				 List *tlist, List *scan_clauses, Plan *outer_plan)
{
	GvRelInfo  *info = baserel->fdw_private;
	GvDistanceOp op = intVal(linitial(best_path->fdw_private));
	List	   *local_exprs = NIL;
	List	   *values = list_copy(info->values);
	List	   *attrs = NIL;
	List	   *scan_tlist = NIL;
	Expr	   *order_expr = NULL;
	Bitmapset  *used = NULL;
	bool		system_columns = false;
	int			order_value = -1;
	ListCell   *lc;
	int			x;

	foreach(lc, scan_clauses)
	{
		RestrictInfo *ri = lfirst(lc);

		if (!list_member_ptr(info->remote_conds, ri))
			local_exprs = lappend(local_exprs, ri->clause);
	}
	if (op != GV_OP_NONE)
	{
		PathKey    *pk;
		GvDistanceOp again;
		Expr	   *query;

		if (!gv_ordered_search(root, baserel, info, &pk, &again, &query, &order_expr))
			elog(ERROR, "govector: ordered path lost its sort key");
		order_value = list_length(values);
		values = lappend(values, query);
	}
	/* The columns Postgres reads: the target list and the conditions it evaluates itself. */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &used);
	pull_varattnos((Node *) local_exprs, baserel->relid, &used);
	x = -1;
	while ((x = bms_next_member(used, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

		if (attnum <= 0)
			system_columns = true;
		if (attnum == 0)
		{
			/* A whole-row reference needs every column. */
			attrs = NIL;
			for (int i = 1; i <= info->table->natts; i++)
				attrs = lappend_int(attrs, i);
			break;
		}
		if (attnum > 0)
			attrs = lappend_int(attrs, attnum);
	}

	/*
	 * An ordered search returns the distance from the engine's score. Not when the scan must return the
	 * table's own row (a whole-row reference, as row marks and EvalPlanQual use, or a system column): then
	 * the scan tuple stays the table's, and Postgres computes the distance.
	 */
	if (order_expr != NULL && !system_columns)
		scan_tlist = gv_scan_tlist(baserel, tlist, local_exprs, order_expr);
	{
		/* In the order of the GV_PRIV_* indexes. */
		List	   *priv = list_make5(makeString(info->table->collection), info->filter, makeInteger(op),
									  makeInteger(order_value),
									  makeInteger(root->limit_tuples > 0 ?
												  (int) Min(root->limit_tuples, GV_MAX_K) : -1));

		priv = lappend(priv, attrs);
		return make_foreignscan(tlist, local_exprs, baserel->relid, values, priv, scan_tlist, NIL, outer_plan);
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * IMPORT FOREIGN SCHEMA govector FROM SERVER s INTO schema: one table per collection of this database.
 */

static List *
gvImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	GvResponse *resp;
	List	   *commands = NIL;

	if (strcmp(stmt->remote_schema, "govector") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("govector: there is no remote schema \"%s\"", stmt->remote_schema),
				 errhint("Collections are imported from the remote schema \"govector\".")));
	resp = gv_engine_list_collections();
	for (size_t i = 0; i < resp->n_collections; i++)
	{
		const char *name = resp->collections[i]->name;
		bool		listed = false;
		ListCell   *lc;

		foreach(lc, stmt->table_list)
			if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
				listed = true;
		if ((stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !listed) ||
			(stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && listed))
			continue;
		commands = lappend(commands,
						   psprintf("CREATE FOREIGN TABLE %s (id text, vector real[], payload jsonb, version bigint) "
									"SERVER %s OPTIONS (collection %s)",
									quote_identifier(name), quote_identifier(server->servername),
									quote_literal_cstr(name)));
	}
	return commands;
}

PG_FUNCTION_INFO_V1(govector_fdw_handler);
Datum
govector_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *r = makeNode(FdwRoutine);

	r->GetForeignRelSize = gvGetForeignRelSize;
	r->GetForeignPaths = gvGetForeignPaths;
	r->GetForeignPlan = gvGetForeignPlan;
	r->BeginForeignScan = gvBeginForeignScan;
	r->IterateForeignScan = gvIterateForeignScan;
	r->ReScanForeignScan = gvReScanForeignScan;
	r->EndForeignScan = gvEndForeignScan;
	r->ExplainForeignScan = gvExplainForeignScan;
	r->AddForeignUpdateTargets = gvAddForeignUpdateTargets;
	r->PlanForeignModify = gvPlanForeignModify;
	r->BeginForeignModify = gvBeginForeignModify;
	r->ExecForeignInsert = gvExecForeignInsert;
	r->ExecForeignBatchInsert = gvExecForeignBatchInsert;
	r->GetForeignModifyBatchSize = gvGetForeignModifyBatchSize;
	r->ExecForeignUpdate = gvExecForeignUpdate;
	r->ExecForeignDelete = gvExecForeignDelete;
	r->EndForeignModify = gvEndForeignModify;
	r->BeginForeignInsert = gvBeginForeignInsert;
	r->EndForeignInsert = gvEndForeignInsert;
	r->PlanDirectModify = gvPlanDirectModify;
	r->BeginDirectModify = gvBeginDirectModify;
	r->IterateDirectModify = gvIterateDirectModify;
	r->EndDirectModify = gvEndDirectModify;
	r->ExplainDirectModify = gvExplainDirectModify;
	r->ImportForeignSchema = gvImportForeignSchema;
	PG_RETURN_POINTER(r);
}
