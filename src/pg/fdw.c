/*
 * The govector foreign data wrapper's callbacks: planning (row estimates from the engine, an ordered
 * path for ORDER BY vector <op> value), scans, INSERT/UPDATE/DELETE (batched inserts, DELETE pushed down
 * whole), EXPLAIN and IMPORT FOREIGN SCHEMA. Options and table definitions are fdw_option.c's business;
 * what can be pushed down, and the engine filter it becomes, fdw_pushdown.c's.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/inherit.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "fdw.h"
#include "govector_pg.h"

#define GV_SCROLL_BATCH 1000
#define GV_MAX_SEARCH_K 10000
#define GV_MAX_SEARCH_OFFSET 100000
#define GV_ROW_ID "govector_id"

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

/* Indexes into ForeignScan.fdw_private. */
enum
{
	GV_PRIV_COLLECTION,			/* String */
	GV_PRIV_FILTER,				/* List of nodes */
	GV_PRIV_ORDER_OP,			/* Integer GvDistanceOp, GV_OP_NONE when unordered */
	GV_PRIV_ORDER_VALUE,		/* Integer index of the query vector in fdw_exprs */
	GV_PRIV_LIMIT,				/* Integer: rows the query wants (-1: unknown) */
	GV_PRIV_ATTRS,				/* List of Integer attnums the scan must fill */
	GV_PRIV_METRIC,				/* String: the collection's distance */
	GV_PRIV_COUNT
};

static bool
gv_all_const(List *exprs)
{
	ListCell   *lc;

	foreach(lc, exprs)
	{
		Node	   *n = lfirst(lc);

		while (IsA(n, RelabelType))
			n = (Node *) ((RelabelType *) n)->arg;
		if (!IsA(n, Const))
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
		v = linitial(e->args);
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
	 * scan does by repeated searches and only up to GV_MAX_SEARCH_OFFSET rows; there the ordered path
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
												  (int) Min(root->limit_tuples, GV_MAX_SEARCH_K) : -1));

		priv = lappend(priv, attrs);
		return make_foreignscan(tlist, local_exprs, baserel->relid, values, priv, scan_tlist, NIL, outer_plan);
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * Scans
 */

typedef struct GvScanState
{
	GvTable    *table;
	char	   *collection;
	List	   *filter;
	List	   *value_exprs;
	List	   *value_states;
	Datum	   *values;
	bool	   *nulls;
	GvDistanceOp op;
	int			order_value;
	int			limit;
	bool		want_vector;
	bool		want_payload;
	int			ncolumns;		/* mapped columns to fetch */
	AttrNumber *column_attnums;
	/*
	 * With fdw_scan_tlist (an ordered search): where each table column goes in the scan tuple (by attnum -
	 * 1; -1: not there, or nothing reads it), and the distance's position (-1: none). Without it, NULL:
	 * columns go by attnum.
	 */
	int		   *slot_index;
	int			distance_index;
	Govector__Pb__ColumnSpec **column_specs;
	FmgrInfo   *column_in;
	Oid		   *column_ioparam;

	/* per (re)scan */
	bool		started;		/* values evaluated and filter rendered (at the first fetch) */
	char	   *filter_json;
	float	   *query;
	size_t		query_dim;
	bool		search;			/* an ordered engine search (else a scroll) */
	MemoryContext scan_cxt;		/* lives as long as the scan */
	MemoryContext batch_cxt;	/* the current batch; reset before each fetch */
	GvResponse *batch;
	size_t		next;
	bool		done;
	char	   *last_id;		/* scroll: resume after this id (in scan_cxt: it outlives its batch) */
	int			fetched;		/* search: rows taken so far */
	int			batch_k;
	HTAB	   *seen;			/* search: ids already returned */
} GvScanState;

static void
gv_scan_start(ForeignScanState *node, GvScanState *st)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_query_memory);
	StringInfoData f;
	int			i = 0;
	ListCell   *lc;

	st->started = true;
	foreach(lc, st->value_states)
	{
		st->values[i] = ExecEvalExpr(lfirst(lc), econtext, &st->nulls[i]);
		i++;
	}
	initStringInfo(&f);
	gv_render_filter(&f, st->filter, st->value_exprs, st->values, st->nulls);
	st->filter_json = f.data;
	st->search = false;
	if (st->op != GV_OP_NONE && !st->nulls[st->order_value])
	{
		/* ORDER BY vector <op> NULL sorts nothing: then any order is right, and a scroll does. */
		ArrayType  *a = DatumGetArrayTypePCopy(st->values[st->order_value]);

		st->query = gv_vector_from_array(a, "query vector", &st->query_dim);
		st->search = true;
	}
	st->batch = NULL;
	st->next = 0;
	st->done = false;
	if (st->last_id)
		pfree(st->last_id);
	st->last_id = NULL;
	st->fetched = 0;
	st->batch_k = st->limit > 0 ? st->limit : 100;
	if (st->seen)
		hash_destroy(st->seen);
	st->seen = NULL;
	if (st->search)
	{
		HASHCTL		ctl;

		ctl.keysize = NAMEDATALEN * 6;	/* ids are at most 256 bytes; the key holds the text */
		ctl.entrysize = ctl.keysize;
		ctl.hcxt = econtext->ecxt_per_query_memory;
		st->seen = hash_create("govector seen ids", 256, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	MemoryContextSwitchTo(old);
}

/* Collects the scan tuple columns (INDEX_VAR attribute numbers) that an expression reads. */
static bool
gv_scan_refs_walker(Node *node, Bitmapset **refs)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *v = (Var *) node;

		if (v->varno == INDEX_VAR)
			*refs = bms_add_member(*refs, v->varattno);
		return false;
	}
	return expression_tree_walker(node, gv_scan_refs_walker, (void *) refs);
}

