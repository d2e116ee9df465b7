// The index snapshot's files: see index_snapshot.h.
#include "engine/index_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

namespace govector {

namespace {

constexpr char kSnapshotMagic[8] = {'G', 'V', 'I', 'D', 'X', '0', '0', '1'};

uint64_t Fnv1a(const std::string& data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

template <typename T>
void PutPod(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
bool GetPod(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

// Writes data to path + ".tmp", flushes it and renames it to path: path holds either its old contents or
// all of data. On failure the temporary file is removed and path is untouched.
Status WriteFileDurably(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + tmp + ": " + strerror(errno));
  auto fail = [&](const char* what) {
    Status s = Status::IOError(std::string("cannot ") + what + " " + tmp + ": " + strerror(errno));
    close(fd);
    unlink(tmp.c_str());
    return s;
  };
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("sync");
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::IOError("cannot rename " + tmp + ": " + strerror(errno));
    unlink(tmp.c_str());
    return s;
  }
  return Status::OK();
}

// Flushes a directory's entries (files created, renamed or removed in it) to disk.
Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IOError("cannot open " + dir + ": " + strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return Status::IOError("cannot sync " + dir + ": " + strerror(err));
  return Status::OK();
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::string LabelsPath(const std::string& dir, uint64_t gen) { return dir + "/labels." + std::to_string(gen); }

std::string EncodeLabels(uint64_t gen, const SnapshotIdentity& identity, const std::vector<SnapshotLabel>& labels) {
  std::string out(kSnapshotMagic, 8);
  PutPod(&out, gen);
  PutPod(&out, identity.uid);
  PutPod(&out, identity.dimension);
  PutPod(&out, static_cast<uint8_t>(identity.distance));
  PutPod(&out, static_cast<uint8_t>(identity.quantization));
  PutPod(&out, static_cast<uint16_t>(0));
  PutPod(&out, static_cast<uint64_t>(labels.size()));
  for (const SnapshotLabel& label : labels) {
    PutPod(&out, label.graph_version);
    PutPod(&out, static_cast<uint32_t>(label.key.size()));
    out += label.key;
  }
  PutPod(&out, Fnv1a(out));
  return out;
}

}  // namespace

std::string SnapshotGraphPath(const std::string& dir, uint64_t gen) { return dir + "/graph." + std::to_string(gen); }

Result<uint64_t> ReadSnapshotGeneration(const std::string& dir) {
  std::string current;
  if (!ReadFile(dir + "/CURRENT", &current)) return Status::NotFound("no snapshot");
  return std::strtoull(current.c_str(), nullptr, 10);
}

Result<std::vector<SnapshotLabel>> ReadSnapshotLabels(const std::string& dir, uint64_t gen,
                                                      const SnapshotIdentity& identity) {
  std::string labels;
  if (!ReadFile(LabelsPath(dir, gen), &labels) || labels.size() < 48) return Status::IOError("snapshot labels missing");
  uint64_t checksum;
  std::memcpy(&checksum, labels.data() + labels.size() - 8, 8);
  labels.resize(labels.size() - 8);
  if (Fnv1a(labels) != checksum) return Status::IOError("snapshot labels corrupt");
  std::string_view in(labels);
  char magic[8];
  std::memcpy(magic, in.data(), 8);
  in.remove_prefix(8);
  uint64_t file_gen, uid, count;
  uint32_t dim;
  uint8_t dist, quant;
  uint16_t reserved;
  if (std::memcmp(magic, kSnapshotMagic, 8) != 0 || !GetPod(&in, &file_gen) || !GetPod(&in, &uid) ||
      !GetPod(&in, &dim) || !GetPod(&in, &dist) || !GetPod(&in, &quant) || !GetPod(&in, &reserved) ||
      !GetPod(&in, &count))
    return Status::IOError("snapshot header");
  if (file_gen != gen || uid != identity.uid || dim != identity.dimension ||
      dist != static_cast<uint8_t>(identity.distance) || quant != static_cast<uint8_t>(identity.quantization))
    return Status::IOError("snapshot belongs to another configuration");
  std::vector<SnapshotLabel> out(count);
  for (SnapshotLabel& label : out) {
    uint32_t key_len;
    if (!GetPod(&in, &label.graph_version) || !GetPod(&in, &key_len) || in.size() < key_len)
      return Status::IOError("snapshot labels truncated");
    label.key.assign(in.substr(0, key_len));
    in.remove_prefix(key_len);
  }
  return out;
}

Status WriteSnapshot(const std::string& dir, uint64_t gen, const SnapshotIdentity& identity,
                     const std::vector<SnapshotLabel>& labels, FunctionRef<Status(const std::string&)> save_graph) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IOError("cannot create " + dir + ": " + strerror(errno));
  // Until CURRENT is replaced a failure removes what this attempt wrote, so no partial file is left behind.
  const std::string graph_path = SnapshotGraphPath(dir, gen);
  const std::string labels_path = LabelsPath(dir, gen);
  auto fail = [&](const Status& s) {
    unlink(graph_path.c_str());
    unlink(labels_path.c_str());
    return s;
  };
  Status s = save_graph(graph_path);
  if (s.ok()) s = WriteFileDurably(labels_path, EncodeLabels(gen, identity, labels));
  // The new files' names reach the disk before CURRENT names them.
  if (s.ok()) s = SyncDirectory(dir);
  if (s.ok()) s = WriteFileDurably(dir + "/CURRENT", std::to_string(gen));
  if (!s.ok()) return fail(s);
  return Status::OK();
}

Status RemoveSnapshotGeneration(const std::string& dir, uint64_t previous) {
  // The previous generation's files go only once the new CURRENT is on disk: until then a crash may leave
  // the old CURRENT, which names them. (Unlinking a file that is not there is harmless.)
  GV_RETURN_IF_ERROR(SyncDirectory(dir));
  unlink(SnapshotGraphPath(dir, previous).c_str());
  unlink(LabelsPath(dir, previous).c_str());
  return Status::OK();
}

}  // namespace govector
