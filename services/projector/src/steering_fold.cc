#include "steering_fold.h"

#include <map>
#include <string>

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/readmodel/steering.h"

namespace pilotage::projector {
namespace {

namespace sv1 = ::pilotage::store::v1;
using readmodel::MergeInto;
using readmodel::layout::kAction;
using readmodel::layout::Key;
using readmodel::layout::kPenalty;
using readmodel::layout::kReview;
using readmodel::layout::kStatement;

template <typename Record>
absl::Status FlushMap(const store::Store& store, std::string_view family, store::WriteBatch& batch,
                      const std::map<std::string, Record>& delta) {
  for (const auto& [key, record] : delta) {
    auto current = store.Get(family, key);
    if (!current.ok()) return current.status();
    Record merged;
    if (current->has_value() && !merged.ParseFromString(**current)) {
      return absl::DataLossError(
          fmt::format("cannot parse stored steering record '{}'", key.substr(0, key.find('\0'))));
    }
    MergeInto(merged, record);
    batch.Put(family, key, merged.SerializeAsString());
  }
  return absl::OkStatus();
}

// Marks the refusal of a re-priced proposal, for the projection's counter.
constexpr char kPenaltyConflictPayload[] = "type.pilotage/projector.PenaltyConflict";

}  // namespace

bool SteeringDelta::IsPenaltyConflict(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) &&
         status.GetPayload(kPenaltyConflictPayload).has_value();
}

absl::Status SteeringDelta::CheckNotRepriced(const v1::Event& e, const std::string& key) const {
  const auto& proposed = e.penalty_proposed();
  const v1::PenaltyProposed* before = nullptr;
  sv1::PenaltyRecord stored;
  if (auto it = penalties_.find(key);
      it != penalties_.end() && !it->second.proposed().penalty_id().empty()) {
    before = &it->second.proposed();
  } else if (auto flushed = flushed_proposals_.find(key); flushed != flushed_proposals_.end()) {
    before = &flushed->second;
  } else if (store_ != nullptr) {
    auto current = store_->Get(readmodel::layout::kContract, key);
    if (!current.ok()) return current.status();
    if (current->has_value()) {
      if (!stored.ParseFromString(**current)) {
        return absl::DataLossError(
            fmt::format("cannot parse stored penalty record of lot '{}'", e.lot_id()));
      }
      if (!stored.proposed().penalty_id().empty()) before = &stored.proposed();
    }
  }
  if (before == nullptr || before->amount_cents() == proposed.amount_cents()) {
    return absl::OkStatus();
  }
  absl::Status refused = absl::FailedPreconditionError(fmt::format(
      "penalty_proposed.amount_cents: penalty {} of lot {} ({}) is already in the ledger at {} "
      "cents; this event ({}) proposes {} cents: a priced decision is never re-priced",
      proposed.penalty_id(), e.lot_id(), proposed.period(), before->amount_cents(), e.event_id(),
      proposed.amount_cents()));
  refused.SetPayload(kPenaltyConflictPayload, absl::Cord(proposed.penalty_id()));
  return refused;
}

absl::Status SteeringDelta::Fold(const v1::Event& e) {
  if (auto s = readmodel::CheckSteeringEvent(e); !s.ok()) return s;
  const int64_t at = e.occurred_at().seconds();
  const std::string& lot = e.lot_id();
  switch (e.body_case()) {
    case v1::Event::kReviewHeld: {
      sv1::ReviewRecord r;
      *r.mutable_review() = e.review_held();
      r.set_occurred_at(at);
      r.set_event_id(e.event_id());
      MergeInto(reviews_[Key({lot, kReview, e.review_held().review_id()})], r);
      break;
    }
    case v1::Event::kCorrectiveActionOpened: {
      sv1::ActionRecord r;
      *r.mutable_opened() = e.corrective_action_opened();
      r.set_opened_at(at);
      r.set_opened_event_id(e.event_id());
      MergeInto(actions_[Key({lot, kAction, e.corrective_action_opened().action_id()})], r);
      break;
    }
    case v1::Event::kCorrectiveActionClosed: {
      sv1::ActionRecord r;
      *r.mutable_closed() = e.corrective_action_closed();
      r.set_closed_at(at);
      r.set_closed_event_id(e.event_id());
      MergeInto(actions_[Key({lot, kAction, e.corrective_action_closed().action_id()})], r);
      break;
    }
    case v1::Event::kPenaltyProposed: {
      const std::string key = Key({lot, kPenalty, e.penalty_proposed().penalty_id()});
      if (auto s = CheckNotRepriced(e, key); !s.ok()) return s;
      sv1::PenaltyRecord r;
      *r.mutable_proposed() = e.penalty_proposed();
      r.set_proposed_at(at);
      r.set_proposed_event_id(e.event_id());
      MergeInto(penalties_[key], r);
      break;
    }
    case v1::Event::kObservationsReceived: {
      sv1::PenaltyRecord r;
      *r.mutable_observations() = e.observations_received();
      r.set_observations_at(at);
      r.set_observations_event_id(e.event_id());
      MergeInto(penalties_[Key({lot, kPenalty, e.observations_received().penalty_id()})], r);
      break;
    }
    case v1::Event::kPenaltyConfirmed: {
      sv1::PenaltyRecord r;
      *r.mutable_confirmed() = e.penalty_confirmed();
      r.set_decided_at(at);
      r.set_decision_event_id(e.event_id());
      MergeInto(penalties_[Key({lot, kPenalty, e.penalty_confirmed().penalty_id()})], r);
      break;
    }
    case v1::Event::kPenaltyWaived: {
      sv1::PenaltyRecord r;
      *r.mutable_waived() = e.penalty_waived();
      r.set_decided_at(at);
      r.set_decision_event_id(e.event_id());
      MergeInto(penalties_[Key({lot, kPenalty, e.penalty_waived().penalty_id()})], r);
      break;
    }
    case v1::Event::kPaymentStatementIssued: {
      sv1::StatementRecord r;
      *r.mutable_statement() = e.payment_statement_issued();
      r.set_occurred_at(at);
      r.set_event_id(e.event_id());
      MergeInto(statements_[Key({lot, kStatement, e.payment_statement_issued().statement_id()})],
                r);
      break;
    }
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status SteeringDelta::Flush(const store::Store& store, std::string_view family,
                                  store::WriteBatch& batch) {
  if (auto s = FlushMap(store, family, batch, reviews_); !s.ok()) return s;
  if (auto s = FlushMap(store, family, batch, actions_); !s.ok()) return s;
  if (auto s = FlushMap(store, family, batch, penalties_); !s.ok()) return s;
  if (auto s = FlushMap(store, family, batch, statements_); !s.ok()) return s;
  std::map<std::string, v1::PenaltyProposed> proposals;
  for (const auto& [key, record] : penalties_) {
    if (!record.proposed().penalty_id().empty()) proposals.emplace(key, record.proposed());
  }
  Clear();
  flushed_proposals_ = std::move(proposals);
  return absl::OkStatus();
}

void SteeringDelta::Clear() {
  reviews_.clear();
  actions_.clear();
  penalties_.clear();
  statements_.clear();
}

}  // namespace pilotage::projector