/*
 * Where the columns of fdw_scan_tlist go in the scan tuple, keeping only those that the node's target list
 * and conditions read: set_foreignscan_references has replaced each occurrence of the ORDER BY expression
 * by a reference to its own column, so the vector column is read only when the query asks for the
 * vector itself (or Postgres computes something else from it).
 */
static void
gv_scan_layout(ForeignScan *fs, GvScanState *st)
{
	Bitmapset  *refs = NULL;
	ListCell   *lc;

	(void) gv_scan_refs_walker((Node *) fs->scan.plan.targetlist, &refs);
	(void) gv_scan_refs_walker((Node *) fs->scan.plan.qual, &refs);
	st->slot_index = palloc(sizeof(int) * (st->table->natts + 1));
	for (int i = 0; i < st->table->natts; i++)
		st->slot_index[i] = -1;
	foreach(lc, fs->fdw_scan_tlist)
	{
		TargetEntry *tle = lfirst(lc);

		if (!bms_is_member(tle->resno, refs))
			continue;
		if (IsA(tle->expr, Var))
		{
			Var		   *v = (Var *) tle->expr;

			if (v->varattno < 1 || v->varattno > st->table->natts)
				elog(ERROR, "govector: unexpected column %d in the scan tuple", v->varattno);
			st->slot_index[v->varattno - 1] = tle->resno - 1;
		}
		else
			st->distance_index = tle->resno - 1;
	}
}

static void
gvBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	GvScanState *st = palloc0(sizeof(GvScanState));
	List	   *attrs;
	ListCell   *lc;
	int			n;

	node->fdw_state = st;
	st->table = gv_fdw_table(RelationGetRelid(node->ss.ss_currentRelation));
	st->collection = strVal(list_nth(fs->fdw_private, GV_PRIV_COLLECTION));
	st->filter = list_nth(fs->fdw_private, GV_PRIV_FILTER);
	st->op = intVal(list_nth(fs->fdw_private, GV_PRIV_ORDER_OP));
	st->order_value = intVal(list_nth(fs->fdw_private, GV_PRIV_ORDER_VALUE));
	st->limit = intVal(list_nth(fs->fdw_private, GV_PRIV_LIMIT));
	attrs = list_nth(fs->fdw_private, GV_PRIV_ATTRS);
	st->value_exprs = fs->fdw_exprs;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	n = list_length(fs->fdw_exprs);
	st->value_states = ExecInitExprList(fs->fdw_exprs, (PlanState *) node);
	st->values = palloc0(sizeof(Datum) * (n + 1));
	st->nulls = palloc0(sizeof(bool) * (n + 1));
	st->column_attnums = palloc0(sizeof(AttrNumber) * (list_length(attrs) + 1));
	st->column_specs = palloc0(sizeof(void *) * (list_length(attrs) + 1));
	st->column_in = palloc0(sizeof(FmgrInfo) * (list_length(attrs) + 1));
	st->column_ioparam = palloc0(sizeof(Oid) * (list_length(attrs) + 1));
	st->distance_index = -1;
	if (fs->fdw_scan_tlist != NIL)
		gv_scan_layout(fs, st);
	foreach(lc, attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		GvColumn   *c = &st->table->columns[attnum - 1];

		/* In the scan tuple of an ordered search, only what the plan reads is fetched. */
		if (st->slot_index && st->slot_index[attnum - 1] < 0)
			continue;
		if (c->kind == GV_COL_VECTOR)
			st->want_vector = true;
		else if (c->kind == GV_COL_PAYLOAD)
			st->want_payload = true;
		else if (c->kind == GV_COL_MAPPED)
		{
			Govector__Pb__ColumnSpec *spec = palloc(sizeof(*spec));
			Oid			input;

			govector__pb__column_spec__init(spec);
			spec->key = c->payload_key;
			spec->type = (char *) gv_map_type_name(c->map_type);
			getTypeInputInfo(c->type, &input, &st->column_ioparam[st->ncolumns]);
			fmgr_info(input, &st->column_in[st->ncolumns]);
			st->column_attnums[st->ncolumns] = attnum;
			st->column_specs[st->ncolumns] = spec;
			st->ncolumns++;
		}
	}
	st->scan_cxt = CurrentMemoryContext;
	st->batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "govector scan batch", ALLOCSET_DEFAULT_SIZES);
	/* Values are evaluated at the first fetch: PARAM_EXEC values (initplans) are not available yet. */
	st->started = false;
}

