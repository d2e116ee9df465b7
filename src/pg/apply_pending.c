/*
 * The apply worker's transactions in flight: the govector WAL records of each top-level transaction whose
 * commit or abort has not been read yet.
 *
 * A transaction's writes are kept in memory up to GV_SPILL_BYTES; beyond that only the positions of their
 * records are kept, and the records are read from WAL again at commit (a second xlogreader), so that a
 * transaction writing a million points commits and applies without the worker holding it all in memory or
 * writing it out a second time. WAL from the first record of every transaction in flight is kept (the
 * restart position the engine is stamped with, which the slot follows, never passes it). Writes loaded from a
 * saved state (a base backup's, whose records precede the restored server's WAL) have no record to read
 * again: past the limit they are appended to a file of the transaction's own under $PGDATA/govector/spill/.
 * Reading a transaction back (at its commit) yields the writes of the file first, then those kept by
 * position, then those still in memory: WAL order. The spill directory is emptied whenever the worker starts
 * reading WAL again (its files describe transactions it will read again).
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/transam.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogreader.h"
#include "access/xlogutils.h"
#include "common/file_perm.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "govector_pg.h"

#define GV_SPILL_DIR GV_DATA_SUBDIR "/spill"
#define GV_SPILL_BYTES (32 * 1024 * 1024)	/* per transaction, in memory */

typedef struct GvSpillHeader
{
	TransactionId xid;
	uint32		pad;
	uint64		version;
	uint64		len;
} GvSpillHeader;

static HTAB *gv_pending = NULL;
static MemoryContext gv_pending_cxt = NULL;

/* The reader that reads records of transactions in flight again, and where it keeps its buffers. */
static XLogReaderState *gv_reread = NULL;
static MemoryContext gv_reread_cxt = NULL;
static ReadLocalXLogPageNoWaitPrivate gv_reread_private;

static void
gv_spill_dir_reset(void)
{
	DIR		   *dir;
	struct dirent *de;

	if (mkdir(GV_SPILL_DIR, pg_dir_create_mode) != 0 && errno != EEXIST)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create directory \"%s\": %m", GV_SPILL_DIR)));
	dir = AllocateDir(GV_SPILL_DIR);
	while ((de = ReadDir(dir, GV_SPILL_DIR)) != NULL)
	{
		char		path[MAXPGPATH];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", GV_SPILL_DIR, de->d_name);
		if (unlink(path) != 0)
			ereport(WARNING, (errcode_for_file_access(), errmsg("could not remove file \"%s\": %m", path)));
	}
	FreeDir(dir);
}

static void
gv_spill_close(GvPendingTxn *t)
{
	if (t->spill_fd >= 0)
	{
		close(t->spill_fd);
		t->spill_fd = -1;
		if (unlink(t->spill_path) != 0 && errno != ENOENT)
			ereport(WARNING, (errcode_for_file_access(), errmsg("could not remove file \"%s\": %m", t->spill_path)));
	}
}

