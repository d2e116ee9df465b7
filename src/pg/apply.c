/*
 * The WAL apply worker: hands the engine each committed transaction's vector writes, in commit order.
 *
 * A background worker reads WAL with Postgres's xlogreader, from the engine's restart position onwards. It
 * keeps govector's records (wal.c) per top-level transaction; at a transaction's commit record it sends them to
 * the engine as apply-mode writes, skipping those of subtransactions that rolled back (a commit record lists
 * the committed subtransactions); an abort record drops them. Transactions that ended without a record (a
 * backend that crashed) are dropped when a running-transactions record shows they are over.
 *
 * Each applied write carries the end of its commit record, its index in the transaction and the position from
 * which reading must restart to see every transaction not yet applied. The engine stamps these in the same
 * LMDB transaction as the write, so after any crash (of the engine, of this worker or of the whole server) the
 * worker resumes from the engine's stamp and the engine skips what it already has: committed state comes back
 * exactly, with no aborted write in it.
 *
 * WAL the engine still needs is kept by a physical replication slot, "govector", which this worker holds and
 * moves forward to the restart position the engine has synced to disk. If the engine is down for long, WAL
 * accumulates in pg_wal (gv_engine_status() and pg_replication_slots show how much).
 *
 * Checkpoints wait for the engine. A checkpoint that starts at redo position R lets Postgres forget WAL
 * before R: a base backup carries WAL from R only, and crash recovery replays from R. So R must not complete
 * while the engine's files still depend on WAL before it. The worker takes part in checkpoints as a backend
 * in a commit does (DELAY_CHKPT_COMPLETE in its PGPROC, under a virtual transaction the checkpointer waits
 * for): when it sees a new redo position, it reads and applies WAL up to it, stamps the engine's restart
 * position past it (when no transaction is open across it), has the engine sync to disk, and only then ends
 * that virtual transaction, releasing the checkpoint. While the engine is down, checkpoints do not wait.
 * When a base backup waits for the checkpoint, the engine first writes a copy of its data for it (backup.c).
 * A checkpoint lists the virtual transactions it waits for once, after it began: the worker's next one, begun
 * right after covering it, may be on that list, so until the checkpoint completes the worker restarts its
 * virtual transaction every few milliseconds (see gv_cycling_redo).
 *
 * Backends waiting in COMMIT (wal.c) watch processed_lsn in shared memory: the end of the last WAL record this
 * worker has fully dealt with.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogreader.h"
#include "access/xlogutils.h"
#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "access/rmgr.h"
#include "common/file_perm.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/slot.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/standbydefs.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "govector_pg.h"

#define GV_SLOT_NAME "govector"
#define GV_APPLY_CALL_MS 600000		/* the longest one apply call may take (a large batch) */
#define GV_APPLY_RETRY_MS 500		/* after a failure, before starting again */
#define GV_ENGINE_WAIT_MS 50		/* while the engine starts, between attempts to reach it */
#define GV_ADVANCE_INTERVAL_MS 1000	/* how often an idle worker moves the restart position */
#define GV_SLOT_INTERVAL_MS 5000	/* how often the slot follows the engine's durable restart position */
#define GV_IDLE_WAIT_MS 100			/* how long an idle worker sleeps before looking at WAL and checkpoints */
#define GV_PROGRESS_WRITES 1000		/* a transaction with this many writes (records) logs its progress,
									 * every tenth of it */

static volatile sig_atomic_t gv_apply_stop = false;
static XLogReaderState *gv_reader = NULL;
static MemoryContext gv_write_cxt = NULL;	/* one applied write's request and answer */

/* The engine's stamp, as of the start of this session, and what has been applied since. */
static XLogRecPtr gv_stamped_commit = InvalidXLogRecPtr;
static bool gv_stamped_done = true;
static XLogRecPtr gv_stamped_restart = InvalidXLogRecPtr;

/* The last checkpoint redo position the engine was made durable past (see the header). */
static XLogRecPtr gv_covered_redo = InvalidXLogRecPtr;
static bool gv_holding_checkpoints = false;

/*
 * After covering the checkpoint at this redo position, until it completes: the worker holds checkpoints
 * again at once (for the next one), under a new virtual transaction; but the checkpoint just covered may
 * have listed that one too, and would then wait for it forever. So until it completes, the worker ends and
 * restarts its virtual transaction every GV_CYCLE_MS, which frees it (it waits only for those it listed).
 */