/* Fetches the next batch into st->batch; false when there is nothing more. */
static bool
gv_fetch(GvScanState *st)
{
	GvRecordParts parts = {st->want_payload, st->want_vector, st->column_specs, (size_t) st->ncolumns};
	MemoryContext old;

	if (st->done)
		return false;
	MemoryContextReset(st->batch_cxt);
	old = MemoryContextSwitchTo(st->batch_cxt);
	if (st->search)
	{
		GvSearchQuery q = {0};

		if (st->fetched >= GV_MAX_SEARCH_OFFSET)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("govector: an ordered scan of a foreign table returns at most %d rows",
							GV_MAX_SEARCH_OFFSET),
					 errhint("Add a LIMIT, or filter first.")));
		q.vector = st->query;
		q.dim = st->query_dim;
		q.k = (uint32) Min(st->batch_k, GV_MAX_SEARCH_K);
		q.offset = (uint32) st->fetched;
		q.filter_json = st->filter_json;
		q.ef = (uint32) gv_ef_search;
		st->batch = gv_engine_search(st->collection, &q, &parts);
		st->fetched += (int) st->batch->n_records;
		if (st->batch->n_records < q.k)
			st->done = true;
		/* Asked for more than the LIMIT promised (local conditions dropped rows): widen the next batch. */
		st->batch_k = Min(st->batch_k * 4, GV_MAX_SEARCH_K);
	}
	else
	{
		st->batch = gv_engine_scroll(st->collection, st->filter_json, GV_SCROLL_BATCH, st->last_id, &parts);
		if (st->batch->n_records < GV_SCROLL_BATCH)
			st->done = true;
		else
		{
			/*
			 * The next page starts after this batch's last id, and this batch is freed before that page
			 * is requested: keep a copy that outlives it.
			 */
			if (st->last_id)
				pfree(st->last_id);
			st->last_id = MemoryContextStrdup(st->scan_cxt,
											  st->batch->records[st->batch->n_records - 1]->id);
		}
	}
	st->next = 0;
	MemoryContextSwitchTo(old);
	return st->batch->n_records > 0;
}

typedef struct GvColumnErrorContext
{
	const char *column;
	const char *key;
	const char *id;
} GvColumnErrorContext;

static void
gv_column_error_callback(void *arg)
{
	GvColumnErrorContext *c = arg;

	errcontext("column \"%s\" (payload key \"%s\") of point %s", c->column, c->key, c->id);
}

/* Where a table column goes in the scan slot (-1: nowhere). */
static inline int
gv_slot_index(GvScanState *st, AttrNumber attnum)
{
	if (attnum == 0)
		return -1;
	return st->slot_index ? st->slot_index[attnum - 1] : attnum - 1;
}

static void
gv_fill_slot(GvScanState *st, Govector__Pb__Record *rec, TupleTableSlot *slot)
{
	GvTable    *t = st->table;
	int			k;

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	if ((k = gv_slot_index(st, t->id_attnum)) >= 0)
	{
		slot->tts_values[k] = CStringGetTextDatum(rec->id);
		slot->tts_isnull[k] = false;
	}
	if ((k = gv_slot_index(st, t->version_attnum)) >= 0)
	{
		slot->tts_values[k] = Int64GetDatum((int64) rec->version);
		slot->tts_isnull[k] = false;
	}
	if (st->want_vector && (k = gv_slot_index(st, t->vector_attnum)) >= 0)
	{
		slot->tts_values[k] = gv_vector_datum(rec->vector, rec->n_vector);
		slot->tts_isnull[k] = false;
	}
	if (st->want_payload && (k = gv_slot_index(st, t->payload_attnum)) >= 0)
	{
		slot->tts_values[k] = gv_jsonb_datum(rec->payload_json);
		slot->tts_isnull[k] = false;
	}
	/* The ORDER BY distance, from the score (a scroll, for a NULL query vector, leaves it NULL). */
	if (st->distance_index >= 0 && st->search)
	{
		slot->tts_values[st->distance_index] = Float8GetDatum(gv_distance_from_score(st->op, rec->score));
		slot->tts_isnull[st->distance_index] = false;
	}
	for (int i = 0; i < st->ncolumns && i < (int) rec->n_columns; i++)
	{
		AttrNumber	attnum = st->column_attnums[i];
		GvColumn   *c = &t->columns[attnum - 1];
		GvColumnErrorContext ctx = {c->name, c->payload_key, rec->id};
		ErrorContextCallback cb;

		k = gv_slot_index(st, attnum);
		if (rec->columns[i]->is_null || k < 0)
			continue;
		cb.callback = gv_column_error_callback;
		cb.arg = &ctx;
		cb.previous = error_context_stack;
		error_context_stack = &cb;
		slot->tts_values[k] = InputFunctionCall(&st->column_in[i], rec->columns[i]->text,
												st->column_ioparam[i], c->typmod);
		error_context_stack = cb.previous;
		slot->tts_isnull[k] = false;
	}
	ExecStoreVirtualTuple(slot);
}

