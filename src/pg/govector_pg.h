/*
 * govector's Postgres glue: shared declarations.
 *
 * The extension is plain C. It speaks to govectord (the engine process) over a Unix-domain socket with
 * protobuf-c messages, so no C++ code and no thread ever runs inside a Postgres process.
 *
 *   govector.c        module init, GUCs, transaction callback
 *   engine_client.c   the backend's connection to the engine: connect, cancellable send/receive, errors
 *   engine_requests.c one typed function per engine request, each sent through gv_call
 *   worker.c          the background worker that starts, supervises and stops govectord
 *   functions.c       the gv_* SQL functions (conversion between SQL values and engine messages)
 *   wal.c             vector writes in WAL: the resource manager, tentative writes, commit wait
 *   apply.c           the WAL apply worker: hands committed writes to the engine in commit order
 */
#ifndef GOVECTOR_PG_H
#define GOVECTOR_PG_H

#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "access/xlogdefs.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "govector.pb-c.h"
#include "govector_limits.h"

typedef Govector__Pb__Request GvRequest;
typedef Govector__Pb__Response GvResponse;

/* Relative to the data directory, which is the working directory of every backend and of the worker. */
#define GV_DATA_SUBDIR "govector"
/* pgsql_tmp: pg_basebackup skips names that begin so, without warning (a socket cannot be copied). */
#define GV_SOCKET_PATH GV_DATA_SUBDIR "/pgsql_tmp.govectord.sock"
#define GV_SUPERVISOR_LOCK GV_DATA_SUBDIR "/supervisor.lock"

/* GUCs */
extern int gv_ef_search;
extern int gv_engine_timeout_ms;
extern int gv_index_threads;
extern int gv_spin_wait_us;
extern int gv_http_port;
extern char *gv_http_listen_addresses;
extern char *gv_http_api_key;
extern char *gv_http_database;
extern bool gv_preloaded;
extern int	gv_wal_rmgr_id;
extern bool gv_commit_wait;

/*
 * govector's custom WAL resource manager id (RegisterCustomRmgr: 128-255). 191 is not taken by any extension
 * listed on the PostgreSQL wiki's "CustomWALResourceManagers" page; govector.wal_rmgr_id changes it (the
 * server must then never again meet WAL written with the old id: change it only on a new cluster).
 */
#define GV_DEFAULT_RMGR_ID 191
#define GV_WAL_WRITE 0x10		/* xl_info: one write */
#define GV_WAL_FORMAT 1

typedef struct GvWalHeader
{
	uint32		format;			/* GV_WAL_FORMAT */
	TransactionId top_xid;		/* the writing transaction's top-level xid */
	uint64		version;		/* the version the engine reserved for the write */
} GvWalHeader;

/* Shared memory (wal.c): the apply worker's progress, for commit waits. */
typedef struct GvShared
{
	pg_atomic_uint64 processed_lsn;	/* WAL before this is fully processed (committed writes applied) */
	pg_atomic_uint64 applied_lsn;	/* end of the last commit record whose writes were applied */
	pg_atomic_uint32 apply_procno;	/* the apply worker's PGPROC number, or -1 */
	ConditionVariable applied_cv;	/* broadcast when processed_lsn moves */
	pg_atomic_uint32 refused;	/* GV_REFUSED_*: why the supervisor does not start the engine */
} GvShared;
extern GvShared *gv_shared;
#define GV_REFUSED_NO_BACKUP_COPY 1	/* started from a base backup without the engine's copy (backup.c) */
#define GV_REFUSED_NEWER_FORMAT 2	/* the engine's files are in a newer format than this engine reads */

/* engine_client.c */
extern GvResponse *gv_call(GvRequest *request);
extern GvResponse *gv_call_answer(GvRequest *request);
extern GvResponse *gv_call_packed(const char *packed, size_t len, GvRequest *extra);
/* Raises the error of a collection this database does not have. */
extern void gv_report_no_collection(const char *name) pg_attribute_noreturn();
extern ProtobufCAllocator *gv_pb_allocator(void);
extern void gv_disconnect(void);

/*
 * In the supervising worker, gv_call never starts a worker and never waits for the engine to come up (it raises
 * at once when nobody answers), gives up after timeout_ms, gives up as soon as *stop is set, and runs
 * while_waiting (if set) every 100 ms or so while it waits for the engine. It still raises errors: catch them.
 */
typedef struct GvSupervisorCalls
{
	volatile sig_atomic_t *stop;
	int			timeout_ms;
	void		(*while_waiting) (void);
} GvSupervisorCalls;
extern void gv_set_supervisor_calls(const GvSupervisorCalls *calls);

