/*
 * The backend's connection to govectord.
 *
 * One connection per backend, opened on first use and kept. A request is a 4-byte big-endian length and a
 * packed pb::Request; the answer has the same framing. Every wait goes through WaitLatchOrSocket and
 * CHECK_FOR_INTERRUPTS, so query cancel, statement_timeout and shutdown interrupt it. An interrupted request
 * leaves the connection mid-conversation; the next call notices (gv_in_flight) and reconnects.
 *
 * Engine errors become ereport(ERROR) with the SQLSTATE matching the engine's status code; one about a
 * collection is worded from its subject (Response.subject_kind and subject_name), never parsed from the
 * engine's message. Writes are logged in WAL after the engine accepts them tentatively (gv_call, wal.c).
 *
 * The supervising worker makes calls too (gv_set_supervisor_calls), with other rules: it is the one that starts
 * the engine, so it must never start a worker or wait for the engine to come up, and it must not stay away
 * from its own work for long: its calls give up after a timeout, or at once when the worker is told to stop
 * (its SIGTERM handler sets a flag, which CHECK_FOR_INTERRUPTS does not see).
 */
#include "postgres.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "govector_pg.h"

#define GV_MAX_FRAME ((size_t) MaxAllocSize - 4)

static pgsocket gv_sock = PGINVALID_SOCKET;
static bool gv_in_flight = false;
static bool gv_spin_ok = true;	/* the engine's last spin_hint */

/* Set in the supervisor only; its current call's deadline. */
static const GvSupervisorCalls *gv_supervisor = NULL;
static TimestampTz gv_call_deadline = 0;

/* How often a supervisor's call wakes up while it waits, to run while_waiting. */
#define GV_SUPERVISOR_TICK_MS 100

static void *
gv_pb_alloc(void *data, size_t size)
{
	return palloc_extended(size > 0 ? size : 1, MCXT_ALLOC_HUGE);
}

static void
gv_pb_free(void *data, void *pointer)
{
	if (pointer)
		pfree(pointer);
}

static ProtobufCAllocator gv_allocator = {gv_pb_alloc, gv_pb_free, NULL};

/* protobuf-c allocations in the current memory context (freed with it, also when an error unwinds). */
ProtobufCAllocator *
gv_pb_allocator(void)
{
	return &gv_allocator;
}

static void
gv_close(void)
{
	if (gv_sock != PGINVALID_SOCKET)
		close(gv_sock);
	gv_sock = PGINVALID_SOCKET;
	gv_in_flight = false;
}

void
gv_set_supervisor_calls(const GvSupervisorCalls *calls)
{
	gv_supervisor = calls;
}

void
gv_disconnect(void)
{
	gv_close();
}

/* In the supervisor: raises when it is told to stop or the call's time is up. */
static void
gv_supervisor_check(void)
{
	if (*gv_supervisor->stop)
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("govector: the supervisor is stopping; call abandoned")));
	if (GetCurrentTimestamp() >= gv_call_deadline)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("the govector engine did not answer within %d ms", gv_supervisor->timeout_ms)));
}

static bool
gv_connect_once(int *err)
{
	struct sockaddr_un addr;
	int			fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strlcpy(addr.sun_path, GV_SOCKET_PATH, sizeof(addr.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		*err = errno;
		return false;
	}
	if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0)
	{
		*err = errno;
		close(fd);
		return false;
	}
	if (!pg_set_noblock(fd))
	{
		*err = errno;
		close(fd);
		return false;
	}
	gv_sock = fd;
	return true;
}

