// The HTTP side of the Qdrant-compatible API, on cpp-httplib: API keys, limits, metrics, logging, and the
// registration of Qdrant's routes (QdrantRoutes() in http_api.h, which also says what each route does).
#include "server/http_server.h"

#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "commit.h"  // generated (build/gen): GV_GIT_COMMIT, the git commit of the source tree
#include "engine/version.h"
#include "server/http_api.h"
#include "server/log.h"

namespace govector {

namespace {

using Json = nlohmann::json;

constexpr std::array<double, 8> kBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};

struct Histogram {
  std::array<uint64_t, kBuckets.size()> counts{};
  uint64_t count = 0;
  double sum = 0;
};

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// httplib's task queue, which runs one task per connection, from its first request to its last. httplib's own
// ThreadPool has a fixed number of threads, so with more clients keeping connections open than threads (the
// Qdrant client opens up to 25), the surplus connections wait for one to close, up to the keep-alive timeout
// (seconds) per request. This pool starts `min` threads and another, up to `max`, whenever more tasks wait
// than threads are idle. Threads stay until shutdown, which runs the queued tasks and joins them all.
class ElasticThreadPool : public httplib::TaskQueue {
 public:
  ElasticThreadPool(size_t min, size_t max) : max_(std::max(min, max)) {
    std::lock_guard<std::mutex> l(mu_);
    for (size_t i = 0; i < min; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~ElasticThreadPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> l(mu_);
    if (stopping_) {
      // httplib enqueues nothing after shutdown(); were it to, the task (which owns a socket) still runs.
      l.unlock();
      fn();
      return;
    }
    jobs_.push_back(std::move(fn));
    if (jobs_.size() > idle_ && threads_.size() < max_) threads_.emplace_back([this] { Work(); });
    cv_.notify_one();
  }

  void shutdown() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
      threads.swap(threads_);
    }
    cv_.notify_all();
    for (auto& t : threads) t.join();
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      ++idle_;
      cv_.wait(l, [this] { return !jobs_.empty() || stopping_; });
      --idle_;
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      std::function<void()> fn = std::move(jobs_.front());
      jobs_.pop_front();
      l.unlock();
      fn();
      l.lock();
    }
  }

  const size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

// Whether a presented key equals the configured one (not empty), in a time that does not depend on where they
// first differ, so response times do not reveal how much of a guessed key was right.
bool SameSecret(const std::string& presented, const std::string& secret) {
  unsigned diff = presented.size() != secret.size();
  for (size_t i = 0; i < presented.size(); ++i)
    diff |= static_cast<unsigned char>(presented[i] ^ secret[i % secret.size()]);
  return diff == 0;
}

// Paths served without an API key: Qdrant's list ("/" exactly, "/healthz", and "/readyz", "/livez" as prefixes).
bool IsPublicPath(const std::string& path) {
  return path == "/" || path == "/healthz" || path.rfind("/readyz", 0) == 0 || path.rfind("/livez", 0) == 0;
}

// Wakes the connections httplib keeps open between requests. After Server::stop() each waits in its
// keep-alive poll for up to the keep-alive timeout (5 s) before it notices, and joining the server waits for
// them, so one idle client would hold up a shutdown that long. Shutting down their read side ends the wait
// at once; a request being handled still gets its response (the write side stays open). httplib 0.11 does not
// hand out its sockets, so they are found among the process's descriptors: TCP sockets, not listening, whose
// local port is the server's (once the listening socket is closed, only accepted connections have it).
void WakeIdleConnections(int port) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    int local_port = addr.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                     : addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                                  : -1;
    if (local_port != port) continue;
    int listening = 1;
    socklen_t optlen = sizeof(listening);
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || listening) continue;
    shutdown(static_cast<int>(fd), SHUT_RD);
  }
  closedir(dir);
}

}  // namespace

