/*
 * Vector writes in Postgres's WAL (ARCHITECTURE.md, decision 8): the backend side.
 *
 * A write made through Postgres goes to the engine first as a *tentative* write: the engine validates it,
 * reserves its version and records its effect in this transaction's overlay, so the transaction sees its own
 * writes and nobody else does. Only then is the write logged, as a record of govector's custom WAL resource
 * manager, inside the writing (sub)transaction, which therefore has an xid. Nothing changes in the engine's
 * committed state here: the WAL apply worker (apply.c) replays the write once the transaction's commit record
 * is in WAL, in commit order. A ROLLBACK, a rolled-back savepoint or a failed statement leaves a record that is
 * never applied, and an overlay that the engine discards.
 *
 * At COMMIT the backend waits (govector.commit_wait) until the apply worker has processed WAL past its commit
 * record, so every session's searches see the writes once COMMIT returns.
 *
 * Record layout (info GV_WAL_WRITE): a GvWalHeader, then the write's packed pb::Request (its namespace_id set,
 * no TxnContext). A large upsert is logged as several records of at most GV_WAL_CHUNK_BYTES each, all with the
 * version the engine reserved for the whole batch.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xloginsert.h"
#include "access/xlogreader.h"
#include "access/xlogrecovery.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "replication/slot.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/pmsignal.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "govector_pg.h"

/* Points per WAL record of an upsert, at most: keeps records far below the reader's 1 GB limit. */
#define GV_WAL_CHUNK_BYTES (4 * 1024 * 1024)

int			gv_wal_rmgr_id = GV_DEFAULT_RMGR_ID;
bool		gv_commit_wait = true;

GvShared   *gv_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* This backend's transaction, as the engine knows it. */
static uint64 gv_txn_token = 0;		/* 0: no write in this transaction yet */
static uint64 gv_txn_logged_bytes = 0;	/* of this transaction's govector records */
static bool gv_txn_engine_knows = false;	/* a request of this transaction reached the engine */
static bool gv_txn_reconnected = false;
static SubTransactionId *gv_aborted = NULL;	/* rolled back since the last request */
static int	gv_naborted = 0;
static int	gv_aborted_cap = 0;

/* ---------------------------------------------------------------------------------------------------------
 * The resource manager. Redo does nothing: Postgres's own recovery has no pages of ours to restore; the apply
 * worker reads these records from WAL and hands committed ones to the engine.
 */

static const char *
gv_op_name(int op_case)
{
	switch (op_case)
	{
		case GOVECTOR__PB__REQUEST__OP_CREATE_COLLECTION:
			return "CREATE_COLLECTION";
		case GOVECTOR__PB__REQUEST__OP_DROP_COLLECTION:
			return "DROP_COLLECTION";
		case GOVECTOR__PB__REQUEST__OP_CREATE_PAYLOAD_INDEX:
			return "CREATE_PAYLOAD_INDEX";
		case GOVECTOR__PB__REQUEST__OP_UPSERT:
			return "UPSERT";
		case GOVECTOR__PB__REQUEST__OP_DELETE:
			return "DELETE";
		case GOVECTOR__PB__REQUEST__OP_SET_PAYLOAD:
			return "SET_PAYLOAD";
		case GOVECTOR__PB__REQUEST__OP_DELETE_PAYLOAD:
			return "DELETE_PAYLOAD";
		default:
			return "UNKNOWN";
	}
}

bool
gv_is_write_op(int op_case)
{
	return strcmp(gv_op_name(op_case), "UNKNOWN") != 0;
}

static void
gv_rm_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	if (info != GV_WAL_WRITE)
		elog(PANIC, "govector: unknown WAL record type %u", info);
}

