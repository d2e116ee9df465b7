/*
 * gv_dump: the table through which pg_dump and pg_restore carry this database's collections and points.
 *
 * gv_dump is an extension configuration table (pg_extension_config_dump), so pg_dump writes its rows in
 * every dump, as `COPY gv_dump ... FROM stdin`, and a restore copies them back in. Its storage is the
 * engine, not a heap: this file is its table access method (govector_dump).
 *
 *   - A scan (SELECT, COPY TO, pg_dump) reads the engine: for each collection of the database, one
 *     definition row (collection, definition; id, vector and payload NULL) and then one row per point
 *     (collection, id, vector, payload; definition NULL), in id order. What the scan sees is what gv_scroll
 *     sees: the committed collections, and the transaction's own writes.
 *   - An insert (INSERT, COPY FROM, a restore) writes to the engine as the gv_* functions do, inside the
 *     transaction, through WAL: a definition row creates the collection and its payload indexes, a point
 *     row upserts the point. A dump is restored in the order it was written, so each collection exists
 *     before its points arrive, also with `pg_restore -j` (one table, one COPY).
 *   - UPDATE, DELETE, TRUNCATE, row locks, indexes and sample scans are refused (0A000): the gv_* functions
 *     and the foreign tables change collections.
 *
 * The definition is JSON: {"dimension", "distance", "index", "m", "ef_construct", "ef", "quantization",
 * "payload_indexes": [{"field", "type"}]}, as gv_collection_info names them. A key a restore does not know
 * is refused, never ignored.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/multixact.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "catalog/storage.h"
#include "commands/extension.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "govector_pg.h"

#define GV_DUMP_PAGE 256		/* points a scan asks the engine for at once */
#define GV_DUMP_BATCH 256		/* points an insert sends at once */

enum
{
	GV_DUMP_COLLECTION,
	GV_DUMP_DEFINITION,
	GV_DUMP_ID,
	GV_DUMP_VECTOR,
	GV_DUMP_PAYLOAD,
	GV_DUMP_NATTS
};

static const Oid gv_dump_types[GV_DUMP_NATTS] = {TEXTOID, JSONBOID, TEXTOID, FLOAT4ARRAYOID, JSONBOID};

static void
gv_dump_refuse(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("govector: gv_dump does not support %s", what),
			 errhint("gv_dump only carries collections through pg_dump and pg_restore; change them with the "
					 "gv_* functions or a foreign table.")));
}

/* The table must have gv_dump's columns: someone may have altered it. */
static void
gv_dump_check_columns(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			live = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (a->attisdropped)
			continue;
		if (i >= GV_DUMP_NATTS || a->atttypid != gv_dump_types[i])
			break;
		live++;
	}
	if (live != GV_DUMP_NATTS || desc->natts != GV_DUMP_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("govector: table \"%s\" does not have gv_dump's columns", RelationGetRelationName(rel)),
				 errdetail("The columns must be (collection text, definition jsonb, id text, vector real[], "
						   "payload jsonb).")));
}

/* ---------------------------------------------------------------------------------------------------------
 * Definitions
 */

static JsonbValue *
gv_json_key(JsonbContainer *c, const char *key)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), NULL);
}

