// RpcServer: the Unix-domain socket Postgres backends connect to. Each frame is a 4-byte big-endian length
// followed by a serialised pb::Request (or pb::Response). One thread per connection: a backend keeps its
// connection for its lifetime and sends one request at a time. Each connection carries its own transaction
// state (an RpcConnection, rpc_txn.h), which lives as long as the connection.
//
// The socket file is created with mode 0600 and only peers running as the engine's own OS user (the
// Postgres user) are served.
//
// Latency: a thread that has just answered polls its socket for up to spin_us microseconds before it sleeps
// in read(). A backend that sends one request after another (a loop of searches) then finds a thread awake:
// on virtual machines, waking a thread whose CPU has gone idle costs more than a small search. Spinning only
// pays when a core would otherwise idle, so a thread spins only while no other request is in flight, at
// most max_spinners at once, and each answer tells its backend (spin_hint) whether it was the only request
// being served, which is when the backend may poll for its next answer too. Two connections sending
// requests within a millisecond of each other also turn spinning off everywhere for the next 50 ms: with
// several active clients, every core has work, and a poller would only take CPU from it.
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

struct RpcOptions {
  unsigned spin_us = 200;     // 0: never spin
  unsigned max_spinners = 1;  // threads spinning at once
};

class RpcServer {
 public:
  RpcServer(RpcHandler* handler, std::string socket_path, RpcOptions options = {});
  ~RpcServer();
  // Binds the socket (replacing a stale file) and starts accepting connections.
  Status Start();
  // Stops accepting, closes every connection and waits for their threads.
  void Stop();
  size_t connections() const { return active_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);
  void ServeRequests(int fd);
  // Polls fd for readable data for up to spin_us (when a spinning slot is free). True when data is there.
  bool SpinForRequest(int fd);

  RpcHandler* handler_;
  std::string path_;
  RpcOptions options_;
  std::atomic<unsigned> spinners_{0};
  std::atomic<int> in_flight_{0};  // requests read and not yet answered
  // The last request's arrival (steady clock, ns) and connection; until when several clients count as active.
  std::atomic<int64_t> last_arrival_ns_{0};
  std::atomic<int> last_arrival_fd_{-1};
  std::atomic<int64_t> busy_until_ns_{0};
  // Records a request's arrival on fd; true while several clients are active.
  bool NoteArrival(int fd);
  bool Busy() const;
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
