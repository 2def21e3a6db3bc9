#include "pilotage/steering/steering.h"

#include "absl/strings/str_replace.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/ids.h"
#include "pilotage/domain/penalty.h"

namespace pilotage::steering {
namespace {

namespace sv1 = ::pilotage::store::v1;

const sv1::PenaltyRecord* FindPenalty(const LotState& state, const std::string& id) {
  for (const auto& r : state.steering.penalties) {
    if (r.proposed().penalty_id() == id) return &r;
  }
  return nullptr;
}

const sv1::ActionRecord* FindAction(const LotState& state, const std::string& id) {
  for (const auto& r : state.steering.actions) {
    if (r.opened().action_id() == id || r.closed().action_id() == id) return &r;
  }
  return nullptr;
}

// The event checked as the fold will check it.
absl::StatusOr<Step> Checked(v1::Event event, std::string what) {
  if (auto s = readmodel::CheckSteeringEvent(event); !s.ok()) return s;
  return Step{std::move(event), std::move(what)};
}

}  // namespace

std::string FieldName(Naming naming, std::string_view flag) {
  if (naming == Naming::kFlags) return std::string(flag);
  if (flag == "--penalty") return "penalty_id";
  if (flag == "--id") return "action_id";
  if (flag == "--lot") return "lot";
  std::string name(flag);
  while (!name.empty() && name.front() == '-') name.erase(name.begin());
  return absl::StrReplaceAll(name, {{"-", "_"}});
}

LotState StateOf(std::string lot_id, readmodel::LotReadModel lot,
                 readmodel::SteeringReadModel steering, std::string source) {
  LotState state;
  state.lot_id = std::move(lot_id);
  state.source = std::move(source);
  state.lot = std::move(lot);
  state.steering = std::move(steering);
  state.history = readmodel::HistoryOf(state.lot.terms, &state.problems);
  if (state.lot.facts.award) {
    auto start = domain::ParseDay(state.lot.facts.award->start_date());
    if (start.ok()) {
      state.start = *start;
      state.awarded = true;
    }
  }
  return state;
}

absl::Status RequireAward(const LotState& state, Naming naming) {
  if (state.awarded) return absl::OkStatus();
  if (naming == Naming::kJson) {
    return absl::NotFoundError(fmt::format(
        "lot inconnu '{}' : aucune attribution (LotAwarded) n'est intégrée", state.lot_id));
  }
  return absl::NotFoundError(fmt::format(
      "--lot: lot inconnu '{}' : aucune attribution (LotAwarded) dans {} ; attribuez-le "
      "d'abord (pilotagectl lot award) et laissez le projecteur l'intégrer",
      state.lot_id, state.source));
}

absl::Status Required(Naming naming, std::string_view flag, const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  if (naming == Naming::kFlags) return absl::InvalidArgumentError(fmt::format("{}: missing", flag));
  return absl::InvalidArgumentError(fmt::format("{} : obligatoire", FieldName(naming, flag)));
}

absl::StatusOr<absl::CivilDay> DayField(Naming naming, std::string_view flag,
                                        const std::string& text, const absl::CivilDay* not_after) {
  const std::string field = FieldName(naming, flag);
  if (auto s = Required(naming, flag, text); !s.ok()) return s;
  auto day = domain::ParseDay(text);
  if (!day.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", field, std::string(day.status().message())));
  }
  if (not_after && *day > *not_after) {
    return absl::InvalidArgumentError(fmt::format("{}: {} est dans le futur (après le {})", field,
                                                  text, domain::FrenchDate(*not_after)));
  }
  return day;
}

absl::StatusOr<domain::Period> PeriodField(Naming naming, std::string_view flag,
                                           const std::string& text, const LotState& state) {
  if (auto s = Required(naming, flag, text); !s.ok()) return s;
  auto period =
      state.awarded ? domain::Period::Parse(text, state.start) : domain::Period::Parse(text);
  if (!period.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", FieldName(naming, flag), std::string(period.status().message())));
  }
  return period;
}

absl::StatusOr<v1::Event> NewEvent(const std::string& lot, std::string event_id, absl::CivilDay on,
                                   absl::Time now) {
  v1::Event e;
  e.set_event_id(std::move(event_id));
  e.set_lot_id(lot);
  e.set_operator_id("france-competences");
  auto today = domain::ParisDay(now);
  if (!today.ok()) return today.status();
  absl::Time at = now;
  if (on != *today) {
    auto start = domain::ParisStartOfDay(on);
    if (!start.ok()) return start.status();
    at = *start + absl::Hours(12);
  }
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
  e.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(now));
  return e;
}

