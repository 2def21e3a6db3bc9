#pragma once
// One batch of the projection engine, without Kafka: the per-event fold
// (decode, checks, dedup, Projection::Fold) and the sealing of the batch into
// ONE store::WriteBatch holding the projection's state changes, the ids of the
// events folded (DedupCache) and the progress of every partition the batch
// moved. The engine (engine.h) calls it for what it consumes; the test driver
// (pilotage/testing/projection_driver.h) for events fed in memory. Whoever
// calls it owns the transport: sending dead letters, writing the sealed batch,
// committing offsets.
//
// Per event, Add():
//   * a payload that does not decode, or an event without id, lot or body, or
//     one the projection refuses (kInvalidArgument/kFailedPrecondition), is a
//     dead letter: counted in its partition's progress, with a reason, and
//     not folded;
//   * an id already folded for its lot and week of occurred_at is a duplicate:
//     counted, not folded, when its content is the folded copy's (or the
//     folded copy's content is unknown: folded before decision 0036);
//   * with other content (ContentFingerprint differs, for an event the
//     projection's ComparesContent says yes to), it is a conflicting
//     resend: a dead letter with reason kConflictingResendReason, counted per
//     lot in the batch's report and told to Projection::OnConflictingResend,
//     not folded;
//   * otherwise the projection folds it.
// A record of a topic the projection's FoldsRecords says yes to is not
// decoded as an event: FoldRecord takes it as it is (no ids, no dedup), and
// a refusal there is a dead letter too.
// Every event moves its partition's next offset to its offset + 1.
//
// Seal() writes nothing: the caller writes the sealed batch with
// store::Store::Write, and must have written the previous one first (the
// projection's Flush reads the state it holds).
//
// Errors: a store read error or any other error of the projection, from Add or
// Seal, loses the open batch (the projection's delta is discarded); the
// BatchFold must not be used again. Open a new one on the same store and
// replay from the stored offsets, as a restarted engine does: the store is
// the fold of an exact prefix of each partition.
//
// Thread-safety: one thread at a time. `projection` and `store` must outlive
// it; `store` must have been opened with OpenProjectionStore for `projection`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/projection/dedup_cache.h"
#include "pilotage/projection/engine.h"
#include "pilotage/projection/projection.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/store/store.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::projection {

// A partition the batch folds events of.
struct PartitionState {
  std::string topic;
  int32_t partition = 0;
  std::string key;  // "topic/partition", its key in the progress family
  PartitionProgress progress;
  bool dirty = false;  // moved since the last sealed batch
};

// A batch ready to be written: state, seen ids and progress, and what it covers
// (BatchReport::write_time is left to the writer).
struct SealedBatch {
  store::WriteBatch batch;
  BatchReport report;
};

// A dead letter's record for `origin` (recorded now).
v1::DeadLetter MakeDeadLetter(const Origin& origin, std::string_view payload,
                              std::string_view reason);

// The reason of a conflicting resend's dead letter.
inline constexpr std::string_view kConflictingResendReason =
    "event_id already known with other content";

// The content fingerprint of `event` (decision 0036): XXH3-64 of its
// deterministic serialization with operator_id and recorded_at cleared (set
// by the gateway at each sending), never 0. `event` is changed during the
// call and restored before it returns; `scratch` is a reusable buffer.
uint64_t ContentFingerprint(v1::Event& event, std::string& scratch);

class BatchFold {
 public:
  // A conflicting resend is a kDeadLetter.
  enum class Outcome { kFolded, kDuplicate, kDeadLetter };

  BatchFold(Projection* projection, store::Store* store, size_t seen_cache_ids)
      : projection_(projection), store_(store), seen_(*store, seen_cache_ids) {
    projection_->Bind(*store_);
  }

  // Starts folding `topic`/`partition`: returns the next offset to read, as
  // stored (0 when the store has none). Errors: the store's.
  [[nodiscard]] absl::StatusOr<int64_t> Assign(std::string_view topic, int32_t partition);
  // Stops folding it (its progress must have been sealed and written first).
  void Revoke(std::string_view topic, int32_t partition);

  // Takes the event read at `origin` into the open batch. For a dead letter,
  // `*reason` says why. A partition not assigned is assigned at its first
  // event, from offset 0.
  [[nodiscard]] absl::StatusOr<Outcome> Add(const Origin& origin, std::string_view payload,
                                            std::string* reason);

  // The consumer's position in `topic`/`partition` is `next_offset`, past
  // records it never hands over: transaction markers and records of aborted
  // transactions (decision 0026). Moves the partition's next offset there
  // when that is ahead, so that its progress says the log is folded to its
  // end; nothing is folded or counted, no data record is skipped (the
  // consumer hands every committed one over before its position passes it).
  // Written with the next sealed batch. Returns true when it moved; false
  // for a partition not assigned.
  bool SkipTo(std::string_view topic, int32_t partition, int64_t next_offset);

  // Events in the open batch.
  size_t events() const { return events_; }
  // Whether Seal() has anything to write: events, or offsets moved by SkipTo.
  bool pending() const { return events_ > 0 || skipped_; }

  // Seals the open batch (Projection::Flush, seen ids, progress of the
  // partitions it moved) and opens the next one.
  [[nodiscard]] absl::StatusOr<SealedBatch> Seal();

  const std::vector<PartitionState>& partitions() const { return partitions_; }
  const DedupCache& dedup_cache() const { return seen_; }

 private:
  PartitionState& StateOf(std::string_view topic, int32_t partition);
  absl::Status Lost(absl::Status s);

  Projection* projection_;
  store::Store* store_;
  DedupCache seen_;
  std::vector<PartitionState> partitions_;
  size_t events_ = 0;
  bool skipped_ = false;  // SkipTo moved an offset since the last Seal
  BatchReport report_;
  v1::Event event_;
  std::string scratch_;  // ContentFingerprint's buffer
};

}  // namespace pilotage::projection
