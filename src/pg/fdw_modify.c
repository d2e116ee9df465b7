/*
 * Writes to a govector foreign table: INSERT and COPY (gathered into batches of batch_size points when
 * nothing needs each row's result at once), UPDATE (one engine write a row), DELETE, and DELETE pushed
 * down whole (one engine call deletes every point the filter matches).
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/inherit.h"
#include "optimizer/pathnode.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "fdw.h"
#include "utils/guc.h"

#include "govector_pg.h"

#define GV_ROW_ID "govector_id"

/* ---------------------------------------------------------------------------------------------------------
 * Row by row
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

void
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

List *
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

/* Whether each inserted row's result is needed at once: for RETURNING, or for row triggers. */
static bool
gv_insert_needs_each_row(ResultRelInfo *rinfo)
{
	return rinfo->ri_projectReturning != NULL ||
		(rinfo->ri_TrigDesc && (rinfo->ri_TrigDesc->trig_insert_after_row ||
								rinfo->ri_TrigDesc->trig_insert_before_row));
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
	if (operation == CMD_INSERT && !returning && !gv_insert_needs_each_row(rinfo))
		ms->buffer_max = ms->table->batch_size;
	ms->buffer = palloc0(sizeof(void *) * ms->buffer_max);
	ms->buffer_cxt = AllocSetContextCreate(CurrentMemoryContext, "govector insert batch", ALLOCSET_DEFAULT_SIZES);
	rinfo->ri_FdwState = ms;
	return ms;
}

/*
 * A dump carries collections and points in gv_dump's rows. pg_dump --include-foreign-data=govector adds the
 * foreign tables' rows too; restoring them would write the points a second time through the tables: before
 * gv_dump's rows when a table sorts first (its collection does not exist yet), or over the full payload with
 * only the table's columns. So while check_function_bodies is off, as a restore sets it, inserts into a
 * govector foreign table are refused, the same way whatever the order.
 */
static void
gv_refuse_restore_insert(Relation rel)
{
	if (!check_function_bodies)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("govector: no insert into foreign table \"%s\" while check_function_bodies is off, as in "
						"a restore", RelationGetRelationName(rel)),
				 errdetail("A dump carries collections and points in the rows of gv_dump; a dump made with "
						   "--include-foreign-data=govector would write them again through the foreign tables."),
				 errhint("Dump without --include-foreign-data=govector; to insert, set check_function_bodies = on.")));
}

/*
 * Writes through a foreign table need what the write functions need: EXECUTE on gv_upsert to INSERT, COPY or
 * UPDATE, on gv_delete to DELETE (besides the table's own privileges, which Postgres checks). Otherwise any
 * role with USAGE on the server could create a foreign table over any collection and write through it.
 */
static void
gv_check_write_privilege(Relation rel, CmdType op)
{
	const char *fn = op == CMD_DELETE ? "gv_delete(text,text[])" : "gv_upsert(text,text,real[],jsonb)";
	/* The extension's schema: its foreign-data wrapper handler's. */
	ForeignServer *server = GetForeignServer(GetForeignTable(RelationGetRelid(rel))->serverid);
	char	   *sig;

	if (!gv_may_execute(get_func_namespace(GetForeignDataWrapper(server->fdwid)->fdwhandler), fn, &sig))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s collection \"%s\" through foreign table \"%s\"",
						op == CMD_DELETE ? "delete from" : "write to", gv_fdw_table(RelationGetRelid(rel))->collection,
						RelationGetRelationName(rel)),
				 errdetail("Writes through a govector foreign table need EXECUTE on %s, as calling it does.", sig),
				 errhint("GRANT EXECUTE ON FUNCTION %s TO the role.", sig)));
}

void
gvBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
					 int eflags)
{
	GvModifyState *ms;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	gv_check_write_privilege(rinfo->ri_RelationDesc, (CmdType) intVal(linitial(fdw_private)));
	if ((CmdType) intVal(linitial(fdw_private)) == CMD_INSERT)
		gv_refuse_restore_insert(rinfo->ri_RelationDesc);
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
	/* As UPDATE refuses to set it. */
	if (t->version_attnum != 0 && !slot->tts_isnull[t->version_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("govector: the version is set by the engine"),
				 errdetail("Point %s was given a version; leave the version column out of the INSERT, or NULL.",
						   p->id)));
	if (t->vector_attnum == 0 || slot->tts_isnull[t->vector_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("govector: point %s needs a vector", p->id)));
	{
		/* Copied: a buffered point outlives the slot, which the next row overwrites. */
		const float *v = gv_vector_from_datum(slot->tts_values[t->vector_attnum - 1], t->vector_type, "vector",
											  &p->n_vector);

		p->vector = palloc(sizeof(float) * (p->n_vector > 0 ? p->n_vector : 1));
		memcpy(p->vector, v, sizeof(float) * p->n_vector);
	}
	mapped = gv_row_payload(t, slot, NIL);
	if (t->payload_attnum && !slot->tts_isnull[t->payload_attnum - 1])
	{
		Datum		payload = slot->tts_values[t->payload_attnum - 1];

		p->payload_json = strcmp(mapped, "{}") == 0 ? gv_jsonb_text(DatumGetJsonbP(payload))
			: gv_merge_payload(payload, mapped);
	}
	else
		p->payload_json = mapped;
	return p;
}

