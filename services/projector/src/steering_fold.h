#pragma once
// The steering part of the cep projection's delta: the records of one batch,
// merged in memory (steering.h's MergeInto), then merged into the stored ones
// on Flush.

#include <map>
#include <string>

#include "absl/status/status.h"
#include "pilotage/store/store.h"
#include "pilotage/store/v1/readmodel.pb.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::projector {

class SteeringDelta {
 public:
  // The store earlier batches are written to (not owned; may stay unset,
  // then only the delta's own records and the last flushed batch's are
  // compared). The engine folds a batch while the writer thread still writes
  // the one flushed before it (libs/projection engine.cc): that batch's
  // proposals are kept here until the next Flush, which comes only once it
  // is written, so a re-pricing is refused whatever the batching and timing.
  void Bind(const store::Store* store) { store_ = store; }

  // Folds a steering event (IsSteeringEvent) after CheckSteeringEvent;
  // kInvalidArgument (nothing folded) when the check fails. A PenaltyProposed
  // whose penalty id is already proposed in the ledger (stored, or earlier in
  // this batch) with a different amount_cents is refused with
  // kFailedPrecondition (IsPenaltyConflict): a decision is never re-priced.
  // Same id, same amount: merged as usual.
  [[nodiscard]] absl::Status Fold(const v1::Event& event);

  // Merges the delta into the records stored in `family` of `store`, writes
  // them to `batch` and clears the delta. `store` must hold every batch
  // flushed before (the engine waits for its writer first).
  [[nodiscard]] absl::Status Flush(const store::Store& store, std::string_view family,
                                   store::WriteBatch& batch);

  // Forgets the delta. The last flushed batch's proposals stay: that batch
  // is written (or the engine stops on the write's failure).
  void Clear();

  // Whether `status` is Fold's refusal of a re-priced proposal.
  static bool IsPenaltyConflict(const absl::Status& status);

 private:
  absl::Status CheckNotRepriced(const v1::Event& e, const std::string& key) const;

  const store::Store* store_ = nullptr;
  std::map<std::string, store::v1::ReviewRecord> reviews_;
  std::map<std::string, store::v1::ActionRecord> actions_;
  std::map<std::string, store::v1::PenaltyRecord> penalties_;
  // The proposals of the batch flushed last, by key: perhaps not written yet.
  std::map<std::string, v1::PenaltyProposed> flushed_proposals_;
  std::map<std::string, store::v1::StatementRecord> statements_;
};

}  // namespace pilotage::projector
