#include "pilotage/penalty_job/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/ids.h"
#include "pilotage/domain/penalty.h"
#include "pilotage/domain/penalty_cap.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/domain/statement.h"
#include "pilotage/domain/terms.h"
#include "pilotage/penalty_job/job.h"
#include "pilotage/readmodel/lots.h"

namespace pilotage::penalty_job {
namespace {

namespace v1 = ::pilotage::v1;

// Marks the refusal of an open period, so that main can give it its own exit
// code without parsing the message.
constexpr char kPeriodNotClosedPayload[] = "type.pilotage/penalty_job.PeriodNotClosed";

const v1::KpiDefinition* FindKpi(const v1::ContractTerms& terms, std::string_view id) {
  for (const auto& k : terms.kpis()) {
    if (k.id() == id) return &k;
  }
  return nullptr;
}

// The terms a lot's period is evaluated under, and the history EvaluateLot
// picks them from: the versions stored for the lot (as `pilotagectl kpis`),
// or the draft alone, as if it governed the period from its first day.
struct Governing {
  v1::ContractTerms terms;
  domain::TermsHistory history;
};

absl::StatusOr<Governing> TermsOf(const LotSnapshot& lot, const PlanOptions& options,
                                  std::vector<std::string>* problems) {
  Governing out;
  if (options.draft != nullptr) {
    if (!domain::GovernsLot(*options.draft, lot.lot_id)) {
      return absl::NotFoundError(fmt::format("les conditions en projet {} ne régissent pas ce lot",
                                             options.draft->version()));
    }
    out.terms = *options.draft;
    v1::ContractTerms as_if = *options.draft;
    as_if.set_effective_from(domain::FormatDay(options.period.FirstDay()));
    if (auto s = out.history.Add(std::move(as_if)); !s.ok()) return s;
    return out;
  }
  out.history = readmodel::HistoryOf(lot.terms, problems);
  auto terms = out.history.TermsFor(lot.lot_id, options.period);
  if (!terms.ok()) {
    return absl::NotFoundError(fmt::format("aucune condition en vigueur pour la période ({})",
                                           std::string(terms.status().message())));
  }
  out.terms = **terms;
  return out;
}

// A period priced already: the plan holds the ledger's proposals and the
// ledger's actions of the period, each by its own id, as they were decided;
// nothing is recomputed, so nothing new can be sent.
void FromLedger(const LotSnapshot& lot, const v1::ContractTerms& terms,
                const std::vector<const pilotage::store::v1::PenaltyRecord*>& priced,
                const std::map<std::string, std::string>& rule_kpi,
                const std::map<std::string, size_t>& rule_order, LotPlan& plan) {
  plan.already_priced = true;
  const std::string& period_text = priced.front()->proposed().period();
  for (const auto* rec : priced) {
    ProposalPlan pp;
    pp.proposal = rec->proposed();
    pp.in_ledger = true;
    if (auto it = rule_kpi.find(pp.proposal.rule_id()); it != rule_kpi.end()) {
      pp.kpi_id = it->second;
    }
    // Notified when it was proposed: its notification day and deadline are
    // the ledger's (procedure.h).
    auto notified = domain::NotificationDay(rec->proposed(), rec->proposed_at());
    auto deadline = domain::ObservationDeadline(rec->proposed(), rec->proposed_at(), &terms);
    if (notified.ok() && deadline.ok()) {
      pp.proposal.set_notified_on(domain::FormatDay(*notified));
      pp.proposal.set_observation_deadline(domain::FormatDay(*deadline));
    } else {
      plan.problems.push_back(fmt::format(
          "pénalité {} : {}", pp.proposal.penalty_id(),
          std::string((notified.ok() ? deadline.status() : notified.status()).message())));
    }
    plan.proposals.push_back(std::move(pp));
  }
  // The terms' rule order (rules of another version last), then action id.
  auto order = [&](const ProposalPlan& p) {
    auto it = rule_order.find(p.proposal.rule_id());
    return std::make_tuple(it == rule_order.end() ? rule_order.size() : it->second,
                           p.proposal.rule_id(), p.proposal.action_id(), p.proposal.penalty_id());
  };
  std::stable_sort(
      plan.proposals.begin(), plan.proposals.end(),
      [&](const ProposalPlan& a, const ProposalPlan& b) { return order(a) < order(b); });
  for (const auto& rec : lot.steering.actions) {
    if (rec.opened().action_id().empty() || rec.opened().period() != period_text) continue;
    ActionPlan ap;
    ap.action = rec.opened();
    ap.in_ledger = true;
    plan.actions.push_back(std::move(ap));
  }
}

}  // namespace

FeesFunction StatementFees() {
  return [](const domain::LotFacts& facts, const domain::KnownCells* cells,
            const v1::ContractTerms& terms, const domain::Period& period) {
    return cells ? domain::PeriodFeesCentsCells(*cells, terms, period)
                 : domain::PeriodFeesCents(facts, terms, period);
  };
}

int64_t LotPlan::total_cents() const {
  int64_t total = 0;
  for (const auto& p : proposals) total += p.proposal.amount_cents();
  return total;
}

std::string ActionId(std::string_view lot_id, std::string_view period, std::string_view kpi_id) {
  return domain::ContentId("ACT", {lot_id, period, kpi_id});
}

std::string ProposalEventId(std::string_view penalty_id) {
  return fmt::format("penalty-proposed-{}", penalty_id);
}

std::string ActionEventId(std::string_view action_id) {
  return fmt::format("action-opened-{}", action_id);
}

bool IsPeriodNotClosed(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) &&
         status.GetPayload(kPeriodNotClosedPayload).has_value();
}