/* Connects, waiting up to govector.engine_timeout for the engine to come up. */
static void
gv_connect(void)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), gv_engine_timeout_ms);
	int			err = 0;

	for (;;)
	{
		if (gv_connect_once(&err))
		{
			if (gv_supervisor == NULL)
				gv_txn_connected();
			return;
		}
		/* The supervisor starts the engine itself: an engine that does not answer yet is not waited for. */
		if (gv_supervisor != NULL)
		{
			errno = err;
			ereport(ERROR,
					(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("could not connect to the govector engine: %m")));
		}
		if (GetCurrentTimestamp() >= deadline)
		{
			errno = err;
			ereport(ERROR,
					(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("could not connect to the govector engine: %m"),
					 errdetail("Waited %d ms for the engine socket \"%s\" in the data directory.",
							   gv_engine_timeout_ms, GV_SOCKET_PATH),
					 errhint("The engine is started by a background worker; look for lines starting with "
							 "\"govector:\" in the server log. govector.engine_timeout sets how long to wait.")));
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 20, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
gv_wait_socket(int event)
{
	long		timeout = -1;
	int			rc;

	if (gv_supervisor != NULL)
	{
		gv_supervisor_check();
		timeout = Min(GV_SUPERVISOR_TICK_MS,
					  TimestampDifferenceMilliseconds(GetCurrentTimestamp(), gv_call_deadline));
		event |= WL_TIMEOUT;
	}
	rc = WaitLatchOrSocket(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | event, gv_sock, timeout,
						   PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (gv_supervisor != NULL && gv_supervisor->while_waiting != NULL)
		gv_supervisor->while_waiting();
}

/* 0 on success, else an errno value. */
static int
gv_send_all(const char *buf, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = send(gv_sock, buf, len, MSG_NOSIGNAL);

		if (n > 0)
		{
			buf += n;
			len -= (size_t) n;
		}
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			gv_wait_socket(WL_SOCKET_WRITEABLE);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return n < 0 ? errno : EPIPE;
	}
	return 0;
}

static uint64
gv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64) ts.tv_sec * 1000000 + (uint64) ts.tv_nsec / 1000;
}

/*
 * Reads len bytes. While nothing has arrived yet, it polls for up to govector.spin_wait_us microseconds before
 * sleeping in WaitLatchOrSocket: most engine calls answer within a few hundred microseconds, and on virtual
 * machines waking a process whose CPU went idle costs about as much as a search. It polls only when the
 * engine's last answer said it had no other request to serve (spin_hint): on a loaded machine, a polling
 * backend would take CPU from the engine. Interrupts are honoured while polling too.
 */
static int
gv_recv_all(char *buf, size_t len)
{
	uint64		spin_until = gv_spin_wait_us > 0 && gv_spin_ok ? gv_now_us() + (uint64) gv_spin_wait_us : 0;

	while (len > 0)
	{
		ssize_t		n = recv(gv_sock, buf, len, 0);

		if (n > 0)
		{
			buf += n;
			len -= (size_t) n;
		}
		else if (n == 0)
			return ECONNRESET;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
		{
			if (spin_until != 0 && gv_now_us() < spin_until)
			{
				CHECK_FOR_INTERRUPTS();
				continue;
			}
			gv_wait_socket(WL_SOCKET_READABLE);
		}
		else if (errno != EINTR)
			return errno;
	}
	return 0;
}

/* The SQLSTATE of an engine status code (the mapping govector_limits.h documents). */
static int
gv_sqlstate(int code)
{
	switch (code)
	{
		case GV_STATUS_INVALID_ARGUMENT:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case GV_STATUS_NOT_FOUND:
			return ERRCODE_UNDEFINED_OBJECT;
		case GV_STATUS_ALREADY_EXISTS:
			return ERRCODE_DUPLICATE_OBJECT;
		case GV_STATUS_INVALID_FILTER:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case GV_STATUS_RESOURCE_EXHAUSTED:
			return ERRCODE_INSUFFICIENT_RESOURCES;
		case GV_STATUS_IO_ERROR:
			return ERRCODE_IO_ERROR;
		case GV_STATUS_UNAVAILABLE:
			return ERRCODE_CONNECTION_FAILURE;
		case GV_STATUS_CANCELLED:
			return ERRCODE_QUERY_CANCELED;
		case GV_STATUS_READ_ONLY:
			return ERRCODE_READ_ONLY_SQL_TRANSACTION;
		case GV_STATUS_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case GV_STATUS_DISK_FULL:
			return ERRCODE_DISK_FULL;
	}
	return ERRCODE_INTERNAL_ERROR;
}

void
gv_report_no_collection(const char *name)
{
	ereport(ERROR,
			(errcode(gv_sqlstate(GV_STATUS_NOT_FOUND)),
			 errmsg("govector: collection \"%s\" does not exist", name),
			 errhint("Create it with gv_create_collection(), or list this database's collections with "
					 "SELECT * FROM gv_collections().")));
}

/*
 * Raises an engine error. One about a collection is worded the Postgres way from its subject (the engine
 * words it as Qdrant does); any other is the engine's message.
 */
