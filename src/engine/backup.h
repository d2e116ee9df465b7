// Copies of the engine's data made for Postgres base backups, and restoring a data directory from one.
//
// A base backup copies $PGDATA file by file while the engine keeps writing, so the copy of the engine's LMDB
// file may be torn. At the checkpoint a backup starts from (redo position R), the apply worker has the engine
// write a copy of its committed state, consistent as of a WAL position it knows, into
//   <data>/backups/<name>/data.mdb        (name: R as 16 hex digits)
// before the checkpoint completes, so before the backup copies any file. The copy is written under
// <name>.tmp and renamed whole, so a directory <name> always holds a complete copy. A server started from the
// backup restores it (RestoreBackupCopy) before the engine opens its data.
#pragma once

#include <lmdb.h>

#include <string>

#include "engine/status.h"

namespace govector {

// A backup copy's name: exactly 16 hexadecimal digits (a WAL position).
bool ValidBackupName(const std::string& name);
std::string BackupCopyDir(const std::string& data_dir, const std::string& name);

// Writes a compact copy of env's committed state as backup `name` (replacing one of that name), synced to disk.
Status WriteBackupCopy(MDB_env* env, const std::string& data_dir, const std::string& name);
// Removes backup `name` (and any unfinished copy of it). No error when there is none.
Status DropBackupCopy(const std::string& data_dir, const std::string& name);

enum class RestoreOutcome {
  kRestored,         // the copy replaced the data directory's LMDB file
  kAlreadyRestored,  // an earlier start did it (the copy's directory is there, emptied)
};
// Before the engine opens data_dir: replaces its LMDB file with backup `name`'s, and removes what belongs to
// the file replaced (index snapshots, which are rebuilt from LMDB, LMDB's lock file, transaction spill files).
// The copy's directory is left, empty, so a restart after a crash here knows the restore was done.
// NotFound when there is no such backup copy: the data directory cannot be made consistent.
Result<RestoreOutcome> RestoreBackupCopy(const std::string& data_dir, const std::string& name);

}  // namespace govector