static XLogRecPtr gv_cycling_redo = InvalidXLogRecPtr;
static TimestampTz gv_last_cycle = 0;
#define GV_CYCLE_MS 10

/* In a server restored from a base backup: where the saved transactions in flight were read up to. */
static XLogRecPtr gv_restore_point = InvalidXLogRecPtr;

static void
gv_apply_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	gv_apply_stop = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* ---------------------------------------------------------------------------------------------------------
 * The slot that keeps the WAL the engine still needs.
 */

static void
gv_acquire_slot_or_raise(XLogRecPtr need)
{
	if (SearchNamedReplicationSlot(GV_SLOT_NAME, true) == NULL)
	{
		ReplicationSlotCreate(GV_SLOT_NAME, false, RS_PERSISTENT, false);
		if (need != InvalidXLogRecPtr)
		{
			/* A restored server: WAL from need is kept for it (backup.c) and must stay. */
			SpinLockAcquire(&MyReplicationSlot->mutex);
			MyReplicationSlot->data.restart_lsn = need;
			SpinLockRelease(&MyReplicationSlot->mutex);
			ReplicationSlotsComputeRequiredLSN();
		}
		else
			ReplicationSlotReserveWal();
		ReplicationSlotMarkDirty();
		ReplicationSlotSave();
		ereport(LOG, (errmsg("govector: created replication slot \"%s\" at %X/%X", GV_SLOT_NAME,
							 LSN_FORMAT_ARGS(MyReplicationSlot->data.restart_lsn))));
	}
	else
		ReplicationSlotAcquire(GV_SLOT_NAME, true);
}

/*
 * Takes the slot (creating it the first time). Without one (replication slots not available, or none free)
 * the worker still applies WAL, but a checkpoint may then remove WAL the engine has not applied: say so.
 */