static void
gv_rm_desc(StringInfo buf, XLogReaderState *record)
{
	const GvWalHeader *h = (const GvWalHeader *) XLogRecGetData(record);
	GvRequest  *r;

	if (XLogRecGetDataLen(record) < sizeof(GvWalHeader))
	{
		appendStringInfoString(buf, "truncated");
		return;
	}
	appendStringInfo(buf, "top_xid %u version " UINT64_FORMAT, h->top_xid, h->version);
	r = govector__pb__request__unpack(NULL, XLogRecGetDataLen(record) - sizeof(GvWalHeader),
									  (const uint8 *) XLogRecGetData(record) + sizeof(GvWalHeader));
	if (r == NULL)
	{
		appendStringInfoString(buf, " (undecodable request)");
		return;
	}
	appendStringInfo(buf, " db %u %s", r->namespace_id, gv_op_name(r->op_case));
	if (r->op_case == GOVECTOR__PB__REQUEST__OP_UPSERT)
		appendStringInfo(buf, " \"%s\" %zu points", r->upsert->collection, r->upsert->n_points);
	govector__pb__request__free_unpacked(r, NULL);
}

static const char *
gv_rm_identify(uint8 info)
{
	return (info & ~XLR_INFO_MASK) == GV_WAL_WRITE ? "WRITE" : NULL;
}

/* As redo begins, in the startup process: a server restored from a base backup keeps WAL for the engine. */
static void
gv_rm_startup(void)
{
	gv_backup_redo_start();
}

static RmgrData gv_rmgr = {
	.rm_name = "govector",
	.rm_redo = gv_rm_redo,
	.rm_startup = gv_rm_startup,
	.rm_desc = gv_rm_desc,
	.rm_identify = gv_rm_identify,
};

/* ---------------------------------------------------------------------------------------------------------
 * Shared memory: how far the apply worker has processed WAL, and its latch.
 */

static void
gv_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(GvShared)));
}

