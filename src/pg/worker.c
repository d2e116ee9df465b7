/*
 * The supervisor: a background worker that runs govectord.
 *
 * Registered at server start (govector must be in shared_preload_libraries), so the engine and its HTTP API
 * come up after initdb, a restart or crash recovery with no SQL client connecting. Only one supervisor runs
 * per cluster (an flock on $PGDATA/govector/supervisor.lock; a second one exits quietly).
 *
 * It starts govectord with its stderr on a pipe, copies each line the engine writes to the server log with
 * a "govector:" prefix, restarts the engine at once if it dies (even by kill -9), and on SIGTERM (smart or
 * fast shutdown) asks it to stop and waits for it. If the worker itself disappears (immediate shutdown, or
 * the postmaster dying), the engine gets SIGTERM through PR_SET_PDEATHSIG and also watches the postmaster.
 *
 * When govector.http_port is set, the engine also serves the Qdrant-compatible HTTP API for the collections of
 * govector.http_database. The worker is connected to no database, only to the shared catalogs, so that it can
 * turn that database's name into the OID that namespaces its collections. The API key reaches the engine in
 * its environment (readable only by the Postgres OS user), not on its command line.
 *
 * Collections are namespaced by database OID, and Postgres tells no extension about DROP DATABASE of another
 * database, so the worker reconciles: soon after each engine start (once the engine answers), then every 10
 * seconds, it asks the engine which namespaces have collections, THEN reads the OIDs in pg_database, and drops
 * the namespaces no database has. In that order, a database created between the two steps had no
 * collections when the engine answered, so it cannot be taken for a dropped one. Namespace 0 is the
 * standalone server's and is never dropped. A round that fails logs a WARNING and the loop goes on: an ERROR
 * escaping the loop would end the worker, and with it (PR_SET_PDEATHSIG) the engine.
 */
#include "postgres.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "postmaster/postmaster.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "govector_pg.h"

#define GV_RESTART_DELAY_MS 200
#define GV_STOP_WAIT_MS 60000
#define GV_RECONCILE_INTERVAL_MS 10000
#define GV_RECONCILE_RETRY_MS 250	/* after an engine start, until it answers */
#define GV_SUPERVISOR_CALL_MS 30000	/* the longest the worker waits for one answer */

static volatile sig_atomic_t gv_got_sigterm = false;
static pid_t gv_engine_pid = 0;
static int	gv_engine_exit_status = -1;	/* of the last engine that exited; -1: killed by a signal */
static char gv_restore_name[GV_BACKUP_NAME_LEN + 1] = "";	/* the backup copy the engine restores from */
static int	gv_log_fd = -1;
static StringInfoData gv_log_buf;
static MemoryContext gv_reconcile_cxt = NULL;

static void
gv_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	gv_got_sigterm = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* Copies complete lines from the engine's stderr to the server log. */
static void
gv_drain_log(bool flush_partial)
{
	char		buf[8192];

	if (gv_log_fd < 0)
		return;
	for (;;)
	{
		ssize_t		n = read(gv_log_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		appendBinaryStringInfo(&gv_log_buf, buf, (int) n);
	}
	for (;;)
	{
		char	   *nl = memchr(gv_log_buf.data, '\n', gv_log_buf.len);
		int			linelen;
		int			level = LOG;
		char	   *line;

		if (nl == NULL)
		{
			if (!flush_partial || gv_log_buf.len == 0)
				break;
			nl = gv_log_buf.data + gv_log_buf.len;
		}
		linelen = (int) (nl - gv_log_buf.data);
		line = pnstrdup(gv_log_buf.data, linelen);
		if (strncmp(line, "DEBUG: ", 7) == 0)
			level = DEBUG1;
		else if (strncmp(line, "WARNING: ", 9) == 0 || strncmp(line, "ERROR: ", 7) == 0)
			level = WARNING;
		ereport(level, (errmsg_internal("govector: %s", line)));
		pfree(line);
		if (nl == gv_log_buf.data + gv_log_buf.len)
			resetStringInfo(&gv_log_buf);
		else
		{
			int			rest = gv_log_buf.len - linelen - 1;

			memmove(gv_log_buf.data, nl + 1, rest);
			gv_log_buf.len = rest;
			gv_log_buf.data[rest] = '\0';
		}
	}
}

/* The settings the engine was started with; a reload that changes them restarts it. */
static char *
gv_engine_settings(void)
{
	return psprintf("index_threads=%d spin_wait=%d http_port=%d http_listen_addresses=%s http_database=%s http_api_key=%s",
					gv_index_threads, gv_spin_wait_us, gv_http_port, gv_http_listen_addresses, gv_http_database, gv_http_api_key);
}

/*
 * Walks a shared catalog (pg_database, pg_authid) with a plain heap scan, calling visit for each row. Not an index scan (get_database_oid):
 * a worker connected to no database cannot build the relcache entry of pg_database's index when the shared
 * relcache init file is missing, as it is after initdb and after crash recovery, and would fail with "cannot
 * read pg_class without having selected a database".
 */
static void
gv_scan_catalog(Oid relid, void (*visit) (HeapTuple tup, void *arg), void *arg)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	/* Not used itself, but taking it makes the catalog scan's snapshot newer than any earlier engine answer. */
	(void) GetTransactionSnapshot();
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
		visit(tup, arg);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
}

