#pragma once
// A Kafka-free driver for projections, in the spirit of Kafka Streams'
// TopologyTestDriver: pipe events in, in memory, and read the store they were
// folded into — in milliseconds, without a broker.
//
// The events go through the engine's own batch step (projection::BatchFold:
// decode, checks, dedup, Projection::Fold, then Projection::Flush, seen ids
// and progress sealed into ONE WriteBatch) and each sealed batch is written
// atomically into a real RocksDB store opened with OpenProjectionStore (so
// the projection version check applies). What the driver does not have is
// Kafka: no consumer group, no dead-letter topic (dead letters are kept in
// memory), no writer thread. Use it for what a projection folds and what the
// store holds; test Kafka behaviour (rebalances, dead-letter delivery,
// restarts of the real program) against the broker.
//
// Origins: the driver assigns each event of a partition the next offset,
// starting at the offset stored in the store's progress (0 for a new store),
// as the engine would resume. Batches: each Pipe call is cut into batches of
// at most `batch_events` events, each written before Pipe returns.
//
// It lives in libs/testing, not libs/projection, so that test code stays out
// of what the services link; it adds nothing of its own to the fold path.
//
// Errors: a batch that fails (a store error, or an error of the projection
// other than a refusal) writes nothing; Pipe returns the error and the driver
// must not be piped into again. Destroy it and open a new one on the same
// directory to replay, as a restarted projector does.
//
// Thread-safety: one thread at a time. The projection must outlive the
// driver; the driver owns its store.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/projection/batch_fold.h"
#include "pilotage/projection/engine.h"
#include "pilotage/projection/projection.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/store/store.h"
#include "pilotage/topics/topics.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::testing {

struct ProjectionDriverOptions {
  // The topic events are taken to come from when no partition is named.
  std::string topic = pilotage::topics::kActivity;
  // Events per written batch (at least 1).
  size_t batch_events = 20000;
  // The engine's dedup memory bound (EngineOptions::seen_cache_ids).
  size_t seen_cache_ids = 2'000'000;
};

class ProjectionDriver {
 public:
  // Opens (creating if missing) the store of `projection` in `dir`. Errors:
  // those of OpenProjectionStore (kFailedPrecondition for a store of another
  // projection or version); kInvalidArgument for batch_events 0.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ProjectionDriver>> Create(
      projection::Projection* projection, const std::filesystem::path& dir,
      ProjectionDriverOptions options = {});

  // Folds `events`, as read in this order from partition `partition` of
  // options.topic, in batches of options.batch_events.
  [[nodiscard]] absl::Status Pipe(const std::vector<v1::Event>& events, int32_t partition = 0);
  // Same, for raw payloads (e.g. bytes that do not decode), from `topic`.
  [[nodiscard]] absl::Status PipePayloads(const std::vector<std::string>& payloads,
                                          const std::string& topic, int32_t partition = 0);

  // The store, for reading what was folded.
  const store::Store& store() const { return *store_; }
  // Per "topic/partition" progress as stored.
  [[nodiscard]] absl::StatusOr<std::map<std::string, projection::PartitionProgress>> Progress()
      const;
  // projection::StateDigest of the store.
  [[nodiscard]] absl::StatusOr<std::string> Digest() const;

  // Every dead letter so far, in order (what the engine sends to its topic).
  const std::vector<v1::DeadLetter>& dead_letters() const { return dead_letters_; }
  // The report of every batch written, in order (write_time left at 0).
  const std::vector<projection::BatchReport>& batches() const { return batches_; }
  // The engine's dedup memory, to observe its bound.
  const projection::DedupCache& dedup_cache() const { return fold_->dedup_cache(); }

 private:
  ProjectionDriver(projection::Projection* projection, std::unique_ptr<store::Store> store,
                   ProjectionDriverOptions options);
  absl::Status PipeBatch(const std::vector<std::string>& payloads, size_t begin, size_t end,
                         const std::string& topic, int32_t partition);

  projection::Projection* projection_;
  std::unique_ptr<store::Store> store_;
  ProjectionDriverOptions options_;
  std::unique_ptr<projection::BatchFold> fold_;
  std::map<std::pair<std::string, int32_t>, int64_t> next_offsets_;
  std::vector<v1::DeadLetter> dead_letters_;
  std::vector<projection::BatchReport> batches_;
  absl::Status broken_;
};

}  // namespace pilotage::testing
