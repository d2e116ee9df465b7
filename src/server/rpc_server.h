// RpcServer: the Unix-domain socket Postgres backends connect to. Each frame is a 4-byte big-endian length
// followed by a serialised pb::Request (or pb::Response). One thread per connection: a backend keeps its
// connection for its lifetime and sends one request at a time.
//
// The socket file is created with mode 0600 and only peers running as the engine's own OS user (the
// Postgres user) are served.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/status.h"
#include "server/rpc_handler.h"

namespace govector {

inline constexpr uint32_t kMaxFrameBytes = 1u << 30;  // 1 GiB, Postgres's own allocation limit

class RpcServer {
 public:
  RpcServer(RpcHandler* handler, std::string socket_path);
  ~RpcServer();
  // Binds the socket (replacing a stale file) and starts accepting connections.
  Status Start();
  // Stops accepting, closes every connection and waits for their threads.
  void Stop();
  size_t connections() const { return active_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  RpcHandler* handler_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::set<int> client_fds_;
};

// Reads/writes one whole frame body. False on EOF or error.
bool ReadFull(int fd, void* buf, size_t n);
bool WriteFull(int fd, const void* buf, size_t n);

}  // namespace govector