typedef struct GvNamedDatabase
{
	const char *name;
	Oid			oid;
} GvNamedDatabase;

static void
gv_match_database(HeapTuple tup, void *arg)
{
	GvNamedDatabase *want = arg;
	Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

	if (strcmp(NameStr(db->datname), want->name) == 0)
		want->oid = db->oid;
}

/* The OID of govector.http_database, or InvalidOid (with a warning) when there is no such database. */
static Oid
gv_http_namespace(void)
{
	GvNamedDatabase want = {gv_http_database, InvalidOid};

	gv_scan_catalog(DatabaseRelationId, gv_match_database, &want);
	if (!OidIsValid(want.oid))
		ereport(WARNING,
				(errcode(ERRCODE_UNDEFINED_DATABASE),
				 errmsg("govector: not serving HTTP: database \"%s\" (govector.http_database) does not exist",
						gv_http_database),
				 errhint("Create it, or set govector.http_database to an existing database and reload.")));
	return want.oid;
}

static void
gv_match_bootstrap_role(HeapTuple tup, void *arg)
{
	Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tup);

	if (role->oid == BOOTSTRAP_SUPERUSERID)
		*(char **) arg = pstrdup(NameStr(role->rolname));
}

/* Appends key='value' to a libpq connection string, with ' and \ escaped. */
static void
gv_conninfo_add(StringInfo buf, const char *key, const char *value)
{
	appendStringInfo(buf, "%s%s='", buf->len > 0 ? " " : "", key);
	for (const char *p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '\'');
}

/*
 * Where the HTTP API's writes go: a libpq connection string for govector.http_database, as the bootstrap
 * superuser, over the first Unix socket directory (or localhost when there is none). Each write then runs as
 * a Postgres transaction (src/pg/http_write.c); pg_hba.conf must let that role connect locally (initdb's
 * default, trust or peer for local connections, does).
 */
static char *
gv_http_conninfo(void)
{
	char	   *user = NULL;
	char	   *dirs = pstrdup(Unix_socket_directories ? Unix_socket_directories : "");
	char	   *host = strtok(dirs, ", ");
	StringInfoData buf;

	gv_scan_catalog(AuthIdRelationId, gv_match_bootstrap_role, &user);
	initStringInfo(&buf);
	gv_conninfo_add(&buf, "host", host && host[0] ? host : "localhost");
	gv_conninfo_add(&buf, "port", psprintf("%d", PostPortNumber));
	gv_conninfo_add(&buf, "dbname", gv_http_database);
	gv_conninfo_add(&buf, "application_name", "govector HTTP writes");
	if (user != NULL)
		gv_conninfo_add(&buf, "user", user);
	return buf.data;
}

/*
 * govectord's command line (in palloc'd memory, NULL-terminated): the data directory, the socket, the
 * postmaster to watch, the engine settings and, when the HTTP API is on, where it listens and which
 * database's collections it serves.
 */
