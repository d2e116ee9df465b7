/*
 * govector's Postgres glue: shared declarations.
 *
 * The extension is plain C. It speaks to govectord (the engine process) over a Unix-domain socket with
 * protobuf-c messages, so no C++ code and no thread ever runs inside a Postgres process.
 *
 *   govector.c        module init, GUCs, transaction callback
 *   engine_client.c   the backend's connection to the engine: connect, cancellable send/receive, errors
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
