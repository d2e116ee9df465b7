// Backup copies: see backup.h.
#include "engine/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace govector {
namespace {

namespace fs = std::filesystem;

Status SyncPath(const std::string& path, bool directory) {
  int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return Status::IOError("cannot sync " + path + ": " + strerror(err));
  return Status::OK();
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return Status::IOError("cannot remove " + path + ": " + ec.message());
  return Status::OK();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

bool ValidBackupName(const std::string& name) {
  if (name.size() != 16) return false;
  for (char c : name)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string BackupCopyDir(const std::string& data_dir, const std::string& name) {
  return data_dir + "/backups/" + name;
}

Status WriteBackupCopy(MDB_env* env, const std::string& data_dir, const std::string& name) {
  if (!ValidBackupName(name)) return Status::InvalidArgument("invalid backup copy name `" + name + "`");
  const std::string root = data_dir + "/backups";
  const std::string dir = BackupCopyDir(data_dir, name);
  const std::string tmp = dir + ".tmp";
  if (mkdir(root.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IOError("cannot create " + root + ": " + strerror(errno));
  GV_RETURN_IF_ERROR(RemoveAll(tmp));
  if (mkdir(tmp.c_str(), 0700) != 0) return Status::IOError("cannot create " + tmp + ": " + strerror(errno));
  // A compact copy holds only the pages in use, read in one read transaction: a consistent snapshot.
  int rc = mdb_env_copy2(env, tmp.c_str(), MDB_CP_COMPACT);
  if (rc != MDB_SUCCESS) {
    (void)RemoveAll(tmp);
    return Status::IOError("cannot copy the engine's data to " + tmp + ": " + mdb_strerror(rc));
  }
  Status s = SyncPath(tmp + "/data.mdb", false);
  if (s.ok()) s = SyncPath(tmp, true);
  if (s.ok()) s = RemoveAll(dir);
  if (s.ok() && rename(tmp.c_str(), dir.c_str()) != 0)
    s = Status::IOError("cannot rename " + tmp + ": " + strerror(errno));
  if (s.ok()) s = SyncPath(root, true);
  if (!s.ok()) (void)RemoveAll(tmp);
  return s;
}

Status DropBackupCopy(const std::string& data_dir, const std::string& name) {
  if (!ValidBackupName(name)) return Status::InvalidArgument("invalid backup copy name `" + name + "`");
  const std::string dir = BackupCopyDir(data_dir, name);
  GV_RETURN_IF_ERROR(RemoveAll(dir + ".tmp"));
  return RemoveAll(dir);
}

Result<RestoreOutcome> RestoreBackupCopy(const std::string& data_dir, const std::string& name) {
  if (!ValidBackupName(name)) return Status::InvalidArgument("invalid backup copy name `" + name + "`");
  const std::string dir = BackupCopyDir(data_dir, name);
  const std::string copy = dir + "/data.mdb";
  if (!Exists(copy)) {
    if (Exists(dir)) return RestoreOutcome::kAlreadyRestored;
    return Status::NotFound("no backup copy of the engine's data named " + name + " in " + data_dir + "/backups");
  }
  // What describes the file being replaced goes first: a crash midway leaves the copy in place to start again.
  GV_RETURN_IF_ERROR(RemoveAll(data_dir + "/index"));
  GV_RETURN_IF_ERROR(RemoveAll(data_dir + "/txn-spill"));
  if (unlink((data_dir + "/lock.mdb").c_str()) != 0 && errno != ENOENT)
    return Status::IOError("cannot remove " + data_dir + "/lock.mdb: " + strerror(errno));
  GV_RETURN_IF_ERROR(SyncPath(data_dir, true));
  if (rename(copy.c_str(), (data_dir + "/data.mdb").c_str()) != 0)
    return Status::IOError("cannot move " + copy + " into place: " + strerror(errno));
  GV_RETURN_IF_ERROR(SyncPath(data_dir, true));
  GV_RETURN_IF_ERROR(SyncPath(dir, true));
  return RestoreOutcome::kRestored;
}

}  // namespace govector