static TupleTableSlot *
gvIterateForeignScan(ForeignScanState *node)
{
	GvScanState *st = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (!st->started)
		gv_scan_start(node, st);
	for (;;)
	{
		if (st->batch != NULL && st->next < st->batch->n_records)
		{
			Govector__Pb__Record *rec = st->batch->records[st->next++];

			if (st->seen)
			{
				bool		found;
				char		key[NAMEDATALEN * 6];

				/* Later batches of an ordered scan are new searches: skip ids already returned. */
				strlcpy(key, rec->id, sizeof(key));
				(void) hash_search(st->seen, key, HASH_ENTER, &found);
				if (found)
					continue;
			}
			gv_fill_slot(st, rec, slot);
			return slot;
		}
		if (!gv_fetch(st))
			return ExecClearTuple(slot);
	}
}

static void
gvReScanForeignScan(ForeignScanState *node)
{
	GvScanState *st = node->fdw_state;

	/* Parameters may have changed: evaluate them again at the next fetch. */
	st->started = false;
}

static void
gvEndForeignScan(ForeignScanState *node)
{
}

static void
gv_explain_filter(List *filter, List *exprs, ExplainState *es)
{
	StringInfoData f;

	if (filter == NIL)
		return;
	initStringInfo(&f);
	gv_render_filter(&f, filter, exprs, NULL, NULL);
	ExplainPropertyText("Engine Filter", f.data, es);
}

static void
gvExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	GvDistanceOp op = intVal(list_nth(fs->fdw_private, GV_PRIV_ORDER_OP));

	ExplainPropertyText("Engine Collection", strVal(list_nth(fs->fdw_private, GV_PRIV_COLLECTION)), es);
	if (op != GV_OP_NONE)
	{
		int			vi = intVal(list_nth(fs->fdw_private, GV_PRIV_ORDER_VALUE));
		Node	   *q = list_nth(fs->fdw_exprs, vi);
		int			limit = intVal(list_nth(fs->fdw_private, GV_PRIV_LIMIT));

		ExplainPropertyText("Engine Search",
							psprintf("vector %s %s (%s), first %d rows, ef %s", gv_distance_op_name(op),
									 IsA(q, Param) ? psprintf("$%d", ((Param *) q)->paramid) : "(value)",
									 gv_distance_op_metric(op), limit > 0 ? limit : 100,
									 gv_ef_search > 0 ? psprintf("%d", gv_ef_search) : "collection default"),
							es);
	}
	else
		ExplainPropertyText("Engine Scroll", "points in id order", es);
	gv_explain_filter(list_nth(fs->fdw_private, GV_PRIV_FILTER), fs->fdw_exprs, es);
}

/* ---------------------------------------------------------------------------------------------------------
 * Writes
 */

typedef struct GvModifyState
{
	GvTable    *table;
	CmdType		operation;
	List	   *target_attrs;
	bool		has_returning;
	AttrNumber	id_junk;		/* UPDATE/DELETE: the row identity column in the plan's output */
	int			buffer_max;		/* INSERT: points gathered before a call (1: no buffering) */
	int			buffered;
	Govector__Pb__PointInput **buffer;
	MemoryContext buffer_cxt;
} GvModifyState;

static void
gvAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
						  Relation target_relation)
{
	GvTable    *t = gv_fdw_table(RelationGetRelid(target_relation));
	Var		   *var;

	if (t->id_attnum == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("govector: UPDATE and DELETE need an id column on foreign table \"%s\"",
						RelationGetRelationName(target_relation))));
	var = makeVar(rtindex, t->id_attnum, t->columns[t->id_attnum - 1].type, -1, DEFAULT_COLLATION_OID, 0);
	add_row_identity_var(root, var, rtindex, GV_ROW_ID);
}

static List *
gvPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index)
{
	List	   *targets = NIL;
	bool		returning = plan->returningLists != NIL && list_nth(plan->returningLists, subplan_index) != NIL;

	if (plan->operation == CMD_UPDATE)
	{
		RelOptInfo *rel = find_base_rel(root, resultRelation);
		Bitmapset  *cols = get_rel_all_updated_cols(root, rel);
		int			x = -1;

		while ((x = bms_next_member(cols, x)) >= 0)
		{
			AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

			if (attnum > 0)
				targets = lappend_int(targets, attnum);
		}
	}
	return list_make3(makeInteger(plan->operation), targets, makeInteger(returning ? 1 : 0));
}

