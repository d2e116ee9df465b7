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

namespace {

// One `SELECT gv_http_write(request)` on conn: the engine's answer, or the Postgres error.
Result<pb::Response> WriteOn(PGconn* conn, const pb::Request& request) {
  std::string bytes;
  if (!request.SerializeToString(&bytes)) return Status::Internal("cannot encode the write request");
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
  return out;
}

// Runs a statement without parameters (BEGIN, COMMIT, ROLLBACK).
Status Command(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  Status s = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK ? Status::OK() : StatusOfPgError(r, conn);
  PQclear(r);
  return s;
}

}  // namespace

Result<pb::Response> PgWriter::Write(const pb::Request& request) {
  GV_ASSIGN_OR_RETURN(PGconn* conn, Take());
  Result<pb::Response> out = WriteOn(conn, request);
  Give(conn);
  return out;
}

Result<std::vector<pb::Response>> PgWriter::WriteAll(const std::vector<pb::Request>& requests) {
  GV_ASSIGN_OR_RETURN(PGconn* conn, Take());
  std::vector<pb::Response> answers;
  Status failed = Command(conn, "BEGIN");
  for (size_t i = 0; failed.ok() && i < requests.size(); ++i) {
    Result<pb::Response> one = WriteOn(conn, requests[i]);
    if (!one.ok()) {
      failed = one.status();
      break;
    }
    answers.push_back(std::move(one).value());
    if (answers.back().code() != 0) break;  // refused by the engine: nothing of the batch commits
  }
  if (failed.ok() && (answers.empty() || answers.back().code() == 0)) {
    failed = Command(conn, "COMMIT");
  } else {
    // A connection whose ROLLBACK fails is not reused (Give checks that it is idle).
    (void)Command(conn, "ROLLBACK");
  }
  Give(conn);
  if (!failed.ok()) return failed;
  return answers;
}

}  // namespace govector
