// The writing steering commands: validate, build one event, emit it.
#include <fstream>
#include <set>
#include <sstream>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/steering/steering.h"
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

const sv1::ActionRecord* FindAction(const LotState& state, const std::string& id) {
  for (const auto& r : state.steering.actions) {
    if (r.opened().action_id() == id || r.closed().action_id() == id) return &r;
  }
  return nullptr;
}

absl::Status Decide(const DecisionOptions& o, domain::Decision decision, std::ostream& out) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto by = Author(o.by, /*required=*/true);
  if (!by.ok()) return by.status();
  // A reason is required for both decisions (issue 18 point 9): checked
  // before the store is read, as --by is.
  if (o.reason.find_first_not_of(" \t\r\n") == std::string::npos) return Required("--reason", "");
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  auto step = steering::PrepareDecision(
      *state, decision, {.penalty_id = o.penalty_id, .author = *by, .reason = o.reason}, *on,
      absl::Now(), steering::Naming::kFlags);
  if (!step.ok()) return step.status();
  return Emit(o.common.emit, step->event, step->what, out);
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
  auto step = steering::PrepareReview(*state,
                                      {.id = o.id,
                                       .period = o.period,
                                       .held_on = o.held_on,
                                       .findings = o.findings,
                                       .decisions = o.decisions},
                                      *on, absl::Now(), steering::Naming::kFlags);
  if (!step.ok()) return step.status();
  return Emit(o.common.emit, step->event, step->what, out);
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
  auto by = Author(o.by, /*required=*/false);
  if (!by.ok()) return by.status();
  auto step = steering::PrepareActionClose(
      *state, {.id = o.id, .closed_on = o.closed_on, .evidence = o.evidence, .author = *by}, *on,
      absl::Now(), steering::Naming::kFlags);
  if (!step.ok()) return step.status();
  return Emit(o.common.emit, step->event, step->what, out);
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
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  auto step = steering::PrepareObservations(
      *state, {.penalty_id = o.penalty_id, .text = text, .received_on = o.received_on}, *on,
      absl::Now(), steering::Naming::kFlags);
  if (!step.ok()) return step.status();
  return Emit(o.common.emit, step->step.event, step->step.what, out);
}

absl::Status ConfirmPenalty(const DecisionOptions& o, std::ostream& out) {
  return Decide(o, domain::Decision::kConfirm, out);
}

absl::Status WaivePenalty(const DecisionOptions& o, std::ostream& out) {
  return Decide(o, domain::Decision::kWaive, out);
}

}  // namespace pilotage::pilotagectl