static void
gv_raise(const GvResponse *response)
{
	int			sqlstate = gv_sqlstate(response->code);

	if (response->subject_kind == GV_SUBJECT_COLLECTION && response->code == GV_STATUS_NOT_FOUND)
		gv_report_no_collection(response->subject_name);
	if (response->subject_kind == GV_SUBJECT_COLLECTION && response->code == GV_STATUS_ALREADY_EXISTS)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("govector: collection \"%s\" already exists", response->subject_name)));
	ereport(ERROR, (errcode(sqlstate), errmsg("govector: %s", response->message)));
}

/*
 * Sends one frame whose body is the concatenation of nparts buffers (a packed request, or a packed request
 * followed by fields merged into it: see gv_call_packed), on a new connection if the old one is gone; raises
 * on failure. txn: whether the request carries the transaction's context.
 */
static void
gv_send_frame(const char *const *parts, const size_t *lens, int nparts, bool txn)
{
	size_t		len = 0;
	char		header[4];
	int			err = 0;

	for (int i = 0; i < nparts; i++)
		len += lens[i];
	if (len > GV_MAX_FRAME)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("govector request is too large (%zu bytes)", len),
				 errhint("Send fewer points per call.")));
	header[0] = (char) (len >> 24);
	header[1] = (char) (len >> 16);
	header[2] = (char) (len >> 8);
	header[3] = (char) len;

	for (int attempt = 0; attempt < 2; attempt++)
	{
		if (gv_in_flight)
			gv_close();			/* an earlier call was interrupted mid-conversation */
		if (gv_sock == PGINVALID_SOCKET)
			gv_connect();
		/* A new connection has lost the transaction's overlay: a writing transaction cannot go on. */
		if (txn)
			gv_txn_check_connection();
		gv_in_flight = true;
		err = gv_send_all(header, sizeof(header));
		for (int i = 0; err == 0 && i < nparts; i++)
			err = gv_send_all(parts[i], lens[i]);
		if (err == 0)
			break;
		gv_close();
		/* A connection to an engine that has since restarted fails at once: resend on a new one. */
		if (attempt == 1 || (err != EPIPE && err != ECONNRESET))
		{
			errno = err;
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not send a request to the govector engine: %m")));
		}
	}
	if (txn)
		gv_txn_sent();
}

/* Packs and sends one request; raises on failure. */
static void
gv_send_request(GvRequest *request)
{
	size_t		len = govector__pb__request__get_packed_size(request);
	char	   *out;

	if (len > GV_MAX_FRAME)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("govector request is too large (%zu bytes)", len),
				 errhint("Send fewer points per call.")));
	out = palloc_extended(len > 0 ? len : 1, MCXT_ALLOC_HUGE);
	govector__pb__request__pack(request, (uint8 *) out);
	gv_send_frame((const char *const *) &out, &len, 1, request->txn != NULL);
	pfree(out);
}

/* Reads and decodes one answer; raises on failure (not on the engine's error codes). */
static GvResponse *
gv_read_response(void)
{
	uint8		header[4];
	size_t		rlen = 0;
	char	   *in = NULL;
	int			err = gv_recv_all((char *) header, 4);
	GvResponse *response;

	if (err == 0)
	{
		rlen = (size_t) header[0] << 24 | (size_t) header[1] << 16 | (size_t) header[2] << 8 | header[3];
		if (rlen > GV_MAX_FRAME)
		{
			gv_close();
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("the govector engine sent a %zu-byte answer, more than this backend can take", rlen)));
		}
		in = palloc_extended(rlen > 0 ? rlen : 1, MCXT_ALLOC_HUGE);
		err = gv_recv_all(in, rlen);
	}
	if (err != 0)
	{
		gv_close();
		errno = err;
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("lost the connection to the govector engine while waiting for its answer: %m"),
				 errdetail("The engine may have been restarted; whether this request took effect is unknown."),
				 errhint("Retry the statement.")));
	}
	gv_in_flight = false;
	response = govector__pb__response__unpack(&gv_allocator, rlen, (const uint8 *) in);
	if (response == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("malformed answer from the govector engine")));
	gv_spin_ok = response->spin_hint;
	return response;
}