static char *
gv_json_string(JsonbValue *v, const char *key)
{
	if (v == NULL || v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("govector: the collection definition's \"%s\" must be a string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static uint32
gv_json_uint(JsonbValue *v, const char *key)
{
	char	   *text;
	char	   *end;
	unsigned long n;

	if (v == NULL || v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("govector: the collection definition's \"%s\" must be a number", key)));
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	n = strtoul(text, &end, 10);
	if (text[0] == '-' || *end != '\0' || errno != 0 || n > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("govector: the collection definition's \"%s\" must be a non-negative integer, not %s",
						key, text)));
	return (uint32) n;
}

/* The definition row of a collection, from what the engine says of it. */
static Datum
gv_dump_definition(const char *collection)
{
	Jsonb	   *info = DatumGetJsonbP(gv_jsonb_datum(gv_engine_collection_info(collection)));
	static const char *const numbers[] = {"dimension", "m", "ef_construct", "ef"};
	static const char *const names[] = {"distance", "index", "quantization"};
	JsonbValue *indexes;
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	for (int i = 0; i < lengthof(numbers); i++)
		appendStringInfo(&out, "%s\"%s\": %u", i ? ", " : "", numbers[i],
						 gv_json_uint(gv_json_key(&info->root, numbers[i]), numbers[i]));
	for (int i = 0; i < lengthof(names); i++)
	{
		appendStringInfo(&out, ", \"%s\": ", names[i]);
		escape_json(&out, gv_json_string(gv_json_key(&info->root, names[i]), names[i]));
	}
	appendStringInfoString(&out, ", \"payload_indexes\": [");
	indexes = gv_json_key(&info->root, "payload_indexes");
	if (indexes != NULL && indexes->type == jbvBinary)
	{
		int			n = JsonContainerSize(indexes->val.binary.data);

		for (int i = 0; i < n; i++)
		{
			JsonbValue *pi = getIthJsonbValueFromContainer(indexes->val.binary.data, i);

			if (pi == NULL || pi->type != jbvBinary)
				elog(ERROR, "govector: the engine described a payload index of \"%s\" that is not an object",
					 collection);
			appendStringInfoString(&out, i ? ", {\"field\": " : "{\"field\": ");
			escape_json(&out, gv_json_string(gv_json_key(pi->val.binary.data, "field"), "field"));
			appendStringInfoString(&out, ", \"type\": ");
			escape_json(&out, gv_json_string(gv_json_key(pi->val.binary.data, "type"), "type"));
			appendStringInfoChar(&out, '}');
		}
	}
	appendStringInfoString(&out, "]}");
	return gv_jsonb_datum(out.data);
}

/* Creates a collection, and then its payload indexes, from its definition row. */
static void
gv_dump_create(const char *collection, Jsonb *def)
{
	uint32		dimension = 0,
				m = 0,
				ef_construct = 0,
				ef = 0;
	bool		has_dimension = false;
	char	   *distance = "cosine";
	char	   *index = "hnsw";
	char	   *quantization = "none";
	JsonbValue *indexes = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(def))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("govector: the definition of collection \"%s\" must be a JSON object", collection)));
	it = JsonbIteratorInit(&def->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		if (strcmp(key, "dimension") == 0)
		{
			dimension = gv_json_uint(&v, key);
			has_dimension = true;
		}
		else if (strcmp(key, "m") == 0)
			m = gv_json_uint(&v, key);
		else if (strcmp(key, "ef_construct") == 0)
			ef_construct = gv_json_uint(&v, key);
		else if (strcmp(key, "ef") == 0)
			ef = gv_json_uint(&v, key);
		else if (strcmp(key, "distance") == 0)
			distance = gv_json_string(&v, key);
		else if (strcmp(key, "index") == 0)
			index = gv_json_string(&v, key);
		else if (strcmp(key, "quantization") == 0)
			quantization = gv_json_string(&v, key);
		else if (strcmp(key, "payload_indexes") == 0)
		{
			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("govector: the collection definition's \"payload_indexes\" must be an array")));
			indexes = palloc(sizeof(JsonbValue));
			*indexes = v;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("govector: the definition of collection \"%s\" has an unknown setting \"%s\"",
							collection, key),
					 errhint("A dump of a newer govector restores into that version or a later one.")));
	}
	if (!has_dimension)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("govector: the definition of collection \"%s\" has no \"dimension\"", collection)));
	gv_engine_create_collection(collection, dimension, distance, index, m, ef_construct, ef, quantization);
	if (indexes != NULL)
	{
		int			n = JsonContainerSize(indexes->val.binary.data);

		for (int i = 0; i < n; i++)
		{
			JsonbValue *pi = getIthJsonbValueFromContainer(indexes->val.binary.data, i);

			if (pi == NULL || pi->type != jbvBinary || !JsonContainerIsObject(pi->val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("govector: each of the collection definition's \"payload_indexes\" must be an "
								"object with a \"field\" and a \"type\"")));
			gv_engine_create_payload_index(collection,
										   gv_json_string(gv_json_key(pi->val.binary.data, "field"), "field"),
										   gv_json_string(gv_json_key(pi->val.binary.data, "type"), "type"));
		}
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * Scans: the engine's collections, each a definition row and its points.
 */

typedef struct GvDumpScan
{
	TableScanDescData base;
	MemoryContext list_cxt;		/* the list of collections */
	MemoryContext page_cxt;		/* the current page of points */
	MemoryContext row_cxt;		/* the current row */
	bool		started;
	GvResponse *collections;
	size_t		collection;		/* index of the collection being read */
	bool		defined;		/* its definition row has been returned */
	bool		last_page;		/* the page held is its last */
	GvResponse *page;
	size_t		next;			/* next record of the page */
	char	   *after;			/* the id of the last point returned, of this collection */
	uint64		rows;			/* rows returned: the TIDs the rows get */
} GvDumpScan;

static const TupleTableSlotOps *
gv_dump_slot_callbacks(Relation rel)
{
	return &TTSOpsHeapTuple;
}

static TableScanDesc
gv_dump_scan_begin(Relation rel, Snapshot snapshot, int nkeys, struct ScanKeyData *key,
				   ParallelTableScanDesc pscan, uint32 flags)
{
	GvDumpScan *s = palloc0(sizeof(GvDumpScan));

	if (pscan != NULL)
		gv_dump_refuse("parallel scans");
	/* Nothing is asked of the engine yet: ANALYZE begins a scan and reads no row from it. */
	s->base.rs_rd = rel;
	s->base.rs_snapshot = snapshot;
	s->base.rs_nkeys = nkeys;
	s->base.rs_key = key;
	s->base.rs_flags = flags;
	s->list_cxt = AllocSetContextCreate(CurrentMemoryContext, "gv_dump collections", ALLOCSET_SMALL_SIZES);
	s->page_cxt = AllocSetContextCreate(CurrentMemoryContext, "gv_dump page", ALLOCSET_DEFAULT_SIZES);
	s->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "gv_dump row", ALLOCSET_DEFAULT_SIZES);
	return &s->base;
}