static uint64
gv_upsert_points(GvTable *t, Govector__Pb__PointInput **points, size_t n)
{
	return gv_engine_upsert(t->collection, points, n);
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

/*
 * The row an INSERT returns: with RETURNING, the point as the engine stored it, which is not the row
 * inserted (the payload with the mapped columns merged in, {} for a NULL payload, mapped columns read
 * back from it, the id as the engine prints it); otherwise the row inserted,
 * with its version.
 */
static void
gv_inserted_row(GvModifyState *ms, char *id, uint64 version, TupleTableSlot *slot)
{
	if (ms->has_returning && gv_slot_from_engine(ms->table, id, slot))
		return;
	gv_set_version(ms->table, slot, version);
}

TupleTableSlot *
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

TupleTableSlot **
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

int
gvGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	GvModifyState *ms = rinfo->ri_FdwState;

	if (gv_insert_needs_each_row(rinfo))
		return 1;
	return ms ? ms->table->batch_size : GV_FDW_DEFAULT_INSERT_BATCH;
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

/* What an UPDATE sets. */
typedef struct GvUpdateTargets
{
	bool		vector;
	bool		payload;
	List	   *mapped;			/* attnums of the mapped columns it sets */
	bool		id;				/* sets the id column: only to the point's own id */
	bool		version;		/* sets the version column: only to the point's current version */
} GvUpdateTargets;

/*
 * Sorts the columns an UPDATE sets. A point's id and version do not change, but an UPDATE may set them to
 * what they are (ORMs set every column of a model they save: Django's save()); checked row by row.
 */
static GvUpdateTargets
gv_update_targets(GvModifyState *ms)
{
	GvUpdateTargets u = {false, false, NIL, false, false};
	ListCell   *lc;

	foreach(lc, ms->target_attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);

		switch (ms->table->columns[attnum - 1].kind)
		{
			case GV_COL_ID:
				u.id = true;
				break;
			case GV_COL_VERSION:
				u.version = true;
				break;
			case GV_COL_VECTOR:
				u.vector = true;
				break;
			case GV_COL_PAYLOAD:
				u.payload = true;
				break;
			case GV_COL_MAPPED:
				u.mapped = lappend_int(u.mapped, attnum);
				break;
			default:
				break;
		}
	}
	return u;
}

/*
 * An UPDATE that sets the vector: one upsert replaces the vector and, when it changes, the payload with
 * it (payload, or the stored payload with the mapped keys set on it). False when the point was deleted
 * since it was read.
 */
static bool
gv_update_vector(GvTable *t, char *id, TupleTableSlot *slot, GvUpdateTargets *u, char *payload, char *keys)
{
	Govector__Pb__PointInput p = GOVECTOR__PB__POINT_INPUT__INIT;
	Govector__Pb__PointInput *pp = &p;

	p.id = id;
	p.vector = gv_vector_from_datum(slot->tts_values[t->vector_attnum - 1], t->vector_type, "vector",
									&p.n_vector);
	if (u->payload)
		p.payload_json = payload;
	else if (u->mapped != NIL)
	{
		/*
		 * Mapped columns set their keys in the stored payload, as gv_set_payload merges them: merged here,
		 * so that the upsert carries the whole new payload.
		 */
		Govector__Pb__Record *stored = gv_get_point(t, id);

		if (stored == NULL)
			return false;
		p.payload_json = gv_merge_payload(gv_jsonb_datum(stored->payload_json), keys);
	}
	else
		p.keep_payload = true;
	(void) gv_upsert_points(t, &pp, 1);
	return true;
}

