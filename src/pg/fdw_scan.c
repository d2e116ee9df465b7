/*
 * Scans of a govector foreign table: a scroll through the points the filter matches, in id order, or for
 * ORDER BY vector <op> value an engine search, widened batch by batch while the query reads on. Also the
 * reading of one whole point into a slot, for RETURNING.
 */
#include "postgres.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "fdw.h"
#include "govector_pg.h"

typedef struct GvScanState
{
	GvTable    *table;
	char	   *collection;
	List	   *filter;
	GvFilterValues fv;
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

/* ---------------------------------------------------------------------------------------------------------
 * Filter values
 */

void
gv_filter_values_init(GvFilterValues *fv, ForeignScanState *node)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	int			n = list_length(fs->fdw_exprs);

	fv->exprs = fs->fdw_exprs;
	fv->states = ExecInitExprList(fs->fdw_exprs, (PlanState *) node);
	fv->values = palloc0(sizeof(Datum) * (n + 1));
	fv->nulls = palloc0(sizeof(bool) * (n + 1));
}

char *
gv_filter_values_render(GvFilterValues *fv, List *filter, ExprContext *econtext)
{
	StringInfoData f;
	int			i = 0;
	ListCell   *lc;

	foreach(lc, fv->states)
	{
		fv->values[i] = ExecEvalExpr(lfirst(lc), econtext, &fv->nulls[i]);
		i++;
	}
	initStringInfo(&f);
	gv_render_filter(&f, filter, fv->exprs, fv->values, fv->nulls);
	return f.data;
}

/* ---------------------------------------------------------------------------------------------------------
 * Scans
 */

static void
gv_scan_start(ForeignScanState *node, GvScanState *st)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_query_memory);

	st->started = true;
	st->filter_json = gv_filter_values_render(&st->fv, st->filter, econtext);
	st->search = false;
	if (st->op != GV_OP_NONE && !st->fv.nulls[st->order_value])
	{
		/* ORDER BY vector <op> NULL sorts nothing: then any order is right, and a scroll does. */
		Expr	   *e = list_nth(st->fv.exprs, st->order_value);
		const float *q = gv_vector_from_datum(st->fv.values[st->order_value], exprType((Node *) e),
											  "query vector", &st->query_dim);

		/* Copied: a real[] value is read in place, and the search outlives this call's memory. */
		st->query = palloc(sizeof(float) * (st->query_dim > 0 ? st->query_dim : 1));
		memcpy(st->query, q, sizeof(float) * st->query_dim);
		st->search = true;
	}
	st->batch = NULL;
	st->next = 0;
	st->done = false;
	if (st->last_id)
		pfree(st->last_id);
	st->last_id = NULL;
	st->fetched = 0;
	st->batch_k = st->limit > 0 ? st->limit : GV_FDW_SEARCH_BATCH;
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

/* Room for up to n mapped columns. */
static void
gv_alloc_columns(GvScanState *st, int n)
{
	st->column_attnums = palloc0(sizeof(AttrNumber) * (n + 1));
	st->column_specs = palloc0(sizeof(void *) * (n + 1));
	st->column_in = palloc0(sizeof(FmgrInfo) * (n + 1));
	st->column_ioparam = palloc0(sizeof(Oid) * (n + 1));
}

