#include "pilotage/domain/procedure.h"

#include <algorithm>
#include <tuple>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

absl::StatusOr<absl::CivilDay> DayOfSeconds(int64_t seconds) {
  return ParisDay(absl::FromUnixSeconds(seconds));
}

absl::StatusOr<absl::CivilDay> StoredDay(std::string_view field, const std::string& text) {
  auto day = ParseDay(text);
  if (!day.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", field, std::string(day.status().message())));
  }
  return day;
}

}  // namespace

std::string_view PenaltyStateName(PenaltyState state) {
  switch (state) {
    case PenaltyState::kProposed:
      return "PROPOSED";
    case PenaltyState::kObservationsReceived:
      return "OBSERVATIONS_RECEIVED";
    case PenaltyState::kConfirmed:
      return "CONFIRMED";
    case PenaltyState::kWaived:
      return "WAIVED";
  }
  return "";
}

std::string_view PenaltyStateFrenchLabel(PenaltyState state) {
  switch (state) {
    case PenaltyState::kProposed:
      return "proposée";
    case PenaltyState::kObservationsReceived:
      return "observations reçues";
    case PenaltyState::kConfirmed:
      return "confirmée";
    case PenaltyState::kWaived:
      return "abandonnée";
  }
  return "";
}

int ObservationDays(const v1::ContractTerms* terms) {
  if (terms != nullptr && terms->delays().observation_days() > 0) {
    return terms->delays().observation_days();
  }
  return kDefaultObservationDays;
}

absl::StatusOr<absl::CivilDay> NotificationDay(const v1::PenaltyProposed& proposal,
                                               int64_t proposed_at_seconds) {
  if (!proposal.notified_on().empty()) {
    return StoredDay("penalty_proposed.notified_on", proposal.notified_on());
  }
  return DayOfSeconds(proposed_at_seconds);
}

absl::StatusOr<absl::CivilDay> ObservationDeadline(const v1::PenaltyProposed& proposal,
                                                   int64_t proposed_at_seconds,
                                                   const v1::ContractTerms* terms) {
  auto notified = NotificationDay(proposal, proposed_at_seconds);
  if (!notified.ok()) return notified.status();
  const absl::CivilDay full_delay = *notified + ObservationDays(terms);
  if (proposal.observation_deadline().empty()) return full_delay;
  auto stored = StoredDay("penalty_proposed.observation_deadline", proposal.observation_deadline());
  if (!stored.ok()) return stored.status();
  if (!proposal.notified_on().empty()) return *stored;
  // An earlier job's deadline, counted from the closing day: never shorter
  // than the full delay from the day the proposal was recorded.
  return std::max(*stored, full_delay);
}

absl::StatusOr<PenaltyProcedure> ProcedureOf(const store::v1::PenaltyRecord& record,
                                             const v1::ContractTerms* terms) {
  if (record.proposed_event_id().empty()) {
    std::string id = record.observations().penalty_id();
    if (id.empty()) id = record.confirmed().penalty_id();
    if (id.empty()) id = record.waived().penalty_id();
    return absl::NotFoundError(fmt::format("la pénalité {} n'a pas été proposée", id));
  }
  PenaltyProcedure out;
  out.proposal = record.proposed();
  auto proposed_on = NotificationDay(record.proposed(), record.proposed_at());
  if (!proposed_on.ok()) return proposed_on.status();
  out.proposed_on = *proposed_on;
  auto deadline = ObservationDeadline(record.proposed(), record.proposed_at(), terms);
  if (!deadline.ok()) return deadline.status();
  out.deadline = *deadline;
  if (!record.observations_event_id().empty()) {
    auto on = StoredDay("observations_received.received_on", record.observations().received_on());
    if (!on.ok()) return on.status();
    out.observations_on = *on;
    out.observations = record.observations().text();
    out.observations_late = *on > out.deadline;
    out.state = PenaltyState::kObservationsReceived;
  }
  if (!record.decision_event_id().empty()) {
    auto on = DayOfSeconds(record.decided_at());
    if (!on.ok()) return on.status();
    out.decided_on = *on;
    if (record.has_waived()) {
      out.state = PenaltyState::kWaived;
      out.decided_by = record.waived().decided_by();
      out.decision_reason = record.waived().reason();
    } else {
      out.state = PenaltyState::kConfirmed;
      out.decided_by = record.confirmed().decided_by();
      out.decision_reason = record.confirmed().reason();
    }
  }
  return out;
}

absl::Status CheckDecision(const PenaltyProcedure& p, Decision decision, absl::CivilDay today) {
  const std::string& id = p.proposal.penalty_id();
  if (p.decided()) {
    return absl::FailedPreconditionError(
        fmt::format("la pénalité {} est déjà {} (le {}) : une décision est définitive", id,
                    PenaltyStateFrenchLabel(p.state), FrenchDate(*p.decided_on)));
  }
  if (decision == Decision::kConfirm && !p.observations_on && today <= p.deadline) {
    return absl::FailedPreconditionError(fmt::format(
        "la pénalité {} ne peut pas être confirmée le {} : l'opérateur a jusqu'au {} inclus pour "
        "présenter ses observations et n'en a présenté aucune ; confirmation possible à partir du "
        "{}, ou dès réception de ses observations",
        id, FrenchDate(today), FrenchDate(p.deadline), FrenchDate(p.deadline + 1)));
  }
  return absl::OkStatus();
}

absl::Status CheckObservations(const PenaltyProcedure& p, absl::CivilDay received_on) {
  if (p.decided()) {
    return absl::FailedPreconditionError(fmt::format(
        "la pénalité {} est déjà {} (le {}) : les observations ne peuvent plus être enregistrées",
        p.proposal.penalty_id(), PenaltyStateFrenchLabel(p.state), FrenchDate(*p.decided_on)));
  }
  if (received_on < p.proposed_on) {
    return absl::FailedPreconditionError(
        fmt::format("observations reçues le {}, avant la notification de la pénalité {} (le {})",
                    FrenchDate(received_on), p.proposal.penalty_id(), FrenchDate(p.proposed_on)));
  }
  return absl::OkStatus();
}

std::vector<PenaltyProcedure> PastDeadlineUndecided(const std::vector<PenaltyProcedure>& all,
                                                    absl::CivilDay today) {
  std::vector<PenaltyProcedure> out;
  for (const auto& p : all) {
    if (p.PastDeadlineUndecided(today)) out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const PenaltyProcedure& a, const PenaltyProcedure& b) {
    return std::tie(a.deadline, a.proposal.penalty_id()) <
           std::tie(b.deadline, b.proposal.penalty_id());
  });
  return out;
}

}  // namespace pilotage::domain