static char **
gv_engine_argv(void)
{
	char	  **argv = palloc0(sizeof(char *) * 32);
	int			argc = 0;
	Oid			http_oid = gv_http_port > 0 ? gv_http_namespace() : InvalidOid;

	argv[argc++] = "govectord";
	argv[argc++] = "--data-dir";
	argv[argc++] = psprintf("%s/%s", DataDir, GV_DATA_SUBDIR);
	argv[argc++] = "--socket";
	argv[argc++] = GV_SOCKET_PATH;
	argv[argc++] = "--postmaster-pid";
	argv[argc++] = psprintf("%d", (int) PostmasterPid);
	argv[argc++] = "--index-threads";
	argv[argc++] = psprintf("%d", gv_index_threads);
	argv[argc++] = "--spin-us";
	argv[argc++] = psprintf("%d", gv_spin_wait_us);
	if (gv_restore_name[0] != '\0')
	{
		argv[argc++] = "--restore-from";
		argv[argc++] = gv_restore_name;
	}
	if (OidIsValid(http_oid))
	{
		const char *listen = gv_http_listen_addresses;

		if (strcmp(listen, "localhost") == 0)
			listen = "127.0.0.1";
		else if (strcmp(listen, "*") == 0)
			listen = "0.0.0.0";
		argv[argc++] = "--http-port";
		argv[argc++] = psprintf("%d", gv_http_port);
		argv[argc++] = "--http-listen";
		argv[argc++] = pstrdup(listen);
		argv[argc++] = "--http-namespace";
		argv[argc++] = psprintf("%u", http_oid);
		argv[argc++] = "--pg-conninfo";
		argv[argc++] = gv_http_conninfo();
	}
	if (log_min_messages <= DEBUG1)
	{
		argv[argc++] = "--log-level";
		argv[argc++] = "debug";
	}
	argv[argc] = NULL;
	return argv;
}

/*
 * Whether the engine may start. Not after it exited because its files are in a newer format than it reads
 * (status 4): until the server restarts with a govector that reads them, every gv_* call says so (0A000).
 * In a server started from a base backup (backup.c): with --restore-from the copy the restore marker names. Without that copy (or when the engine found none: its exit status 3) the
 * data cannot be made consistent: the engine stays down and every gv_* call says why, until the marker is
 * removed by hand (the engine then serves its files as they were copied).
 */
#define GV_EXIT_NO_BACKUP_COPY 3
#define GV_EXIT_UNSUPPORTED_FORMAT 4

static bool
gv_restore_allows_start(void)
{
	char		name[GV_BACKUP_NAME_LEN + 1];
	char		dir[MAXPGPATH];
	struct stat st;
	bool		refuse;

	/* An engine that found its files in a newer format is not started again (its log line says why). */
	if (gv_engine_exit_status == GV_EXIT_UNSUPPORTED_FORMAT)
	{
		if (pg_atomic_exchange_u32(&gv_shared->refused, GV_REFUSED_NEWER_FORMAT) != GV_REFUSED_NEWER_FORMAT)
			ereport(WARNING,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("govector: the engine's files were written by a newer govector; the engine is not started"),
					 errdetail("The engine's log line above says which format it found and which it reads."),
					 errhint("Install the govector version that wrote them (or a newer one) and restart the server.")));
		return false;
	}

	if (!gv_restore_marker_read(name))
	{
		gv_restore_name[0] = '\0';
		if (pg_atomic_read_u32(&gv_shared->refused) != 0)
		{
			pg_atomic_write_u32(&gv_shared->refused, 0);
			ereport(LOG, (errmsg("govector: the restore marker is gone; starting the engine on its files as they are")));
		}
		return true;
	}
	snprintf(dir, sizeof(dir), "%s/backups/%s", GV_DATA_SUBDIR, name);
	if (stat(dir, &st) != 0 && stat(GV_DATA_SUBDIR "/data.mdb", &st) != 0)
	{
		/* The backed-up server had no engine data (govector was not loaded there): nothing to restore. */
		if (unlink(GV_RESTORE_MARKER) != 0 && errno != ENOENT)
			ereport(WARNING, (errcode_for_file_access(), errmsg("govector: could not remove \"%s\": %m", GV_RESTORE_MARKER)));
		(void) unlink(GV_RESTORE_PENDING);
		gv_restore_name[0] = '\0';
		return true;
	}
	refuse = stat(dir, &st) != 0 ||
		(strcmp(gv_restore_name, name) == 0 && gv_engine_exit_status == GV_EXIT_NO_BACKUP_COPY);
	if (refuse)
	{
		if (pg_atomic_exchange_u32(&gv_shared->refused, GV_REFUSED_NO_BACKUP_COPY) != GV_REFUSED_NO_BACKUP_COPY)
			ereport(WARNING,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("govector: this server was started from a base backup that has no copy of the engine's "
							"data (\"%s\" is missing); vector searches and writes are refused", dir),
					 errdetail("The engine's files were copied while it was writing, so they cannot be made to match "
							   "the tables. The backup was taken while the engine was down, from a standby, or by "
							   "a tool whose backup checkpoint govector could not see."),
					 errhint("Take a new base backup (pg_basebackup, or pg_backup_start() and pg_backup_stop()) "
							 "from the primary while the engine runs, or remove \"%s\" and restart the server to "
							 "use the engine's files as copied.", GV_RESTORE_MARKER)));
		return false;
	}
	strlcpy(gv_restore_name, name, sizeof(gv_restore_name));
	return true;
}