static GvModifyState *
gv_modify_state(ResultRelInfo *rinfo, CmdType operation, List *targets, bool returning)
{
	GvModifyState *ms = palloc0(sizeof(GvModifyState));

	ms->table = gv_fdw_table(RelationGetRelid(rinfo->ri_RelationDesc));
	ms->operation = operation;
	ms->target_attrs = targets;
	ms->has_returning = returning;
	ms->buffer_max = 1;
	/*
	 * Inserts are gathered into batches when nothing needs each row's result at once (no RETURNING, no
	 * row triggers): INSERT ... SELECT and COPY then cost one engine call per batch_size rows.
	 */
	if (operation == CMD_INSERT && !returning && rinfo->ri_projectReturning == NULL &&
		!(rinfo->ri_TrigDesc && (rinfo->ri_TrigDesc->trig_insert_after_row ||
								 rinfo->ri_TrigDesc->trig_insert_before_row)))
		ms->buffer_max = ms->table->batch_size;
	ms->buffer = palloc0(sizeof(void *) * ms->buffer_max);
	ms->buffer_cxt = AllocSetContextCreate(CurrentMemoryContext, "govector insert batch", ALLOCSET_DEFAULT_SIZES);
	rinfo->ri_FdwState = ms;
	return ms;
}

static void
gvBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
					 int eflags)
{
	GvModifyState *ms;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	ms = gv_modify_state(rinfo, (CmdType) intVal(linitial(fdw_private)), lsecond(fdw_private),
						 intVal(lthird(fdw_private)) != 0);
	if (ms->operation == CMD_UPDATE || ms->operation == CMD_DELETE)
	{
		Plan	   *subplan = outerPlanState(mtstate)->plan;

		ms->id_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, GV_ROW_ID);
		if (!AttributeNumberIsValid(ms->id_junk))
			elog(ERROR, "govector: row identity column not found");
	}
}

/* The JSON value of a mapped column's SQL value (for writes). */
static void
gv_append_column_json(StringInfo out, GvColumn *c, Datum v, bool isnull)
{
	Oid			output;
	bool		varlena;
	char	   *text;

	if (isnull)
	{
		appendStringInfoString(out, "null");
		return;
	}
	if (c->type == JSONBOID)
	{
		appendStringInfoString(out, gv_jsonb_text(DatumGetJsonbP(v)));
		return;
	}
	if (c->type == BOOLOID)
	{
		appendStringInfoString(out, DatumGetBool(v) ? "true" : "false");
		return;
	}
	getTypeOutputInfo(c->type, &output, &varlena);
	text = OidOutputFunctionCall(output, v);
	switch (c->map_type)
	{
		case GV_MAP_NUMBER:
			if (strcmp(text, "NaN") == 0 || strstr(text, "Infinity") != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("govector: column \"%s\" cannot store %s in a JSON payload", c->name, text)));
			appendStringInfoString(out, text);
			break;
		case GV_MAP_BOOL:		/* (handled above) */
		case GV_MAP_JSON:		/* json: its text is JSON already */
			appendStringInfoString(out, text);
			break;
		case GV_MAP_TEXT:
			escape_json(out, text);
			break;
	}
}

/* The payload an inserted or updated row stores: the payload column, with mapped columns set on top. */
static char *
gv_row_payload(GvTable *t, TupleTableSlot *slot, List *only_attrs)
{
	StringInfoData out;
	bool		any = false;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	for (int i = 0; i < t->natts; i++)
	{
		GvColumn   *c = &t->columns[i];

		if (c->kind != GV_COL_MAPPED || (only_attrs && !list_member_int(only_attrs, i + 1)))
			continue;
		if (slot->tts_isnull[i] && only_attrs == NIL)
			continue;			/* INSERT: a NULL mapped column leaves the key out */
		if (any)
			appendStringInfoChar(&out, ',');
		any = true;
		escape_json(&out, c->payload_key);
		appendStringInfoChar(&out, ':');
		gv_append_column_json(&out, c, slot->tts_values[i], slot->tts_isnull[i]);
	}
	appendStringInfoChar(&out, '}');
	return out.data;
}

/* Merges the mapped keys (JSON object text) over a payload (jsonb), with jsonb's || operator. */
static char *
gv_merge_payload(Datum payload, const char *mapped)
{
	Datum		overlay = DirectFunctionCall1(jsonb_in, CStringGetDatum(mapped));

	return gv_jsonb_text(DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, payload, overlay)));
}