/* Forgets every transaction in flight (closing and removing their spill files) and starts afresh. */
void
gv_pending_reset(void)
{
	HASHCTL		ctl;

	if (gv_pending != NULL)
	{
		HASH_SEQ_STATUS seq;
		GvPendingTxn *t;

		hash_seq_init(&seq, gv_pending);
		while ((t = hash_seq_search(&seq)) != NULL)
			gv_spill_close(t);
	}
	if (gv_pending_cxt != NULL)
		MemoryContextDelete(gv_pending_cxt);
	if (gv_reread != NULL)
		XLogReaderFree(gv_reread);
	gv_reread = NULL;
	if (gv_reread_cxt != NULL)
		MemoryContextDelete(gv_reread_cxt);
	gv_reread_cxt = NULL;
	gv_spill_dir_reset();
	gv_pending_cxt = AllocSetContextCreate(TopMemoryContext, "govector pending", ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(TransactionId);
	ctl.entrysize = sizeof(GvPendingTxn);
	ctl.hcxt = gv_pending_cxt;
	gv_pending = hash_create("govector pending transactions", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

long
gv_pending_count(void)
{
	return hash_get_num_entries(gv_pending);
}

GvPendingTxn *
gv_pending_find(TransactionId top_xid)
{
	return hash_search(gv_pending, &top_xid, HASH_FIND, NULL);
}

void
gv_pending_forget(GvPendingTxn *t)
{
	TransactionId xid = t->top_xid;

	gv_spill_close(t);
	MemoryContextDelete(t->cxt);
	if (t->wal_lsns != NULL)
		pfree(t->wal_lsns);
	(void) hash_search(gv_pending, &xid, HASH_REMOVE, NULL);
}

static void
gv_spill_write(GvPendingTxn *t, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0)
	{
		ssize_t		n = write(t->spill_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write to file \"%s\": %m", t->spill_path)));
		p += n;
		len -= (size_t) n;
	}
}

/*
 * Frees the memory of the transaction's writes: a write read from WAL is kept as its record's position, one
 * loaded from a saved state goes to the spill file.
 */
static void
gv_spill(GvPendingTxn *t)
{
	ListCell   *lc;

	if (t->n_wal == 0 && t->spill_fd < 0)
		ereport(LOG,
				(errmsg("govector: transaction %u has more than %d MB of vector writes; keeping only their WAL "
						"positions until it ends", t->top_xid, GV_SPILL_BYTES / (1024 * 1024))));
	foreach(lc, t->writes)
	{
		GvPendingWrite *w = lfirst(lc);

		if (w->lsn != InvalidXLogRecPtr)
		{
			if (t->n_wal == t->cap_wal)
			{
				t->cap_wal = Max(t->cap_wal * 2, 64);
				t->wal_lsns = t->wal_lsns == NULL
					? MemoryContextAllocHuge(gv_pending_cxt, t->cap_wal * sizeof(XLogRecPtr))
					: repalloc_huge(t->wal_lsns, t->cap_wal * sizeof(XLogRecPtr));
			}
			t->wal_lsns[t->n_wal++] = w->lsn;
			continue;
		}
		/* Saved writes come before any read from WAL (they are loaded first): the file stays first. */
		Assert(t->n_wal == 0);
		if (t->spill_fd < 0)
		{
			snprintf(t->spill_path, sizeof(t->spill_path), "%s/%u.spill", GV_SPILL_DIR, t->top_xid);
			t->spill_fd = open(t->spill_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, pg_file_create_mode);
			if (t->spill_fd < 0)
				ereport(ERROR,
						(errcode_for_file_access(), errmsg("could not create file \"%s\": %m", t->spill_path)));
		}
		{
			GvSpillHeader h = {w->xid, 0, w->version, w->len};

			gv_spill_write(t, &h, sizeof(h));
			gv_spill_write(t, w->data, w->len);
		}
		t->spilled++;
	}
	MemoryContextReset(t->cxt);
	t->writes = NIL;
	t->mem_bytes = 0;
}

/* Keeps one write of a transaction in flight (first_lsn: where the transaction's first record starts). */
static void
gv_pending_add_write(TransactionId top_xid, XLogRecPtr first_lsn, XLogRecPtr lsn, TransactionId xid,
					 uint64 version, const char *data, Size len)
{
	GvPendingTxn *t;
	GvPendingWrite *w;
	bool		found;
	MemoryContext old;

	t = hash_search(gv_pending, &top_xid, HASH_ENTER, &found);
	if (!found)
	{
		t->first_lsn = first_lsn;
		t->cxt = AllocSetContextCreate(gv_pending_cxt, "govector transaction", ALLOCSET_DEFAULT_SIZES);
		t->writes = NIL;
		t->mem_bytes = 0;
		t->total = 0;
		t->spilled = 0;
		t->spill_fd = -1;
		t->wal_lsns = NULL;
		t->n_wal = 0;
		t->cap_wal = 0;
	}
	old = MemoryContextSwitchTo(t->cxt);
	w = palloc(sizeof(*w));
	w->xid = xid;
	w->version = version;
	w->lsn = lsn;
	w->len = len;
	w->data = palloc_extended(len > 0 ? len : 1, MCXT_ALLOC_HUGE);
	memcpy(w->data, data, len);
	t->writes = lappend(t->writes, w);
	t->mem_bytes += len;
	t->total++;
	MemoryContextSwitchTo(old);
	if (t->mem_bytes > GV_SPILL_BYTES)
		gv_spill(t);
}