static void
gv_dump_scan_end(TableScanDesc scan)
{
	GvDumpScan *s = (GvDumpScan *) scan;

	MemoryContextDelete(s->row_cxt);
	MemoryContextDelete(s->page_cxt);
	MemoryContextDelete(s->list_cxt);
	pfree(s);
}

static void
gv_dump_scan_rescan(TableScanDesc scan, struct ScanKeyData *key, bool set_params, bool allow_strat,
					bool allow_sync, bool allow_pagemode)
{
	GvDumpScan *s = (GvDumpScan *) scan;

	MemoryContextReset(s->row_cxt);
	MemoryContextReset(s->page_cxt);
	MemoryContextReset(s->list_cxt);
	s->started = false;
	s->collections = NULL;
	s->collection = 0;
	s->defined = false;
	s->last_page = false;
	s->page = NULL;
	s->next = 0;
	s->after = NULL;
	s->rows = 0;
}

/* Reads the next page of the current collection's points; false when it has no more. */
static bool
gv_dump_next_page(GvDumpScan *s, const char *collection)
{
	GvRecordParts parts = {.payload = true,.vector = true};
	char	   *after = NULL;
	MemoryContext old;

	if (s->last_page)
		return false;
	if (s->after != NULL)
	{
		after = MemoryContextStrdup(s->list_cxt, s->after);
		s->after = NULL;
	}
	MemoryContextReset(s->page_cxt);
	old = MemoryContextSwitchTo(s->page_cxt);
	s->page = gv_engine_scroll(collection, NULL, GV_DUMP_PAGE, after, &parts);
	MemoryContextSwitchTo(old);
	if (after != NULL)
		pfree(after);
	s->next = 0;
	s->last_page = s->page->n_records < GV_DUMP_PAGE;
	return s->page->n_records > 0;
}

