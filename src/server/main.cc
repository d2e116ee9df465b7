// govectord: the govector engine process.
//
// Under Postgres, a background worker starts it with --data-dir $PGDATA/govector --socket govectord.sock
// --postmaster-pid N and restarts it if it dies; it exits by itself when the postmaster goes away.
// Standalone (the seed's microservice mode): govectord --data-dir DIR --http-port 6333 [--api-key K].
// SIGTERM or SIGINT shut it down cleanly: requests in flight finish, index snapshots are saved, storage synced.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "engine/version.h"
#include "server/http_server.h"
#include "server/log.h"
#include "server/rpc_handler.h"
#include "server/rpc_server.h"

namespace govector {
namespace {

struct Args {
  std::string data_dir;
  std::string socket;
  int http_port = 0;
  std::string http_listen = "127.0.0.1";
  std::string api_key;
  uint32_t http_namespace = 0;
  pid_t postmaster_pid = 0;
  unsigned index_threads = 2;
  RpcOptions rpc;
  size_t map_size = size_t{1} << 38;
  LogLevel log_level = LogLevel::kInfo;
};

[[noreturn]] void Usage(const char* msg) {
  if (msg) std::fprintf(stderr, "govectord: %s\n", msg);
  std::fprintf(stderr,
               "usage: govectord --data-dir DIR [--socket PATH] [--http-port N] [--http-listen ADDR]\n"
               "                 [--api-key KEY] [--http-namespace OID] [--postmaster-pid PID]\n"
               "                 [--index-threads N] [--map-size BYTES] [--spin-us N] [--log-level debug|info|warning]\n");
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + k).c_str());
      return argv[++i];
    };
    if (k == "--data-dir") a.data_dir = value();
    else if (k == "--socket") a.socket = value();
    else if (k == "--http-port") a.http_port = std::atoi(value().c_str());
    else if (k == "--http-listen") a.http_listen = value();
    else if (k == "--api-key") a.api_key = value();
    else if (k == "--http-namespace") a.http_namespace = static_cast<uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    else if (k == "--postmaster-pid") a.postmaster_pid = static_cast<pid_t>(std::atoi(value().c_str()));
    else if (k == "--spin-us") a.rpc.spin_us = static_cast<unsigned>(std::max(0, std::atoi(value().c_str())));
    else if (k == "--index-threads") a.index_threads = static_cast<unsigned>(std::max(1, std::atoi(value().c_str())));
    else if (k == "--map-size") a.map_size = std::strtoull(value().c_str(), nullptr, 10);
    else if (k == "--log-level") {
      std::string l = value();
      a.log_level = l == "debug" ? LogLevel::kDebug : l == "warning" ? LogLevel::kWarning : LogLevel::kInfo;
    } else if (k == "--help" || k == "-h") Usage(nullptr);
    else Usage(("unknown option " + k).c_str());
  }
  if (a.api_key.empty()) {
    // The Postgres supervisor passes the key in the environment, where other users cannot read it.
    if (const char* key = std::getenv("GOVECTOR_API_KEY")) a.api_key = key;
  }
  if (a.data_dir.empty()) Usage("--data-dir is required");
  if (a.http_port < 0 || a.http_port > 65535) Usage("--http-port must be 0..65535");
  if (a.socket.empty() && a.http_port == 0) Usage("give --socket, --http-port or both");
  return a;
}

uint64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// Only one engine may own a data directory; a predecessor that is still shutting down gets a few seconds.
int LockDataDir(const std::string& dir) {
  mkdir(dir.c_str(), 0700);
  std::string path = dir + "/govectord.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  for (int i = 0; i < 200; ++i) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      std::string pid = std::to_string(getpid()) + "\n";
      if (ftruncate(fd, 0) == 0 && pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      }
      return fd;
    }
    usleep(50000);
  }
  close(fd);
  return -1;
}