static Govector__Pb__PointInput *
gv_point_from_slot(GvModifyState *ms, TupleTableSlot *slot)
{
	GvTable    *t = ms->table;
	Govector__Pb__PointInput *p = palloc(sizeof(*p));
	char	   *mapped;

	govector__pb__point_input__init(p);
	slot_getallattrs(slot);
	if (t->id_attnum == 0 || slot->tts_isnull[t->id_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("govector: a point needs an id"),
				 errdetail("The id column of foreign table \"%s\" is NULL or missing.",
						   get_rel_name(t->relid))));
	p->id = TextDatumGetCString(slot->tts_values[t->id_attnum - 1]);
	if (t->vector_attnum == 0 || slot->tts_isnull[t->vector_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("govector: point %s needs a vector", p->id)));
	{
		/* Copied: a buffered point outlives the slot, which the next row overwrites. */
		const float *v = gv_vector_from_array(DatumGetArrayTypeP(slot->tts_values[t->vector_attnum - 1]),
											  "vector", &p->n_vector);

		p->vector = palloc(sizeof(float) * (p->n_vector > 0 ? p->n_vector : 1));
		memcpy(p->vector, v, sizeof(float) * p->n_vector);
	}
	mapped = gv_row_payload(t, slot, NIL);
	if (t->payload_attnum && !slot->tts_isnull[t->payload_attnum - 1])
		p->payload_json = strcmp(mapped, "{}") == 0 ? gv_jsonb_text(DatumGetJsonbP(slot->tts_values[t->payload_attnum - 1]))
			: gv_merge_payload(slot->tts_values[t->payload_attnum - 1], mapped);
	else
		p->payload_json = mapped;
	return p;
}

static uint64
gv_upsert_points(GvTable *t, Govector__Pb__PointInput **points, size_t n)
{
	uint64		version = gv_engine_upsert(t->collection, points, n);

	gv_note_write();
	return version;
}

static void
gv_flush_inserts(GvModifyState *ms)
{
	if (ms->buffered == 0)
		return;
	(void) gv_upsert_points(ms->table, ms->buffer, (size_t) ms->buffered);
	ms->buffered = 0;
	MemoryContextReset(ms->buffer_cxt);
}

static void
gv_set_version(GvTable *t, TupleTableSlot *slot, uint64 version)
{
	if (t->version_attnum == 0)
		return;
	slot_getallattrs(slot);
	slot->tts_values[t->version_attnum - 1] = Int64GetDatum((int64) version);
	slot->tts_isnull[t->version_attnum - 1] = false;
}

static bool gv_slot_from_engine(GvTable *t, char *id, TupleTableSlot *slot);

/*
 * The row an INSERT returns: with RETURNING, the point as the engine stored it, which is not the row
 * inserted (the payload with the mapped columns merged in, {} for a NULL payload, mapped columns read
 * back from it, a cosine vector normalised, the id as the engine prints it); otherwise the row inserted,
 * with its version.
 */
static void
gv_inserted_row(GvModifyState *ms, char *id, uint64 version, TupleTableSlot *slot)
{
	if (ms->has_returning && gv_slot_from_engine(ms->table, id, slot))
		return;
	gv_set_version(ms->table, slot, version);
}

static TupleTableSlot *
gvExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	GvModifyState *ms = rinfo->ri_FdwState;
	MemoryContext old;
	Govector__Pb__PointInput *p;

	if (ms->buffer_max > 1)
	{
		old = MemoryContextSwitchTo(ms->buffer_cxt);
		ms->buffer[ms->buffered++] = gv_point_from_slot(ms, slot);
		MemoryContextSwitchTo(old);
		if (ms->buffered == ms->buffer_max)
			gv_flush_inserts(ms);
		return slot;
	}
	p = gv_point_from_slot(ms, slot);
	gv_inserted_row(ms, p->id, gv_upsert_points(ms->table, &p, 1), slot);
	return slot;
}

static TupleTableSlot **
gvExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots,
						 TupleTableSlot **planSlots, int *numSlots)
{
	GvModifyState *ms = rinfo->ri_FdwState;
	Govector__Pb__PointInput **points = palloc(sizeof(void *) * *numSlots);
	uint64		version;

	for (int i = 0; i < *numSlots; i++)
		points[i] = gv_point_from_slot(ms, slots[i]);
	version = gv_upsert_points(ms->table, points, (size_t) *numSlots);
	for (int i = 0; i < *numSlots; i++)
		gv_inserted_row(ms, points[i]->id, version, slots[i]);
	return slots;
}

static int
gvGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	GvModifyState *ms = rinfo->ri_FdwState;

	if (rinfo->ri_projectReturning != NULL ||
		(rinfo->ri_TrigDesc && (rinfo->ri_TrigDesc->trig_insert_after_row ||
								rinfo->ri_TrigDesc->trig_insert_before_row)))
		return 1;
	return ms ? ms->table->batch_size : GV_DEFAULT_INSERT_BATCH;
}

