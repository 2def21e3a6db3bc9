#pragma once
// A projection: how decoded events change a read model. The engine
// (engine.h) owns consuming, deduplication, dead letters, batching and the
// atomic write; a projection only folds and flushes.
//
// Contract:
//   * Fold() is called once per new event (never for a duplicate event id),
//     in partition order, and records its effect in an in-memory delta.
//   * Flush() turns the delta into puts and deletes on `batch`, reading what
//     it needs from `store` (which holds everything flushed before), then
//     clears the delta. The engine writes `batch` atomically with the event
//     ids seen and the next offsets; if that write fails, the engine calls
//     Discard() and replays the same events.
//   * State is keyed by lot: a lot's events live in one Kafka partition, so
//     the state of a partition is self-contained and can be rebuilt, moved to
//     another projector, or replayed from offset 0 on its own.
//   * The result must not depend on how events are cut into batches.
// A projection is used by one engine thread at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "pilotage/store/store.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::projection {

// Where an event was read from.
struct Origin {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

class Projection {
 public:
  virtual ~Projection() = default;

  // Stable name and version, recorded in the store. Change the version when
  // the meaning of stored state changes: a store written by another version
  // is refused and must be rebuilt.
  virtual std::string_view Name() const = 0;
  virtual uint32_t Version() const = 0;

  // The column families holding this projection's state (the engine adds
  // its own: meta, offsets, seen, progress).
  virtual std::vector<store::ColumnFamilyOptions> StateColumnFamilies() const = 0;

  // Called once, before the first Fold, with the store Flush will be given
  // (the engine's and the test driver's batch step, batch_fold.h): Fold may
  // read from it the state earlier batches flushed, e.g. to refuse an event
  // that contradicts it. The store outlives the projection's use of it.
  // Caution: the engine folds a batch while its writer thread may still be
  // writing the batch flushed just before (Flush itself comes only once that
  // write is done): Fold must also look at what it flushed last.
  // Default: not kept.
  virtual void Bind(const store::Store& store) { (void)store; }

  // Folds one event into the delta. kInvalidArgument or kFailedPrecondition
  // mean the event cannot apply: it goes to the dead-letter topic with the
  // message as reason, and folding goes on. Any other error stops the engine.
  [[nodiscard]] virtual absl::Status Fold(const v1::Event& event, const Origin& origin) = 0;

  // Whether the records of `topic` are something other than v1::Events (e.g.
  // the gateway's Rejections, decision 0045): the engine hands them to
  // FoldRecord as they are, without decoding, ids, dedup or content
  // comparison; their exactly-once rests on the offsets alone, written in
  // the same atomic batch as the state. Default: no topic.
  virtual bool FoldsRecords(std::string_view topic) const {
    (void)topic;
    return false;
  }

  // Folds one record of a topic FoldsRecords says yes to into the delta.
  // Errors as Fold's: kInvalidArgument or kFailedPrecondition send the
  // record to the dead letters with the message as reason; any other error
  // stops the engine. Default: kUnimplemented.
  [[nodiscard]] virtual absl::Status FoldRecord(std::string_view payload, const Origin& origin) {
    (void)payload;
    (void)origin;
    return absl::UnimplementedError("this projection folds no records other than events");
  }

  // Whether a copy of `event` resent with other content is a conflicting
  // resend (decision 0036). A projection answers false for events whose id
  // is derived from their content on purpose while other fields may differ
  // between sendings (e.g. the time a command ran): their resends are plain
  // duplicates. Default: true.
  virtual bool ComparesContent(const v1::Event& event) const {
    (void)event;
    return true;
  }

  // Called instead of Fold for an event whose id was already folded with
  // other content (a conflicting resend, sent to the dead letters: decision
  // 0036), e.g. to record it in the delta for the operator to see. An error
  // stops the engine, as one of Fold's would. Default: nothing.
  [[nodiscard]] virtual absl::Status OnConflictingResend(const v1::Event& event,
                                                         const Origin& origin) {
    (void)event;
    (void)origin;
    return absl::OkStatus();
  }

  // Writes the delta into `batch` and clears it.
  [[nodiscard]] virtual absl::Status Flush(const store::Store& store, store::WriteBatch& batch) = 0;

  // Forgets the delta (the batch holding it was not written).
  virtual void Discard() = 0;

  // The bytes StateDigest hashes for `value`, stored under some key of
  // `family`: a projection that can store the same state in several byte
  // forms (records appended batch after batch, in an order that depends on
  // the batching) returns one canonical form, so that stores folding the same
  // events agree; nullopt for a value that stands for no entry at all (a
  // counter summed back to 0, which one batching stores and another never
  // writes), so that its key is left out too. Default: the value itself.
  virtual std::optional<std::string> DigestForm(std::string_view family,
                                                std::string_view value) const {
    (void)family;
    return std::string(value);
  }
};

}  // namespace pilotage::projection
