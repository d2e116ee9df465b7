/*
 * Module initialisation: GUCs, the supervising background worker (when preloaded) and the transaction
 * callback that makes a transaction's engine writes durable before it reports COMMIT.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "govector_pg.h"

PG_MODULE_MAGIC;

int gv_ef_search = 0;
int gv_engine_timeout_ms = 10000;
int gv_index_threads = 2;
bool gv_preloaded = false;

void _PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("govector.ef_search",
							"Size of the candidate list for HNSW searches (0: the collection's default).",
							"Larger values give better recall and slower searches; gv_search's ef argument overrides it.",
							&gv_ef_search, 0, 0, 100000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("govector.engine_timeout",
							"How long a call waits for the govector engine to become reachable.",
							"Covers starting the engine on first use and its restart after a crash.",
							&gv_engine_timeout_ms, 10000, 100, 600000, PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("govector.index_threads",
							"Threads the engine uses to insert into HNSW indexes.",
							NULL, &gv_index_threads, 2, 1, 64, PGC_SIGHUP, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("govector");

	if (process_shared_preload_libraries_in_progress)
	{
		gv_preloaded = true;
		gv_register_static_worker();
	}
	RegisterXactCallback(gv_xact_callback, NULL);
}
