#pragma once
// pilotage-projector as a library: the commands of the service, which its
// main.cc parses and its tests call.
//
// Data directory layout (--data DIR):
//   DIR/current          symlink to the store being served and written
//   DIR/stores/initial   the first store, created on first run
//   DIR/stores/restored-<backup>   a store laid by `restore`
// A store is created under "<name>.partial", made durable and renamed: a
// kill at any instant leaves no store or a complete, tagged one; `run`
// removes partial leftovers when it starts (decision 0022).
// `rebuild --into NEW` folds the whole log into NEW while the running
// projector keeps serving, then atomically repoints DIR/current to NEW; the
// running projector (and every reader) notices and switches without a
// restart.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/projection/projection.h"
#include "pilotage/topics/topics.h"

namespace pilotage::projector {

struct ProjectorOptions {
  // The projection folded: "cep" (the CEP read models, with the activity
  // counts) or "activity_counts" alone. A store remembers which one wrote it.
  std::string projection = "cep";
  // Kafka bootstrap servers.
  std::string bootstrap;
  // Data directory (layout above).
  std::filesystem::path data_dir;
  std::string group_id = "pilotage-projector";
  // Static group membership id (see projection::EngineOptions::instance_id).
  std::string instance_id;
  // Topics folded. The one named `rejected_topic` holds the gateway's
  // refusals (v1::Rejection, decision 0045): counted for the data-quality
  // page, and not a record, so not held to the retention guard (it keeps 90
  // days: a rebuild counts the refusals still in it).
  std::vector<std::string> topics = {pilotage::topics::kActivity, pilotage::topics::kContract,
                                     pilotage::topics::kRejected};
  std::string rejected_topic = pilotage::topics::kRejected;
  std::string dead_letter_topic = pilotage::topics::kDeadLetter;
  size_t batch_events = 20000;
  std::chrono::milliseconds batch_wait{250};
  // fsync the WAL on every batch (the WAL is always on).
  bool sync = false;
  // Stop once caught up with the end of every assigned partition.
  bool until_caught_up = false;
  // How often `run` checks whether DIR/current was repointed.
  std::chrono::milliseconds switch_check{1000};
  // Serve metrics at http://metrics_address:metrics_port/metrics (run and
  // rebuild). -1: no metrics; 0: a free port (logged).
  int metrics_port = -1;
  std::string metrics_address = "127.0.0.1";
  // How often `run` asks Kafka for end offsets to compute lag metrics.
  std::chrono::milliseconds end_offsets_interval{5000};
  // Online backups by `run`: a RocksDB checkpoint of the store every
  // `backup_every` into backup_dir/backup-<UTC time>, the `backup_keep`
  // newest kept. Empty backup_dir: no backups.
  std::filesystem::path backup_dir;
  std::chrono::seconds backup_every{3600};
  int backup_keep = 7;
};

// The exit code of `run` and `rebuild` when a source topic does not keep its
// whole log (IsRetentionRefusal): distinct from the codes of
// service::ExitCodeFor and from the penalty job's 7.
inline constexpr int kExitRetentionRefused = 8;

// True when `status` is the retention guard's refusal: a source topic is
// compacted (cleanup.policy has compact) or deletes old events (finite
// retention.ms or retention.bytes). The log is the record: the read models
// must be rebuildable from it at any time.
bool IsRetentionRefusal(const absl::Status& status);

// Asks Kafka for the cleanup.policy, retention.ms and retention.bytes of each
// of `topics` and refuses (kFailedPrecondition, IsRetentionRefusal) the first
// that compacts or deletes, naming the topic, the setting and what to set. A
// topic that does not exist yet is not judged. kUnavailable when Kafka does
// not answer.
[[nodiscard]] absl::Status CheckSourceRetention(const std::string& bootstrap,
                                                const std::vector<std::string>& topics);

// The projection named `name` ("cep" or "activity_counts"), the cep one
// folding the records of `rejected_topic` as the gateway's refusals;
// kInvalidArgument for another name.
[[nodiscard]] absl::StatusOr<std::unique_ptr<projection::Projection>> MakeProjection(
    std::string_view name, std::string_view rejected_topic = pilotage::topics::kRejected);

// options.topics without options.rejected_topic: the topics that are the
// record, held to the retention guard.
std::vector<std::string> RecordTopics(const ProjectorOptions& options);

// The topics consumed: options.topics, without options.rejected_topic unless
// the projection is "cep" (the one that counts refusals).
std::vector<std::string> FoldedTopics(const ProjectorOptions& options);

// The store DIR/current points to; kNotFound when there is none yet (`run`
// creates it: CreateStoreIfMissing). Readers use readmodel::CurrentStore.
[[nodiscard]] absl::StatusOr<std::filesystem::path> CurrentStore(
    const std::filesystem::path& data_dir);

// When DIR has no store yet, builds an empty store of options.projection as
// DIR/stores/initial.partial (column families and tag written, fsynced),
// renames it DIR/stores/initial and points DIR/current to it; first removes
// the partial leftovers of an interrupted creation, restore or switch. Does
// nothing when DIR/current exists. Safe to kill at any instant and run again.
[[nodiscard]] absl::Status CreateStoreIfMissing(const ProjectorOptions& options);

// Refuses record topics that do not keep their log (CheckSourceRetention),
// creates the store if missing (CreateStoreIfMissing), then consumes and
// folds until `stop` becomes true (or, with until_caught_up, the end),
// switching stores when DIR/current is repointed, and taking online backups
// when options.backup_dir is set (a checkpoint holds state and offsets of the
// same batches: the engine writes both in one atomic batch). Prints progress
// lines.
[[nodiscard]] absl::Status Run(const ProjectorOptions& options, const std::atomic<bool>& stop);

// Per partition: stored offset, end offset, lag, folded, duplicates, dead
// letters — from a read-only view of the current store, while `run` writes.
[[nodiscard]] absl::Status PrintStatus(const ProjectorOptions& options, bool json,
                                       std::ostream& out);

// Replays the log from offset 0 into `into` (a new directory) in a consumer
// group of its own, then repoints DIR/current to it. Progress goes to `out`
// (a bar on a terminal, lines otherwise).
[[nodiscard]] absl::Status Rebuild(const ProjectorOptions& options,
                                   const std::filesystem::path& into, std::ostream& out);

// Writes a consistent copy of the current store into `into` (a new directory
// whose parent exists): a RocksDB checkpoint, table files hard-linked when on
// the same filesystem (instant), copied otherwise. The copy is a store a data
// directory's `current` can point to (docs/operations.md, "Backups"). The
// store is opened for writing, so the projector folding it must be stopped:
// kFailedPrecondition while it runs; kAlreadyExists if `into` exists,
// kNotFound if its parent does not or there is no store yet.
[[nodiscard]] absl::Status Checkpoint(const ProjectorOptions& options,
                                      const std::filesystem::path& into, std::ostream& out);

// Lays the backup `from` (a directory `run --backup-dir` wrote, or a backup
// directory itself: its newest backup is taken) as DIR/stores/restored-<name>
// and points DIR/current to it: copied under a partial name (table files
// hard-linked when on the same filesystem), checked to be a store of
// options.projection, made durable, renamed. A projector started on DIR then
// catches up from the offsets stored in the backup. Prints the store and its
// offsets to `out`. kAlreadyExists when DIR already has a store (restore
// into a new data directory); kNotFound when `from` holds no backup;
// kFailedPrecondition when it is not a store of this projection.
[[nodiscard]] absl::Status Restore(const ProjectorOptions& options,
                                   const std::filesystem::path& from, std::ostream& out);

// The state digest of the current store (see projection::StateDigest).
[[nodiscard]] absl::StatusOr<std::string> Digest(const ProjectorOptions& options);

// Every activity count of the current store, "lot|month|type count" lines.
[[nodiscard]] absl::Status PrintCounts(const ProjectorOptions& options, std::ostream& out);

}  // namespace pilotage::projector