std::string FormatKpiFigure(const domain::KpiResult& kpi, double figure) {
  if (domain::IsCountFormula(kpi.formula)) {
    const int64_t hundredths = static_cast<int64_t>(std::llround(figure * 100.0));
    std::string digits = std::to_string(std::abs(hundredths) / 100);
    std::string grouped;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ' ';
      grouped += digits[i];
    }
    if (hundredths < 0) grouped = "-" + grouped;
    if (hundredths % 100 != 0) grouped += fmt::format(",{:02d}", std::abs(hundredths) % 100);
    return grouped;
  }
  std::string s = fmt::format("{:.1f} %", figure * 100.0);
  std::replace(s.begin(), s.end(), '.', ',');
  return s;
}

std::pair<std::string, std::string> CounterMeanings(const v1::KpiDefinition& kpi) {
  switch (kpi.formula()) {
    case v1::KpiFormula::NEW_BENEFICIARIES:
      return {"nouveaux bénéficiaires (première demande dans la période)",
              "nouveaux bénéficiaires (première demande dans la période)"};
    case v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY:
      return {
          fmt::format("premiers rendez-vous tenus sous {} jours ouvrés", kpi.delay_working_days()),
          "nouveaux bénéficiaires de la période dont le délai est mesurable"};
    case v1::KpiFormula::END_OF_SERVICE_SATISFACTION:
      return {fmt::format("réponses de fin de service notées {}/10 ou plus", kpi.min_score()),
              "réponses à l'enquête de fin de service"};
    case v1::KpiFormula::SIX_MONTH_USEFULNESS:
      return {"réponses à 6 mois jugeant le service utile", "réponses à l'enquête à 6 mois"};
    case v1::KpiFormula::PRIORITY_PUBLICS_SHARE:
      return {"nouveaux bénéficiaires des publics prioritaires", "nouveaux bénéficiaires"};
    case v1::KpiFormula::FORMALISED_OUTCOMES:
      return {"parcours clos au niveau 2 avec un plan d'action", "parcours clos"};
    case v1::KpiFormula::REPORTING_TIMELINESS:
      return {fmt::format("événements saisis sous {} jours", kpi.reporting_delay_days()),
              "événements de la période saisis avant la clôture"};
    case v1::KpiFormula::TERRITORIAL_COVERAGE:
      return {"départements avec un rendez-vous en présentiel", "départements du lot"};
    case v1::KpiFormula::REMOTE_SHARE:
      return {"rendez-vous à distance", "rendez-vous"};
    case v1::KpiFormula::ONE_OFF_SHARE:
      return {"rendez-vous d'appui ponctuel", "rendez-vous"};
    case v1::KpiFormula::REFERRAL_SHARE:
      return {"parcours clos orientés vers le dispositif", "parcours clos"};
    default:
      return {"observations conformes", "observations"};
  }
}

