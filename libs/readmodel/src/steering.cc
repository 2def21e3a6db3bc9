#include "pilotage/readmodel/steering.h"

#include <initializer_list>
#include <tuple>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/readmodel/layout.h"

namespace pilotage::readmodel {
namespace {

namespace sv1 = ::pilotage::store::v1;

using layout::kAction;
using layout::Key;
using layout::kPenalty;
using layout::kReview;
using layout::kStatement;

// Whether slot (a_at, a_id) must replace slot (b_at, b_id): `a` is filled
// and `b` is empty or earlier.
bool Replaces(int64_t a_at, const std::string& a_id, int64_t b_at, const std::string& b_id) {
  if (a_id.empty()) return false;
  if (b_id.empty()) return true;
  return std::tie(a_at, a_id) > std::tie(b_at, b_id);
}

absl::Status Missing(std::string_view field) {
  return absl::InvalidArgumentError(fmt::format("{}: missing", field));
}

absl::Status CheckDay(std::string_view field, const std::string& text, bool required) {
  if (text.empty()) return required ? Missing(field) : absl::OkStatus();
  if (auto day = domain::ParseDay(text); !day.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", field, std::string(day.status().message())));
  }
  return absl::OkStatus();
}

absl::Status CheckPeriod(std::string_view field, const std::string& text, bool required) {
  if (text.empty()) return required ? Missing(field) : absl::OkStatus();
  if (auto period = domain::Period::Parse(text); !period.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", field, std::string(period.status().message())));
  }
  return absl::OkStatus();
}

absl::Status CheckAmount(std::string_view field, int64_t cents) {
  if (cents < 0) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {} is negative (euro cents, must be >= 0)", field, cents));
  }
  return absl::OkStatus();
}

// The first error of `checks`, or OK.
absl::Status First(std::initializer_list<absl::Status> checks) {
  for (const auto& s : checks) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckStatement(const v1::PaymentStatementIssued& s) {
  if (s.statement_id().empty()) return Missing("payment_statement_issued.statement_id");
  if (auto c = CheckPeriod("payment_statement_issued.period", s.period(), true); !c.ok()) return c;
  for (int i = 0; i < s.fees_size(); ++i) {
    const auto& f = s.fees(i);
    const std::string at = fmt::format("payment_statement_issued.fees[{}]", i);
    if (auto c = First({CheckAmount(at + ".appointments", f.appointments()),
                        CheckAmount(at + ".unit_price_cents", f.unit_price_cents()),
                        CheckAmount(at + ".amount_cents", f.amount_cents())});
        !c.ok()) {
      return c;
    }
  }
  for (int i = 0; i < s.variable_payments_size(); ++i) {
    if (auto c = CheckAmount(
            fmt::format("payment_statement_issued.variable_payments[{}].amount_cents", i),
            s.variable_payments(i).amount_cents());
        !c.ok()) {
      return c;
    }
  }
  for (int i = 0; i < s.penalties_size(); ++i) {
    if (auto c = CheckAmount(fmt::format("payment_statement_issued.penalties[{}].amount_cents", i),
                             s.penalties(i).amount_cents());
        !c.ok()) {
      return c;
    }
  }
  return First({
      CheckAmount("payment_statement_issued.fees_cents", s.fees_cents()),
      CheckAmount("payment_statement_issued.variable_cents", s.variable_cents()),
      CheckAmount("payment_statement_issued.penalties_cents", s.penalties_cents()),
      CheckAmount("payment_statement_issued.cumulative_fund_usage_cents",
                  s.cumulative_fund_usage_cents()),
      CheckAmount("payment_statement_issued.budget_envelope_cents", s.budget_envelope_cents()),
  });
}

absl::Status CheckBody(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kReviewHeld: {
      const auto& r = e.review_held();
      if (r.review_id().empty()) return Missing("review_held.review_id");
      return First({CheckPeriod("review_held.period", r.period(), true),
                    CheckDay("review_held.held_on", r.held_on(), true)});
    }
    case v1::Event::kCorrectiveActionOpened: {
      const auto& a = e.corrective_action_opened();
      if (a.action_id().empty()) return Missing("corrective_action_opened.action_id");
      return First({CheckDay("corrective_action_opened.due_date", a.due_date(), true),
                    CheckPeriod("corrective_action_opened.period", a.period(), false)});
    }
    case v1::Event::kCorrectiveActionClosed: {
      const auto& a = e.corrective_action_closed();
      if (a.action_id().empty()) return Missing("corrective_action_closed.action_id");
      return CheckDay("corrective_action_closed.closed_on", a.closed_on(), true);
    }
    case v1::Event::kPenaltyProposed: {
      const auto& p = e.penalty_proposed();
      if (p.penalty_id().empty()) return Missing("penalty_proposed.penalty_id");
      if (p.rule_id().empty()) return Missing("penalty_proposed.rule_id");
      return First(
          {CheckPeriod("penalty_proposed.period", p.period(), true),
           CheckDay("penalty_proposed.observation_deadline", p.observation_deadline(), false),
           CheckDay("penalty_proposed.notified_on", p.notified_on(), false),
           CheckAmount("penalty_proposed.computed_cents", p.computed_cents()),
           CheckAmount("penalty_proposed.amount_cents", p.amount_cents())});
    }
    case v1::Event::kObservationsReceived: {
      const auto& o = e.observations_received();
      if (o.penalty_id().empty()) return Missing("observations_received.penalty_id");
      return CheckDay("observations_received.received_on", o.received_on(), true);
    }
    case v1::Event::kPenaltyConfirmed:
      if (e.penalty_confirmed().penalty_id().empty()) {
        return Missing("penalty_confirmed.penalty_id");
      }
      return absl::OkStatus();
    case v1::Event::kPenaltyWaived:
      if (e.penalty_waived().penalty_id().empty()) return Missing("penalty_waived.penalty_id");
      return absl::OkStatus();
    case v1::Event::kPaymentStatementIssued:
      return CheckStatement(e.payment_statement_issued());
    default:
      return absl::InvalidArgumentError("body: not a steering event");
  }
}

template <typename Record>
absl::Status ReadAll(const store::Store& store, const store::Snapshot& snapshot,
                     std::string_view lot_id, std::string_view kind, std::vector<Record>& out) {
  absl::Status bad;
  absl::Status s = store.ForEach(
      snapshot, layout::kContract, Key({lot_id, kind, ""}),
      [&](std::string_view key, std::string_view value) {
        Record r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad =
              absl::DataLossError(fmt::format("cannot parse the stored {} '{}' of lot '{}'", kind,
                                              key.substr(lot_id.size() + kind.size() + 2), lot_id));
          return false;
        }
        out.push_back(std::move(r));
        return true;
      });
  if (!s.ok()) return s;
  return bad;
}

}  // namespace