/* Sends one request and reads its answer; raises on failure (the engine's errors too, when raise). */
static GvResponse *
gv_roundtrip(GvRequest *request, bool raise)
{
	GvResponse *response;

	if (gv_supervisor != NULL)
	{
		gv_call_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), gv_supervisor->timeout_ms);
		gv_supervisor_check();
	}
	gv_send_request(request);
	response = gv_read_response();
	if (raise && response->code != GV_STATUS_OK && !response->apply_skipped)
		gv_raise(response);
	return response;
}

static GvResponse *
gv_call_internal(GvRequest *request, bool raise)
{
	GvResponse *response;
	bool		write;

	if (gv_supervisor != NULL)
		return gv_roundtrip(request, raise);	/* the supervisor and the apply worker set namespace_id */

	if (!gv_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("govector must be loaded at server start"),
				 errhint("Add govector to shared_preload_libraries in postgresql.conf "
						 "(shared_preload_libraries = 'govector') and restart the server.")));
	if (pg_atomic_read_u32(&gv_shared->refused) == GV_REFUSED_NEWER_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("govector: the engine's files were written by a newer govector"),
				 errdetail("The engine is not started; the server log says which format it found."),
				 errhint("Install the govector version that wrote them (or a newer one) and restart the server.")));
	if (pg_atomic_read_u32(&gv_shared->refused) == GV_REFUSED_NO_BACKUP_COPY)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("govector: this server was started from a base backup that has no copy of the engine's data"),
				 errdetail("The engine's files were copied while it was writing and cannot be made to match the "
						   "tables; the engine is not started (the server log says more)."),
				 errhint("Take a new base backup from the primary while the engine runs, or remove \"%s\" in the "
						 "data directory and restart the server to use the engine's files as copied.",
						 GV_RESTORE_MARKER)));
	request->namespace_id = MyDatabaseId;
	write = gv_is_write_op(request->op_case);
	if (write)
	{
		PreventCommandIfReadOnly("a govector write");
		PreventCommandIfParallelMode("a govector write");
		if (!IsTransactionState())
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
					 errmsg("govector writes need a transaction")));
		(void) GetCurrentTransactionId();	/* the record belongs to this (sub)transaction's xid */
	}
	request->txn = gv_txn_context(write);
	response = gv_roundtrip(request, raise);
	if (write && response->code == GV_STATUS_OK)
		gv_wal_log_write(request, response->version);
	request->txn = NULL;
	return response;
}

/*
 * For the apply worker: sends a request given packed (a WAL record's bytes, as the backend packed it) with the
 * fields of `extra` merged into it, and reads the answer; raises on failure and on the engine's errors (not on
 * a skipped apply). Protobuf reads a message followed by another as their merge, so the record goes to the
 * engine as it lies in WAL, without being decoded and packed again here.
 */
GvResponse *
gv_call_packed(const char *packed, size_t len, GvRequest *extra)
{
	size_t		extra_len = govector__pb__request__get_packed_size(extra);
	char	   *extra_out = palloc(extra_len > 0 ? extra_len : 1);
	const char *parts[2];
	size_t		lens[2];
	GvResponse *response;

	Assert(gv_supervisor != NULL);
	govector__pb__request__pack(extra, (uint8 *) extra_out);
	parts[0] = packed;
	lens[0] = len;
	parts[1] = extra_out;
	lens[1] = extra_len;
	gv_call_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), gv_supervisor->timeout_ms);
	gv_supervisor_check();
	gv_send_frame(parts, lens, 2, false);
	pfree(extra_out);
	response = gv_read_response();
	if (response->code != GV_STATUS_OK && !response->apply_skipped)
		gv_raise(response);
	return response;
}

/*
 * Carries out one request. In a backend, a write is first accepted tentatively by the engine (validated, its
 * version reserved, visible to this transaction only), then logged in WAL inside the transaction (wal.c); the
 * engine's committed state changes only when the apply worker replays it after COMMIT. Reads made by a
 * transaction that has written carry its TxnContext, so they see its own writes. The engine's errors are
 * raised with their SQLSTATE.
 */
GvResponse *
gv_call(GvRequest *request)
{
	return gv_call_internal(request, true);
}

/*
 * The same, but an error the engine answers comes back in the response (code and message as the engine
 * words them) instead of being raised; a write it refuses is not logged. Other failures still raise.
 */
GvResponse *
gv_call_answer(GvRequest *request)
{
	return gv_call_internal(request, false);
}