TupleTableSlot *
gvExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	GvModifyState *ms = rinfo->ri_FdwState;
	GvTable    *t = ms->table;
	char	   *id = gv_row_id(ms, planSlot);
	GvUpdateTargets u;
	char	   *keys;
	char	   *payload = NULL;

	slot_getallattrs(slot);
	u = gv_update_targets(ms);
	if (u.id && (slot->tts_isnull[t->id_attnum - 1] ||
				 strcmp(TextDatumGetCString(slot->tts_values[t->id_attnum - 1]), id) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("govector: a point's id cannot change"),
				 errhint("Delete the point and insert it under the new id.")));
	if (u.version)
	{
		Govector__Pb__Record *stored = gv_get_point(t, id);

		if (stored == NULL)
			return NULL;		/* deleted since it was read */
		if (slot->tts_isnull[t->version_attnum - 1] ||
			DatumGetInt64(slot->tts_values[t->version_attnum - 1]) != (int64) stored->version)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("govector: the version is set by the engine"),
					 errdetail("Point %s has version " UINT64_FORMAT "; an UPDATE may set the version column to "
							   "that value only (as ORMs do), or leave it out.", id, stored->version)));
	}
	/*
	 * An UPDATE is one engine write, so that one the engine refuses (a vector of the wrong dimension, a
	 * payload that is not an object) changes nothing. What Postgres refuses is refused before it.
	 */
	if (u.payload && slot->tts_isnull[t->payload_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("govector: payload cannot be NULL"),
				 errhint("Set it to '{}' to clear it.")));
	if (u.vector && slot->tts_isnull[t->vector_attnum - 1])
		ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION), errmsg("govector: point %s needs a vector", id)));
	keys = u.mapped ? gv_row_payload(t, slot, u.mapped) : "{}";
	if (u.payload)
		payload = gv_merge_payload(slot->tts_values[t->payload_attnum - 1], keys);
	if (u.vector)
	{
		if (!gv_update_vector(t, id, slot, &u, payload, keys))
			return NULL;		/* deleted since it was read */
	}
	else if (u.payload || u.mapped != NIL)
		(void) gv_engine_set_payload(t->collection, &id, 1, u.payload ? payload : keys, u.payload);
	if (ms->has_returning)
		(void) gv_slot_from_engine(t, id, slot);
	return slot;
}

TupleTableSlot *
gvExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	GvModifyState *ms = rinfo->ri_FdwState;
	char	   *id = gv_row_id(ms, planSlot);

	if (ms->has_returning && !gv_slot_from_engine(ms->table, id, slot))
		return NULL;
	if (gv_engine_delete(ms->table->collection, &id, 1, NULL) == 0)
		return NULL;			/* already gone */
	return slot;
}

void
gvEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	GvModifyState *ms = rinfo->ri_FdwState;

	if (ms)
		gv_flush_inserts(ms);
}

void
gvBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	gv_check_write_privilege(rinfo->ri_RelationDesc, CMD_INSERT);
	gv_refuse_restore_insert(rinfo->ri_RelationDesc);
	(void) gv_modify_state(rinfo, CMD_INSERT, NIL, rinfo->ri_projectReturning != NULL);
}

void
gvEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	gvEndForeignModify(estate, rinfo);
}

/* ---------------------------------------------------------------------------------------------------------
 * DELETE pushed down whole: one engine call deletes what the filter matches.
 */

bool
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
	char	   *collection;
	List	   *filter;
	GvFilterValues fv;
	bool		done;
} GvDirectState;

void
gvBeginDirectModify(ForeignScanState *node, int eflags)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	GvDirectState *ds = palloc0(sizeof(GvDirectState));

	node->fdw_state = ds;
	ds->collection = strVal(list_nth(fs->fdw_private, GV_PRIV_COLLECTION));
	ds->filter = list_nth(fs->fdw_private, GV_PRIV_FILTER);
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	/* Only DELETE is done directly. */
	gv_check_write_privilege(node->ss.ss_currentRelation, CMD_DELETE);
	gv_filter_values_init(&ds->fv, node);
}

TupleTableSlot *
gvIterateDirectModify(ForeignScanState *node)
{
	GvDirectState *ds = node->fdw_state;
	EState	   *estate = node->ss.ps.state;

	if (!ds->done)
	{
		char	   *filter = gv_filter_values_render(&ds->fv, ds->filter, node->ss.ps.ps_ExprContext);

		estate->es_processed += gv_engine_delete(ds->collection, NULL, 0, filter);
		ds->done = true;
	}
	return ExecClearTuple(node->ss.ss_ScanTupleSlot);
}

void
gvEndDirectModify(ForeignScanState *node)
{
}

void
gvExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;

	ExplainPropertyText("Engine Collection", strVal(list_nth(fs->fdw_private, GV_PRIV_COLLECTION)), es);
	ExplainPropertyText("Engine Delete", "every point the filter matches, in one call", es);
	gv_explain_filter(list_nth(fs->fdw_private, GV_PRIV_FILTER), fs->fdw_exprs, es);
}