/* Adds mapped column attnum to those the scan fetches: its engine column spec and its input function. */
static void
gv_add_column(GvScanState *st, AttrNumber attnum)
{
	GvColumn   *c = &st->table->columns[attnum - 1];
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

/* The parts of each point the scan asks the engine for. */
static GvRecordParts
gv_scan_parts(GvScanState *st)
{
	GvRecordParts parts = {st->want_payload, st->want_vector, st->column_specs, (size_t) st->ncolumns};

	return parts;
}

void
gvBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	GvScanState *st = palloc0(sizeof(GvScanState));
	List	   *attrs;
	ListCell   *lc;

	node->fdw_state = st;
	st->table = gv_fdw_table(RelationGetRelid(node->ss.ss_currentRelation));
	st->collection = strVal(list_nth(fs->fdw_private, GV_PRIV_COLLECTION));
	st->filter = list_nth(fs->fdw_private, GV_PRIV_FILTER);
	st->op = intVal(list_nth(fs->fdw_private, GV_PRIV_ORDER_OP));
	st->order_value = intVal(list_nth(fs->fdw_private, GV_PRIV_ORDER_VALUE));
	st->limit = intVal(list_nth(fs->fdw_private, GV_PRIV_LIMIT));
	attrs = list_nth(fs->fdw_private, GV_PRIV_ATTRS);
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	gv_filter_values_init(&st->fv, node);
	gv_alloc_columns(st, list_length(attrs));
	st->distance_index = -1;
	if (fs->fdw_scan_tlist != NIL)
		gv_scan_layout(fs, st);
	foreach(lc, attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		GvColumnKind kind = st->table->columns[attnum - 1].kind;

		/* In the scan tuple of an ordered search, only what the plan reads is fetched. */
		if (st->slot_index && st->slot_index[attnum - 1] < 0)
			continue;
		if (kind == GV_COL_VECTOR)
			st->want_vector = true;
		else if (kind == GV_COL_PAYLOAD)
			st->want_payload = true;
		else if (kind == GV_COL_MAPPED)
			gv_add_column(st, attnum);
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
	GvRecordParts parts = gv_scan_parts(st);
	MemoryContext old;

	if (st->done)
		return false;
	MemoryContextReset(st->batch_cxt);
	old = MemoryContextSwitchTo(st->batch_cxt);
	if (st->search)
	{
		GvSearchQuery q = {0};

		if (st->fetched >= GV_MAX_OFFSET)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("govector: an ordered scan of a foreign table returns at most %d rows",
							GV_MAX_OFFSET),
					 errhint("Add a LIMIT, or filter first.")));
		q.vector = st->query;
		q.dim = st->query_dim;
		q.k = (uint32) Min(st->batch_k, GV_MAX_K);
		q.offset = (uint32) st->fetched;
		q.filter_json = st->filter_json;
		q.ef = (uint32) gv_ef_search;
		st->batch = gv_engine_search(st->collection, &q, &parts);
		st->fetched += (int) st->batch->n_records;
		if (st->batch->n_records < q.k)
			st->done = true;
		/* Asked for more than the LIMIT promised (local conditions dropped rows): widen the next batch. */
		st->batch_k = Min(st->batch_k * 4, GV_MAX_K);
	}
	else
	{
		st->batch = gv_engine_scroll(st->collection, st->filter_json, GV_FDW_SCROLL_BATCH, st->last_id, &parts);
		if (st->batch->n_records < GV_FDW_SCROLL_BATCH)
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
		slot->tts_values[k] = gv_vector_datum_typed(rec->vector, rec->n_vector, t->vector_type, t->vector_typmod);
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

TupleTableSlot *
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

void
gvReScanForeignScan(ForeignScanState *node)
{
	GvScanState *st = node->fdw_state;

	/* Parameters may have changed: evaluate them again at the next fetch. */
	st->started = false;
}

void
gvEndForeignScan(ForeignScanState *node)
{
}

void
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
									 gv_distance_op_metric(op), limit > 0 ? limit : GV_FDW_SEARCH_BATCH,
									 gv_ef_search > 0 ? psprintf("%d", gv_ef_search) : "collection default"),
							es);
	}
	else
		ExplainPropertyText("Engine Scroll", "points in id order", es);
	gv_explain_filter(list_nth(fs->fdw_private, GV_PRIV_FILTER), fs->fdw_exprs, es);
}

/* ---------------------------------------------------------------------------------------------------------
 * One whole point
 */

/* Reads whole rows: every part of a point and every mapped column, each where its attnum says. */
static void
gv_whole_row_state(GvScanState *st, GvTable *t)
{
	memset(st, 0, sizeof(*st));
	st->table = t;
	st->distance_index = -1;
	st->want_vector = st->want_payload = true;
	gv_alloc_columns(st, t->natts);
	for (int i = 0; i < t->natts; i++)
		if (t->columns[i].kind == GV_COL_MAPPED)
			gv_add_column(st, i + 1);
}

static Govector__Pb__Record *
gv_get_whole_row(GvScanState *st, char *id)
{
	GvRecordParts parts = gv_scan_parts(st);
	GvResponse *resp = gv_engine_get(st->table->collection, &id, 1, &parts);

	return resp->n_records > 0 ? resp->records[0] : NULL;
}

Govector__Pb__Record *
gv_get_point(GvTable *t, char *id)
{
	GvScanState st;

	gv_whole_row_state(&st, t);
	return gv_get_whole_row(&st, id);
}

bool
gv_slot_from_engine(GvTable *t, char *id, TupleTableSlot *slot)
{
	GvScanState st;
	Govector__Pb__Record *rec;

	gv_whole_row_state(&st, t);
	rec = gv_get_whole_row(&st, id);
	if (rec == NULL)
		return false;
	gv_fill_slot(&st, rec, slot);
	return true;
}