static void
gv_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	gv_shared = ShmemInitStruct("govector", sizeof(GvShared), &found);
	if (!found)
	{
		memset(gv_shared, 0, sizeof(GvShared));
		pg_atomic_init_u64(&gv_shared->processed_lsn, InvalidXLogRecPtr);
		pg_atomic_init_u64(&gv_shared->applied_lsn, InvalidXLogRecPtr);
		pg_atomic_init_u32(&gv_shared->apply_procno, (uint32) -1);
		pg_atomic_init_u32(&gv_shared->refused, 0);
		ConditionVariableInit(&gv_shared->applied_cv);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init while shared_preload_libraries is processed. */
void
gv_wal_init(void)
{
	RegisterCustomRmgr((RmgrId) gv_wal_rmgr_id, &gv_rmgr);
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = gv_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = gv_shmem_startup;
}

void
gv_wake_apply_worker(void)
{
	uint32		procno = pg_atomic_read_u32(&gv_shared->apply_procno);

	if (procno != (uint32) -1)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

/*
 * The WAL side of gv_engine_status(), as a JSON object: how far the apply worker has got, and how much WAL the
 * slot keeps for the engine.
 */
char *
gv_wal_status_json(void)
{
	StringInfoData buf;
	XLogRecPtr	processed = pg_atomic_read_u64(&gv_shared->processed_lsn);
	XLogRecPtr	applied = pg_atomic_read_u64(&gv_shared->applied_lsn);
	bool		standby = RecoveryInProgress();
	XLogRecPtr	current = standby ? GetXLogReplayRecPtr(NULL) : GetXLogInsertRecPtr();
	XLogRecPtr	slot_lsn = InvalidXLogRecPtr;
	ReplicationSlot *slot;

	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	slot = SearchNamedReplicationSlot("govector", false);
	if (slot != NULL)
	{
		SpinLockAcquire(&slot->mutex);
		slot_lsn = slot->data.restart_lsn;
		SpinLockRelease(&slot->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);

	initStringInfo(&buf);
	/* On a standby, current_lsn is the replay position (pg_last_wal_replay_lsn()). */
	appendStringInfo(&buf, "{\"in_recovery\": %s, \"current_lsn\": \"%X/%X\", \"processed_lsn\": \"%X/%X\", \"applied_lsn\": \"%X/%X\", "
					 "\"apply_lag_bytes\": " UINT64_FORMAT ", \"apply_worker_running\": %s, ",
					 standby ? "true" : "false", LSN_FORMAT_ARGS(current), LSN_FORMAT_ARGS(processed), LSN_FORMAT_ARGS(applied),
					 (uint64) (current > processed ? current - processed : 0),
					 pg_atomic_read_u32(&gv_shared->apply_procno) != (uint32) -1 ? "true" : "false");
	if (slot_lsn != InvalidXLogRecPtr)
		appendStringInfo(&buf, "\"slot_restart_lsn\": \"%X/%X\", \"retained_wal_bytes\": " UINT64_FORMAT "}",
						 LSN_FORMAT_ARGS(slot_lsn), (uint64) (current > slot_lsn ? current - slot_lsn : 0));
	else
		appendStringInfoString(&buf, "\"slot_restart_lsn\": null, \"retained_wal_bytes\": null}");
	return buf.data;
}

/* ---------------------------------------------------------------------------------------------------------
 * The backend's transaction: the TxnContext every request of a writing transaction carries.
 */

/* The TxnContext for the next request (in the current memory context), or NULL outside a writing transaction. */
Govector__Pb__TxnContext *
gv_txn_context(bool write)
{
	Govector__Pb__TxnContext *t;

	if (write && gv_txn_token == 0)
	{
		gv_txn_token = ((uint64) (uint32) MyProcPid << 32) | (uint64) MyProc->lxid;
		if (gv_txn_token == 0)
			gv_txn_token = 1;
		gv_txn_reconnected = false;
	}
	if (gv_txn_token == 0)
		return NULL;
	gv_txn_check_connection();
	t = palloc(sizeof(*t));
	govector__pb__txn_context__init(t);
	t->token = gv_txn_token;
	t->subxact = GetCurrentSubTransactionId();
	t->tentative = write;
	if (gv_naborted > 0)
	{
		t->n_aborted_subxacts = gv_naborted;
		t->aborted_subxacts = palloc(sizeof(uint32) * gv_naborted);
		for (int i = 0; i < gv_naborted; i++)
			t->aborted_subxacts[i] = gv_aborted[i];
	}
	return t;
}

/* Raises when the connection to the engine was replaced since this transaction's first write. */
void
gv_txn_check_connection(void)
{
	if (gv_txn_reconnected)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("govector: the engine connection was lost during this transaction, which can no longer "
						"see its own uncommitted vector writes"),
				 errhint("Roll back and retry the transaction.")));
}

/* The engine has the transaction's context (and the aborted subtransactions, which need not be sent again). */
void
gv_txn_sent(void)
{
	gv_naborted = 0;
	gv_txn_engine_knows = true;
}

/* A new connection to the engine: an overlay the engine had for this transaction was lost with the old one. */
void
gv_txn_connected(void)
{
	if (gv_txn_engine_knows)
		gv_txn_reconnected = true;
}

static void
gv_txn_reset(void)
{
	gv_txn_token = 0;
	gv_txn_logged_bytes = 0;
	gv_txn_engine_knows = false;
	gv_txn_reconnected = false;
	gv_naborted = 0;
}

/* Logs one record: the header, then the packed request. */
static void
gv_wal_insert(GvRequest *request, uint64 version)
{
	GvWalHeader h;
	size_t		len = govector__pb__request__get_packed_size(request);
	uint8	   *buf = palloc_extended(len > 0 ? len : 1, MCXT_ALLOC_HUGE);

	gv_txn_logged_bytes += len;

	govector__pb__request__pack(request, buf);
	memset(&h, 0, sizeof(h));
	h.format = GV_WAL_FORMAT;
	h.top_xid = GetTopTransactionId();
	h.version = version;
	XLogBeginInsert();
	XLogRegisterData((char *) &h, sizeof(h));
	XLogRegisterData((char *) buf, (uint32) len);
	(void) XLogInsert((RmgrId) gv_wal_rmgr_id, GV_WAL_WRITE);
	pfree(buf);
}

/*
 * Logs a write the engine has accepted tentatively. The request is logged as sent, without its TxnContext; an
 * upsert of many points goes in chunks.
 */
void
gv_wal_log_write(GvRequest *request, uint64 version)
{
	Govector__Pb__TxnContext *txn = request->txn;

	request->txn = NULL;
	if (request->op_case == GOVECTOR__PB__REQUEST__OP_UPSERT &&
		govector__pb__request__get_packed_size(request) > GV_WAL_CHUNK_BYTES)
	{
		Govector__Pb__UpsertRequest *u = request->upsert;
		Govector__Pb__PointInput **all = u->points;
		size_t		total = u->n_points;
		size_t		start = 0;

		while (start < total)
		{
			size_t		bytes = 0;
			size_t		n = 0;

			while (start + n < total && (n == 0 || bytes < GV_WAL_CHUNK_BYTES))
				bytes += govector__pb__point_input__get_packed_size(all[start + n++]) + 8;
			u->points = all + start;
			u->n_points = n;
			gv_wal_insert(request, version);
			start += n;
		}
		u->points = all;
		u->n_points = total;
	}
	else
		gv_wal_insert(request, version);
	request->txn = txn;
}

/*
 * Waits until the apply worker has processed WAL up to lsn (a commit record's end). Runs inside the commit,
 * where interrupts are held and no ERROR may be raised: a cancel or a termination ends the wait with a
 * WARNING (the transaction has committed; its writes will be applied), like synchronous replication's wait.
 */
static void
gv_wait_applied(XLogRecPtr lsn)
{
	if (GetFlushRecPtr(NULL) < lsn)
		XLogFlush(lsn);
	gv_wake_apply_worker();
	ConditionVariablePrepareToSleep(&gv_shared->applied_cv);
	for (;;)
	{
		if (pg_atomic_read_u64(&gv_shared->processed_lsn) >= lsn)
			break;
		if (ProcDiePending || QueryCancelPending)
		{
			QueryCancelPending = false;
			ereport(WARNING,
					(errmsg("govector: stopped waiting for this transaction's vector writes to be applied"),
					 errdetail("The transaction has committed; its vector writes will be visible once the engine "
							   "has applied them.")));
			break;
		}
		if (!PostmasterIsAlive())
			break;
		(void) ConditionVariableTimedSleep(&gv_shared->applied_cv, 1000, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
}

/*
 * The engine drops a transaction's overlay (and its spill file, past 64 MB) at the connection's next request
 * or when the connection closes. After a big transaction the connection is closed at once, so its spill
 * file does not outlive it on an idle connection; the next call connects again. (Closing raises nothing,
 * which a commit callback must not do.)
 */
#define GV_TXN_CLOSE_BYTES (32 * 1024 * 1024)

static void
gv_end_big_txn(void)
{
	if (gv_txn_logged_bytes >= GV_TXN_CLOSE_BYTES)
		gv_disconnect();
}

void
gv_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			if (gv_txn_token != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("govector: cannot PREPARE a transaction that has written to govector collections"),
						 errdetail("Two-phase commit of vector writes is not supported.")));
			break;
		case XACT_EVENT_COMMIT:
			if (gv_txn_token != 0 && gv_commit_wait && XactLastCommitEnd != InvalidXLogRecPtr)
				gv_wait_applied(XactLastCommitEnd);
			gv_end_big_txn();
			gv_txn_reset();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			gv_end_big_txn();
			gv_txn_reset();
			break;
		default:
			break;
	}
}

void
gv_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB || gv_txn_token == 0)
		return;
	if (gv_naborted == gv_aborted_cap)
	{
		gv_aborted_cap = gv_aborted_cap == 0 ? 8 : gv_aborted_cap * 2;
		gv_aborted = gv_aborted == NULL
			? MemoryContextAlloc(TopMemoryContext, sizeof(SubTransactionId) * gv_aborted_cap)
			: repalloc(gv_aborted, sizeof(SubTransactionId) * gv_aborted_cap);
	}
	gv_aborted[gv_naborted++] = mySubid;
}
