// govectord: the govector engine process.
//
// Under Postgres, a background worker starts it with --data-dir $PGDATA/govector --socket pgsql_tmp.govectord.sock
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

#include "engine/backup.h"
#include "engine/engine.h"
#include "engine/version.h"
#include "server/http_server.h"
#include "server/log.h"
#include "server/rpc_handler.h"
#include "server/rpc_server.h"

namespace govector {
namespace {

// Exit status when --restore-from names no backup copy (the supervisor refuses to serve the data: worker.c).
constexpr int kExitNoBackupCopy = 3;
// Exit status when the data directory is in a newer format than this engine reads (the supervisor stops).
constexpr int kExitUnsupportedFormat = 4;

struct Args {
  std::string data_dir;
  std::string socket;
  int http_port = 0;
  std::string http_listen = "127.0.0.1";
  std::string api_key;
  uint32_t http_namespace = 0;
  std::string pg_conninfo;  // under Postgres: where HTTP writes go (see pg_writer.h)
  std::string restore_from;  // under Postgres, in a server started from a base backup: the backup copy to use
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
               "                 [--api-key KEY] [--http-namespace OID] [--pg-conninfo STR] [--postmaster-pid PID]\n"
               "                 [--restore-from BACKUP-COPY]\n"
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
    else if (k == "--pg-conninfo") a.pg_conninfo = value();
    else if (k == "--restore-from") a.restore_from = value();
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

// The engine and the servers in front of it, from opening the engine to a clean shutdown.
class Daemon {
 public:
  explicit Daemon(const Args& args)
      : args_(args), http_where_(args.http_listen + ":" + std::to_string(args.http_port)) {}

  // Serves until a signal in `signals` arrives or the process that supervises it goes away; the exit code.
  int Serve(const sigset_t& signals, pid_t parent);

 private:
  // The engine status document (gv_engine_status()), read by RPC threads.
  nlohmann::json StatusJson();
  bool StartRpc();
  // Starts the HTTP server; false (logged once) when the port cannot be bound.
  bool TryHttp();
  // Waits for the reason to shut down, retrying the HTTP port meanwhile if it could not be bound.
  const char* WaitForShutdown(const sigset_t& signals, pid_t parent);

  const Args args_;
  const std::string http_where_;
  std::chrono::steady_clock::time_point started_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<RpcHandler> handler_;
  std::unique_ptr<RpcServer> rpc_;
  std::unique_ptr<HttpServer> http_;
  std::atomic<bool> http_serving_{false};  // read by RPC threads (engine status)
  bool http_failed_logged_ = false;
};

int Daemon::Serve(const sigset_t& signals, pid_t parent) {
  started_ = std::chrono::steady_clock::now();
  EngineOptions options;
  options.data_dir = args_.data_dir;
  options.map_size = args_.map_size;
  options.index_threads = args_.index_threads;
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
    return opened.status().code() == StatusCode::kUnsupported ? kExitUnsupportedFormat : 1;
  }
  engine_ = std::move(opened).value();
  handler_ = std::make_unique<RpcHandler>(engine_.get(), [this] { return StatusJson(); });
  if (!args_.socket.empty() && !StartRpc()) return 1;
  // The HTTP API. Standalone, a port that cannot be bound is fatal. Under Postgres (with a socket) the engine
  // keeps serving SQL and retries the port every few seconds, so a port held by another program (or by a
  // previous engine's lingering connections) does not take SQL down with it.
  if (args_.http_port > 0 && !TryHttp() && !rpc_) return 1;
  Log(LogLevel::kInfo, std::string("engine ") + kVersion + " ready (pid " + std::to_string(getpid()) + ", " +
                           std::to_string(engine_->Stats().collections) + " collections" +
                           (http_ ? ", HTTP on " + http_where_ : "") + ")");