struct HttpServer::Impl {
  Impl(Engine* e, HttpOptions o)
      : engine(e),
        options(std::move(o)),
        pg(options.pg_conninfo.empty() ? nullptr : std::make_unique<PgWriter>(options.pg_conninfo)),
        api(e, options.namespace_id, pg.get()) {}

  Engine* engine;
  HttpOptions options;
  std::unique_ptr<PgWriter> pg;
  QdrantApi api;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> running{false};

  std::mutex metrics_mu;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests;  // method, route, status
  std::map<std::string, Histogram> latency;                                // by route

  void Record(const std::string& method, const std::string& route, int status, double seconds) {
    std::lock_guard<std::mutex> l(metrics_mu);
    ++requests[{method, route, status}];
    Histogram& h = latency[route];
    ++h.count;
    h.sum += seconds;
    for (size_t i = 0; i < kBuckets.size(); ++i)
      if (seconds <= kBuckets[i]) ++h.counts[i];
  }

  std::string Metrics() {
    std::string out;
    {
      std::lock_guard<std::mutex> l(metrics_mu);
      out += "# HELP govector_http_requests_total HTTP requests served, by method, route and status.\n"
             "# TYPE govector_http_requests_total counter\n";
      for (const auto& [k, n] : requests)
        out += "govector_http_requests_total{method=\"" + std::get<0>(k) + "\",route=\"" + Escape(std::get<1>(k)) +
               "\",status=\"" + std::to_string(std::get<2>(k)) + "\"} " + std::to_string(n) + "\n";
      out += "# HELP govector_http_request_duration_seconds Time to answer HTTP requests, by route.\n"
             "# TYPE govector_http_request_duration_seconds histogram\n";
      for (const auto& [route, h] : latency) {
        std::string r = Escape(route);
        for (size_t i = 0; i < kBuckets.size(); ++i) {
          char le[32];
          std::snprintf(le, sizeof(le), "%g", kBuckets[i]);
          out += "govector_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"" + le + "\"} " +
                 std::to_string(h.counts[i]) + "\n";
        }
        out += "govector_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"+Inf\"} " +
               std::to_string(h.count) + "\n";
        out += "govector_http_request_duration_seconds_sum{route=\"" + r + "\"} " + std::to_string(h.sum) + "\n";
        out += "govector_http_request_duration_seconds_count{route=\"" + r + "\"} " + std::to_string(h.count) + "\n";
      }
    }
    auto collections = engine->ListCollections(options.namespace_id);
    out += "# HELP govector_collections Collections served.\n# TYPE govector_collections gauge\n";
    out += "govector_collections " + std::to_string(collections.size()) + "\n";
    out += "# HELP govector_points Points per collection.\n# TYPE govector_points gauge\n";
    for (const auto& c : collections)
      out += "govector_points{collection=\"" + Escape(c.config.name) + "\"} " + std::to_string(c.points) + "\n";
    return out;
  }