static bool
gv_dump_scan_getnextslot(TableScanDesc scan, ScanDirection direction, TupleTableSlot *slot)
{
	GvDumpScan *s = (GvDumpScan *) scan;
	Datum		values[GV_DUMP_NATTS];
	bool		nulls[GV_DUMP_NATTS];
	MemoryContext old;
	const char *collection;
	HeapTuple	tuple;

	ExecClearTuple(slot);
	MemoryContextReset(s->row_cxt);
	if (!s->started)
	{
		gv_dump_check_columns(scan->rs_rd);
		old = MemoryContextSwitchTo(s->list_cxt);
		s->collections = gv_engine_list_collections();
		MemoryContextSwitchTo(old);
		s->started = true;
	}
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (s->collection >= s->collections->n_collections)
			return false;
		collection = s->collections->collections[s->collection]->name;
		if (!s->defined)
			break;
		if (s->page != NULL && s->next < s->page->n_records)
			break;
		if (gv_dump_next_page(s, collection))
			break;
		/* The next collection. */
		s->collection++;
		s->defined = false;
		s->last_page = false;
		s->page = NULL;
		s->after = NULL;
	}

	old = MemoryContextSwitchTo(s->row_cxt);
	memset(nulls, true, sizeof(nulls));
	values[GV_DUMP_COLLECTION] = CStringGetTextDatum(collection);
	nulls[GV_DUMP_COLLECTION] = false;
	if (!s->defined)
	{
		values[GV_DUMP_DEFINITION] = gv_dump_definition(collection);
		nulls[GV_DUMP_DEFINITION] = false;
		s->defined = true;
	}
	else
	{
		Govector__Pb__Record *r = s->page->records[s->next++];

		values[GV_DUMP_ID] = CStringGetTextDatum(r->id);
		values[GV_DUMP_VECTOR] = gv_vector_datum(r->vector, r->n_vector);
		values[GV_DUMP_PAYLOAD] = gv_jsonb_datum(r->payload_json);
		nulls[GV_DUMP_ID] = nulls[GV_DUMP_VECTOR] = nulls[GV_DUMP_PAYLOAD] = false;
		s->after = r->id;
	}
	tuple = heap_form_tuple(RelationGetDescr(scan->rs_rd), values, nulls);
	MemoryContextSwitchTo(old);

	/* A TID for the row (ctid), so that UPDATE and DELETE reach the AM and are refused there. */
	ItemPointerSet(&tuple->t_self, (BlockNumber) (s->rows / MaxOffsetNumber),
				   (OffsetNumber) (s->rows % MaxOffsetNumber + 1));
	tuple->t_tableOid = RelationGetRelid(scan->rs_rd);
	s->rows++;
	ExecStoreHeapTuple(tuple, slot, false);
	return true;
}

/* ---------------------------------------------------------------------------------------------------------
 * Inserts: definitions create collections, points are upserted, in the order the rows come.
 */

typedef struct GvDumpBatch
{
	char	   *collection;
	size_t		n;
	Govector__Pb__PointInput points[GV_DUMP_BATCH];
	Govector__Pb__PointInput *ptrs[GV_DUMP_BATCH];
} GvDumpBatch;

static void
gv_dump_flush(GvDumpBatch *b)
{
	if (b->n > 0)
		(void) gv_engine_upsert(b->collection, b->ptrs, b->n);
	b->n = 0;
}

