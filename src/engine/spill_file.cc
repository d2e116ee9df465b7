// SpillFile: see spill_file.h.
#include "engine/spill_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace govector {

namespace {

Status ErrnoStatus(const std::string& what, int err) {
  std::string message = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) return Status::ResourceExhausted(message);
  return Status::IOError(message);
}

}  // namespace

Result<std::unique_ptr<SpillFile>> SpillFile::Create(std::string path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create spill file " + path, errno);
  return std::unique_ptr<SpillFile>(new SpillFile(std::move(path), fd));
}

SpillFile::~SpillFile() {
  close(fd_);
  unlink(path_.c_str());
}

Result<uint64_t> SpillFile::Append(std::string_view bytes) {
  uint64_t at = size();
  buffer_.append(bytes);
  if (buffer_.size() >= kBufferBytes) GV_RETURN_IF_ERROR(Flush());
  return at;
}

Status SpillFile::Flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = pwrite(fd_, buffer_.data() + done, buffer_.size() - done, static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;  // a write of nothing: no room left
      buffer_.clear();
      return ErrnoStatus("cannot write spill file " + path_, err);
    }
    done += static_cast<size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
  return Status::OK();
}

Status SpillFile::Read(uint64_t offset, size_t length, char* out) const {
  if (offset + length > size()) return Status::Internal("read past the end of spill file " + path_);
  // The part in the file, then the part still buffered.
  size_t from_file = offset < written_ ? static_cast<size_t>(std::min<uint64_t>(length, written_ - offset)) : 0;
  size_t done = 0;
  while (done < from_file) {
    ssize_t n = pread(fd_, out + done, from_file - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read spill file " + path_, errno);
    if (n == 0) return Status::IOError("spill file " + path_ + " is shorter than written");
    done += static_cast<size_t>(n);
  }
  if (from_file < length)
    std::memcpy(out + from_file, buffer_.data() + (offset + from_file - written_), length - from_file);
  return Status::OK();
}

}  // namespace govector
