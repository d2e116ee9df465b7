/*
 * gv_http_write(request bytea): how the HTTP API's writes become Postgres transactions.
 *
 * Under Postgres, govectord does not apply an HTTP write itself: it turns it into the same engine request a
 * gv_* function sends, and runs this function over a libpq connection of its own (src/server/pg_writer.cc).
 * The write then goes the way of every write made through Postgres (gv_call: tentative in the engine, logged
 * in WAL, applied at COMMIT), so it reaches standbys, backups and PITR like the rest. The answer is the
 * engine's packed response, with the engine's own error code and message (so the HTTP layer can word them
 * as Qdrant does); errors of Postgres itself (a read-only transaction, for example) are raised as usual.
 * COMMIT waits for the write to be applied as for any session (govector.commit_wait), also for Qdrant's
 * wait=false: clients rely on the next read seeing an acknowledged write.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "govector_pg.h"

PG_FUNCTION_INFO_V1(gv_http_write);
Datum
gv_http_write(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	GvRequest  *request;
	GvResponse *response;
	size_t		len;
	bytea	   *out;

	request = govector__pb__request__unpack(gv_pb_allocator(), VARSIZE_ANY_EXHDR(in),
											(const uint8 *) VARDATA_ANY(in));
	if (request == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("govector: gv_http_write was given a malformed engine request")));
	if (!gv_is_write_op(request->op_case) || request->txn != NULL || request->apply != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("govector: gv_http_write takes one plain write request")));
	/* As gv_drop_collection: a collection that foreign tables use is not dropped from under them. */
	if (request->op_case == GOVECTOR__PB__REQUEST__OP_DROP_COLLECTION && request->drop_collection != NULL &&
		gv_engine_find_collection(request->drop_collection->name) != NULL)
		gv_check_collection_users(request->drop_collection->name, false);
	response = gv_call_answer(request);
	len = govector__pb__response__get_packed_size(response);
	out = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	govector__pb__response__pack(response, (uint8 *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}
