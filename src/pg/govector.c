/*
 * Module initialisation: GUCs and, at server start (shared_preload_libraries, which govector requires), the
 * WAL resource manager, the shared memory, the supervising background worker, the WAL apply worker and the
 * transaction callbacks that make vector writes follow the transaction (wal.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"

#include "govector_pg.h"

PG_MODULE_MAGIC;

int gv_ef_search = 0;
int gv_engine_timeout_ms = 10000;
int gv_index_threads = 2;
int gv_spin_wait_us = 200;
int gv_http_port = 0;
char *gv_http_listen_addresses = NULL;
char *gv_http_api_key = NULL;
char *gv_http_database = NULL;
bool gv_preloaded = false;

void _PG_init(void);

/*
 * Registers one of govector's background workers (at server start; restarted a second after it exits). They
 * start once the data is consistent: on a hot standby that is during recovery, so the engine serves reads
 * and applies govector's records as the standby replays them (apply.c); on a primary, after crash recovery.
 */
static void
gv_register_worker(int flags, const char *function, const char *name)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = flags;
	w.bgw_start_time = BgWorkerStart_ConsistentState;
	w.bgw_restart_time = 1;
	strlcpy(w.bgw_library_name, "govector", BGW_MAXLEN);
	strlcpy(w.bgw_function_name, function, BGW_MAXLEN);
	snprintf(w.bgw_name, BGW_MAXLEN, "govector %s", name);
	snprintf(w.bgw_type, BGW_MAXLEN, "govector %s", name);
	RegisterBackgroundWorker(&w);
}

/* One address, as govectord binds one socket: a name (localhost), an IPv4/IPv6 literal, or *. */
static bool
gv_check_http_listen_addresses(char **newval, void **extra, GucSource source)
{
	const char *p;

	if (**newval == '\0')
	{
		GUC_check_errdetail("Give localhost, * or an IP address; to turn the HTTP API off, set govector.http_port to 0.");
		return false;
	}
	for (p = *newval; *p; p++)
	{
		if (*p == ',' || *p == ' ')
		{
			GUC_check_errdetail("govector serves HTTP on one address: localhost, * (every IPv4 address) or one IP address.");
			return false;
		}
	}
	return true;
}

void
_PG_init(void)
{
	DefineCustomIntVariable("govector.ef_search",
							"Size of the candidate list for HNSW searches (0: the collection's default).",
							"Larger values give better recall and slower searches; gv_search's ef argument overrides it.",
							&gv_ef_search, 0, 0, GV_MAX_EF, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("govector.engine_timeout",
							"How long a call waits for the govector engine to become reachable.",
							"Covers starting the engine on first use and its restart after a crash.",
							&gv_engine_timeout_ms, 10000, 100, 600000, PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("govector.index_threads",
							"Threads the engine uses to insert into HNSW indexes.",
							NULL, &gv_index_threads, 2, 1, 64, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("govector.spin_wait_us",
							"Microseconds a backend and the engine poll for each other's message before sleeping.",
							"Polling briefly saves the cost of waking a sleeping process, which on virtual machines "
							"is larger than a small search. 0 turns it off. Changing it restarts the engine.",
							&gv_spin_wait_us, 200, 0, 10000, PGC_SIGHUP, 0, NULL, NULL, NULL);
	/*
	 * The HTTP API (Qdrant-compatible) is served by the engine process. These are server settings: the
	 * supervisor restarts the engine when one of them changes on reload.
	 */
	DefineCustomIntVariable("govector.http_port",
							"TCP port of the engine's Qdrant-compatible HTTP API (0: not served).",
							"Changing it restarts the engine.",
							&gv_http_port, 0, 0, 65535, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("govector.http_listen_addresses",
							   "Address the HTTP API listens on: localhost, *, or one IP address.",
							   "* listens on every IPv4 address. Changing it restarts the engine.",
							   &gv_http_listen_addresses, "localhost", PGC_SIGHUP, 0,
							   gv_check_http_listen_addresses, NULL, NULL);
	DefineCustomStringVariable("govector.http_api_key",
							   "API key every HTTP request but GET / must present (empty: no key needed).",
							   "Sent as the api-key header or as Authorization: Bearer. Changing it restarts the engine.",
							   &gv_http_api_key, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("govector.http_database",
							   "Database whose collections the HTTP API serves.",
							   "Changing it restarts the engine.",
							   &gv_http_database, "postgres", PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("govector.commit_wait",
							 "Whether COMMIT waits until the engine has applied the transaction's vector writes.",
							 "On (the default), every session's searches see a transaction's writes once its COMMIT "
							 "returns. Off, COMMIT returns sooner and the writes become visible a moment later "
							 "(they are never lost: they are in WAL), like synchronous_commit = off.",
							 &gv_commit_wait, true, PGC_USERSET, 0, NULL, NULL, NULL);
	if (process_shared_preload_libraries_in_progress)
	{
		/* A server-start setting: it can be defined only while the postmaster loads the library. */
		DefineCustomIntVariable("govector.wal_rmgr_id",
								"Id of govector's custom WAL resource manager.",
								"Change it only on a new cluster, and only if another extension uses the same id: WAL "
								"written with one id cannot be read with another.",
								&gv_wal_rmgr_id, GV_DEFAULT_RMGR_ID, 128, 255, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	}
	MarkGUCPrefixReserved("govector");

	if (!process_shared_preload_libraries_in_progress)
		return;					/* every gv_* call then fails with a hint to preload (engine_client.c) */
	gv_preloaded = true;
	gv_wal_init();
	if (!IsUnderPostmaster)
		gv_backup_server_start();	/* a server started from a base backup restores the engine's copy */
	/*
	 * The supervisor reads pg_database (shared catalogs only). The apply worker connects to no database: it
	 * needs a backend id so that checkpoints can wait for it (apply.c).
	 */
	gv_register_worker(BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION, "govector_worker_main",
					   "supervisor");
	gv_register_worker(BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION, "govector_apply_main",
					   "WAL apply");
	gv_lifecycle_init();
	RegisterXactCallback(gv_xact_callback, NULL);
	RegisterSubXactCallback(gv_subxact_callback, NULL);
}
