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
 */
#ifndef GOVECTOR_PG_H
#define GOVECTOR_PG_H

#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "govector.pb-c.h"

typedef Govector__Pb__Request GvRequest;
typedef Govector__Pb__Response GvResponse;

/* Relative to the data directory, which is the working directory of every backend and of the worker. */
#define GV_DATA_SUBDIR "govector"
#define GV_SOCKET_PATH GV_DATA_SUBDIR "/govectord.sock"
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

/* engine_client.c */
extern GvResponse *gv_call(GvRequest *request);
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
extern void gv_note_write(void);
extern void gv_xact_callback(XactEvent event, void *arg);

/*
 * engine_requests.c: each function sends one request with gv_call (so engine errors are raised) and returns
 * the answer, or the part of it the request is for. Filters are engine filter JSON, "" for none; none of
 * the functions calls gv_note_write.
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
										const char *index, uint32 m, uint32 ef_construct,
										const char *quantization);
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

/* convert.c: SQL values <-> engine message fields */
extern char *gv_jsonb_text(Jsonb *jb);
extern Datum gv_jsonb_datum(const char *json);	/* "" means {} */
extern Datum gv_vector_datum(const float *v, size_t n);
/* A one-dimensional real[] without NULLs as floats (what names the array in errors). */
extern float *gv_vector_from_array(ArrayType *a, const char *what, size_t *len);

/* worker.c */
extern void gv_register_static_worker(void);
extern bool gv_start_dynamic_worker(void);
extern PGDLLEXPORT void govector_worker_main(Datum arg);

#endif