/* The engine answered after a restore: the marker and the emptied copy directory go. */
static void
gv_restore_finished(void)
{
	char		dir[MAXPGPATH];

	if (gv_restore_name[0] == '\0')
		return;
	snprintf(dir, sizeof(dir), "%s/backups/%s", GV_DATA_SUBDIR, gv_restore_name);
	if (unlink(GV_RESTORE_MARKER) != 0 && errno != ENOENT)
		ereport(WARNING, (errcode_for_file_access(), errmsg("govector: could not remove \"%s\": %m", GV_RESTORE_MARKER)));
	fsync_fname(GV_DATA_SUBDIR, true);
	if (access(dir, F_OK) == 0)
		(void) rmtree(dir, true);	/* unless the apply worker has read the backup's end record */
	ereport(LOG, (errmsg("govector: the engine's data is restored from the copy made for the base backup")));
	gv_restore_name[0] = '\0';
}

static void
gv_start_engine(void)
{
	char		exec_path[MAXPGPATH];
	int			pipefd[2];
	pid_t		pid;
	pid_t		worker_pid = getpid();
	char	  **argv = gv_engine_argv();

	strlcpy(exec_path, my_exec_path, sizeof(exec_path));
	get_parent_directory(exec_path);
	strlcat(exec_path, "/govectord", sizeof(exec_path));

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("govector: could not create a pipe: %m")));
	pid = fork();
	if (pid < 0)
	{
		close(pipefd[0]);
		close(pipefd[1]);
		ereport(ERROR, (errmsg("govector: could not fork the engine: %m")));
	}
	if (pid == 0)
	{
		/* Child: no Postgres calls from here on, only plain system calls before exec. */
		sigset_t	all;
		int			devnull;

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != worker_pid)
			_exit(1);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGUSR1, SIG_DFL);
		signal(SIGUSR2, SIG_DFL);
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(pipefd[1], 2);
		/* Keep none of Postgres's descriptors (listen sockets, postmaster pipe) open in the engine. */
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
		/* This process is single-threaded, so setenv is safe here. */
		if (gv_http_api_key[0] != '\0')
			setenv("GOVECTOR_API_KEY", gv_http_api_key, 1);
		else
			unsetenv("GOVECTOR_API_KEY");
		execv(exec_path, (char *const *) argv);
		dprintf(2, "ERROR: could not execute %s: %s\n", exec_path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	if (gv_log_fd >= 0)
		close(gv_log_fd);
	gv_log_fd = pipefd[0];
	fcntl(gv_log_fd, F_SETFL, O_NONBLOCK);
	gv_engine_pid = pid;
	ereport(LOG, (errmsg("govector: started the engine (pid %d)", (int) pid)));
}

/* Reaps the engine if it exited; true when it did. */
static bool
gv_reap_engine(void)
{
	int			status;
	pid_t		r;

	if (gv_engine_pid == 0)
		return false;
	r = waitpid(gv_engine_pid, &status, WNOHANG);
	if (r != gv_engine_pid)
		return false;
	gv_drain_log(true);
	close(gv_log_fd);
	gv_log_fd = -1;
	gv_engine_exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (WIFSIGNALED(status))
		ereport(LOG, (errmsg("govector: the engine (pid %d) was terminated by signal %d",
							 (int) gv_engine_pid, WTERMSIG(status))));
	else
		ereport(LOG, (errmsg("govector: the engine (pid %d) exited with status %d",
							 (int) gv_engine_pid, WEXITSTATUS(status))));
	gv_engine_pid = 0;
	return true;
}

