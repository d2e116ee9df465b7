// Concurrency helpers.
#pragma once

#include <condition_variable>
#include <mutex>
#include <type_traits>
#include <utility>

namespace govector {

// A phase-fair reader-writer lock. Once a writer waits, newly arriving readers wait too (a stream of searches
// cannot starve the writer that applies upserts or inserts into the index); when a writer finishes, the
// readers waiting at that moment go before the next writer (a stream of writes cannot starve searches).
class RwLock {
 public:
  void lock() {
    std::unique_lock<std::mutex> l(mu_);
    ++writers_waiting_;
    cv_.wait(l, [&] { return !writer_ && readers_ == 0 && !(reader_turn_ && readers_waiting_ > 0); });
    --writers_waiting_;
    writer_ = true;
    reader_turn_ = false;
  }
  void unlock() {
    std::lock_guard<std::mutex> l(mu_);
    writer_ = false;
    reader_turn_ = readers_waiting_ > 0;
    cv_.notify_all();
  }
  void lock_shared() {
    std::unique_lock<std::mutex> l(mu_);
    ++readers_waiting_;
    cv_.wait(l, [&] { return !writer_ && (writers_waiting_ == 0 || reader_turn_); });
    --readers_waiting_;
    ++readers_;
    if (readers_waiting_ == 0) reader_turn_ = false;
  }
  void unlock_shared() {
    std::lock_guard<std::mutex> l(mu_);
    if (--readers_ == 0) cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int readers_ = 0;
  int readers_waiting_ = 0;
  int writers_waiting_ = 0;
  bool writer_ = false;
  bool reader_turn_ = false;
};

// A non-owning reference to a callable, cheaper than std::function (no allocation).
template <typename Sig>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit on purpose
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(a)...); }) {}
  R operator()(Args... a) const { return call_(obj_, std::forward<Args>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

}  // namespace govector
