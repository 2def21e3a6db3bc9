// The writing steering commands: validate, build one event, emit it.
#include <fstream>
#include <set>
#include <sstream>

#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/procedure.h"
#include "steering_common.h"

namespace pilotage::pilotagectl {
namespace {

namespace sv1 = ::pilotage::store::v1;

absl::StatusOr<v1::LotAwarded> ReadAwardFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return absl::NotFoundError(fmt::format("--file: cannot read {}", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  v1::LotAwarded award;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(text.str(), &award, options); !s.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("--file: {}: {}", file.string(), std::string(s.message())));
  }
  return award;
}

absl::Status SetIfGiven(std::string* field, const std::string& flag_value) {
  if (!flag_value.empty()) *field = flag_value;
  return absl::OkStatus();
}

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

// The procedure of penalty `id`: kNotFound naming --penalty when the lot has
// no such proposal.
absl::StatusOr<domain::PenaltyProcedure> PenaltyProcedureOf(const LotState& state,
                                                            const std::string& id) {
  if (auto s = Required("--penalty", id); !s.ok()) return s;
  const sv1::PenaltyRecord* record = FindPenalty(state, id);
  if (record == nullptr) {
    return absl::NotFoundError(fmt::format(
        "--penalty: pénalité inconnue '{}' pour le lot {} (aucune proposition intégrée ; voir "
        "pilotagectl ledger --lot {})",
        id, state.lot_id, state.lot_id));
  }
  return domain::ProcedureOf(*record, state.history.Find(record->proposed().terms_version()));
}

absl::Status Decide(const DecisionOptions& o, domain::Decision decision, std::ostream& out) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto by = Author(o.by, /*required=*/true);
  if (!by.ok()) return by.status();
  if (decision == domain::Decision::kWaive) {
    if (auto s = Required("--reason", o.reason); !s.ok()) return s;
  }
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  auto procedure = PenaltyProcedureOf(*state, o.penalty_id);
  if (!procedure.ok()) return procedure.status();
  if (auto s = domain::CheckDecision(*procedure, decision, *on); !s.ok()) return s;
  const bool confirm = decision == domain::Decision::kConfirm;
  auto event = NewEvent(o.common,
                        ContentEventId(confirm ? "penalty-confirmed" : "penalty-waived",
                                       {o.common.lot, o.penalty_id}),
                        *on);
  if (!event.ok()) return event.status();
  if (confirm) {
    auto* c = event->mutable_penalty_confirmed();
    c->set_penalty_id(o.penalty_id);
    c->set_decided_by(*by);
    c->set_reason(o.reason);
  } else {
    auto* w = event->mutable_penalty_waived();
    w->set_penalty_id(o.penalty_id);
    w->set_decided_by(*by);
    w->set_reason(o.reason);
  }
  return Emit(o.common.emit, *event,
              fmt::format("{} de la pénalité {} ({})", confirm ? "confirmation" : "abandon",
                          o.penalty_id, domain::FrenchEuros(procedure->proposal.amount_cents())),
              out);
}

}  // namespace