/* wal.c */
extern void gv_wal_init(void);
extern bool gv_is_write_op(int op_case);
extern Govector__Pb__TxnContext *gv_txn_context(bool write);
extern void gv_txn_sent(void);
extern void gv_txn_check_connection(void);
extern void gv_txn_connected(void);
extern void gv_wal_log_write(GvRequest *request, uint64 version);
extern void gv_wake_apply_worker(void);
extern char *gv_wal_status_json(void);
extern void gv_xact_callback(XactEvent event, void *arg);
extern void gv_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid,
								void *arg);

/* backup.c: the engine's part of base backups */
#define GV_BACKUP_NAME_LEN 16	/* a backup copy's name: the backup's redo position in hex */
#define GV_RESTORE_MARKER GV_DATA_SUBDIR "/restore"	/* names the copy to restore from */
#define GV_RESTORE_PENDING GV_DATA_SUBDIR "/restore.pending"	/* the saved transactions in flight */
extern void gv_backup_name(XLogRecPtr redo, char *name);
extern void gv_backup_pending_path(const char *name, char *path);
extern bool gv_restore_marker_read(char *name);
extern void gv_backup_server_start(void);
extern void gv_backup_redo_start(void);
extern bool gv_backup_starting(void);

/* lifecycle.c: what depends on collections */
extern List *gv_collection_users(const char *collection);
extern void gv_check_collection_users(const char *collection, bool cascade);
extern void gv_lifecycle_init(void);

/* http_write.c */
extern PGDLLEXPORT Datum gv_http_write(PG_FUNCTION_ARGS);

/* apply_pending.c: the apply worker's transactions in flight */
typedef struct GvPendingWrite
{
	TransactionId xid;			/* the (sub)transaction that wrote it */
	uint64		version;
	XLogRecPtr	lsn;			/* where its record starts; invalid for one loaded from a saved state */
	Size		len;
	char	   *data;			/* the packed request */
	bool		from_spill;		/* read back from WAL or the spill file (freed by gv_pending_write_free) */
} GvPendingWrite;

typedef struct GvPendingTxn
{
	TransactionId top_xid;		/* hash key */
	XLogRecPtr	first_lsn;		/* where its first record starts */
	MemoryContext cxt;			/* the writes in memory */
	List	   *writes;			/* of GvPendingWrite, in WAL order, after the spilled ones */
	uint64		mem_bytes;
	uint64		total;			/* writes, in memory and spilled */
	uint64		spilled;		/* writes in the spill file (only ones loaded from a saved state) */
	int			spill_fd;		/* -1: nothing spilled */
	char		spill_path[MAXPGPATH];
	XLogRecPtr *wal_lsns;		/* writes kept only as their records' positions, read again at commit */
	uint64		n_wal;
	uint64		cap_wal;
} GvPendingTxn;

typedef struct GvPendingIter
{
	GvPendingTxn *t;
	uint64		next_spilled;
	uint64		next_wal;
	ListCell   *next_mem;
} GvPendingIter;

extern void gv_pending_reset(void);
extern long gv_pending_count(void);
extern GvPendingTxn *gv_pending_find(TransactionId top_xid);
extern void gv_pending_forget(GvPendingTxn *t);
extern void gv_pending_add(struct XLogReaderState *r);
extern XLogRecPtr gv_pending_restart_point(GvPendingTxn *except, XLogRecPtr upto);
extern void gv_pending_forget_older(TransactionId oldest_running);
extern void gv_pending_iter_begin(GvPendingTxn *t, GvPendingIter *it);
extern GvPendingWrite *gv_pending_iter_next(GvPendingIter *it);
extern void gv_pending_write_free(GvPendingWrite *w);
/* The transactions in flight, saved with the position reading resumes from; loaded back (returning it). */
extern void gv_pending_save(const char *path, XLogRecPtr point);
extern bool gv_pending_saved_point(const char *path, XLogRecPtr *point);
extern XLogRecPtr gv_pending_load(const char *path);

/* apply.c */
extern PGDLLEXPORT void govector_apply_main(Datum arg);

/*
 * engine_requests.c: each function sends one request with gv_call (so engine errors are raised) and returns
 * the answer, or the part of it the request is for. Filters are engine filter JSON, "" for none.
 */