absl::StatusOr<domain::PenaltyProcedure> PenaltyProcedureOf(const LotState& state,
                                                            const std::string& id, Naming naming) {
  if (auto s = Required(naming, "--penalty", id); !s.ok()) return s;
  const sv1::PenaltyRecord* record = FindPenalty(state, id);
  if (record == nullptr) {
    if (naming == Naming::kJson) {
      return absl::NotFoundError(fmt::format(
          "pénalité inconnue '{}' pour le lot {} (aucune proposition intégrée)", id, state.lot_id));
    }
    return absl::NotFoundError(fmt::format(
        "--penalty: pénalité inconnue '{}' pour le lot {} (aucune proposition intégrée ; voir "
        "pilotagectl ledger --lot {})",
        id, state.lot_id, state.lot_id));
  }
  return domain::ProcedureOf(*record, state.history.Find(record->proposed().terms_version()));
}

absl::StatusOr<Step> PrepareDecision(const LotState& state, domain::Decision decision,
                                     const DecisionRequest& request, absl::CivilDay on,
                                     absl::Time now, Naming naming) {
  if (auto s = Required(naming, "--by", request.author); !s.ok()) return s;
  if (request.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Required(naming, "--reason", "");
  }
  if (auto s = RequireAward(state, naming); !s.ok()) return s;
  auto procedure = PenaltyProcedureOf(state, request.penalty_id, naming);
  if (!procedure.ok()) return procedure.status();
  if (auto s = domain::CheckDecision(*procedure, decision, on); !s.ok()) return s;
  const bool confirm = decision == domain::Decision::kConfirm;
  auto event = NewEvent(state.lot_id,
                        domain::ContentId(confirm ? "penalty-confirmed" : "penalty-waived",
                                          {state.lot_id, request.penalty_id}),
                        on, now);
  if (!event.ok()) return event.status();
  if (confirm) {
    auto* c = event->mutable_penalty_confirmed();
    c->set_penalty_id(request.penalty_id);
    c->set_decided_by(request.author);
    c->set_reason(request.reason);
  } else {
    auto* w = event->mutable_penalty_waived();
    w->set_penalty_id(request.penalty_id);
    w->set_decided_by(request.author);
    w->set_reason(request.reason);
  }
  return Checked(
      std::move(*event),
      fmt::format("{} de la pénalité {} ({})", confirm ? "confirmation" : "abandon",
                  request.penalty_id, domain::FrenchEuros(procedure->proposal.amount_cents())));
}

absl::StatusOr<ObservationsStep> PrepareObservations(const LotState& state,
                                                     const ObservationsRequest& request,
                                                     absl::CivilDay on, absl::Time now,
                                                     Naming naming) {
  if (request.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (naming == Naming::kJson) {
      return absl::InvalidArgumentError("text : obligatoire (les observations de l'opérateur)");
    }
    return absl::InvalidArgumentError("--text: missing (the operator's observations)");
  }
  auto received_on =
      DayField(naming, "--received-on",
               request.received_on.empty() ? domain::FormatDay(on) : request.received_on, &on);
  if (!received_on.ok()) return received_on.status();
  if (auto s = RequireAward(state, naming); !s.ok()) return s;
  auto procedure = PenaltyProcedureOf(state, request.penalty_id, naming);
  if (!procedure.ok()) return procedure.status();
  if (auto s = domain::CheckObservations(*procedure, *received_on); !s.ok()) return s;
  v1::ObservationsReceived obs;
  obs.set_penalty_id(request.penalty_id);
  obs.set_text(request.text);
  obs.set_received_on(domain::FormatDay(*received_on));
  auto event =
      NewEvent(state.lot_id,
               domain::ContentId("observations", {state.lot_id, obs.SerializeAsString()}), on, now);
  if (!event.ok()) return event.status();
  *event->mutable_observations_received() = obs;
  ObservationsStep out;
  out.deadline = procedure->deadline;
  out.late = *received_on > procedure->deadline;
  std::string late;
  if (out.late) {
    late = fmt::format(" — hors délai (échéance le {})", domain::FrenchDate(procedure->deadline));
  }
  auto step = Checked(std::move(*event),
                      fmt::format("observations sur la pénalité {} reçues le {}{}",
                                  request.penalty_id, domain::FrenchDate(*received_on), late));
  if (!step.ok()) return step.status();
  out.step = std::move(*step);
  return out;
}