absl::Status AwardLot(const AwardOptions& o, std::ostream& out) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  if (auto s = Required("--lot", o.common.lot); !s.ok()) return s;
  v1::LotAwarded award;
  if (!o.file.empty()) {
    auto read = ReadAwardFile(o.file);
    if (!read.ok()) return read.status();
    award = std::move(*read);
  }
  SetIfGiven(award.mutable_region(), o.region).IgnoreError();
  SetIfGiven(award.mutable_region_code(), o.region_code).IgnoreError();
  SetIfGiven(award.mutable_operator_id(), o.operator_id).IgnoreError();
  SetIfGiven(award.mutable_operator_name(), o.operator_name).IgnoreError();
  SetIfGiven(award.mutable_start_date(), o.start_date).IgnoreError();
  SetIfGiven(award.mutable_end_date(), o.end_date).IgnoreError();
  if (!o.departements.empty()) {
    award.clear_departements();
    for (const auto& d : o.departements) award.add_departements(d);
  }
  if (auto s = Required("--operator-id", award.operator_id()); !s.ok()) return s;
  auto start = DayFlag("--start", award.start_date());
  if (!start.ok()) return start.status();
  auto end = DayFlag("--end", award.end_date());
  if (!end.ok()) return end.status();
  if (*end < *start) {
    return absl::InvalidArgumentError(
        fmt::format("--end: {} is before --start {}", award.end_date(), award.start_date()));
  }
  for (int i = 0; i < award.departements_size(); ++i) {
    if (award.departements(i).empty()) {
      return absl::InvalidArgumentError(fmt::format("--departement: empty (entry {})", i));
    }
  }
  const auto last_year = domain::Period::ContractYearOf(*start, *end);
  const int years = last_year ? last_year->ContractYearIndex().value_or(1) : 1;
  if (o.annual_budget_cents || !o.budgets.empty()) award.clear_budget();
  if (!o.budgets.empty()) {
    for (const auto& b : o.budgets) {
      const auto eq = b.find('=');
      int year = 0;
      long long cents = 0;
      size_t used_year = 0, used_cents = 0;
      try {
        if (eq == std::string::npos) throw std::invalid_argument("no =");
        year = std::stoi(b.substr(0, eq), &used_year);
        cents = std::stoll(b.substr(eq + 1), &used_cents);
      } catch (const std::exception&) {
        return absl::InvalidArgumentError(
            fmt::format("--budget: '{}' is not YEAR=CENTS (e.g. 1=1200000000)", b));
      }
      if (used_year != eq || used_cents != b.size() - eq - 1) {
        return absl::InvalidArgumentError(
            fmt::format("--budget: '{}' is not YEAR=CENTS (e.g. 1=1200000000)", b));
      }
      auto* entry = award.add_budget();
      entry->set_contract_year(year);
      entry->set_amount_cents(cents);
    }
  } else if (o.annual_budget_cents) {
    for (int year = 1; year <= years; ++year) {
      auto* entry = award.add_budget();
      entry->set_contract_year(year);
      entry->set_amount_cents(*o.annual_budget_cents);
    }
  }
  std::set<int> seen;
  for (const auto& b : award.budget()) {
    if (b.amount_cents() < 0) {
      return absl::InvalidArgumentError(
          fmt::format("--budget: the envelope of contract year {} is negative ({} cents)",
                      b.contract_year(), b.amount_cents()));
    }
    if (b.contract_year() < 1 || b.contract_year() > years) {
      return absl::InvalidArgumentError(fmt::format(
          "--budget: contract year {} is outside the lot's years 1..{}", b.contract_year(), years));
    }
    if (!seen.insert(b.contract_year()).second) {
      return absl::InvalidArgumentError(
          fmt::format("--budget: contract year {} given twice", b.contract_year()));
    }
  }
  // The store is optional here (a new lot is not in it yet); a replaced
  // award is said so.
  auto state = LoadLot(o.common, false);
  if (state.ok() && state->awarded) {
    out << fmt::format("Le lot {} a déjà une attribution (début {}) : elle sera remplacée.\n",
                       o.common.lot, state->lot.facts.award->start_date());
  }
  auto event =
      NewEvent(o.common, ContentEventId("award-" + o.common.lot, {award.SerializeAsString()}), *on);
  if (!event.ok()) return event.status();
  *event->mutable_lot_awarded() = award;
  return Emit(
      o.common.emit, *event,
      fmt::format("attribution du lot {} à {} (du {} au {})", o.common.lot,
                  award.operator_name().empty() ? award.operator_id() : award.operator_name(),
                  domain::FrenchDate(*start), domain::FrenchDate(*end)),
      out);
}

