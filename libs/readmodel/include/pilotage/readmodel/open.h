#pragma once
// The one way to open a data directory's current `cep` store for reading,
// with its freshness. The projector (services/projector) creates and writes
// stores; readers (pilotagectl, the penalty job, the query service) open
// them here and nowhere else.
//
// Data directory layout (written by the projector):
//   DIR/current          symlink to the store being served and written
//   DIR/stores/...       the stores
// A rebuild repoints DIR/current atomically; a reader that must follow it
// (the query service) resolves the link again and reopens.
//
// Two ways to open:
//   - read-only (ReadStore::OpenReadOnly): a fixed snapshot of the store as it
//     was on disk when opened, without a lock, beside a running projector
//     (whole batches; an open that the projector's flush or compaction
//     overlapped is made again, see store::Store::OpenReadOnly).
//     For one-shot readers (pilotagectl, the penalty job).
//   - secondary (ReadStore::OpenSecondary): a RocksDB follower that sees the
//     projector's writes, whole batches at a time, when CatchUp() is called
//     (an open or catch-up that a flush or compaction overlapped is made
//     again, see store::Store::OpenSecondary and CatchUp; a caller that must
//     stay exact opens a new one when its table files show a new name or a
//     catch-up failed).
//     For long-running readers (the query service).
// Either way the store must have been written by the `cep` projection of
// this layout version (layout.h): another projection or version is
// kFailedPrecondition, saying to rebuild it.
//
// Thread-safety: reads of store() may run from any thread. CatchUp() must not
// run while a reader needs several reads to agree (see store::Store::CatchUp);
// freshness() and CatchUp() are not synchronized with each other.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/store/store.h"
#include "pilotage/v1/contract.pb.h"

namespace pilotage::readmodel {

// Where DIR/current points.
struct StoreLocation {
  std::filesystem::path data_dir;
  // The store's directory (DIR/current's target, made absolute against DIR).
  std::filesystem::path path;
  // The store relative to the data directory ("stores/initial"), or its
  // directory name when it lies elsewhere.
  std::string name;
};

// Resolves DIR/current. kNotFound when there is no store yet (the projector
// has not run), kFailedPrecondition when DIR/current is not a symlink,
// kUnavailable when the link cannot be read.
[[nodiscard]] absl::StatusOr<StoreLocation> CurrentStore(const std::filesystem::path& data_dir);

// How fresh what a ReadStore shows is.
struct Freshness {
  // Per "topic/partition": the next offset the projector will fold and its
  // cumulative counters, as stored with the state shown (the engine writes
  // them in the same atomic batch as the state).
  std::map<std::string, projection::PartitionProgress> progress;
  // When the store was opened, and when it last caught up (the opening
  // counts as a catch-up: the store is seen as it was then).
  absl::Time opened_at = absl::InfinitePast();
  absl::Time caught_up_at = absl::InfinitePast();
};

// The folded position per "topic/partition" of `freshness`, as the
// provenance a decision records (PenaltyProposed / PaymentStatementIssued
// input_offsets, decision 0027): sorted by topic, then partition.
std::vector<v1::SourceOffset> SourceOffsets(const Freshness& freshness);

class ReadStore {
 public:
  // A read-only snapshot of `where`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ReadStore>> OpenReadOnly(
      const StoreLocation& where);
  // CurrentStore(data_dir), then OpenReadOnly.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ReadStore>> OpenReadOnly(
      const std::filesystem::path& data_dir);
  // A secondary instance of `where`; `secondary_dir` is its own directory
  // (its info log), created if missing, one per instance.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ReadStore>> OpenSecondary(
      const StoreLocation& where, const std::filesystem::path& secondary_dir);

  ReadStore(const ReadStore&) = delete;
  ReadStore& operator=(const ReadStore&) = delete;

  const store::Store& store() const { return *store_; }
  const StoreLocation& location() const { return location_; }
  const Freshness& freshness() const { return freshness_; }

  // Secondary only: applies what the projector wrote since the last catch-up
  // and reads the progress stored with it. kFailedPrecondition on a
  // read-only store; the store's errors otherwise (freshness unchanged).
  [[nodiscard]] absl::Status CatchUp();

 private:
  ReadStore(StoreLocation location, std::unique_ptr<store::Store> store, absl::Time opened_at);
  [[nodiscard]] absl::Status ReadFreshness(absl::Time at);

  StoreLocation location_;
  std::unique_ptr<store::Store> store_;
  Freshness freshness_;
};

}  // namespace pilotage::readmodel