static void
gv_stop_engine(void)
{
	TimestampTz deadline;

	if (gv_engine_pid == 0)
		return;
	kill(gv_engine_pid, SIGTERM);
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), GV_STOP_WAIT_MS);
	while (!gv_reap_engine())
	{
		gv_drain_log(false);
		if (GetCurrentTimestamp() >= deadline)
		{
			ereport(WARNING, (errmsg("govector: the engine did not stop in time; killing it")));
			kill(gv_engine_pid, SIGKILL);
			deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), GV_STOP_WAIT_MS);
		}
		if (gv_log_fd >= 0)
			(void) WaitLatchOrSocket(NULL, WL_SOCKET_READABLE | WL_TIMEOUT, gv_log_fd, 50, PG_WAIT_EXTENSION);
		else
			pg_usleep(50000);
		CHECK_FOR_INTERRUPTS();
	}
}

typedef struct GvOidList
{
	Oid		   *oids;
	int			n;
	int			cap;
} GvOidList;

static void
gv_collect_database(HeapTuple tup, void *arg)
{
	GvOidList  *list = arg;
	Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

	if (list->n == list->cap)
	{
		list->cap *= 2;
		list->oids = repalloc(list->oids, list->cap * sizeof(Oid));
	}
	list->oids[list->n++] = db->oid;
}

/* The OIDs of every database in pg_database, sorted, in the current memory context. */
static Oid *
gv_database_oids(int *count)
{
	MemoryContext cxt = CurrentMemoryContext;
	GvOidList	list = {palloc(64 * sizeof(Oid)), 0, 64};

	gv_scan_catalog(DatabaseRelationId, gv_collect_database, &list);
	MemoryContextSwitchTo(cxt);	/* the commit left TopMemoryContext current */
	qsort(list.oids, list.n, sizeof(Oid), oid_cmp);
	*count = list.n;
	return list.oids;
}

/* One reconciliation round (see the top of the file). Raises on failure. */
static void
gv_reconcile_once(void)
{
	GvRequest	request = GOVECTOR__PB__REQUEST__INIT;
	Govector__Pb__ListNamespacesRequest list = GOVECTOR__PB__LIST_NAMESPACES_REQUEST__INIT;
	GvResponse *answer;
	Oid		   *oids;
	int			noids;

	/* First the engine's namespaces... */
	request.op_case = GOVECTOR__PB__REQUEST__OP_LIST_NAMESPACES;
	request.list_namespaces = &list;
	answer = gv_call(&request);
	if (answer->n_namespaces == 0 || (answer->n_namespaces == 1 && answer->namespaces[0] == 0))
		return;
	/* ...then the databases. */
	oids = gv_database_oids(&noids);
	for (size_t i = 0; i < answer->n_namespaces; i++)
	{
		Oid			ns = (Oid) answer->namespaces[i];
		GvRequest	drop_request = GOVECTOR__PB__REQUEST__INIT;
		Govector__Pb__DropNamespaceRequest drop = GOVECTOR__PB__DROP_NAMESPACE_REQUEST__INIT;
		GvResponse *dropped;

		if (ns == InvalidOid || bsearch(&ns, oids, noids, sizeof(Oid), oid_cmp) != NULL)
			continue;
		drop.namespace_id = ns;
		drop_request.op_case = GOVECTOR__PB__REQUEST__OP_DROP_NAMESPACE;
		drop_request.drop_namespace = &drop;
		dropped = gv_call(&drop_request);
		if (dropped->count > 0)
			ereport(LOG,
					(errmsg("govector: dropped " UINT64_FORMAT " collections of database OID %u, which no longer exists",
							(uint64) dropped->count, ns)));
	}
}

/*
 * Runs one reconciliation round and never raises: a failure is logged and the next round tries again. False
 * when the engine could not be connected to (it may still be starting).
 */
