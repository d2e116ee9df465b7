// PgWriter: the HTTP API's writes when govectord runs under Postgres. Each write becomes one Postgres
// transaction, `SELECT gv_http_write(request)` (src/pg/http_write.c) over a libpq connection of
// govectord's own, so it is validated by the engine, logged in WAL and applied at COMMIT like every write
// made through SQL, and reaches standbys, backups and PITR with the rest. The standalone server has no
// PgWriter: its writes go to the engine directly (LMDB is its log).
//
// Connections are opened on first use, kept in a pool (one per HTTP request in flight) and dropped when
// they fail; every call is thread-safe and throws nothing.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "engine/status.h"
#include "govector.pb.h"

typedef struct pg_conn PGconn;

namespace govector {

class PgWriter {
 public:
  // conninfo: a libpq connection string for the database whose collections the HTTP API serves.
  explicit PgWriter(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~PgWriter();
  PgWriter(const PgWriter&) = delete;
  PgWriter& operator=(const PgWriter&) = delete;

  // Runs the write request as one transaction and returns the engine's answer (which carries the engine's
  // error code and message when it refused the write) once it has committed and the engine has applied it.
  // A failure of Postgres or of the connection comes back as the Status.
  Result<pb::Response> Write(const pb::Request& request);
  // Runs the requests in one transaction, in order: all of them commit, or none does. The answers come back
  // in order; when the engine refuses one (its answer carries the error), the transaction is rolled back
  // and that answer is the last one returned.
  Result<std::vector<pb::Response>> WriteAll(const std::vector<pb::Request>& requests);

 private:
  Result<PGconn*> Take();
  void Give(PGconn* conn);

  const std::string conninfo_;
  std::mutex mu_;
  std::vector<PGconn*> idle_;
};

}  // namespace govector