static void
gv_dump_write(Relation rel, TupleTableSlot **slots, int nslots)
{
	GvDumpBatch *b;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "gv_dump insert", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	gv_dump_check_columns(rel);
	b = palloc0(sizeof(GvDumpBatch));
	for (int i = 0; i < nslots; i++)
	{
		TupleTableSlot *slot = slots[i];
		char	   *collection;
		Govector__Pb__PointInput *p;

		slot_getallattrs(slot);
		slot->tts_tableOid = RelationGetRelid(rel);
		if (slot->tts_isnull[GV_DUMP_COLLECTION])
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("govector: a gv_dump row needs a collection")));
		collection = TextDatumGetCString(slot->tts_values[GV_DUMP_COLLECTION]);
		if (!slot->tts_isnull[GV_DUMP_DEFINITION])
		{
			if (!slot->tts_isnull[GV_DUMP_ID] || !slot->tts_isnull[GV_DUMP_VECTOR] ||
				!slot->tts_isnull[GV_DUMP_PAYLOAD])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("govector: a gv_dump row with a definition has no id, vector or payload")));
			gv_dump_flush(b);
			gv_dump_create(collection, DatumGetJsonbP(slot->tts_values[GV_DUMP_DEFINITION]));
			continue;
		}
		if (slot->tts_isnull[GV_DUMP_ID] || slot->tts_isnull[GV_DUMP_VECTOR])
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("govector: a gv_dump row has either a definition or an id and a vector")));
		if (b->n == GV_DUMP_BATCH || (b->n > 0 && strcmp(b->collection, collection) != 0))
			gv_dump_flush(b);
		b->collection = collection;
		p = &b->points[b->n];
		govector__pb__point_input__init(p);
		p->id = TextDatumGetCString(slot->tts_values[GV_DUMP_ID]);
		p->vector = gv_vector_from_array(DatumGetArrayTypeP(slot->tts_values[GV_DUMP_VECTOR]), "vector",
										 &p->n_vector);
		p->payload_json = slot->tts_isnull[GV_DUMP_PAYLOAD] ? ""
			: gv_jsonb_text(DatumGetJsonbP(slot->tts_values[GV_DUMP_PAYLOAD]));
		b->ptrs[b->n] = p;
		b->n++;
	}
	gv_dump_flush(b);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

static void
gv_dump_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
					 struct BulkInsertStateData *bistate)
{
	gv_dump_write(rel, &slot, 1);
}

static void
gv_dump_multi_insert(Relation rel, TupleTableSlot **slots, int nslots, CommandId cid, int options,
					 struct BulkInsertStateData *bistate)
{
	gv_dump_write(rel, slots, nslots);
}

/* ---------------------------------------------------------------------------------------------------------
 * Storage: an empty file, so that Postgres's own size and ANALYZE code finds what it expects.
 */

static void
gv_dump_set_new_filenode(Relation rel, const RelFileNode *newrnode, char persistence,
						 TransactionId *freezeXid, MultiXactId *minmulti)
{
	SMgrRelation srel;
	bool		created = RelFileNodeEquals(rel->rd_node, *newrnode);

	/*
	 * A relation is created with its first file node: the extension creates gv_dump, and VACUUM FULL and
	 * CLUSTER build a new relation ("pg_temp_<oid>") to swap in. A new file node for an existing relation
	 * is TRUNCATE.
	 */
	if (!created)
		gv_dump_refuse("TRUNCATE");
	if (!creating_extension && strncmp(RelationGetRelationName(rel), "pg_temp_", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("govector: access method govector_dump is only for govector's gv_dump table")));
	*freezeXid = InvalidTransactionId;
	*minmulti = InvalidMultiXactId;
	srel = RelationCreateStorage(*newrnode, persistence, true);
	smgrclose(srel);
}

static void
gv_dump_nontransactional_truncate(Relation rel)
{
	gv_dump_refuse("TRUNCATE");
}

static void
gv_dump_copy_data(Relation rel, const RelFileNode *newrnode)
{
	gv_dump_refuse("moving to another tablespace");
}

static void
gv_dump_copy_for_cluster(Relation OldTable, Relation NewTable, Relation OldIndex, bool use_sort,
						 TransactionId OldestXmin, TransactionId *xid_cutoff, MultiXactId *multi_cutoff,
						 double *num_tuples, double *tups_vacuumed, double *tups_recently_dead)
{
	/* VACUUM FULL: the rows are in the engine, not in the file; nothing to copy. */
	*num_tuples = 0;
	*tups_vacuumed = 0;
	*tups_recently_dead = 0;
}

