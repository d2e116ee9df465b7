#include "server/rpc_server.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "server/log.h"
#include "server/rpc_txn.h"

namespace govector {

bool ReadFull(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteFull(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

RpcServer::RpcServer(RpcHandler* handler, std::string socket_path, RpcOptions options)
    : handler_(handler), path_(std::move(socket_path)), options_(options) {}

RpcServer::~RpcServer() { Stop(); }

Status RpcServer::Start() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path))
    return Status::InvalidArgument("socket path too long (max " + std::to_string(sizeof(addr.sun_path) - 1) +
                                   " bytes): " + path_);
  std::strcpy(addr.sun_path, path_.c_str());
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::IOError(std::string("socket: ") + strerror(errno));
  unlink(path_.c_str());  // a stale file from a killed engine
  mode_t old = umask(0077);
  int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old);
  if (rc != 0) return Status::IOError("bind " + path_ + ": " + strerror(errno));
  chmod(path_.c_str(), 0600);
  if (listen(listen_fd_, 128) != 0) return Status::IOError(std::string("listen: ") + strerror(errno));
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::OK();
}

void RpcServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : client_fds_) shutdown(fd, SHUT_RDWR);
  }
  // Connection threads are detached; each finishes its request in flight, then sees the closed socket.
  while (active_.load() > 0) usleep(1000);
}

void RpcServer::AcceptLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    int pr = poll(&pfd, 1, 200);
    if (pr <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid()) {
      Log(LogLevel::kWarning, "refused a connection from uid " + std::to_string(cred.uid));
      close(fd);
      continue;
    }
    std::lock_guard<std::mutex> l(mu_);
    client_fds_.insert(fd);
    ++active_;
    try {
      std::thread([this, fd] { Serve(fd); }).detach();
    } catch (const std::exception& e) {  // no thread to be had (std::system_error): refuse this client only
      Log(LogLevel::kWarning, std::string("refused a connection: cannot start its thread: ") + e.what());
      client_fds_.erase(fd);
      --active_;
      close(fd);
    }
  }
}

namespace {
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
constexpr int64_t kInterleaveNs = 1'000'000;  // two clients' requests this close: both are active
constexpr int64_t kBusyNs = 50'000'000;       // and spinning stays off this long
}  // namespace

bool RpcServer::NoteArrival(int fd) {
  int64_t now = NowNs();
  int64_t last = last_arrival_ns_.exchange(now, std::memory_order_relaxed);
  int last_fd = last_arrival_fd_.exchange(fd, std::memory_order_relaxed);
  if (last_fd != fd && last_fd >= 0 && now - last < kInterleaveNs) {
    busy_until_ns_.store(now + kBusyNs, std::memory_order_relaxed);
    return true;
  }
  return now < busy_until_ns_.load(std::memory_order_relaxed);
}

bool RpcServer::Busy() const { return NowNs() < busy_until_ns_.load(std::memory_order_relaxed); }

bool RpcServer::SpinForRequest(int fd) {
  if (options_.spin_us == 0 || in_flight_.load(std::memory_order_relaxed) > 0 || Busy()) return false;
  unsigned n = spinners_.load(std::memory_order_relaxed);
  do {
    if (n >= options_.max_spinners) return false;
  } while (!spinners_.compare_exchange_weak(n, n + 1));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(options_.spin_us);
  bool ready = false;
  while (!stopping_.load(std::memory_order_relaxed)) {
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r != -1 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      ready = true;  // data, EOF or an error: read() will not block
      break;
    }
    // Other work arrived on another connection: leave the CPU to it.
    if (in_flight_.load(std::memory_order_relaxed) > 0 || std::chrono::steady_clock::now() >= deadline) break;
  }
  spinners_.fetch_sub(1);
  return ready;
}

void RpcServer::Serve(int fd) {
  // Nothing may escape this thread (an uncaught exception ends the engine): a failure of one request, such
  // as std::bad_alloc for a large frame, closes its connection. The backend sees the connection lost and its
  // statement fails; the connection's transaction state is discarded with it, as when a backend leaves.
  try {
    ServeRequests(fd);
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, std::string("closing a connection after an internal error: ") + e.what());
  } catch (...) {
    Log(LogLevel::kWarning, "closing a connection after an internal error");
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    client_fds_.erase(fd);
  }
  close(fd);
  --active_;
}

void RpcServer::ServeRequests(int fd) {
  RpcConnection connection(*handler_);  // this backend's transaction state, discarded when it leaves
  pb::Request request;
  pb::Response response;
  std::string in, out;
  while (!stopping_) {
    uint8_t hdr[4];
    SpinForRequest(fd);
    if (!ReadFull(fd, hdr, 4)) break;
    uint32_t len = uint32_t{hdr[0]} << 24 | uint32_t{hdr[1]} << 16 | uint32_t{hdr[2]} << 8 | hdr[3];
    if (len > kMaxFrameBytes) {
      Log(LogLevel::kWarning, "closing a connection that sent a frame of " + std::to_string(len) + " bytes");
      break;
    }
    in.resize(len);
    if (!ReadFull(fd, in.data(), len)) break;
    in_flight_.fetch_add(1);
    bool busy = NoteArrival(fd);
    response.Clear();
    if (!request.ParseFromString(in)) {
      ErrorResponse(Status::InvalidArgument("malformed request frame"), &response);
    } else {
      connection.Handle(request, &response);
    }
    bool alone = in_flight_.fetch_sub(1) == 1;
    response.set_spin_hint(alone && !busy && options_.spin_us > 0);
    out.clear();
    out.resize(4);
    if (!response.AppendToString(&out)) break;
    uint32_t olen = static_cast<uint32_t>(out.size() - 4);
    out[0] = static_cast<char>(olen >> 24);
    out[1] = static_cast<char>(olen >> 16);
    out[2] = static_cast<char>(olen >> 8);
    out[3] = static_cast<char>(olen);
    if (!WriteFull(fd, out.data(), out.size())) break;
    connection.AfterAnswer();  // while the client goes on (a backend logs its write in WAL)
    // Large requests leave large buffers behind; don't keep them for the connection's lifetime.
    if (in.capacity() > (16u << 20)) std::string().swap(in);
    if (out.capacity() > (16u << 20)) std::string().swap(out);
  }
}

}  // namespace govector