bool IsSteeringEvent(const v1::Event& event) {
  switch (event.body_case()) {
    case v1::Event::kReviewHeld:
    case v1::Event::kCorrectiveActionOpened:
    case v1::Event::kCorrectiveActionClosed:
    case v1::Event::kPenaltyProposed:
    case v1::Event::kObservationsReceived:
    case v1::Event::kPenaltyConfirmed:
    case v1::Event::kPenaltyWaived:
    case v1::Event::kPaymentStatementIssued:
      return true;
    default:
      return false;
  }
}

absl::Status CheckSteeringEvent(const v1::Event& event) {
  if (!IsSteeringEvent(event)) return absl::InvalidArgumentError("body: not a steering event");
  if (event.event_id().empty()) return Missing("event_id");
  if (event.lot_id().empty()) return Missing("lot_id");
  if (!event.has_occurred_at()) return Missing("occurred_at");
  return CheckBody(event);
}

void MergeInto(sv1::ReviewRecord& into, const sv1::ReviewRecord& from) {
  if (Replaces(from.occurred_at(), from.event_id(), into.occurred_at(), into.event_id())) {
    into = from;
  }
}

void MergeInto(sv1::StatementRecord& into, const sv1::StatementRecord& from) {
  if (Replaces(from.occurred_at(), from.event_id(), into.occurred_at(), into.event_id())) {
    into = from;
  }
}