absl::StatusOr<LotPlan> PlanLot(const LotSnapshot& lot, const PlanOptions& options) {
  const domain::Period& period = options.period;
  LotPlan plan;
  plan.lot_id = lot.lot_id;
  auto governing = TermsOf(lot, options, &plan.problems);
  if (!governing.ok()) {
    plan.skipped = std::string(governing.status().message());
    return plan;
  }
  const v1::ContractTerms* terms = &governing->terms;
  plan.terms_version = terms->version();
  const int grace = terms->delays().closing_grace_days();
  plan.closing_day = period.ClosingDay(grace);
  plan.next_closing_day = period.Next().ClosingDay(grace);
  if (!period.IsClosedOn(options.today, grace)) {
    absl::Status refused = absl::FailedPreconditionError(fmt::format(
        "period {} is not closed yet for lot {}: it closes on {} (its last day {} + {} days of "
        "grace, terms {}), today is {}; run the job on or after {}",
        period.ToString(), lot.lot_id, domain::FormatDay(plan.closing_day),
        domain::FormatDay(period.LastDay()), grace, terms->version(),
        domain::FormatDay(options.today), domain::FormatDay(plan.closing_day)));
    refused.SetPayload(kPeriodNotClosedPayload, absl::Cord(period.ToString()));
    return refused;
  }
  plan.cap_share_of_annual_bp = terms->penalty_limits().cap_share_of_annual_bp();
  plan.threshold_cents = terms->penalty_limits().threshold_cents();

  // The contract year and its budget envelope, from the award.
  if (!lot.facts.award) {
    plan.skipped =
        "aucune attribution (LotAwarded) : année contractuelle et montant annuel inconnus";
    return plan;
  }
  auto start = domain::ParseDay(lot.facts.award->start_date());
  if (!start.ok()) {
    plan.skipped = fmt::format("date de début d'attribution illisible : {}",
                               std::string(start.status().message()));
    return plan;
  }
  const auto year = domain::Period::ContractYearOf(*start, period.LastDay());
  if (!year) {
    plan.skipped = fmt::format("la période se termine avant le début du lot ({})",
                               lot.facts.award->start_date());
    return plan;
  }
  plan.contract_year = year->ToString();
  plan.contract_year_label = year->FrenchLabel();
  const int index = year->ContractYearIndex().value_or(0);
  const std::optional<int64_t> envelope = domain::EnvelopeCents(*lot.facts.award, index);
  if (envelope) plan.annual_amount_cents = *envelope;
  if (!envelope) {
    plan.skipped = fmt::format("aucune enveloppe budgétaire pour l'année contractuelle {}", index);
    return plan;
  }

  // The KPIs as known at closing, as `pilotagectl kpis` evaluates them:
  // from the KPI cells when the snapshot reads them.
  std::optional<domain::KnownCells> cells;
  if (lot.cells) {
    auto read = lot.cells(period, plan.closing_day);
    if (!read.ok()) return read.status();
    cells = std::move(*read);
  }
  auto evaluation = cells ? domain::EvaluateLotCells(lot.facts, governing->history, period, *cells)
                          : domain::EvaluateLot(lot.facts, governing->history, period);
  if (!evaluation.ok()) return evaluation.status();
  plan.events_in_period = evaluation->quality.events;
  plan.late_events = evaluation->quality.late;
  // A lot silent for the whole period is evaluated all the same: its KPIs
  // against their targets with zero counts, its overdue actions priced.
  // Silence must not pay.
  plan.silent = plan.events_in_period == 0;
  for (const auto& r : evaluation->kpis) {
    if (r.status != domain::KpiStatus::kBreached) continue;
    Breach b{.result = r};
    if (const auto* def = FindKpi(*terms, r.kpi_id)) {
      std::tie(b.numerator_counts, b.sample_counts) = CounterMeanings(*def);
    }
    plan.breaches.push_back(std::move(b));
  }

  // The ledger: what the other periods of the contract year use of the cap,
  // and whether this period was priced already.
  const std::string period_text = period.ToString();
  plan.cap_used_by_other_periods_cents =
      domain::CapUsedByOtherPeriods(lot.steering.penalties, period, *year, &plan.problems);
  std::vector<const pilotage::store::v1::PenaltyRecord*> priced;
  for (const auto& rec : lot.steering.penalties) {
    const auto& p = rec.proposed();
    if (!p.penalty_id().empty() && p.period() == period_text) priced.push_back(&rec);
  }
  std::map<std::string, std::string> rule_kpi;
  std::map<std::string, size_t> rule_order;
  for (const auto& r : terms->penalty_rules()) {
    rule_kpi[r.id()] = r.kpi_id();
    rule_order.emplace(r.id(), rule_order.size());
  }
  if (options.fees) {
    auto fees = options.fees(lot.facts, cells ? &*cells : nullptr, *terms, period);
    if (fees.ok()) {
      plan.fees_cents = *fees;
    } else {
      plan.problems.push_back(fmt::format("honoraires de la période non calculés : {}",
                                          std::string(fees.status().message())));
    }
  }
  // A draft (--what-if) is a hypothesis that sends nothing: it is always
  // computed, against what the period's ledger holds under the terms in force.
  if (!priced.empty() && options.draft == nullptr) {
    FromLedger(lot, *terms, priced, rule_kpi, rule_order, plan);
    return plan;
  }

  std::vector<domain::CorrectiveActionState> actions;
  std::set<std::string> action_ids;
  std::map<std::string, std::string> open_by_kpi;  // first open action id per KPI
  for (const auto& rec : lot.steering.actions) {
    const auto& a = rec.opened();
    if (a.action_id().empty()) continue;
    action_ids.insert(a.action_id());
    auto due = domain::ParseDay(a.due_date());
    if (!due.ok()) {
      plan.problems.push_back(
          fmt::format("action {} : échéance illisible '{}'", a.action_id(), a.due_date()));
      continue;
    }
    domain::CorrectiveActionState state{
        .action_id = a.action_id(), .kpi_id = a.kpi_id(), .due = *due};
    if (!rec.closed().action_id().empty() || !rec.closed().closed_on().empty()) {
      auto closed = domain::ParseDay(rec.closed().closed_on());
      if (!closed.ok()) {
        plan.problems.push_back(fmt::format("action {} : date de clôture illisible '{}'",
                                            a.action_id(), rec.closed().closed_on()));
        continue;
      }
      state.closed_on = *closed;
    } else if (!a.kpi_id().empty()) {
      open_by_kpi.emplace(a.kpi_id(), a.action_id());
    }
    actions.push_back(std::move(state));
  }

  domain::PenaltyContext context{
      .lot_id = lot.lot_id,
      .period = period,
      .terms = terms,
      .kpis = evaluation->kpis,
      .actions = std::move(actions),
      .annual_amount_cents = plan.annual_amount_cents,
      .period_fees_cents = plan.fees_cents,
      .cap_used_by_other_periods_cents = plan.cap_used_by_other_periods_cents,
      .notified_on = options.today};
  auto proposals = domain::ProposePenalties(context);
  if (!proposals.ok()) return proposals.status();
  for (auto& p : *proposals) {
    ProposalPlan pp;
    pp.kpi_id = rule_kpi[p.rule_id()];
    for (const auto& o : options.input_offsets) *p.add_input_offsets() = o;
    pp.proposal = std::move(p);
    plan.proposals.push_back(std::move(pp));
  }

  // Corrective actions the terms require for the breaches.
  for (const auto& b : plan.breaches) {
    const auto* def = FindKpi(*terms, b.result.kpi_id);
    if (def == nullptr || def->corrective_action_due_days() <= 0) continue;
    ActionPlan ap;
    auto& a = ap.action;
    a.set_action_id(ActionId(lot.lot_id, period_text, def->id()));
    a.set_kpi_id(def->id());
    a.set_period(period_text);
    a.set_due_date(domain::FormatDay(plan.closing_day + def->corrective_action_due_days()));
    a.set_finding(fmt::format("{} : {} pour une cible de {} ({} sur {}), {}", def->label(),
                              FormatKpiFigure(b.result, b.result.value),
                              FormatKpiFigure(b.result, b.result.target), b.result.numerator,
                              b.result.sample, period.FrenchLabel()));
    a.set_description(fmt::format(
        "Action corrective requise par les conditions {} : l'indicateur « {} » est non atteint "
        "pour {} ; à réaliser au plus tard le {} ({} jours après la clôture du {}).",
        terms->version(), def->label(), period.FrenchLabel(),
        domain::FrenchDate(plan.closing_day + def->corrective_action_due_days()),
        def->corrective_action_due_days(), domain::FrenchDate(plan.closing_day)));
    a.set_opened_by("pilotage-penalty-job");
    ap.in_ledger = action_ids.count(a.action_id()) > 0;
    // Its own action in the ledger is never said to be "not opened" because
    // another one (opened later) is open for the KPI.
    if (auto it = open_by_kpi.find(def->id());
        !ap.in_ledger && it != open_by_kpi.end() && it->second != a.action_id()) {
      ap.open_action_id = it->second;
    }
    plan.actions.push_back(std::move(ap));
  }
  return plan;
}