  static void Reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
  }

  // An API answer, with Qdrant's "time" (seconds) added to its envelope.
  static void Send(httplib::Response& res, ApiReply reply, double seconds) {
    reply.body["time"] = seconds;
    Reply(res, reply.status, reply.body);
  }

  // Qdrant's query-string parameters, checked as Qdrant validates them (422). A single node already gives
  // every `ordering` and `consistency` guarantee; `timeout` bounds nothing here (a request runs to its end).
  static std::optional<ApiError> CheckQueryString(const httplib::Request& req) {
    auto bad = [](const std::string& what) { return ApiError{422, "Validation error in query string: " + what}; };
    if (req.has_param("wait")) {
      const std::string v = req.get_param_value("wait");
      if (v != "true" && v != "false") return bad("wait: expected true or false, got " + v);
    }
    if (req.has_param("timeout")) {
      const std::string v = req.get_param_value("timeout");
      if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos || std::stoull(v) < 1)
        return bad("timeout: expected a positive number of seconds, got " + v);
    }
    if (req.has_param("ordering")) {
      const std::string v = req.get_param_value("ordering");
      if (v != "weak" && v != "medium" && v != "strong")
        return bad("ordering: expected weak, medium or strong, got " + v);
    }
    return std::nullopt;
  }

  // Runs a route for a request whose path matched it (matches: the path's captures).
  void Run(const ApiRoute& route, const httplib::Request& req, const std::smatch& matches, const std::string& body,
           httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    ApiRequest call;
    if (matches.size() > 1) call.name = matches[1].str();
    if (matches.size() > 2) call.key = matches[2].str();
    call.wait = req.has_param("wait") && req.get_param_value("wait") == "true";
    if (std::optional<ApiError> bad = CheckQueryString(req)) {
      Send(res, ErrorReply(*bad), elapsed());
    } else {
      Send(res, Serve(api, route, call, body), elapsed());
    }
    Record(route.method, route.path, res.status, elapsed());
  }

  // The routes, for requests the pre-routing handler serves itself (see BodylessRequest).
  std::vector<std::pair<const ApiRoute*, std::regex>> patterns;

  // Registers a route; its path names it in metrics.
  void Route(const ApiRoute& route) {
    auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
      Run(route, req, req.matches, req.body, res);
    };
    const std::string method = route.method, pattern = RoutePattern(route);
    patterns.emplace_back(&route, std::regex(pattern));
    if (method == "GET") server.Get(pattern, handler);
    else if (method == "POST") server.Post(pattern, handler);
    else if (method == "PUT") server.Put(pattern, handler);
    else if (method == "DELETE") server.Delete(pattern, handler);
  }

  void Routes() {
    for (const ApiRoute& route : QdrantRoutes()) Route(route);
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      Reply(res, 200, {{"title", "govector - Qdrant-compatible vector search in PostgreSQL"},
                       {"version", "1.19.0"},
                       {"commit", GV_GIT_COMMIT},
                       {"govector_version", kVersion}});
    });
    for (const char* probe : {"/healthz", "/livez", "/readyz"})
      server.Get(probe, [](const httplib::Request&, httplib::Response& res) {
        res.set_content("healthz check passed", "text/plain");
      });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(Metrics(), "text/plain; version=0.0.4");
    });
  }
};