/* The header of a govector record, checked. */
static const GvWalHeader *
gv_record_header(XLogReaderState *r)
{
	const GvWalHeader *h = (const GvWalHeader *) XLogRecGetData(r);

	if (XLogRecGetDataLen(r) < sizeof(GvWalHeader) || h->format != GV_WAL_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("govector: WAL record at %X/%X has an unknown format", LSN_FORMAT_ARGS(r->ReadRecPtr))));
	return h;
}

/* Keeps one govector record of a transaction in flight. */
void
gv_pending_add(XLogReaderState *r)
{
	const GvWalHeader *h = gv_record_header(r);

	gv_pending_add_write(h->top_xid, r->ReadRecPtr, r->ReadRecPtr, XLogRecGetXid(r), h->version,
						 (const char *) h + sizeof(GvWalHeader), XLogRecGetDataLen(r) - sizeof(GvWalHeader));
}

/* Reads the govector record at lsn again, into a write allocated in the current context. */
static GvPendingWrite *
gv_reread_write(XLogRecPtr lsn)
{
	MemoryContext old;
	XLogRecord *rec;
	char	   *errormsg = NULL;
	const GvWalHeader *h;
	GvPendingWrite *w;

	if (gv_reread == NULL)
	{
		gv_reread_cxt = AllocSetContextCreate(TopMemoryContext, "govector WAL reread", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(gv_reread_cxt);
		gv_reread = XLogReaderAllocate(wal_segment_size, NULL,
									   XL_ROUTINE(.page_read = &read_local_xlog_page_no_wait,
												  .segment_open = &wal_segment_open,
												  .segment_close = &wal_segment_close),
									   &gv_reread_private);
		MemoryContextSwitchTo(old);
		if (gv_reread == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	/* The reader keeps oversized records and its record buffer in the context current when it reads. */
	old = MemoryContextSwitchTo(gv_reread_cxt);
	gv_reread_private.end_of_wal = false;
	XLogBeginRead(gv_reread, lsn);
	rec = XLogReadRecord(gv_reread, &errormsg);
	MemoryContextSwitchTo(old);
	if (rec == NULL || XLogRecGetRmid(gv_reread) != (RmgrId) gv_wal_rmgr_id)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("govector: could not read the WAL record at %X/%X again: %s", LSN_FORMAT_ARGS(lsn),
						rec == NULL ? (errormsg ? errormsg : "end of WAL") : "it is not govector's")));
	h = gv_record_header(gv_reread);
	w = palloc(sizeof(*w));
	w->xid = XLogRecGetXid(gv_reread);
	w->version = h->version;
	w->lsn = lsn;
	w->len = XLogRecGetDataLen(gv_reread) - sizeof(GvWalHeader);
	/* Copied: the caller may hold this write while it reads the next. */
	w->data = palloc_extended(w->len > 0 ? w->len : 1, MCXT_ALLOC_HUGE);
	memcpy(w->data, (const char *) h + sizeof(GvWalHeader), w->len);
	w->from_spill = true;
	return w;
}

/* Where reading must restart to see every transaction in flight but `except`: at most upto. */
XLogRecPtr
gv_pending_restart_point(GvPendingTxn *except, XLogRecPtr upto)
{
	HASH_SEQ_STATUS seq;
	GvPendingTxn *t;
	XLogRecPtr	lsn = upto;

	hash_seq_init(&seq, gv_pending);
	while ((t = hash_seq_search(&seq)) != NULL)
		if (t != except && t->first_lsn < lsn)
			lsn = t->first_lsn;
	return lsn;
}

/* Forgets the transactions older than oldest_running: they ended without a commit record. */
void
gv_pending_forget_older(TransactionId oldest_running)
{
	HASH_SEQ_STATUS seq;
	GvPendingTxn *t;
	List	   *gone = NIL;
	ListCell   *lc;

	hash_seq_init(&seq, gv_pending);
	while ((t = hash_seq_search(&seq)) != NULL)
		if (TransactionIdPrecedes(t->top_xid, oldest_running))
			gone = lappend(gone, t);
	foreach(lc, gone)
		gv_pending_forget(lfirst(lc));
	list_free(gone);
}

static void
gv_spill_read(GvPendingTxn *t, void *buf, size_t len)
{
	char	   *p = buf;

	while (len > 0)
	{
		ssize_t		n = read(t->spill_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not read file \"%s\": %m", t->spill_path)));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("could not read file \"%s\": unexpected end of file", t->spill_path)));
		p += n;
		len -= (size_t) n;
	}
}

