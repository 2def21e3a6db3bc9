#pragma once
// Durable directory operations for stores and backups (decision 0022): a new
// store, a restored store or a backup is built under a temporary name, made
// durable, then given its name by one rename, so that a kill or a power loss
// at any instant leaves either nothing under the final name or a complete
// directory. Temporary names end in kPartialSuffix; RemovePartials deletes
// what an interrupted run left.
//
// A RocksDB store is a flat directory of files with names relative to it
// (CURRENT names the MANIFEST; the MANIFEST names table and log files by
// number), so a renamed store opens as before: RocksDB's own checkpoints are
// built in "<dir>.tmp" and renamed the same way.
//
// Errors: kUnavailable with the path and the system's message. Not
// thread-safe for the same directories; different directories are fine.

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pilotage::projector {

inline constexpr std::string_view kPartialSuffix = ".partial";

// fsyncs every regular file under `dir`, then `dir` and its subdirectories.
[[nodiscard]] absl::Status SyncTree(const std::filesystem::path& dir);

// fsyncs the directory `dir` itself (its entries: names created, renamed,
// removed in it).
[[nodiscard]] absl::Status SyncDirectory(const std::filesystem::path& dir);

// Renames `from` to `to` (same filesystem; `to` must not be a non-empty
// directory) and fsyncs the parent directory.
[[nodiscard]] absl::Status RenameDurably(const std::filesystem::path& from,
                                         const std::filesystem::path& to);

// Makes `link` a symlink to `target`, replacing what `link` was in one
// rename (readers see the old target or the new one, never nothing).
[[nodiscard]] absl::Status PointLinkDurably(const std::filesystem::path& link,
                                            const std::filesystem::path& target);

// Copies the flat store directory `from` into `to` (created; must not
// exist): table files (.sst, never modified once written) are hard-linked
// when on the same filesystem, every other file is copied.
[[nodiscard]] absl::Status CopyStoreFiles(const std::filesystem::path& from,
                                          const std::filesystem::path& to);

// Removes every entry of `dir` whose name ends in kPartialSuffix (or in
// kPartialSuffix + ".tmp", RocksDB's own temporary of a checkpoint). Returns
// how many were removed; 0 when `dir` does not exist.
[[nodiscard]] absl::StatusOr<int> RemovePartials(const std::filesystem::path& dir);

// Bytes of the regular files under `dir` (hard links counted in full).
int64_t TreeBytes(const std::filesystem::path& dir);

}  // namespace pilotage::projector