namespace {

// Qdrant's rule: the api-key header if there is one, else an "Authorization: Bearer <key>" header.
std::optional<std::string> PresentedKey(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization"), bearer = "Bearer ";
  if (req.has_header("api-key")) return req.get_header_value("api-key");
  if (auth.compare(0, bearer.size(), bearer) == 0) return auth.substr(bearer.size());
  return std::nullopt;
}

// As in Qdrant, GET / (the clients' version check) and the health probes need no key.
bool Authorized(const httplib::Request& req, const std::string& api_key) {
  if (api_key.empty() || IsPublicPath(req.path)) return true;
  std::optional<std::string> presented = PresentedKey(req);
  return presented && SameSecret(*presented, api_key);
}

// A request that carries no body by its framing, of a method httplib reads a body for.
bool BodylessRequest(const httplib::Request& req) {
  if (req.has_header("Content-Length") || req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos)
    return false;
  return req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
}

// A request whose body cannot be read as sent: a Content-Length that is not a decimal number (400), or one
// above the limit (413), answered at once (httplib would read or skip the body first).
std::optional<ApiReply> BadFraming(const httplib::Request& req, size_t max_body_bytes) {
  if (req.has_header("Content-Length")) {
    const std::string n = req.get_header_value("Content-Length");
    if (n.empty() || n.size() > 19 || n.find_first_not_of("0123456789") != std::string::npos)
      return ErrorReply({400, "Format error: Content-Length must be a non-negative integer, not \"" + n.substr(0, 40) + "\""});
    if (std::stoull(n) > max_body_bytes)
      return ErrorReply({413, "Payload error: the request body (" + n + " bytes) exceeds the limit of " +
                                  std::to_string(max_body_bytes) + " bytes"});
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

HttpServer::HttpServer(Engine* engine, HttpOptions options) : impl_(std::make_unique<Impl>(engine, std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Impl& s = *impl_;
  const HttpOptions& o = s.options;
  unsigned threads = std::max(1u, o.threads), max_threads = std::max(threads, o.max_threads);
  s.server.new_task_queue = [threads, max_threads] { return new ElasticThreadPool(threads, max_threads); };
  s.server.set_payload_max_length(o.max_body_bytes);
  // httplib writes a response's headers and body separately: without TCP_NODELAY, Nagle's algorithm holds the
  // body until the client acknowledges the headers, which it delays (~40 ms) on a reused connection.
  s.server.set_tcp_nodelay(true);
  // httplib closes a keep-alive connection after 5 requests by default; clients reuse theirs far longer.
  s.server.set_keep_alive_max_count(100000);
  s.server.set_read_timeout(o.read_timeout_seconds, 0);
  s.server.set_write_timeout(o.write_timeout_seconds, 0);
  s.server.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    // The body's framing, before httplib reads the body: it would otherwise wait the whole read timeout for
    // a body without a length (reading to the end of the connection) or skip a length it refuses.
    if (std::optional<ApiReply> bad = BadFraming(req, s.options.max_body_bytes)) {
      Impl::Send(res, std::move(*bad), 0);
      res.set_header("Connection", "close");
      s.Record(req.method, "bad framing", res.status, 0);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!Authorized(req, s.options.api_key)) {
      res.status = 401;
      res.set_content(PresentedKey(req) ? "Invalid API key or JWT"
                                        : "Must provide an API key or an Authorization bearer token",
                      "text/plain");
      s.Record(req.method, "unauthorized", 401, 0);
      return httplib::Server::HandlerResponse::Handled;
    }
    // A request with neither a Content-Length nor chunked encoding has no body (RFC 9112, 6.3), but httplib
    // would read one until the connection ends: such requests are served here, with an empty body.
    if (BodylessRequest(req)) {
      for (const auto& [route, re] : s.patterns) {
        std::smatch m;
        if (route->method == req.method && std::regex_match(req.path, m, re)) {
          s.Run(*route, req, m, "", res);
          return httplib::Server::HandlerResponse::Handled;
        }
      }
      Impl::Send(res, ErrorReply({404, "Not found: no route for " + req.method + " " + req.path}), 0);
      s.Record(req.method, "unmatched", 404, 0);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.server.set_error_handler(httplib::Server::HandlerWithResponse([&s](const httplib::Request& req,
                                                                      httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = res.status == 404   ? "Not found: no route for " + req.method + " " + req.path
                          : res.status == 413 ? "Payload error: the request body exceeds the limit of " +
                                                    std::to_string(s.options.max_body_bytes) + " bytes"
                                              : "HTTP error " + std::to_string(res.status);
    Impl::Send(res, ErrorReply({res.status, message}), 0);
    if (res.status == 404) s.Record(req.method, "unmatched", 404, 0);
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    Impl::Send(res, ErrorReply({500, "Service internal error: " + what}), 0);
  });
  s.server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (LogEnabled(LogLevel::kDebug))
      Log(LogLevel::kDebug, "http " + req.method + " " + req.path + " -> " + std::to_string(res.status) + " (" +
                                std::to_string(req.body.size()) + " bytes in, " + std::to_string(res.body.size()) +
                                " out)");
  });
  s.Routes();
  if (!s.server.bind_to_port(o.listen_address, o.port))
    return Status::IOError("cannot listen on " + o.listen_address + ":" + std::to_string(o.port) +
                           " (address in use, or not an address of this machine)");
  s.running = true;
  s.thread = std::thread([&s] { s.server.listen_after_bind(); });
  return Status::OK();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.running.exchange(false)) return;
  s.server.stop();
  WakeIdleConnections(s.options.port);
  if (s.thread.joinable()) s.thread.join();
}

}  // namespace govector