absl::Status RecordReview(const ReviewOptions& o, std::ostream& out) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  auto period = PeriodFlag("--period", o.period, *state);
  if (!period.ok()) return period.status();
  auto held_on = DayFlag("--held-on", o.held_on.empty() ? domain::FormatDay(*on) : o.held_on, &*on);
  if (!held_on.ok()) return held_on.status();
  if (o.findings.empty() && o.decisions.empty()) {
    return absl::InvalidArgumentError("--finding: give at least one finding or --decision");
  }
  v1::ReviewHeld review;
  review.set_review_id(o.id.empty() ? fmt::format("REV-{}-{}-{}", o.common.lot, period->ToString(),
                                                  domain::FormatDay(*held_on))
                                    : o.id);
  review.set_period(period->ToString());
  review.set_held_on(domain::FormatDay(*held_on));
  for (const auto& f : o.findings) review.add_findings(f);
  for (const auto& d : o.decisions) review.add_decisions(d);
  auto event =
      NewEvent(o.common, ContentEventId("review", {o.common.lot, review.SerializeAsString()}), *on);
  if (!event.ok()) return event.status();
  *event->mutable_review_held() = review;
  return Emit(o.common.emit, *event,
              fmt::format("bilan {} ({}, tenu le {})", review.review_id(), period->FrenchLabel(),
                          domain::FrenchDate(*held_on)),
              out);
}

absl::Status OpenAction(const ActionOpenOptions& o, std::ostream& out) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  if (o.kpi_id.empty() && o.finding.empty()) {
    return absl::InvalidArgumentError("--kpi: give the KPI (or --finding) the action answers");
  }
  std::optional<domain::Period> period;
  if (!o.period.empty()) {
    auto p = PeriodFlag("--period", o.period, *state);
    if (!p.ok()) return p.status();
    period = *p;
  }
  if (!o.kpi_id.empty()) {
    // The KPI must exist in the terms in force for the period, or in some
    // version of the lot's terms when no period is given.
    std::vector<const v1::ContractTerms*> versions;
    if (period) {
      auto terms = state->history.TermsFor(o.common.lot, *period);
      if (!terms.ok()) {
        return absl::FailedPreconditionError(
            fmt::format("--period: {}", std::string(terms.status().message())));
      }
      versions.push_back(*terms);
    } else {
      versions = state->history.Versions();
    }
    bool known = false;
    for (const auto* t : versions) {
      for (const auto& k : t->kpis()) known = known || k.id() == o.kpi_id;
    }
    if (!known) {
      return absl::InvalidArgumentError(
          fmt::format("--kpi: indicateur inconnu '{}' dans les conditions {} du lot {}", o.kpi_id,
                      period ? "en vigueur pour " + period->ToString() : std::string("publiées"),
                      o.common.lot));
    }
  }
  auto due = DayFlag("--due", o.due_date);
  if (!due.ok()) return due.status();
  if (*due < *on) {
    return absl::InvalidArgumentError(
        fmt::format("--due: {} is before the day the action is opened ({})", o.due_date,
                    domain::FormatDay(*on)));
  }
  if (auto s = Required("--description", o.description); !s.ok()) return s;
  auto by = Author(o.by, /*required=*/false);
  if (!by.ok()) return by.status();
  v1::CorrectiveActionOpened action;
  action.set_kpi_id(o.kpi_id);
  action.set_finding(o.finding);
  if (period) action.set_period(period->ToString());
  action.set_due_date(domain::FormatDay(*due));
  action.set_description(o.description);
  action.set_opened_by(*by);
  action.set_action_id(
      o.id.empty() ? ContentEventId("ACT", {o.common.lot, o.kpi_id, o.finding, action.period()})
                   : o.id);
  if (const auto* existing = FindAction(*state, action.action_id());
      existing && !existing->opened_event_id().empty()) {
    return absl::AlreadyExistsError(fmt::format(
        "--id: l'action {} existe déjà pour le lot {} (échéance {}{}) ; choisissez un autre --id",
        action.action_id(), o.common.lot, domain::FrenchDay(existing->opened().due_date()),
        existing->closed_event_id().empty() ? ", ouverte" : ", clôturée"));
  }
  auto event = NewEvent(
      o.common, ContentEventId("action-opened", {o.common.lot, action.SerializeAsString()}), *on);
  if (!event.ok()) return event.status();
  *event->mutable_corrective_action_opened() = action;
  return Emit(o.common.emit, *event,
              fmt::format("ouverture de l'action corrective {} (échéance {})", action.action_id(),
                          domain::FrenchDate(*due)),
              out);
}

