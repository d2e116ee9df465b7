// HttpServer: the Qdrant-compatible REST API (shapes in shared/reference/qdrant-rest-api.md), served by
// govectord from the same engine the SQL functions use. Built on cpp-httplib (Debian's libcpp-httplib-dev).
//
// All collections it serves belong to one namespace: 0 standalone, or the OID of the database named by
// govector.http_database under Postgres.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/status.h"

namespace govector {

struct HttpOptions {
  std::string listen_address = "127.0.0.1";
  int port = 6333;
  std::string api_key;                      // empty: no authentication
  uint32_t namespace_id = 0;
  // Under Postgres: a libpq connection string for the served database; writes then run as Postgres
  // transactions (PgWriter). Empty for the standalone server.
  std::string pg_conninfo;
  size_t max_body_bytes = size_t{64} << 20;  // larger bodies get 413
  int read_timeout_seconds = 30;
  int write_timeout_seconds = 30;
  // httplib gives each connection a thread for as long as the client keeps it open: `threads` start at once,
  // more (up to max_threads) when connections arrive with none idle; beyond that, connections wait.
  unsigned threads = 8;
  unsigned max_threads = 256;
};

class HttpServer {
 public:
  HttpServer(Engine* engine, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the port (an error if it is taken) and serves from background threads.
  Status Start();
  // Stops accepting, lets requests in flight finish, and joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace govector
