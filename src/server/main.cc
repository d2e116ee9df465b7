// govectord: the govector engine process.
//
// Under Postgres, a background worker starts it with --data-dir $PGDATA/govector --socket govectord.sock
// --postmaster-pid N and restarts it if it dies; it exits by itself when the postmaster goes away.
// SIGTERM or SIGINT shut it down cleanly: requests in flight finish, index snapshots are saved, storage synced.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

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
#include "server/log.h"
#include "server/rpc_handler.h"
#include "server/rpc_server.h"

namespace govector {
namespace {

struct Args {
  std::string data_dir;
  std::string socket;
  pid_t postmaster_pid = 0;
  unsigned index_threads = 2;
  size_t map_size = size_t{1} << 38;
  LogLevel log_level = LogLevel::kInfo;
};

[[noreturn]] void Usage(const char* msg) {
  if (msg) std::fprintf(stderr, "govectord: %s\n", msg);
  std::fprintf(stderr,
               "usage: govectord --data-dir DIR --socket PATH [--postmaster-pid PID]\n"
               "                 [--index-threads N] [--map-size BYTES] [--log-level debug|info|warning]\n");
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
    else if (k == "--postmaster-pid") a.postmaster_pid = static_cast<pid_t>(std::atoi(value().c_str()));
    else if (k == "--index-threads") a.index_threads = static_cast<unsigned>(std::max(1, std::atoi(value().c_str())));
    else if (k == "--map-size") a.map_size = std::strtoull(value().c_str(), nullptr, 10);
    else if (k == "--log-level") {
      std::string l = value();
      a.log_level = l == "debug" ? LogLevel::kDebug : l == "warning" ? LogLevel::kWarning : LogLevel::kInfo;
    } else if (k == "--help" || k == "-h") Usage(nullptr);
    else Usage(("unknown option " + k).c_str());
  }
  if (a.data_dir.empty()) Usage("--data-dir is required");
  if (a.socket.empty()) Usage("--socket is required");
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
  auto opened = Engine::Open(options);
  if (!opened.ok()) {
    Log(LogLevel::kError, "cannot open the engine: " + opened.status().ToString());
    return 1;
  }
  std::unique_ptr<Engine> engine = std::move(opened).value();

  std::unique_ptr<RpcServer> rpc;
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
    };
  };
  RpcHandler handler(engine.get(), status_json);
  if (!args.socket.empty()) {
    rpc = std::make_unique<RpcServer>(&handler, args.socket);
    Status s = rpc->Start();
    if (!s.ok()) {
      Log(LogLevel::kError, "cannot listen on " + args.socket + ": " + s.ToString());
      return 1;
    }
  }
  Log(LogLevel::kInfo, std::string("engine ") + kVersion + " ready (pid " + std::to_string(getpid()) + ", " +
                           std::to_string(engine->Stats().collections) + " collections)");

  const char* why = nullptr;
  while (!why) {
    timespec timeout{0, 250 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGTERM) why = "SIGTERM";
    else if (sig == SIGINT) why = "SIGINT";
    else if (args.postmaster_pid && kill(args.postmaster_pid, 0) != 0 && errno == ESRCH) why = "the postmaster exited";
    else if (args.postmaster_pid && getppid() != parent) why = "the supervising worker exited";
  }
  Log(LogLevel::kInfo, std::string("shutting down (") + why + ")");
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
