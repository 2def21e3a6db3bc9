#pragma once
// Online backups of a projection store (decision 0022): RocksDB checkpoints
// of the store a running projector writes, laid in a backup directory as
//   BACKUP_DIR/backup-YYYYMMDDTHHMMSSZ[-N]   one complete store each
//   BACKUP_DIR/*.partial                     one being written (or the
//                                            leftover of a kill: removed)
// Each backup is written as "<name>.partial", fsynced and renamed, so a
// directory named backup-* is always complete. Names sort by time.
//
// A checkpoint is a consistent view of the store, and the engine writes the
// state, the seen ids and the offsets of a batch in one atomic batch: every
// backup holds the fold of an exact prefix of each partition, with the
// offsets to resume from.
//
// Thread-safety: TakeBackup may run beside the engine writing the store
// (RocksDB checkpoints are safe with concurrent writes); two TakeBackup on the
// same backup directory at once are not.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "absl/status/statusor.h"
#include "pilotage/store/store.h"

namespace pilotage::projector {

struct BackupInfo {
  std::filesystem::path path;
  int64_t bytes = 0;
  std::chrono::system_clock::time_point taken_at;
};

// Checkpoints `store` into a new backup of `backup_dir` (created if missing),
// then removes the oldest backups beyond the `keep` newest (keep >= 1).
// Errors: those of the checkpoint and the file system (kUnavailable,
// kResourceExhausted when the disk is full); a failed backup leaves the
// earlier ones untouched.
[[nodiscard]] absl::StatusOr<BackupInfo> TakeBackup(const store::Store& store,
                                                    const std::filesystem::path& backup_dir,
                                                    int keep);

// The complete backups of `backup_dir`, oldest first (empty when none or no
// such directory).
std::vector<std::filesystem::path> ListBackups(const std::filesystem::path& backup_dir);

// When the backup named `path` was taken, from its name; nullopt-like
// time_point{} when the name is not a backup's.
std::chrono::system_clock::time_point BackupTime(const std::filesystem::path& path);

}  // namespace pilotage::projector