static void
gv_acquire_slot(XLogRecPtr need)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (max_replication_slots == 0 || wal_level < WAL_LEVEL_REPLICA)
	{
		ereport(WARNING,
				(errmsg("govector: cannot keep the WAL the engine needs: replication slots are not available"),
				 errdetail("govector needs max_replication_slots > 0 and wal_level = replica or logical."),
				 errhint("Without the slot, a checkpoint may remove WAL the engine has not applied yet.")));
		return;
	}
	PG_TRY();
	{
		gv_acquire_slot_or_raise(need);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (MyReplicationSlot != NULL)
			ReplicationSlotRelease();
		ereport(WARNING,
				(errmsg("govector: cannot keep the WAL the engine needs: %s", edata->message),
				 errhint("Free a replication slot (max_replication_slots) and restart the server; until then a "
						 "checkpoint may remove WAL the engine has not applied yet.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

static XLogRecPtr
gv_slot_restart_lsn(void)
{
	XLogRecPtr	lsn;

	if (MyReplicationSlot == NULL)
		return InvalidXLogRecPtr;
	SpinLockAcquire(&MyReplicationSlot->mutex);
	lsn = MyReplicationSlot->data.restart_lsn;
	SpinLockRelease(&MyReplicationSlot->mutex);
	return lsn;
}

/* Lets Postgres recycle WAL before lsn. */
static void
gv_advance_slot(XLogRecPtr lsn)
{
	if (MyReplicationSlot == NULL || lsn == InvalidXLogRecPtr || lsn <= gv_slot_restart_lsn())
		return;
	SpinLockAcquire(&MyReplicationSlot->mutex);
	MyReplicationSlot->data.restart_lsn = lsn;
	SpinLockRelease(&MyReplicationSlot->mutex);
	ReplicationSlotMarkDirty();
	ReplicationSlotSave();
	ReplicationSlotsComputeRequiredLSN();
}

/*
 * A position just past a page header (where a checkpoint that begins at a page boundary, or a slot, starts)
 * moved back to the boundary: where the WAL before it ends.
 */
static XLogRecPtr
gv_before_page_header(XLogRecPtr lsn)
{
	if (XLogSegmentOffset(lsn, wal_segment_size) == SizeOfXLogLongPHD)
		return lsn - SizeOfXLogLongPHD;
	if (lsn % XLOG_BLCKSZ == SizeOfXLogShortPHD)
		return lsn - SizeOfXLogShortPHD;
	return lsn;
}

/* ---------------------------------------------------------------------------------------------------------
 * The engine's apply position.
 */

static Govector__Pb__ApplyState *
gv_get_apply_state(XLogRecPtr advance_to, bool sync)
{
	GvRequest	request = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__GetApplyStateRequest get = GOVECTOR__PB__GET_APPLY_STATE_REQUEST__INIT;
	GvResponse *response;

	get.advance_restart_lsn = advance_to;
	get.sync = sync;
	request.op_case = GOVECTOR__PB__REQUEST__OP_GET_APPLY_STATE;
	request.get_apply_state = &get;
	response = gv_call(&request);
	if (response->apply_state == NULL)
		ereport(ERROR, (errmsg("govector: the engine sent no apply state")));
	return response->apply_state;
}

/*
 * The engine's apply state, after moving its restart position up to next when no transaction is pending
 * (so a restart does not reread WAL nobody needs) and, with sync, after it has synced to disk.
 */
static Govector__Pb__ApplyState *
gv_stamp_restart(XLogRecPtr next, bool sync)
{
	XLogRecPtr	advance = InvalidXLogRecPtr;
	Govector__Pb__ApplyState *state;

	if (gv_pending_count() == 0 && next > gv_stamped_restart)
		advance = next;
	state = gv_get_apply_state(advance, sync);
	if (advance != InvalidXLogRecPtr)
		gv_stamped_restart = advance;
	return state;
}

static void
gv_publish(XLogRecPtr processed)
{
	if (pg_atomic_read_u64(&gv_shared->processed_lsn) < processed)
	{
		pg_atomic_write_u64(&gv_shared->processed_lsn, processed);
		ConditionVariableBroadcast(&gv_shared->applied_cv);
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * Base backups (backup.c).
 */

/* Whether the checkpoint that began at redo has completed (the control file names it). */
static bool
gv_checkpoint_completed(XLogRecPtr redo)
{
	bool		crc_ok;
	ControlFileData *cf = get_controlfile(DataDir, &crc_ok);
	bool		done = crc_ok && cf->checkPointCopy.redo >= redo;

	pfree(cf);
	return done;
}

static void
gv_backup_copy_call(const char *name, bool drop)
{
	GvRequest	request = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__BackupCopyRequest copy = GOVECTOR__PB__BACKUP_COPY_REQUEST__INIT;

	copy.name = (char *) name;
	copy.drop = drop;
	request.op_case = GOVECTOR__PB__REQUEST__OP_BACKUP_COPY;
	request.backup_copy = &copy;
	(void) gv_call(&request);
}

/*
 * A backup waits for the checkpoint at redo, and everything up to `point` is applied: saves the transactions
 * in flight, then has the engine copy its committed state (both as of point) for it.
 */
static void
gv_make_backup_copy(XLogRecPtr redo, XLogRecPtr point)
{
	char		name[GV_BACKUP_NAME_LEN + 1];
	char		pending[MAXPGPATH];
	TimestampTz start = GetCurrentTimestamp();

	gv_backup_name(redo, name);
	gv_backup_pending_path(name, pending);
	if (mkdir(GV_DATA_SUBDIR "/backups", pg_dir_create_mode) != 0 && errno != EEXIST)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create directory \"%s\": %m",
														  GV_DATA_SUBDIR "/backups")));
	gv_pending_save(pending, point);
	gv_backup_copy_call(name, false);
	if (gv_checkpoint_completed(redo))
	{
		/*
		 * The checkpoint did not wait for this worker (it began while the worker was not holding checkpoints),
		 * so the backup may have copied files before the copy was in place: a copy restored from it refuses.
		 */
		gv_backup_copy_call(name, true);
		(void) unlink(pending);
		ereport(WARNING,
				(errmsg("govector: the base backup starting at %X/%X began before the engine's copy of its data "
						"was made; a server restored from it will not serve vectors", LSN_FORMAT_ARGS(redo)),
				 errhint("Take the backup again.")));
		return;
	}
	ereport(LOG,
			(errmsg("govector: copied the engine's data for the base backup starting at %X/%X (%ld ms)",
					LSN_FORMAT_ARGS(redo), (long) TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()))));
}

/* A backup's end record: its copy is no longer needed. */
static void
gv_handle_backup_end(XLogReaderState *r)
{
	XLogRecPtr	start;
	char		name[GV_BACKUP_NAME_LEN + 1];
	char		pending[MAXPGPATH];
	char		restoring[GV_BACKUP_NAME_LEN + 1];

	if (XLogRecGetDataLen(r) < sizeof(XLogRecPtr))
		return;

	memcpy(&start, XLogRecGetData(r), sizeof(start));
	gv_backup_name(start, name);
	/* In a server restored from this backup, its copy goes with the restore marker (worker.c), not here. */
	if (gv_restore_marker_read(restoring) && strcmp(restoring, name) == 0)
		return;
	gv_backup_pending_path(name, pending);
	if (unlink(pending) != 0 && errno != ENOENT)
		ereport(WARNING, (errcode_for_file_access(), errmsg("could not remove file \"%s\": %m", pending)));
	gv_backup_copy_call(name, true);
}

/* ---------------------------------------------------------------------------------------------------------
 * Committed transactions.
 */

static int
gv_xid_cmp(const void *a, const void *b)
{
	TransactionId x = *(const TransactionId *) a;
	TransactionId y = *(const TransactionId *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Sends one committed write to the engine: the record's request as it lies in WAL, with its apply context
 * merged in (gv_call_packed).
 */
static void
gv_apply_write(GvPendingWrite *w, XLogRecPtr commit_end, uint32 seq, bool last, XLogRecPtr restart)
{
	MemoryContext old = MemoryContextSwitchTo(gv_write_cxt);
	GvRequest	extra = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__ApplyContext apply = GOVECTOR__PB__APPLY_CONTEXT__INIT;
	GvResponse *response;

	apply.version = w->version;
	apply.commit_lsn = commit_end;
	apply.seq = seq;
	apply.last = last;
	apply.restart_lsn = restart;
	extra.apply = &apply;
	response = gv_call_packed(w->data, w->len, &extra);
	if (response->apply_skipped)
		ereport(WARNING,
				(errmsg("govector: a committed write could not be applied and was skipped: %s", response->message),
				 errdetail("The write belongs to the transaction whose commit record ends at %X/%X.",
						   LSN_FORMAT_ARGS(commit_end))));
	MemoryContextSwitchTo(old);
	MemoryContextReset(gv_write_cxt);
}

static bool
gv_write_committed(GvPendingTxn *t, GvPendingWrite *w, int nsub, TransactionId *sorted_subxacts)
{
	return w->xid == t->top_xid ||
		(nsub > 0 && bsearch(&w->xid, sorted_subxacts, nsub, sizeof(TransactionId), gv_xid_cmp) != NULL);
}

/*
 * A transaction committed: apply its writes but those of rolled-back subtransactions, in WAL order, then
 * forget it. One write is held back until the next committed one is found, so the last is known as last.
 */
static void
gv_apply_commit(GvPendingTxn *t, int nsubxacts, TransactionId *subxacts, XLogRecPtr commit_end)
{
	TransactionId *sorted = NULL;
	GvPendingIter it;
	GvPendingWrite *w;
	GvPendingWrite *held = NULL;
	XLogRecPtr	restart;
	XLogRecPtr	restart_partial;
	uint32		seq = 0;
	uint64		seen = 0;

	if (commit_end < gv_stamped_commit || (commit_end == gv_stamped_commit && gv_stamped_done))
	{
		gv_pending_forget(t);	/* applied before the engine's last stamp */
		return;
	}
	if (nsubxacts > 0)
	{
		sorted = palloc(sizeof(TransactionId) * nsubxacts);
		memcpy(sorted, subxacts, sizeof(TransactionId) * nsubxacts);
		qsort(sorted, nsubxacts, sizeof(TransactionId), gv_xid_cmp);
	}
	/*
	 * Until its last write is applied, the transaction itself must be read again after a crash (the engine
	 * skips what it already has): its earlier writes carry a restart position that includes its own first
	 * record; only the last one, which makes it done, may carry the position past it.
	 */
	restart_partial = gv_pending_restart_point(NULL, commit_end);
	restart = gv_pending_restart_point(t, commit_end);
	if (t->total >= GV_PROGRESS_WRITES)
		ereport(LOG, (errmsg("govector: applying transaction %u: " UINT64_FORMAT " writes", t->top_xid, t->total)));
	gv_pending_iter_begin(t, &it);
	while ((w = gv_pending_iter_next(&it)) != NULL)
	{
		seen++;
		if (!gv_write_committed(t, w, nsubxacts, sorted))
		{
			gv_pending_write_free(w);
			continue;
		}
		if (held != NULL)
		{
			gv_apply_write(held, commit_end, seq++, false, restart_partial);
			gv_pending_write_free(held);
		}
		held = w;
		if (t->total >= GV_PROGRESS_WRITES && seen % Max(t->total / 10, 1) == 0)
			ereport(LOG, (errmsg("govector: applying transaction %u: " UINT64_FORMAT " of " UINT64_FORMAT " writes",
								 t->top_xid, seen, t->total)));
	}
	if (held != NULL)
	{
		gv_apply_write(held, commit_end, seq++, true, restart);
		gv_pending_write_free(held);
	}
	if (t->total >= GV_PROGRESS_WRITES)
		ereport(LOG, (errmsg("govector: applied transaction %u", t->top_xid)));
	if (sorted)
		pfree(sorted);
	gv_stamped_commit = commit_end;
	gv_stamped_done = true;
	gv_stamped_restart = restart;
	pg_atomic_write_u64(&gv_shared->applied_lsn, commit_end);
	gv_pending_forget(t);
}

static void
gv_handle_xact(XLogReaderState *r)
{
	uint8		info = XLogRecGetInfo(r) & XLOG_XACT_OPMASK;
	TransactionId xid = XLogRecGetXid(r);
	GvPendingTxn *t;

	if (info == XLOG_XACT_COMMIT || info == XLOG_XACT_COMMIT_PREPARED)
	{
		xl_xact_parsed_commit parsed;

		ParseCommitRecord(XLogRecGetInfo(r), (xl_xact_commit *) XLogRecGetData(r), &parsed);
		if (info == XLOG_XACT_COMMIT_PREPARED)
			xid = parsed.twophase_xid;
		t = gv_pending_find(xid);
		if (t != NULL)
			gv_apply_commit(t, parsed.nsubxacts, parsed.subxacts, r->EndRecPtr);
	}
	else if (info == XLOG_XACT_ABORT || info == XLOG_XACT_ABORT_PREPARED)
	{
		xl_xact_parsed_abort parsed;

		ParseAbortRecord(XLogRecGetInfo(r), (xl_xact_abort *) XLogRecGetData(r), &parsed);
		if (info == XLOG_XACT_ABORT_PREPARED)
			xid = parsed.twophase_xid;
		/* A subtransaction's abort names the subtransaction, not a pending top-level one: nothing found. */
		t = gv_pending_find(xid);
		if (t != NULL)
			gv_pending_forget(t);
	}
}

/* Transactions older than every running one ended without a record (their backend crashed): aborted. */
static void
gv_handle_running_xacts(XLogReaderState *r)
{
	gv_pending_forget_older(((xl_running_xacts *) XLogRecGetData(r))->oldestRunningXid);
}

static void
gv_process_record(XLogReaderState *r)
{
	RmgrId		rmid = XLogRecGetRmid(r);

	if (rmid == (RmgrId) gv_wal_rmgr_id)
		gv_pending_add(r);
	else if (rmid == RM_XACT_ID)
		gv_handle_xact(r);
	else if (rmid == RM_STANDBY_ID && (XLogRecGetInfo(r) & ~XLR_INFO_MASK) == XLOG_RUNNING_XACTS)
		gv_handle_running_xacts(r);
	else if (rmid == RM_XLOG_ID && (XLogRecGetInfo(r) & ~XLR_INFO_MASK) == XLOG_BACKUP_END)
		gv_handle_backup_end(r);
}

/* ---------------------------------------------------------------------------------------------------------
 * Checkpoints (see the header).
 */

/*
 * Starts a virtual transaction and marks it as one a checkpoint must wait for. It holds no xid, no snapshot
 * and no lock but its own virtual xid's.
 */
static void
gv_hold_checkpoints(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (RecoveryInProgress())
		return;					/* restartpoints do not wait for anyone */
	StartTransactionCommand();
	MyProc->delayChkptFlags |= DELAY_CHKPT_COMPLETE;
	gv_holding_checkpoints = true;
	MemoryContextSwitchTo(cxt);
}

/* Ends the virtual transaction: a checkpoint waiting for it goes on (ending it clears the flag). */
static void
gv_release_checkpoints(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (!gv_holding_checkpoints)
		return;
	gv_holding_checkpoints = false;
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
}

/* See gv_cycling_redo. */
static void
gv_free_covered_checkpoint(void)
{
	TimestampTz now;

	if (gv_cycling_redo == InvalidXLogRecPtr || !gv_holding_checkpoints)
		return;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(gv_last_cycle, now, GV_CYCLE_MS))
		return;
	gv_last_cycle = now;
	if (gv_checkpoint_completed(gv_cycling_redo))
	{
		gv_cycling_redo = InvalidXLogRecPtr;
		return;
	}
	gv_release_checkpoints();
	gv_hold_checkpoints();
}

/*
 * When a checkpoint has begun at a redo position past the one last covered, and every record before it has
 * been dealt with, makes the engine durable past it and releases the checkpoint. Every record inserted before
 * the checkpoint began ends at or before its redo position, so they have all been dealt with when next (the
 * end of the last record read) has reached it, or when the reader found no further record (at_end) although
 * WAL was flushed past it before that read (flushed_before_read). Returns true when records before the redo
 * position may still be unread: it has flushed WAL up to there, so the caller should read on at once.
 */
static bool
gv_cover_checkpoint(XLogRecPtr next, bool at_end, XLogRecPtr flushed_before_read)
{
	XLogRecPtr	redo = GetRedoRecPtr();
	XLogRecPtr	upto;
	Govector__Pb__ApplyState *state;
	TimestampTz start;

	if (RecoveryInProgress())
		return false;
	if (!gv_holding_checkpoints)
		gv_hold_checkpoints();	/* promoted since the session began */
	gv_free_covered_checkpoint();
	if (redo <= gv_covered_redo)
		return false;
	/* Nothing can be flushed up to a redo position just past a page header until more WAL is written there. */
	upto = gv_before_page_header(redo);
	if (next < upto && !(at_end && flushed_before_read >= upto))
	{
		if (!at_end)
			return false;		/* reading on */
		XLogFlush(upto);		/* commits before redo may be asynchronous and not yet flushed */
		return true;
	}
	start = GetCurrentTimestamp();
	state = gv_stamp_restart(next, true);
	if (gv_backup_starting())
		gv_make_backup_copy(redo, Max(next, redo));
	if (state->durable_restart_lsn < redo)
		ereport(DEBUG1,
				(errmsg_internal("govector: a transaction open across the checkpoint at %X/%X keeps the engine's "
								 "restart position at %X/%X", LSN_FORMAT_ARGS(redo),
								 LSN_FORMAT_ARGS(state->durable_restart_lsn))));
	gv_covered_redo = redo;
	gv_release_checkpoints();
	gv_hold_checkpoints();
	gv_cycling_redo = redo;
	gv_last_cycle = GetCurrentTimestamp();
	ereport(DEBUG1,
			(errmsg_internal("govector: the engine is durable past the checkpoint at %X/%X (%ld ms)",
							 LSN_FORMAT_ARGS(redo),
							 (long) (TimestampDifferenceMilliseconds(start, GetCurrentTimestamp())))));
	return false;
}

/* ---------------------------------------------------------------------------------------------------------
 * The main loop.
 */

static XLogRecPtr
gv_session_start(ReadLocalXLogPageNoWaitPrivate *priv)
{
	Govector__Pb__ApplyState *state = gv_get_apply_state(InvalidXLogRecPtr, false);
	XLogRecPtr	slot_lsn = gv_slot_restart_lsn();
	XLogRecPtr	start;

	gv_stamped_commit = state->commit_lsn;
	gv_stamped_done = state->done || state->commit_lsn == 0;
	gv_stamped_restart = state->restart_lsn;
	gv_pending_reset();
	gv_write_cxt = AllocSetContextCreate(CurrentMemoryContext, "govector apply write", ALLOCSET_DEFAULT_SIZES);
	gv_reader = XLogReaderAllocate(wal_segment_size, NULL,
								   XL_ROUTINE(.page_read = &read_local_xlog_page_no_wait,
											  .segment_open = &wal_segment_open,
											  .segment_close = &wal_segment_close),
								   priv);
	if (gv_reader == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (access(GV_RESTORE_PENDING, F_OK) == 0)
	{
		/* Restored from a base backup: the engine's copy holds what was applied up to the saved point. */
		gv_restore_point = gv_pending_load(GV_RESTORE_PENDING);
		ereport(LOG,
				(errmsg("govector: applying WAL from %X/%X, where the base backup's copy of the engine's data ends "
						"(%ld transactions were in flight there)",
						LSN_FORMAT_ARGS(gv_restore_point), gv_pending_count())));
		XLogBeginRead(gv_reader, gv_restore_point);
		return gv_restore_point;
	}
	gv_restore_point = InvalidXLogRecPtr;
	if (state->restart_lsn != InvalidXLogRecPtr)
	{
		if (slot_lsn != InvalidXLogRecPtr && state->restart_lsn < gv_before_page_header(slot_lsn))
			ereport(WARNING,
					(errmsg("govector: the engine needs WAL from %X/%X, but the slot keeps WAL only from %X/%X",
							LSN_FORMAT_ARGS(state->restart_lsn), LSN_FORMAT_ARGS(slot_lsn)),
					 errdetail("Writes committed in between may be missing from the engine.")));
		XLogBeginRead(gv_reader, state->restart_lsn);
		return state->restart_lsn;
	}
	/* A new engine (or one from before WAL logging): start where the slot starts, or at the current redo. */
	start = slot_lsn != InvalidXLogRecPtr ? slot_lsn : GetRedoRecPtr();
	start = XLogFindNextRecord(gv_reader, start);
	if (start == InvalidXLogRecPtr)
		ereport(ERROR, (errmsg("govector: could not find a WAL record to start reading from")));
	ereport(LOG, (errmsg("govector: applying WAL from %X/%X", LSN_FORMAT_ARGS(start))));
	return start;
}

/*
 * Every GV_ADVANCE_INTERVAL_MS: when no transaction is pending, moves the engine's restart position up to
 * `next` (so a restart does not reread WAL nobody needs), and every GV_SLOT_INTERVAL_MS lets the slot follow
 * the restart position the engine has synced to disk.
 */
static void
gv_maybe_advance(XLogRecPtr next, TimestampTz *last_advance, TimestampTz *last_slot)
{
	TimestampTz now = GetCurrentTimestamp();
	Govector__Pb__ApplyState *state;

	if (!TimestampDifferenceExceeds(*last_advance, now, GV_ADVANCE_INTERVAL_MS))
		return;
	state = gv_stamp_restart(next, false);
	*last_advance = now;
	if (gv_restore_point != InvalidXLogRecPtr && state->durable_restart_lsn >= gv_restore_point)
	{
		/* The engine no longer needs what was saved for the restore. */
		if (unlink(GV_RESTORE_PENDING) != 0 && errno != ENOENT)
			ereport(WARNING, (errcode_for_file_access(), errmsg("could not remove file \"%s\": %m", GV_RESTORE_PENDING)));
		gv_restore_point = InvalidXLogRecPtr;
	}
	if (TimestampDifferenceExceeds(*last_slot, now, GV_SLOT_INTERVAL_MS))
	{
		gv_advance_slot(state->durable_restart_lsn);
		*last_slot = now;
	}
}

/* Reads and applies WAL until told to stop; raises on any failure (the caller starts again). */
static void
gv_apply_session(void)
{
	ReadLocalXLogPageNoWaitPrivate priv = {false};
	XLogRecPtr	next;
	TimestampTz last_advance = 0;
	TimestampTz last_slot = 0;

	MemoryContext reader_cxt = CurrentMemoryContext;
	MemoryContext loop_cxt = AllocSetContextCreate(reader_cxt, "govector apply loop", ALLOCSET_DEFAULT_SIZES);

	next = gv_session_start(&priv);
	gv_covered_redo = InvalidXLogRecPtr;
	gv_cycling_redo = InvalidXLogRecPtr;
	gv_hold_checkpoints();
	MemoryContextSwitchTo(loop_cxt);
	while (!gv_apply_stop)
	{
		char	   *errormsg = NULL;
		XLogRecord *rec;
		XLogRecPtr	flushed;

		/* Engine answers and decoded requests live until the next record. */
		MemoryContextReset(loop_cxt);
		CHECK_FOR_INTERRUPTS();
		/* The reader keeps oversized records and its record buffer in the context current when it reads. */
		MemoryContextSwitchTo(reader_cxt);
		flushed = RecoveryInProgress() ? InvalidXLogRecPtr : GetFlushRecPtr(NULL);
		rec = XLogReadRecord(gv_reader, &errormsg);
		MemoryContextSwitchTo(loop_cxt);
		if (rec != NULL)
		{
			XLogRecPtr	applied = pg_atomic_read_u64(&gv_shared->applied_lsn);

			gv_process_record(gv_reader);
			next = gv_reader->EndRecPtr;
			gv_publish(next);
			if (pg_atomic_read_u64(&gv_shared->applied_lsn) != applied)
				gv_maybe_advance(next, &last_advance, &last_slot);
			(void) gv_cover_checkpoint(next, false, flushed);
			continue;
		}
		if (!priv.end_of_wal)
			ereport(ERROR,
					(errmsg("govector: could not read WAL at %X/%X: %s", LSN_FORMAT_ARGS(gv_reader->EndRecPtr),
							errormsg ? errormsg : "unknown error")));
		/*
		 * At the end of WAL: publish, move the restart position and the slot on, release a waiting checkpoint
		 * and wait for more (a checkpoint that begins meanwhile waits for this worker at most that long).
		 */
		gv_publish(next);
		gv_maybe_advance(next, &last_advance, &last_slot);
		if (!gv_cover_checkpoint(next, true, flushed))
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, GV_IDLE_WAIT_MS,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		priv.end_of_wal = false;
		XLogBeginRead(gv_reader, next);
	}
}

static void
gv_session_end(void)
{
	/* A failed session's virtual transaction is aborted by the caller; a clean one ends here. */
	if (gv_holding_checkpoints && IsTransactionState())
		gv_release_checkpoints();
	gv_holding_checkpoints = false;
	if (gv_reader != NULL)
		XLogReaderFree(gv_reader);
	gv_reader = NULL;
	gv_disconnect();
}

void
govector_apply_main(Datum arg)
{
	static const GvSupervisorCalls calls = {&gv_apply_stop, GV_APPLY_CALL_MS, NULL};
	MemoryContext session_cxt;
	long		retry_ms = GV_APPLY_RETRY_MS;

	pqsignal(SIGTERM, gv_apply_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	/* No database: the connection gives the worker a backend id, so checkpoints can wait for it. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	gv_set_supervisor_calls(&calls);
	pg_atomic_write_u32(&gv_shared->apply_procno, (uint32) MyProc->pgprocno);
	{
		XLogRecPtr	need = InvalidXLogRecPtr;

		if (!gv_pending_saved_point(GV_RESTORE_PENDING, &need))
			need = InvalidXLogRecPtr;
		gv_acquire_slot(need);
	}
	session_cxt = AllocSetContextCreate(TopMemoryContext, "govector apply", ALLOCSET_DEFAULT_SIZES);

	while (!gv_apply_stop)
	{
		MemoryContextSwitchTo(session_cxt);
		PG_TRY();
		{
			gv_apply_session();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(TopMemoryContext);
			edata = CopyErrorData();
			FlushErrorState();
			/* Ends the virtual transaction (no checkpoint waits for a worker that is not applying). */
			AbortOutOfAnyTransaction();
			gv_holding_checkpoints = false;
			MemoryContextSwitchTo(TopMemoryContext);
			retry_ms = GV_APPLY_RETRY_MS;
			if (edata->sqlerrcode == ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION ||
				edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			{
				ereport(DEBUG1, (errmsg_internal("govector: WAL apply waits for the engine: %s", edata->message)));
				retry_ms = GV_ENGINE_WAIT_MS;
			}
			else if (edata->sqlerrcode == ERRCODE_CONNECTION_FAILURE)
				ereport(LOG, (errmsg("govector: WAL apply lost the engine (%s); it resumes once the engine is back",
									 edata->message)));
			else
				ereport(WARNING,
						(errmsg("govector: WAL apply stopped: %s", edata->message),
						 errdetail("It starts again from the engine's last applied position.")));
			FreeErrorData(edata);
		}
		PG_END_TRY();
		gv_session_end();
		MemoryContextReset(session_cxt);
		if (!gv_apply_stop)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, retry_ms,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	pg_atomic_write_u32(&gv_shared->apply_procno, (uint32) -1);
	proc_exit(0);
}
