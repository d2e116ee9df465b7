// Status: code names, the errors about one named thing, and the text form.
#include "engine/status.h"

namespace govector {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kInvalidFilter: return "InvalidFilter";
    case StatusCode::kResourceExhausted: return "ResourceExhausted";
    case StatusCode::kIOError: return "IOError";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kReadOnly: return "ReadOnly";
    case StatusCode::kUnsupported: return "Unsupported";
    case StatusCode::kDiskFull: return "DiskFull";
  }
  return "Unknown";
}

Status Status::CollectionNotFound(std::string_view name) {
  return Status(StatusCode::kNotFound, SubjectKind::kCollection, std::string(name),
                "Collection `" + std::string(name) + "` doesn't exist!");
}

Status Status::CollectionExists(std::string_view name) {
  return Status(StatusCode::kAlreadyExists, SubjectKind::kCollection, std::string(name),
                "Collection `" + std::string(name) + "` already exists!");
}

Status Status::PointNotFound(std::string_view id) {
  return Status(StatusCode::kNotFound, SubjectKind::kPoint, std::string(id),
                "No point with id " + std::string(id) + " found");
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace govector