static char *
gv_row_id(GvModifyState *ms, TupleTableSlot *planSlot)
{
	bool		isnull;
	Datum		d = ExecGetJunkAttribute(planSlot, ms->id_junk, &isnull);

	if (isnull)
		elog(ERROR, "govector: row identity is NULL");
	return TextDatumGetCString(d);
}

static GvResponse *
gv_get_point(GvTable *t, char *id)
{
	Govector__Pb__ColumnSpec **specs = palloc0(sizeof(void *) * (t->natts + 1));
	GvRecordParts parts = {true, true, specs, 0};

	for (int i = 0; i < t->natts; i++)
	{
		if (t->columns[i].kind != GV_COL_MAPPED)
			continue;
		specs[parts.ncolumns] = palloc(sizeof(Govector__Pb__ColumnSpec));
		govector__pb__column_spec__init(specs[parts.ncolumns]);
		specs[parts.ncolumns]->key = t->columns[i].payload_key;
		specs[parts.ncolumns]->type = (char *) gv_map_type_name(t->columns[i].map_type);
		parts.ncolumns++;
	}
	return gv_engine_get(t->collection, &id, 1, &parts);
}

/* Fills slot with the stored point (for RETURNING); false when it does not exist. */
static bool
gv_slot_from_engine(GvTable *t, char *id, TupleTableSlot *slot)
{
	GvResponse *resp = gv_get_point(t, id);
	GvScanState st;
	int			n = 0;

	if (resp->n_records == 0)
		return false;
	memset(&st, 0, sizeof(st));
	st.distance_index = -1;
	st.table = t;
	st.want_vector = st.want_payload = true;
	st.column_attnums = palloc0(sizeof(AttrNumber) * (t->natts + 1));
	st.column_in = palloc0(sizeof(FmgrInfo) * (t->natts + 1));
	st.column_ioparam = palloc0(sizeof(Oid) * (t->natts + 1));
	for (int i = 0; i < t->natts; i++)
	{
		Oid			input;

		if (t->columns[i].kind != GV_COL_MAPPED)
			continue;
		getTypeInputInfo(t->columns[i].type, &input, &st.column_ioparam[n]);
		fmgr_info(input, &st.column_in[n]);
		st.column_attnums[n++] = i + 1;
	}
	st.ncolumns = n;
	gv_fill_slot(&st, resp->records[0], slot);
	return true;
}

static TupleTableSlot *
gvExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	GvModifyState *ms = rinfo->ri_FdwState;
	GvTable    *t = ms->table;
	char	   *id = gv_row_id(ms, planSlot);
	bool		vector_changed = false,
				payload_changed = false;
	List	   *mapped = NIL;
	char	   *keys;
	char	   *payload = NULL;
	ListCell   *lc;

	slot_getallattrs(slot);
	foreach(lc, ms->target_attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		GvColumn   *c = &t->columns[attnum - 1];

		switch (c->kind)
		{
			case GV_COL_ID:
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("govector: a point's id cannot change"),
						 errhint("Delete the point and insert it under the new id.")));
				break;
			case GV_COL_VERSION:
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("govector: the version is set by the engine")));
				break;
			case GV_COL_VECTOR:
				vector_changed = true;
				break;
			case GV_COL_PAYLOAD:
				payload_changed = true;
				break;
			case GV_COL_MAPPED:
				mapped = lappend_int(mapped, attnum);
				break;
			default:
				break;
		}
	}
	/*
	 * An UPDATE is one engine write, so that one the engine refuses (a vector of the wrong dimension, a
	 * payload that is not an object) changes nothing. What Postgres refuses is refused before it.
	 */
	if (payload_changed && slot->tts_isnull[t->payload_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("govector: payload cannot be NULL"),
				 errhint("Set it to '{}' to clear it.")));
	if (vector_changed && slot->tts_isnull[t->vector_attnum - 1])
		ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION), errmsg("govector: point %s needs a vector", id)));
	keys = mapped ? gv_row_payload(t, slot, mapped) : "{}";
	if (payload_changed)
		payload = gv_merge_payload(slot->tts_values[t->payload_attnum - 1], keys);
	if (vector_changed)
	{
		/* One upsert replaces the vector and, when it changes, the payload with it. */
		Govector__Pb__PointInput p = GOVECTOR__PB__POINT_INPUT__INIT;
		Govector__Pb__PointInput *pp = &p;

		p.id = id;
		p.vector = gv_vector_from_array(DatumGetArrayTypeP(slot->tts_values[t->vector_attnum - 1]), "vector",
										&p.n_vector);
		if (payload_changed)
			p.payload_json = payload;
		else if (mapped != NIL)
		{
			/*
			 * Mapped columns set their keys in the stored payload, as gv_set_payload merges them: merged
			 * here, so that the upsert carries the whole new payload.
			 */
			GvResponse *stored = gv_get_point(t, id);

			if (stored->n_records == 0)
				return NULL;	/* deleted since it was read */
			p.payload_json = gv_merge_payload(gv_jsonb_datum(stored->records[0]->payload_json), keys);
		}
		else
			p.keep_payload = true;
		(void) gv_upsert_points(t, &pp, 1);
	}
	else if (payload_changed || mapped != NIL)
	{
		(void) gv_engine_set_payload(t->collection, &id, 1, payload_changed ? payload : keys, payload_changed);
		gv_note_write();
	}
	if (ms->has_returning)
		(void) gv_slot_from_engine(t, id, slot);
	return slot;
}