static void
gv_dump_vacuum(Relation rel, struct VacuumParams *params, BufferAccessStrategy bstrategy)
{
	/* Nothing to vacuum: the engine reclaims its own space. */
}

static uint64
gv_dump_relation_size(Relation rel, ForkNumber forkNumber)
{
	return 0;
}

static bool
gv_dump_needs_toast_table(Relation rel)
{
	return false;
}

static void
gv_dump_estimate_size(Relation rel, int32 *attr_widths, BlockNumber *pages, double *tuples,
					  double *allvisfrac)
{
	/* Planning does not ask the engine; a dump is read whole. */
	*pages = 100;
	*tuples = 10000;
	*allvisfrac = 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * What gv_dump refuses
 */

static Size
gv_dump_parallelscan_estimate(Relation rel)
{
	gv_dump_refuse("parallel scans");
	return 0;
}

static Size
gv_dump_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan)
{
	gv_dump_refuse("parallel scans");
	return 0;
}

static void
gv_dump_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan)
{
	gv_dump_refuse("parallel scans");
}

static struct IndexFetchTableData *
gv_dump_index_fetch_begin(Relation rel)
{
	gv_dump_refuse("indexes");
	return NULL;
}

static void
gv_dump_index_fetch_reset(struct IndexFetchTableData *data)
{
}

static void
gv_dump_index_fetch_end(struct IndexFetchTableData *data)
{
}

static bool
gv_dump_index_fetch_tuple(struct IndexFetchTableData *scan, ItemPointer tid, Snapshot snapshot,
						  TupleTableSlot *slot, bool *call_again, bool *all_dead)
{
	gv_dump_refuse("indexes");
	return false;
}

static bool
gv_dump_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot)
{
	/* UPDATE fetches the row it changes by its ctid, as a TID scan does. */
	gv_dump_refuse("UPDATE, or fetching a row by its ctid");
	return false;
}

static bool
gv_dump_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	gv_dump_refuse("fetching a row by its ctid");
	return false;
}

static void
gv_dump_get_latest_tid(TableScanDesc scan, ItemPointer tid)
{
	gv_dump_refuse("fetching a row by its ctid");
}

static bool
gv_dump_satisfies_snapshot(Relation rel, TupleTableSlot *slot, Snapshot snapshot)
{
	return true;
}

static TransactionId
gv_dump_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	gv_dump_refuse("indexes");
	return InvalidTransactionId;
}

static void
gv_dump_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
						   struct BulkInsertStateData *bistate, uint32 specToken)
{
	gv_dump_refuse("INSERT ... ON CONFLICT");
}

static void
gv_dump_complete_speculative(Relation rel, TupleTableSlot *slot, uint32 specToken, bool succeeded)
{
	gv_dump_refuse("INSERT ... ON CONFLICT");
}

static TM_Result
gv_dump_tuple_delete(Relation rel, ItemPointer tid, CommandId cid, Snapshot snapshot, Snapshot crosscheck,
					 bool wait, TM_FailureData *tmfd, bool changingPart)
{
	gv_dump_refuse("DELETE");
	return TM_Ok;
}

static TM_Result
gv_dump_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot, CommandId cid, Snapshot snapshot,
					 Snapshot crosscheck, bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
					 bool *update_indexes)
{
	gv_dump_refuse("UPDATE");
	return TM_Ok;
}

static TM_Result
gv_dump_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot, CommandId cid,
				   LockTupleMode mode, LockWaitPolicy wait_policy, uint8 flags, TM_FailureData *tmfd)
{
	gv_dump_refuse("row locks (SELECT ... FOR UPDATE/SHARE)");
	return TM_Ok;
}

static bool
gv_dump_analyze_next_block(TableScanDesc scan, BlockNumber blockno, BufferAccessStrategy bstrategy)
{
	return false;
}

