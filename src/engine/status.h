// Status and Result<T>: the error values every engine call returns.
//
// Nothing in the engine throws across its public API. A fallible call returns a Status (or a Result<T>
// holding either a value or a non-OK Status). Both are [[nodiscard]]: a caller handles the error, or casts
// the call to (void) with a comment saying why ignoring it is right. Codes are coarse on purpose: they map one-to-one onto SQLSTATE
// classes in the Postgres extension and onto HTTP statuses in the REST server, so choose the code by what the
// caller should do about it, and put the specifics in the message. An error about one named collection or
// point also carries that subject (kind and name), from which each adapter words it its own way.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/govector_limits.h"

namespace govector {

// The codes and their meanings are common/govector_limits.h's (shared with the extension, and on the wire).
enum class StatusCode : int {
  kOk = GV_STATUS_OK,
  kInvalidArgument = GV_STATUS_INVALID_ARGUMENT,
  kNotFound = GV_STATUS_NOT_FOUND,
  kAlreadyExists = GV_STATUS_ALREADY_EXISTS,
  kInvalidFilter = GV_STATUS_INVALID_FILTER,
  kResourceExhausted = GV_STATUS_RESOURCE_EXHAUSTED,
  kIOError = GV_STATUS_IO_ERROR,
  kInternal = GV_STATUS_INTERNAL,
  kUnavailable = GV_STATUS_UNAVAILABLE,
  kCancelled = GV_STATUS_CANCELLED,
  kReadOnly = GV_STATUS_READ_ONLY,
  kUnsupported = GV_STATUS_UNSUPPORTED,
  kDiskFull = GV_STATUS_DISK_FULL,
};

// What an error is about (GvSubjectKind in common/govector_limits.h).
enum class SubjectKind : int {
  kNone = GV_SUBJECT_NONE,
  kCollection = GV_SUBJECT_COLLECTION,
  kPoint = GV_SUBJECT_POINT,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(StatusCode code, SubjectKind subject, std::string subject_name, std::string message)
      : code_(code), subject_(subject), subject_name_(std::move(subject_name)), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status AlreadyExists(std::string m) { return Status(StatusCode::kAlreadyExists, std::move(m)); }
  static Status InvalidFilter(std::string m) { return Status(StatusCode::kInvalidFilter, std::move(m)); }
  static Status ResourceExhausted(std::string m) { return Status(StatusCode::kResourceExhausted, std::move(m)); }
  static Status IOError(std::string m) { return Status(StatusCode::kIOError, std::move(m)); }
  static Status DiskFull(std::string m) { return Status(StatusCode::kDiskFull, std::move(m)); }
  static Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(StatusCode::kUnavailable, std::move(m)); }
  static Status Cancelled(std::string m) { return Status(StatusCode::kCancelled, std::move(m)); }
  static Status ReadOnly(std::string m) { return Status(StatusCode::kReadOnly, std::move(m)); }
  static Status Unsupported(std::string m) { return Status(StatusCode::kUnsupported, std::move(m)); }

  // Errors about one named thing. The message is worded as Qdrant words it ("Collection `x` doesn't
  // exist!"): the engine speaks Qdrant's API, and the HTTP layer passes the message on.
  static Status CollectionNotFound(std::string_view name);
  static Status CollectionExists(std::string_view name);
  // id: the point's id as text.
  static Status PointNotFound(std::string_view id);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // kNone, or what the error is about and its name (a collection's name, a point's id).
  SubjectKind subject() const { return subject_; }
  const std::string& subject_name() const { return subject_name_; }
  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  SubjectKind subject_ = SubjectKind::kNone;
  std::string subject_name_;
  std::string message_;
};

// Either a T or a non-OK Status. Access value() only after checking ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {}    // NOLINT: must not be OK

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace govector

#define GV_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::govector::Status _gv_s = (expr);      \
    if (!_gv_s.ok()) return _gv_s;          \
  } while (0)

#define GV_CONCAT_INNER(a, b) a##b
#define GV_CONCAT(a, b) GV_CONCAT_INNER(a, b)
#define GV_ASSIGN_OR_RETURN(lhs, expr) GV_ASSIGN_OR_RETURN_IMPL(GV_CONCAT(_gv_r_, __LINE__), lhs, expr)
#define GV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