static bool
gv_reconcile(void)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(gv_reconcile_cxt);
	volatile bool reached = true;

	PG_TRY();
	{
		gv_reconcile_once();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * Copy the error out of ErrorContext (and out of the transaction's memory, if it was raised while
		 * pg_database was read) before cleaning up. AbortCurrentTransaction does nothing when no transaction
		 * is open, which is the case unless the error came from reading pg_database.
		 */
		MemoryContextSwitchTo(gv_reconcile_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(gv_reconcile_cxt);
		if (edata->sqlerrcode == ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION)
		{
			/* Not up yet (or going away): the next round, soon if it never answered, tries again. */
			reached = false;
			ereport(DEBUG1, (errmsg_internal("govector: reconciliation skipped: %s", edata->message)));
		}
		else if (edata->sqlerrcode != ERRCODE_ADMIN_SHUTDOWN && !gv_reap_engine())
			ereport(WARNING,
					(errmsg("govector: could not drop the collections of dropped databases: %s", edata->message),
					 errdetail("The supervisor tries again in %d seconds.", GV_RECONCILE_INTERVAL_MS / 1000)));
	}
	PG_END_TRY();
	/* The supervisor is a client only for these rounds: no engine thread waits on an idle connection. */
	gv_disconnect();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(gv_reconcile_cxt);
	return reached;
}

static void
gv_drain_log_while_waiting(void)
{
	gv_drain_log(false);
}

void
govector_worker_main(Datum arg)
{
	int			lock_fd;
	TimestampTz last_start = 0;
	TimestampTz next_reconcile = 0;
	bool		engine_answered = false;	/* since its last start */
	char	   *settings;
	static const GvSupervisorCalls calls = {&gv_got_sigterm, GV_SUPERVISOR_CALL_MS, gv_drain_log_while_waiting};

	pqsignal(SIGTERM, gv_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	/* No database: the shared catalogs only (pg_database, for govector.http_database). */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	if (mkdir(GV_DATA_SUBDIR, S_IRWXU) != 0 && errno != EEXIST)
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("govector: could not create directory \"%s\": %m", GV_DATA_SUBDIR)));
	lock_fd = open(GV_SUPERVISOR_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (lock_fd < 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("govector: could not open \"%s\": %m", GV_SUPERVISOR_LOCK)));
	if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
		proc_exit(0);			/* another supervisor is running: nothing to do, and don't restart */

	initStringInfo(&gv_log_buf);
	settings = gv_engine_settings();
	gv_reconcile_cxt = AllocSetContextCreate(TopMemoryContext, "govector reconcile", ALLOCSET_DEFAULT_SIZES);
	gv_set_supervisor_calls(&calls);

	while (!gv_got_sigterm)
	{
		int			rc;

		if (ConfigReloadPending)
		{
			char	   *now;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			now = gv_engine_settings();
			if (strcmp(now, settings) != 0)
			{
				ereport(LOG, (errmsg("govector: engine settings changed; restarting the engine")));
				gv_stop_engine();
				pfree(settings);
				settings = now;
			}
			else
				pfree(now);
		}
		if (gv_engine_pid == 0 &&
			TimestampDifferenceExceeds(last_start, GetCurrentTimestamp(), GV_RESTART_DELAY_MS) &&
			gv_restore_allows_start())
		{
			last_start = GetCurrentTimestamp();
			gv_start_engine();
			engine_answered = false;
			next_reconcile = TimestampTzPlusMilliseconds(last_start, GV_RECONCILE_RETRY_MS);
		}
		rc = WaitLatchOrSocket(MyLatch,
							   WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH |
							   (gv_log_fd >= 0 ? WL_SOCKET_READABLE : 0),
							   gv_log_fd, 100, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		/* Absorbs ProcSignalBarriers (DROP DATABASE waits for every process to take them). */
		CHECK_FOR_INTERRUPTS();
		gv_drain_log(false);
		gv_reap_engine();
		if (gv_engine_pid != 0 && !gv_got_sigterm && GetCurrentTimestamp() >= next_reconcile)
		{
			if (gv_reconcile())
			{
				if (!engine_answered)
					gv_restore_finished();
				engine_answered = true;
			}
			next_reconcile = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 engine_answered ? GV_RECONCILE_INTERVAL_MS
														 : GV_RECONCILE_RETRY_MS);
		}
	}
	gv_stop_engine();
	gv_drain_log(true);
	proc_exit(0);
}
