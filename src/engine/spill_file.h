// SpillFile: an append-only scratch file that lives as long as its object (a transaction overlay's points
// past its memory limit, txn_overlay.h). Bytes are appended, then read back at the offsets Append gave; the
// file is removed when the object goes away. Nothing is synced: the file never outlives the process that
// wrote it (the engine removes leftovers when it opens, Engine::Open).
//
// Appends are gathered in a buffer of up to kBufferBytes and written when it fills or on Flush, so a caller
// writing many records learns of a failure (disk full) at the latest from its Flush. After a failed write
// the bytes appended since the last successful one are gone and the file ends where that one left it:
// offsets handed out since then must not be read. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace govector {

class SpillFile {
 public:
  static constexpr size_t kBufferBytes = size_t{1} << 20;

  // Creates path (which must not exist yet) for reading and writing by the owner only.
  static Result<std::unique_ptr<SpillFile>> Create(std::string path);
  // Closes and removes the file.
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  // Appends bytes; the offset they start at. May write the buffer (and fail as Flush does).
  Result<uint64_t> Append(std::string_view bytes);
  // Writes what is buffered. A full disk (or a file size limit) is ResourceExhausted, another failure IOError.
  Status Flush();
  // Reads length bytes at offset (appended before, flushed or not) into out.
  Status Read(uint64_t offset, size_t length, char* out) const;

  // The bytes appended so far (flushed and buffered).
  uint64_t size() const { return written_ + buffer_.size(); }
  const std::string& path() const { return path_; }

 private:
  SpillFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::string path_;
  const int fd_;
  uint64_t written_ = 0;  // bytes in the file
  std::string buffer_;    // bytes appended after those
};

}  // namespace govector