int Run(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  SetLogLevel(args.log_level);
  signal(SIGPIPE, SIG_IGN);
  // Signals are taken by the main thread only, with sigtimedwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  pid_t parent = getppid();

  int lock_fd = LockDataDir(args.data_dir);
  if (lock_fd < 0) {
    Log(LogLevel::kError, "data directory " + args.data_dir + " is locked by another govectord");
    return 1;
  }
  auto started = std::chrono::steady_clock::now();
  EngineOptions options;
  options.data_dir = args.data_dir;
  options.map_size = args.map_size;
  options.index_threads = args.index_threads;
  // The engine's reports on its background work go to this log, at the matching level.
  options.info_log = [](InfoLogLevel level, const std::string& message) {
    Log(level == InfoLogLevel::kError     ? LogLevel::kError
        : level == InfoLogLevel::kWarning ? LogLevel::kWarning
                                          : LogLevel::kInfo,
        message);
  };
  auto opened = Engine::Open(options);
  if (!opened.ok()) {
    Log(LogLevel::kError, "cannot open the engine: " + opened.status().ToString());
    return 1;
  }
  std::unique_ptr<Engine> engine = std::move(opened).value();

  std::unique_ptr<RpcServer> rpc;
  std::atomic<bool> http_serving{false};  // read by RPC threads (engine status)
  auto status_json = [&]() {
    EngineStats st = engine->Stats();
    double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return nlohmann::json{
        {"pid", getpid()},
        {"version", kVersion},
        {"uptime", uptime},  // seconds
        {"data_directory", args.data_dir},
        {"collections", st.collections},
        {"points", st.points},
        {"connections", rpc ? rpc->connections() : 0},
        {"last_version", st.last_version},
        {"memory",
         {{"rss_bytes", RssBytes()},
          {"index_bytes", st.index_memory_bytes},
          {"pending_bytes", st.pending_memory_bytes}}},
        {"storage_bytes", st.storage_bytes},
        {"http", args.http_port > 0 ? nlohmann::json{{"port", args.http_port},
                                                     {"listen_address", args.http_listen},
                                                     {"namespace", args.http_namespace},
                                                     {"api_key_required", !args.api_key.empty()},
                                                     {"serving", http_serving.load()}}
                                    : nlohmann::json(nullptr)},
    };
  };
  RpcHandler handler(engine.get(), status_json);
  if (!args.socket.empty()) {
    RpcOptions ro = args.rpc;
    ro.max_spinners = std::max(1u, std::thread::hardware_concurrency() / 2);
    rpc = std::make_unique<RpcServer>(&handler, args.socket, ro);
    Status s = rpc->Start();
    if (!s.ok()) {
      Log(LogLevel::kError, "cannot listen on " + args.socket + ": " + s.ToString());
      return 1;
    }
  }
  // The HTTP API. Standalone, a port that cannot be bound is fatal. Under Postgres (with a socket) the engine
  // keeps serving SQL and retries the port every few seconds, so a port held by another program (or by a
  // previous engine's lingering connections) does not take SQL down with it.
  std::unique_ptr<HttpServer> http;
  std::string http_where = args.http_listen + ":" + std::to_string(args.http_port);
  bool http_failed_logged = false;
  auto try_http = [&]() -> bool {
    HttpOptions ho;
    ho.listen_address = args.http_listen;
    ho.port = args.http_port;
    ho.api_key = args.api_key;
    ho.namespace_id = args.http_namespace;
    auto server = std::make_unique<HttpServer>(engine.get(), ho);
    Status s = server->Start();
    if (!s.ok()) {
      if (!http_failed_logged)
        Log(LogLevel::kError, "cannot serve HTTP on " + http_where + ": " + s.ToString() +
                                  (rpc ? "; serving SQL only, and retrying every 5 s" : ""));
      http_failed_logged = true;
      return false;
    }
    if (http_failed_logged) Log(LogLevel::kInfo, "serving HTTP on " + http_where);
    http = std::move(server);
    http_serving = true;
    return true;
  };
  if (args.http_port > 0 && !try_http() && !rpc) return 1;
  Log(LogLevel::kInfo, std::string("engine ") + kVersion + " ready (pid " + std::to_string(getpid()) + ", " +
                           std::to_string(engine->Stats().collections) + " collections" +
                           (http ? ", HTTP on " + http_where : "") + ")");

  const char* why = nullptr;
  auto last_http_try = std::chrono::steady_clock::now();
  while (!why) {
    timespec timeout{0, 250 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGTERM) why = "SIGTERM";
    else if (sig == SIGINT) why = "SIGINT";
    else if (args.postmaster_pid && kill(args.postmaster_pid, 0) != 0 && errno == ESRCH) why = "the postmaster exited";
    else if (args.postmaster_pid && getppid() != parent) why = "the supervising worker exited";
    else if (args.http_port > 0 && !http && std::chrono::steady_clock::now() - last_http_try > std::chrono::seconds(5)) {
      last_http_try = std::chrono::steady_clock::now();
      try_http();
    }
  }
  Log(LogLevel::kInfo, std::string("shutting down (") + why + ")");
  if (http) http->Stop();
  if (rpc) rpc->Stop();
  engine.reset();  // saves index snapshots and syncs storage
  Log(LogLevel::kInfo, "shut down cleanly");
  close(lock_fd);
  return 0;
}

}  // namespace
}  // namespace govector

int main(int argc, char** argv) {
  try {
    return govector::Run(argc, argv);
  } catch (const std::exception& e) {
    govector::Log(govector::LogLevel::kError, std::string("fatal: ") + e.what());
    return 1;
  }
}