void MergeInto(sv1::ActionRecord& into, const sv1::ActionRecord& from) {
  if (Replaces(from.opened_at(), from.opened_event_id(), into.opened_at(),
               into.opened_event_id())) {
    *into.mutable_opened() = from.opened();
    into.set_opened_at(from.opened_at());
    into.set_opened_event_id(from.opened_event_id());
  }
  if (Replaces(from.closed_at(), from.closed_event_id(), into.closed_at(),
               into.closed_event_id())) {
    *into.mutable_closed() = from.closed();
    into.set_closed_at(from.closed_at());
    into.set_closed_event_id(from.closed_event_id());
  }
}

void MergeInto(sv1::PenaltyRecord& into, const sv1::PenaltyRecord& from) {
  if (Replaces(from.proposed_at(), from.proposed_event_id(), into.proposed_at(),
               into.proposed_event_id())) {
    *into.mutable_proposed() = from.proposed();
    into.set_proposed_at(from.proposed_at());
    into.set_proposed_event_id(from.proposed_event_id());
  }
  if (Replaces(from.observations_at(), from.observations_event_id(), into.observations_at(),
               into.observations_event_id())) {
    *into.mutable_observations() = from.observations();
    into.set_observations_at(from.observations_at());
    into.set_observations_event_id(from.observations_event_id());
  }
  if (Replaces(from.decided_at(), from.decision_event_id(), into.decided_at(),
               into.decision_event_id())) {
    into.clear_confirmed();
    into.clear_waived();
    if (from.has_confirmed()) *into.mutable_confirmed() = from.confirmed();
    if (from.has_waived()) *into.mutable_waived() = from.waived();
    into.set_decided_at(from.decided_at());
    into.set_decision_event_id(from.decision_event_id());
  }
}

absl::StatusOr<SteeringReadModel> ReadSteering(const store::Store& store, std::string_view lot_id) {
  SteeringReadModel out;
  const auto snapshot = store.GetSnapshot();
  if (auto s = ReadAll(store, *snapshot, lot_id, kReview, out.reviews); !s.ok()) return s;
  if (auto s = ReadAll(store, *snapshot, lot_id, kAction, out.actions); !s.ok()) return s;
  if (auto s = ReadAll(store, *snapshot, lot_id, kPenalty, out.penalties); !s.ok()) return s;
  if (auto s = ReadAll(store, *snapshot, lot_id, kStatement, out.statements); !s.ok()) return s;
  return out;
}

absl::StatusOr<SteeringReadModel> AsKnownOn(const SteeringReadModel& model, absl::CivilDay day) {
  auto start = domain::ParisStartOfDay(day + 1);
  if (!start.ok()) return start.status();
  // Steps that occurred before the next day's start were known on `day`.
  const int64_t before = absl::ToUnixSeconds(*start);
  auto known = [before](int64_t at) { return at < before; };
  SteeringReadModel out;
  for (const auto& r : model.reviews) {
    if (known(r.occurred_at())) out.reviews.push_back(r);
  }
  for (const auto& r : model.statements) {
    if (known(r.occurred_at())) out.statements.push_back(r);
  }
  for (sv1::ActionRecord r : model.actions) {
    if (!r.opened_event_id().empty() && !known(r.opened_at())) {
      r.clear_opened();
      r.clear_opened_at();
      r.clear_opened_event_id();
    }
    if (!r.closed_event_id().empty() && !known(r.closed_at())) {
      r.clear_closed();
      r.clear_closed_at();
      r.clear_closed_event_id();
    }
    if (!r.opened_event_id().empty() || !r.closed_event_id().empty()) {
      out.actions.push_back(std::move(r));
    }
  }
  for (sv1::PenaltyRecord r : model.penalties) {
    if (r.proposed_event_id().empty()) continue;
    auto notified = domain::NotificationDay(r.proposed(), r.proposed_at());
    if (!notified.ok()) return notified.status();
    if (*notified > day) continue;
    if (!r.observations_event_id().empty() && !known(r.observations_at())) {
      r.clear_observations();
      r.clear_observations_at();
      r.clear_observations_event_id();
    }
    if (!r.decision_event_id().empty() && !known(r.decided_at())) {
      r.clear_confirmed();
      r.clear_waived();
      r.clear_decided_at();
      r.clear_decision_event_id();
    }
    out.penalties.push_back(std::move(r));
  }
  return out;
}

}  // namespace pilotage::readmodel