absl::Status CloseAction(const ActionCloseOptions& o, std::ostream& out) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  if (auto s = Required("--id", o.id); !s.ok()) return s;
  const auto* action = FindAction(*state, o.id);
  if (action == nullptr || action->opened_event_id().empty()) {
    return absl::NotFoundError(fmt::format(
        "--id: action corrective inconnue '{}' pour le lot {} (voir pilotagectl actions --lot {})",
        o.id, o.common.lot, o.common.lot));
  }
  if (!action->closed_event_id().empty()) {
    return absl::FailedPreconditionError(
        fmt::format("--id: l'action {} est déjà clôturée (le {})", o.id,
                    domain::FrenchDay(action->closed().closed_on())));
  }
  auto closed_on =
      DayFlag("--closed-on", o.closed_on.empty() ? domain::FormatDay(*on) : o.closed_on, &*on);
  if (!closed_on.ok()) return closed_on.status();
  if (auto s = Required("--evidence", o.evidence); !s.ok()) return s;
  auto by = Author(o.by, /*required=*/false);
  if (!by.ok()) return by.status();
  v1::CorrectiveActionClosed closed;
  closed.set_action_id(o.id);
  closed.set_closed_on(domain::FormatDay(*closed_on));
  closed.set_evidence(o.evidence);
  closed.set_closed_by(*by);
  auto event = NewEvent(o.common, ContentEventId("action-closed", {o.common.lot, o.id}), *on);
  if (!event.ok()) return event.status();
  *event->mutable_corrective_action_closed() = closed;
  auto due = domain::ParseDay(action->opened().due_date());
  std::string late;
  if (due.ok() && *closed_on > *due) {
    late = fmt::format(", {} jour(s) après l'échéance", static_cast<int64_t>(*closed_on - *due));
  }
  return Emit(o.common.emit, *event,
              fmt::format("clôture de l'action corrective {} le {}{}", o.id,
                          domain::FrenchDate(*closed_on), late),
              out);
}

absl::Status RecordObservations(const ObservationsOptions& o, std::ostream& out) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  std::string text = o.text;
  if (!o.text_file.empty()) {
    std::ifstream in(o.text_file);
    if (!in) {
      return absl::NotFoundError(fmt::format("--text-file: cannot read {}", o.text_file.string()));
    }
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return absl::InvalidArgumentError("--text: missing (the operator's observations)");
  }
  auto received_on = DayFlag("--received-on",
                             o.received_on.empty() ? domain::FormatDay(*on) : o.received_on, &*on);
  if (!received_on.ok()) return received_on.status();
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  auto procedure = PenaltyProcedureOf(*state, o.penalty_id);
  if (!procedure.ok()) return procedure.status();
  if (auto s = domain::CheckObservations(*procedure, *received_on); !s.ok()) return s;
  v1::ObservationsReceived obs;
  obs.set_penalty_id(o.penalty_id);
  obs.set_text(text);
  obs.set_received_on(domain::FormatDay(*received_on));
  auto event = NewEvent(
      o.common, ContentEventId("observations", {o.common.lot, obs.SerializeAsString()}), *on);
  if (!event.ok()) return event.status();
  *event->mutable_observations_received() = obs;
  std::string late;
  if (*received_on > procedure->deadline) {
    late = fmt::format(" — hors délai (échéance le {})", domain::FrenchDate(procedure->deadline));
  }
  return Emit(o.common.emit, *event,
              fmt::format("observations sur la pénalité {} reçues le {}{}", o.penalty_id,
                          domain::FrenchDate(*received_on), late),
              out);
}

absl::Status ConfirmPenalty(const DecisionOptions& o, std::ostream& out) {
  return Decide(o, domain::Decision::kConfirm, out);
}

absl::Status WaivePenalty(const DecisionOptions& o, std::ostream& out) {
  return Decide(o, domain::Decision::kWaive, out);
}

}  // namespace pilotage::pilotagectl