  const char* why = WaitForShutdown(signals, parent);
  Log(LogLevel::kInfo, std::string("shutting down (") + why + ")");
  if (http_) http_->Stop();
  if (rpc_) rpc_->Stop();
  engine_.reset();  // saves index snapshots and syncs storage
  Log(LogLevel::kInfo, "shut down cleanly");
  return 0;
}

nlohmann::json Daemon::StatusJson() {
  EngineStats st = engine_->Stats();
  double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return nlohmann::json{
      {"pid", getpid()},
      {"version", kVersion},
      {"uptime", uptime},  // seconds
      {"data_directory", args_.data_dir},
      {"collections", st.collections},
      {"points", st.points},
      {"connections", rpc_ ? rpc_->connections() : 0},
      {"last_version", st.last_version},
      {"memory",
       {{"rss_bytes", RssBytes()},
        {"index_bytes", st.index_memory_bytes},
        {"pending_bytes", st.pending_memory_bytes}}},
      {"storage_bytes", st.storage_bytes},
      // Uncommitted transactions' overlays: a large one spills its vectors and payloads to files.
      {"transactions",
       {{"open", st.open_transactions},
        {"memory_bytes", st.txn_memory_bytes},
        {"spilled_bytes", st.txn_spilled_bytes}}},
      {"http", args_.http_port > 0 ? nlohmann::json{{"port", args_.http_port},
                                                    {"listen_address", args_.http_listen},
                                                    {"namespace", args_.http_namespace},
                                                    {"api_key_required", !args_.api_key.empty()},
                                                    {"serving", http_serving_.load()}}
                                   : nlohmann::json(nullptr)},
  };
}

bool Daemon::StartRpc() {
  RpcOptions ro = args_.rpc;
  ro.max_spinners = std::max(1u, std::thread::hardware_concurrency() / 2);
  rpc_ = std::make_unique<RpcServer>(handler_.get(), args_.socket, ro);
  Status s = rpc_->Start();
  if (!s.ok()) {
    Log(LogLevel::kError, "cannot listen on " + args_.socket + ": " + s.ToString());
    return false;
  }
  return true;
}

bool Daemon::TryHttp() {
  HttpOptions ho;
  ho.listen_address = args_.http_listen;
  ho.port = args_.http_port;
  ho.api_key = args_.api_key;
  ho.namespace_id = args_.http_namespace;
  ho.pg_conninfo = args_.pg_conninfo;
  auto server = std::make_unique<HttpServer>(engine_.get(), ho);
  Status s = server->Start();
  if (!s.ok()) {
    if (!http_failed_logged_)
      Log(LogLevel::kError, "cannot serve HTTP on " + http_where_ + ": " + s.ToString() +
                                (rpc_ ? "; serving SQL only, and retrying every 5 s" : ""));
    http_failed_logged_ = true;
    return false;
  }
  if (http_failed_logged_) Log(LogLevel::kInfo, "serving HTTP on " + http_where_);
  http_ = std::move(server);
  http_serving_ = true;
  return true;
}

const char* Daemon::WaitForShutdown(const sigset_t& signals, pid_t parent) {
  auto last_http_try = std::chrono::steady_clock::now();
  for (;;) {
    timespec timeout{0, 250 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGTERM) return "SIGTERM";
    if (sig == SIGINT) return "SIGINT";
    if (args_.postmaster_pid && kill(args_.postmaster_pid, 0) != 0 && errno == ESRCH) return "the postmaster exited";
    if (args_.postmaster_pid && getppid() != parent) return "the supervising worker exited";
    if (args_.http_port > 0 && !http_ && std::chrono::steady_clock::now() - last_http_try > std::chrono::seconds(5)) {
      last_http_try = std::chrono::steady_clock::now();
      TryHttp();
    }
  }
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
  if (!args.restore_from.empty()) {
    // The data directory was copied by a base backup: the backup copy replaces its torn LMDB file.
    auto restored = RestoreBackupCopy(args.data_dir, args.restore_from);
    if (!restored.ok()) {
      Log(LogLevel::kError, "cannot restore the engine's data from the base backup: " + restored.status().ToString());
      close(lock_fd);
      return kExitNoBackupCopy;
    }
    if (*restored == RestoreOutcome::kRestored)
      Log(LogLevel::kInfo, "restored the engine's data from backup copy " + args.restore_from +
                               " (made at the base backup's checkpoint); indexes are rebuilt from it");
  }
  int rc = Daemon(args).Serve(signals, parent);
  close(lock_fd);
  return rc;
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