/* Which parts of each record a get, search or scroll answer carries. */
typedef struct GvRecordParts
{
	bool		payload;
	bool		vector;
	Govector__Pb__ColumnSpec **columns; /* payload keys returned as typed column values */
	size_t		ncolumns;
} GvRecordParts;

/* A nearest-neighbour search: for a query vector, or for the stored vector of point id. */
typedef struct GvSearchQuery
{
	const float *vector;		/* with id NULL */
	size_t		dim;
	const char *id;				/* NULL: search for vector */
	uint32		k;
	uint32		offset;
	const char *filter_json;
	uint32		ef;				/* 0: the collection's default */
	bool		exact;
} GvSearchQuery;

extern void gv_engine_create_collection(const char *name, uint32 dimension, const char *distance,
										const char *index, uint32 m, uint32 ef_construct, uint32 ef,
										const char *quantization);	/* 0: the engine's default */
/* True when a collection was dropped (false: it did not exist, and if_exists was set). */
extern bool gv_engine_drop_collection(const char *name, bool if_exists);
extern GvResponse *gv_engine_list_collections(void);
/* The summary of this database's collection name, or NULL when there is none. */
extern Govector__Pb__CollectionSummary *gv_engine_find_collection(const char *name);
extern char *gv_engine_collection_info(const char *name);	/* JSON */
extern void gv_engine_create_payload_index(const char *collection, const char *field, const char *type);
extern char *gv_engine_status_json(void);
/* Inserts or replaces points; returns the write's version. */
extern uint64 gv_engine_upsert(const char *collection, Govector__Pb__PointInput **points, size_t n);
extern GvResponse *gv_engine_get(const char *collection, char **ids, size_t n, const GvRecordParts *parts);
/*
 * Deletes the points ids names or, with ids NULL, every point filter_json matches ("": every point);
 * returns how many it deleted.
 */
extern uint64 gv_engine_delete(const char *collection, char **ids, size_t n, const char *filter_json);
extern uint64 gv_engine_count(const char *collection, const char *filter_json);
extern GvResponse *gv_engine_search(const char *collection, const GvSearchQuery *query,
									const GvRecordParts *parts);
/* Up to limit points in id order, starting after the id after (NULL: from the first). */
extern GvResponse *gv_engine_scroll(const char *collection, const char *filter_json, uint32 limit,
									const char *after, const GvRecordParts *parts);
/* Payload writes; each returns how many points it changed. keys NULL removes every key. */
extern uint64 gv_engine_set_payload(const char *collection, char **ids, size_t n, const char *payload_json,
									bool overwrite);
extern uint64 gv_engine_delete_payload(const char *collection, char **ids, size_t n, char **keys,
									   size_t nkeys);

/* functions.c: whether the current user may execute the extension's function signature ("name(types)") in
 * namespace; *qualified is it schema-qualified, for messages. */
extern bool gv_may_execute(Oid namespace, const char *signature, char **qualified);

/* convert.c: SQL values <-> engine message fields */
extern char *gv_jsonb_text(Jsonb *jb);
extern Datum gv_jsonb_datum(const char *json);	/* "" means {} */
extern Datum gv_vector_datum(const float *v, size_t n);
/* A vector of another array type: real[], double precision[] or numeric[]. */
extern Datum gv_vector_datum_as(const float *v, size_t n, Oid array_type);
/* Whether arrays of this element type are vectors (real, double precision, numeric, integer types). */
extern bool gv_is_vector_element_type(Oid elemtype);
/* A one-dimensional array of numbers without NULLs as floats (what names the array in errors). */
extern float *gv_vector_from_array(ArrayType *a, const char *what, size_t *len);
/* A two-dimensional one, a vector per row: rows x dim floats. */
extern float *gv_vectors_from_array(ArrayType *a, const char *what, int *rows, int *dim);
/* Whether type is pgvector's vector or halfvec (by name, in the extension "vector"). */
extern bool gv_is_pgvector_type(Oid type);
/* A vector of a type govector takes (the caller checked it): an array of numbers, text, or pgvector's vector
 * or halfvec. */
extern float *gv_vector_from_datum(Datum d, Oid type, const char *what, size_t *len);
/* A vector as a value of one of those types (typmod: pgvector's dimension, or -1). */
extern Datum gv_vector_datum_typed(const float *v, size_t n, Oid type, int32 typmod);
/* A vector (or a 2-D array of them) written as text, '{1,2,3}' or pgvector's '[1,2,3]', as real[]. */
extern ArrayType *gv_array_from_text(const char *s);

/* worker.c */
extern PGDLLEXPORT void govector_worker_main(Datum arg);

#endif
