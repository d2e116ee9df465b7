#include "server/pg_writer.h"

#include <libpq-fe.h>

namespace govector {
namespace {

constexpr unsigned kByteaOid = 17;  // pg_type.h: BYTEAOID

// A Postgres error as a Status: what the HTTP layer answers (403 for a read-only server, 503 for one that
// cannot take the write now, 500 otherwise), with Postgres's message and the hint that matters most.
Status StatusOfPgError(const PGresult* r, PGconn* conn) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : PQerrorMessage(conn);
  std::string code = state ? state : "";
  if (code == "42883")  // undefined_function: no govector 0.2.0 in this database
    return Status::Unavailable("HTTP writes need the govector extension (0.2.0 or later) in the served database: " +
                               message + " (CREATE EXTENSION govector, or ALTER EXTENSION govector UPDATE)");
  if (code == "2BP01")  // dependent_objects_still_exist: foreign tables use the collection being deleted
    return Status::InvalidArgument(message + (r && PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)
                                                  ? std::string(" (") + PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) + ")"
                                                  : std::string()));
  if (code == "25006")  // read_only_sql_transaction: a hot standby (or default_transaction_read_only)
    return Status::ReadOnly("this server is read-only (a hot standby?); send writes to the primary: " + message);
  if (code.rfind("08", 0) == 0 || code.rfind("57", 0) == 0 || code.rfind("53", 0) == 0 || code.empty())
    return Status::Unavailable("Postgres could not take the write: " + message);
  return Status::Internal("Postgres refused the write (SQLSTATE " + code + "): " + message);
}

}  // namespace

PgWriter::~PgWriter() {
  for (PGconn* c : idle_) PQfinish(c);
}

Result<PGconn*> PgWriter::Take() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!idle_.empty()) {
      PGconn* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  PGconn* c = PQconnectdb(conninfo_.c_str());
  if (c == nullptr) return Status::ResourceExhausted("out of memory connecting to Postgres");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string message = PQerrorMessage(c);
    PQfinish(c);
    return Status::Unavailable("cannot connect to Postgres for an HTTP write: " + message);
  }
  return c;
}

void PgWriter::Give(PGconn* conn) {
  if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE) {
    PQfinish(conn);
    return;
  }
  std::lock_guard<std::mutex> l(mu_);
  idle_.push_back(conn);
}

Result<pb::Response> PgWriter::Write(const pb::Request& request) {
  std::string bytes;
  if (!request.SerializeToString(&bytes)) return Status::Internal("cannot encode the write request");
  GV_ASSIGN_OR_RETURN(PGconn* conn, Take());
  const unsigned types[1] = {kByteaOid};
  const char* values[1] = {bytes.data()};
  const int lengths[1] = {static_cast<int>(bytes.size())};
  const int formats[1] = {1};  // binary
  PGresult* r = PQexecParams(conn, "SELECT gv_http_write($1)", 1, types, values, lengths, formats, 1);
  Result<pb::Response> out = Status::Internal("no answer");
  if (r != nullptr && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
    pb::Response response;
    if (response.ParseFromArray(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0)))
      out = std::move(response);
    else
      out = Status::Internal("malformed answer from gv_http_write");
  } else {
    out = StatusOfPgError(r, conn);
  }
  PQclear(r);
  Give(conn);
  return out;
}

}  // namespace govector