void
gv_pending_iter_begin(GvPendingTxn *t, GvPendingIter *it)
{
	it->t = t;
	it->next_spilled = 0;
	it->next_wal = 0;
	it->next_mem = list_head(t->writes);
	if (t->spill_fd >= 0 && lseek(t->spill_fd, 0, SEEK_SET) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not seek in file \"%s\": %m", t->spill_path)));
}

/*
 * The transaction's next write, in WAL order, or NULL. A spilled write is read into memory of the current
 * context (the caller frees it with gv_pending_write_free); one in memory is returned as it is.
 */
GvPendingWrite *
gv_pending_iter_next(GvPendingIter *it)
{
	GvPendingTxn *t = it->t;

	if (it->next_spilled < t->spilled)
	{
		GvSpillHeader h;
		GvPendingWrite *w = palloc(sizeof(*w));

		gv_spill_read(t, &h, sizeof(h));
		w->xid = h.xid;
		w->version = h.version;
		w->len = (Size) h.len;
		w->lsn = InvalidXLogRecPtr;
		w->data = palloc_extended(w->len > 0 ? w->len : 1, MCXT_ALLOC_HUGE);
		w->from_spill = true;
		gv_spill_read(t, w->data, w->len);
		it->next_spilled++;
		return w;
	}
	if (it->next_wal < t->n_wal)
		return gv_reread_write(t->wal_lsns[it->next_wal++]);
	if (it->next_mem != NULL)
	{
		GvPendingWrite *w = lfirst(it->next_mem);

		w->from_spill = false;
		it->next_mem = lnext(t->writes, it->next_mem);
		return w;
	}
	return NULL;
}

void
gv_pending_write_free(GvPendingWrite *w)
{
	if (w != NULL && w->from_spill)
	{
		pfree(w->data);
		pfree(w);
	}
}

/* ---------------------------------------------------------------------------------------------------------
 * Saved transactions in flight (for a base backup: backup.c). The file: GV_SAVED_MAGIC, the position reading
 * resumes from (u64), then per write a GvSavedWrite and its bytes, in WAL order per transaction, then a
 * GvSavedWrite with len GV_SAVED_END. Written under a temporary name, synced and renamed whole.
 */

#define GV_SAVED_MAGIC "GVPEND01"
#define GV_SAVED_END PG_UINT64_MAX

typedef struct GvSavedWrite
{
	TransactionId top_xid;
	TransactionId xid;
	uint64		version;
	uint64		first_lsn;
	uint64		len;
} GvSavedWrite;

