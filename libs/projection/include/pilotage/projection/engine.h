#pragma once
// The projection engine: consumes Kafka in a consumer group and folds every
// event exactly once into a projection's RocksDB store.
//
// Per batch (up to `batch_max_events` events or `batch_max_wait`), the engine
// writes ONE atomic store batch holding the projection's state changes, the
// ids of the events folded, and the next offset and counters of every
// partition in the batch (WAL on; fsync per batch if `sync`). On assignment,
// each partition starts at the offset stored in that store — 0 when it has
// none — never at Kafka's committed offset, which is committed only so that
// lag shows in Kafka's tools. A crash at any instant therefore loses nothing
// and counts nothing twice: the store is always the fold of an exact prefix
// of each partition.
//
// Per event: a payload that does not decode, or an event without id, lot or
// body, or one the projection refuses (kInvalidArgument/kFailedPrecondition),
// is written to the dead-letter topic with its origin and reason, counted,
// and skipped. An event id already folded for its lot is skipped and counted
// as a duplicate, whenever the resend arrives (a resend is the same event:
// same lot, id and occurred_at; the ids are grouped by lot and week of
// occurred_at, decision 0015); sent again with other content, it is a
// dead letter, "event_id already known with other content" (decision 0036).
// Records of a topic the projection folds as they are (Projection::
// FoldsRecords, e.g. the gateway's refusals) skip decoding and dedup.
// Broker errors are retried,
// never dead-lettered: the batch is written only once its dead letters are
// acknowledged.
//
// Thread-safety: Run() on one thread; RequestStop() and stats() from any.
// A BatchObserver is called on the engine's writer thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/projection/projection.h"
#include "pilotage/store/store.h"
#include "pilotage/topics/topics.h"

namespace pilotage::projection {

// What one atomic batch wrote, once it is durable in the store.
struct BatchReport {
  // Events the batch covers: folded + duplicates + dead_letters.
  int64_t events = 0;
  int64_t folded = 0;
  int64_t duplicates = 0;
  int64_t dead_letters = 0;
  // Of the dead letters, the conflicting resends (an id already folded, sent
  // again with other content: decision 0036), per lot id.
  std::map<std::string, int64_t> conflicting_resends;
  // How long the store took to write the batch (WAL, and fsync if `sync`).
  std::chrono::nanoseconds write_time{0};
  // The next offset to read, per "topic" and partition the batch moved.
  std::map<std::pair<std::string, int32_t>, int64_t> next_offsets;
};

// Told about every batch once it is written, e.g. to export metrics; the
// engine itself knows nothing of how they are exported.
//
// Thread-safety: OnBatchWritten is called on the engine's writer thread, one
// batch at a time and in order; it must not block for long.
class BatchObserver {
 public:
  virtual ~BatchObserver() = default;
  virtual void OnBatchWritten(const BatchReport& report) = 0;
};

struct EngineOptions {
  // Kafka bootstrap servers, "host:port[,...]".
  std::string bootstrap;
  // Consumer group shared by the projectors that split the partitions.
  std::string group_id = "pilotage-projector";
  // Topics folded, in the order of their names (keys are lot ids).
  std::vector<std::string> topics = {pilotage::topics::kActivity, pilotage::topics::kContract};
  // Where undecodable or impossible events go.
  std::string dead_letter_topic = pilotage::topics::kDeadLetter;
  // A batch is written when it holds this many events...
  size_t batch_max_events = 20000;
  // ...or when its first event has waited this long.
  std::chrono::milliseconds batch_max_wait{250};
  // Stop once every assigned partition has reached the end offset it had
  // when the engine first saw it idle (for rebuilds, tests and benchmarks).
  bool stop_at_end = false;
  // Name given to the Kafka clients.
  std::string client_id = "pilotage-projector";
  // Static group membership (group.instance.id): a projector restarted with
  // the same id takes its partitions back at once instead of waiting for the
  // session timeout. Empty: dynamic membership. Give each projector process a
  // distinct, stable id (e.g. the host name and a slot number).
  std::string instance_id;
  // Dedup memory: the most ids of folded events kept in memory (about 36
  // bytes each, with their content fingerprint), by seen group (lot and week of occurred_at);
  // beyond it, the groups least recently folded into are forgotten and read again from the store
  // when an event of theirs comes. The groups of the batch being written are always kept.
  size_t seen_cache_ids = 2'000'000;
  // Told about every written batch; not owned, must outlive the engine.
  // Null: nobody is told.
  BatchObserver* batch_observer = nullptr;
};

// Counters since the engine started (the store keeps cumulative ones).
struct EngineStats {
  std::atomic<int64_t> folded{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> dead_letters{0};
  std::atomic<int64_t> batches{0};
  std::atomic<int64_t> flush_retries{0};
};

class Engine {
 public:
  // `projection` and `store` must outlive the engine; `store` must have been
  // opened with OpenProjectionStore for `projection`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Create(const EngineOptions& options,
                                                                      Projection* projection,
                                                                      store::Store* store);
  ~Engine();

  // Consumes and folds until RequestStop() (or, with stop_at_end, until the
  // end), then writes the open batch and leaves the group. Returns the error
  // that stopped it, if any.
  [[nodiscard]] absl::Status Run();

  // Asks Run() to finish its current batch and return. Safe from a signal
  // handler's companion thread or any other thread.
  void RequestStop();

  const EngineStats& stats() const;

  class Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pilotage::projection