absl::StatusOr<Step> PrepareReview(const LotState& state, const ReviewRequest& request,
                                   absl::CivilDay on, absl::Time now, Naming naming) {
  if (auto s = RequireAward(state, naming); !s.ok()) return s;
  auto period = PeriodField(naming, "--period", request.period, state);
  if (!period.ok()) return period.status();
  auto held_on = DayField(naming, "--held-on",
                          request.held_on.empty() ? domain::FormatDay(on) : request.held_on, &on);
  if (!held_on.ok()) return held_on.status();
  if (request.findings.empty() && request.decisions.empty()) {
    return absl::InvalidArgumentError(
        naming == Naming::kFlags
            ? std::string("--finding: give at least one finding or --decision")
            : std::string("findings : au moins un constat ou une décision (decisions)"));
  }
  v1::ReviewHeld review;
  review.set_review_id(request.id.empty()
                           ? fmt::format("REV-{}-{}-{}", state.lot_id, period->ToString(),
                                         domain::FormatDay(*held_on))
                           : request.id);
  review.set_period(period->ToString());
  review.set_held_on(domain::FormatDay(*held_on));
  for (const auto& f : request.findings) review.add_findings(f);
  for (const auto& d : request.decisions) review.add_decisions(d);
  auto event =
      NewEvent(state.lot_id,
               domain::ContentId("review", {state.lot_id, review.SerializeAsString()}), on, now);
  if (!event.ok()) return event.status();
  *event->mutable_review_held() = review;
  return Checked(std::move(*event),
                 fmt::format("bilan {} ({}, tenu le {})", review.review_id(), period->FrenchLabel(),
                             domain::FrenchDate(*held_on)));
}

absl::StatusOr<Step> PrepareActionClose(const LotState& state, const ActionCloseRequest& request,
                                        absl::CivilDay on, absl::Time now, Naming naming) {
  if (auto s = RequireAward(state, naming); !s.ok()) return s;
  if (auto s = Required(naming, "--id", request.id); !s.ok()) return s;
  const std::string field = FieldName(naming, "--id");
  const auto* action = FindAction(state, request.id);
  if (action == nullptr || action->opened_event_id().empty()) {
    return absl::NotFoundError(
        naming == Naming::kFlags
            ? fmt::format("--id: action corrective inconnue '{}' pour le lot {} (voir pilotagectl "
                          "actions --lot {})",
                          request.id, state.lot_id, state.lot_id)
            : fmt::format("action corrective inconnue '{}' pour le lot {}", request.id,
                          state.lot_id));
  }
  if (!action->closed_event_id().empty()) {
    return absl::FailedPreconditionError(
        fmt::format("{}: l'action {} est déjà clôturée (le {})", field, request.id,
                    domain::FrenchDay(action->closed().closed_on())));
  }
  auto closed_on =
      DayField(naming, "--closed-on",
               request.closed_on.empty() ? domain::FormatDay(on) : request.closed_on, &on);
  if (!closed_on.ok()) return closed_on.status();
  if (auto s = Required(naming, "--evidence", request.evidence); !s.ok()) return s;
  v1::CorrectiveActionClosed closed;
  closed.set_action_id(request.id);
  closed.set_closed_on(domain::FormatDay(*closed_on));
  closed.set_evidence(request.evidence);
  closed.set_closed_by(request.author);
  auto event = NewEvent(state.lot_id,
                        domain::ContentId("action-closed", {state.lot_id, request.id}), on, now);
  if (!event.ok()) return event.status();
  *event->mutable_corrective_action_closed() = closed;
  auto due = domain::ParseDay(action->opened().due_date());
  std::string late;
  if (due.ok() && *closed_on > *due) {
    late = fmt::format(", {} jour(s) après l'échéance", static_cast<int64_t>(*closed_on - *due));
  }
  return Checked(std::move(*event), fmt::format("clôture de l'action corrective {} le {}{}",
                                                request.id, domain::FrenchDate(*closed_on), late));
}

}  // namespace pilotage::steering