static void
gv_saved_write(int fd, const char *path, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not write to file \"%s\": %m", path)));
		p += n;
		len -= (size_t) n;
	}
}

static bool
gv_saved_read(int fd, void *buf, size_t len)
{
	char	   *p = buf;

	while (len > 0)
	{
		ssize_t		n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t) n;
	}
	return true;
}

void
gv_pending_save(const char *path, XLogRecPtr point)
{
	char		tmp[MAXPGPATH];
	int			fd;
	uint64		p = point;
	HASH_SEQ_STATUS seq;
	GvPendingTxn *t;
	GvSavedWrite end = {0, 0, 0, 0, GV_SAVED_END};

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create file \"%s\": %m", tmp)));
	gv_saved_write(fd, tmp, GV_SAVED_MAGIC, 8);
	gv_saved_write(fd, tmp, &p, sizeof(p));
	hash_seq_init(&seq, gv_pending);
	while ((t = hash_seq_search(&seq)) != NULL)
	{
		GvPendingIter it;
		GvPendingWrite *w;

		gv_pending_iter_begin(t, &it);
		while ((w = gv_pending_iter_next(&it)) != NULL)
		{
			GvSavedWrite h = {t->top_xid, w->xid, w->version, t->first_lsn, w->len};

			gv_saved_write(fd, tmp, &h, sizeof(h));
			gv_saved_write(fd, tmp, w->data, w->len);
			gv_pending_write_free(w);
		}
		/* A spilled transaction's file is appended to again: back to its end. */
		if (t->spill_fd >= 0 && lseek(t->spill_fd, 0, SEEK_END) < 0)
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not seek in file \"%s\": %m", t->spill_path)));
	}
	gv_saved_write(fd, tmp, &end, sizeof(end));
	if (pg_fsync(fd) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not fsync file \"%s\": %m", tmp)));
	CloseTransientFile(fd);
	durable_rename(tmp, path, ERROR);
}

static int
gv_saved_open(const char *path, XLogRecPtr *point)
{
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	char		magic[8];
	uint64		p;

	if (fd < 0)
		return -1;
	if (!gv_saved_read(fd, magic, 8) || memcmp(magic, GV_SAVED_MAGIC, 8) != 0 || !gv_saved_read(fd, &p, sizeof(p)))
	{
		CloseTransientFile(fd);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED), errmsg("govector: \"%s\" is not a saved apply state", path)));
	}
	*point = p;
	return fd;
}

bool
gv_pending_saved_point(const char *path, XLogRecPtr *point)
{
	int			fd = gv_saved_open(path, point);

	if (fd < 0)
		return false;
	CloseTransientFile(fd);
	return true;
}

/* Replaces the transactions in flight with those saved in path; returns where reading resumes. */
XLogRecPtr
gv_pending_load(const char *path)
{
	XLogRecPtr	point;
	int			fd = gv_saved_open(path, &point);
	char	   *buf = NULL;
	Size		cap = 0;

	if (fd < 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not open file \"%s\": %m", path)));
	gv_pending_reset();
	for (;;)
	{
		GvSavedWrite h;

		if (!gv_saved_read(fd, &h, sizeof(h)))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED), errmsg("govector: \"%s\" is cut short", path)));
		if (h.len == GV_SAVED_END)
			break;
		if (h.len > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED), errmsg("govector: \"%s\" is damaged", path)));
		if (h.len > cap)
		{
			if (buf)
				pfree(buf);
			cap = Max(h.len, 8192);
			buf = palloc_extended(cap, MCXT_ALLOC_HUGE);
		}
		if (!gv_saved_read(fd, buf, h.len))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED), errmsg("govector: \"%s\" is cut short", path)));
		gv_pending_add_write(h.top_xid, h.first_lsn, InvalidXLogRecPtr, h.xid, h.version, buf, h.len);
	}
	if (buf)
		pfree(buf);
	CloseTransientFile(fd);
	return point;
}