static bool
gv_dump_analyze_next_tuple(TableScanDesc scan, TransactionId OldestXmin, double *liverows, double *deadrows,
						   TupleTableSlot *slot)
{
	return false;
}

static double
gv_dump_index_build_range_scan(Relation table_rel, Relation index_rel, struct IndexInfo *index_info,
							   bool allow_sync, bool anyvisible, bool progress, BlockNumber start_blockno,
							   BlockNumber numblocks, IndexBuildCallback callback, void *callback_state,
							   TableScanDesc scan)
{
	gv_dump_refuse("indexes");
	return 0;
}

static void
gv_dump_index_validate_scan(Relation table_rel, Relation index_rel, struct IndexInfo *index_info,
							Snapshot snapshot, struct ValidateIndexState *state)
{
	gv_dump_refuse("indexes");
}

static bool
gv_dump_sample_next_block(TableScanDesc scan, struct SampleScanState *scanstate)
{
	gv_dump_refuse("TABLESAMPLE");
	return false;
}

static bool
gv_dump_sample_next_tuple(TableScanDesc scan, struct SampleScanState *scanstate, TupleTableSlot *slot)
{
	gv_dump_refuse("TABLESAMPLE");
	return false;
}

static const TableAmRoutine gv_dump_am = {
	.type = T_TableAmRoutine,
	.slot_callbacks = gv_dump_slot_callbacks,
	.scan_begin = gv_dump_scan_begin,
	.scan_end = gv_dump_scan_end,
	.scan_rescan = gv_dump_scan_rescan,
	.scan_getnextslot = gv_dump_scan_getnextslot,
	.parallelscan_estimate = gv_dump_parallelscan_estimate,
	.parallelscan_initialize = gv_dump_parallelscan_initialize,
	.parallelscan_reinitialize = gv_dump_parallelscan_reinitialize,
	.index_fetch_begin = gv_dump_index_fetch_begin,
	.index_fetch_reset = gv_dump_index_fetch_reset,
	.index_fetch_end = gv_dump_index_fetch_end,
	.index_fetch_tuple = gv_dump_index_fetch_tuple,
	.tuple_fetch_row_version = gv_dump_fetch_row_version,
	.tuple_tid_valid = gv_dump_tid_valid,
	.tuple_get_latest_tid = gv_dump_get_latest_tid,
	.tuple_satisfies_snapshot = gv_dump_satisfies_snapshot,
	.index_delete_tuples = gv_dump_index_delete_tuples,
	.tuple_insert = gv_dump_tuple_insert,
	.tuple_insert_speculative = gv_dump_insert_speculative,
	.tuple_complete_speculative = gv_dump_complete_speculative,
	.multi_insert = gv_dump_multi_insert,
	.tuple_delete = gv_dump_tuple_delete,
	.tuple_update = gv_dump_tuple_update,
	.tuple_lock = gv_dump_tuple_lock,
	.relation_set_new_filenode = gv_dump_set_new_filenode,
	.relation_nontransactional_truncate = gv_dump_nontransactional_truncate,
	.relation_copy_data = gv_dump_copy_data,
	.relation_copy_for_cluster = gv_dump_copy_for_cluster,
	.relation_vacuum = gv_dump_vacuum,
	.scan_analyze_next_block = gv_dump_analyze_next_block,
	.scan_analyze_next_tuple = gv_dump_analyze_next_tuple,
	.index_build_range_scan = gv_dump_index_build_range_scan,
	.index_validate_scan = gv_dump_index_validate_scan,
	.relation_size = gv_dump_relation_size,
	.relation_needs_toast_table = gv_dump_needs_toast_table,
	.relation_estimate_size = gv_dump_estimate_size,
	.scan_sample_next_block = gv_dump_sample_next_block,
	.scan_sample_next_tuple = gv_dump_sample_next_tuple,
};

PG_FUNCTION_INFO_V1(gv_dump_am_handler);
Datum
gv_dump_am_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&gv_dump_am);
}