absl::StatusOr<std::string> ResolvePeriod(const std::string& text, absl::CivilDay today) {
  if (text == "previous-quarter") {
    return domain::Period::QuarterOf(domain::Period::QuarterOf(today).FirstDay() - 1).ToString();
  }
  if (text == "previous-month") {
    return domain::Period::MonthOf(domain::Period::MonthOf(today).FirstDay() - 1).ToString();
  }
  if (text.empty()) return absl::InvalidArgumentError("--period: give a period, e.g. 2024-Q2");
  return text;
}

absl::StatusOr<std::vector<v1::Event>> EventsToEmit(const std::vector<LotPlan>& plans) {
  std::vector<const LotPlan*> sorted;
  for (const auto& p : plans) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(),
            [](const LotPlan* a, const LotPlan* b) { return a->lot_id < b->lot_id; });
  int64_t seconds = 0;
  // Never the wall clock: a rerun on any day gives the same bytes, and the
  // same occurred_at keeps a resend in the fold's dedup group of the first
  // send (ids are grouped by lot and week of occurred_at, decision 0015).
  auto envelope = [&](const std::string& lot, std::string id) {
    v1::Event e;
    e.set_event_id(std::move(id));
    e.set_lot_id(lot);
    e.set_operator_id("france-competences");
    e.mutable_occurred_at()->set_seconds(seconds);
    e.mutable_recorded_at()->set_seconds(seconds);
    return e;
  };
  std::vector<v1::Event> out;
  for (const LotPlan* plan : sorted) {
    if (!plan->skipped.empty()) continue;
    auto closing = domain::ParisStartOfDay(plan->closing_day);
    if (!closing.ok()) return closing.status();
    seconds = absl::ToUnixSeconds(*closing);
    std::vector<const ActionPlan*> actions;
    for (const auto& a : plan->actions) {
      if (!a.in_ledger && a.open_action_id.empty()) actions.push_back(&a);
    }
    std::sort(actions.begin(), actions.end(), [](const auto* a, const auto* b) {
      return a->action.action_id() < b->action.action_id();
    });
    for (const auto* a : actions) {
      v1::Event e = envelope(plan->lot_id, ActionEventId(a->action.action_id()));
      *e.mutable_corrective_action_opened() = a->action;
      out.push_back(std::move(e));
    }
    std::vector<const ProposalPlan*> proposals;
    for (const auto& p : plan->proposals) {
      if (!p.in_ledger && p.proposal.amount_cents() > 0) proposals.push_back(&p);
    }
    std::sort(proposals.begin(), proposals.end(), [](const auto* a, const auto* b) {
      return a->proposal.penalty_id() < b->proposal.penalty_id();
    });
    for (const auto* p : proposals) {
      v1::Event e = envelope(plan->lot_id, ProposalEventId(p->proposal.penalty_id()));
      *e.mutable_penalty_proposed() = p->proposal;
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace pilotage::penalty_job