static TupleTableSlot *
gvExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	GvModifyState *ms = rinfo->ri_FdwState;
	char	   *id = gv_row_id(ms, planSlot);

	if (ms->has_returning && !gv_slot_from_engine(ms->table, id, slot))
		return NULL;
	if (gv_engine_delete(ms->table->collection, &id, 1, NULL) == 0)
		return NULL;			/* already gone */
	gv_note_write();
	return slot;
}

static void
gvEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	GvModifyState *ms = rinfo->ri_FdwState;

	if (ms)
		gv_flush_inserts(ms);
}

static void
gvBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	(void) gv_modify_state(rinfo, CMD_INSERT, NIL, rinfo->ri_projectReturning != NULL);
}

static void
gvEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	gvEndForeignModify(estate, rinfo);
}

/* ---------------------------------------------------------------------------------------------------------
 * DELETE pushed down whole: one engine call deletes what the filter matches.
 */

static bool
gvPlanDirectModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index)
{
	Plan	   *subplan = outerPlan(plan);
	ForeignScan *fs;

	if (plan->operation != CMD_DELETE || (plan->returningLists != NIL &&
										  list_nth(plan->returningLists, subplan_index) != NIL))
		return false;
	if (subplan != NULL && IsA(subplan, Result) && subplan->qual == NIL && outerPlan(subplan) != NULL)
		subplan = outerPlan(subplan);
	if (subplan == NULL || !IsA(subplan, ForeignScan))
		return false;
	fs = (ForeignScan *) subplan;
	if (fs->scan.scanrelid != resultRelation || fs->scan.plan.qual != NIL ||
		intVal(list_nth(fs->fdw_private, GV_PRIV_ORDER_OP)) != GV_OP_NONE)
		return false;
	fs->operation = CMD_DELETE;
	fs->resultRelation = resultRelation;
	return true;
}

typedef struct GvDirectState
{
	GvScanState scan;
	bool		done;
} GvDirectState;

static void
gvBeginDirectModify(ForeignScanState *node, int eflags)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	GvDirectState *ds = palloc0(sizeof(GvDirectState));
	int			n = list_length(fs->fdw_exprs);

	node->fdw_state = ds;
	ds->scan.collection = strVal(list_nth(fs->fdw_private, GV_PRIV_COLLECTION));
	ds->scan.filter = list_nth(fs->fdw_private, GV_PRIV_FILTER);
	ds->scan.value_exprs = fs->fdw_exprs;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	ds->scan.value_states = ExecInitExprList(fs->fdw_exprs, (PlanState *) node);
	ds->scan.values = palloc0(sizeof(Datum) * (n + 1));
	ds->scan.nulls = palloc0(sizeof(bool) * (n + 1));
}

static TupleTableSlot *
gvIterateDirectModify(ForeignScanState *node)
{
	GvDirectState *ds = node->fdw_state;
	EState	   *estate = node->ss.ps.state;

	if (!ds->done)
	{
		ExprContext *econtext = node->ss.ps.ps_ExprContext;
		StringInfoData f;
		int			i = 0;
		ListCell   *lc;

		foreach(lc, ds->scan.value_states)
		{
			ds->scan.values[i] = ExecEvalExpr(lfirst(lc), econtext, &ds->scan.nulls[i]);
			i++;
		}
		initStringInfo(&f);
		gv_render_filter(&f, ds->scan.filter, ds->scan.value_exprs, ds->scan.values, ds->scan.nulls);
		estate->es_processed += gv_engine_delete(ds->scan.collection, NULL, 0, f.data);
		gv_note_write();
		ds->done = true;
	}
	return ExecClearTuple(node->ss.ss_ScanTupleSlot);
}

static void
gvEndDirectModify(ForeignScanState *node)
{
}

static void
gvExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;

	ExplainPropertyText("Engine Collection", strVal(list_nth(fs->fdw_private, GV_PRIV_COLLECTION)), es);
	ExplainPropertyText("Engine Delete", "every point the filter matches, in one call", es);
	gv_explain_filter(list_nth(fs->fdw_private, GV_PRIV_FILTER), fs->fdw_exprs, es);
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
