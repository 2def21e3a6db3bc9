// The figure answers (api.h).
#include "api.h"

#include <algorithm>
#include <optional>
#include <set>
#include <span>
#include <tuple>

#include "fmt/format.h"
#include "lot_inputs.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/funnel.h"
#include "pilotage/domain/period.h"
#include "pilotage/intake/refusal.h"
#include "pilotage/readmodel/json.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/reports.h"

namespace pilotage::query {
namespace {

using nlohmann::json;
namespace v1 = ::pilotage::v1;

json AwardJson(const readmodel::LotReadModel& model) {
  if (!model.facts.award) return nullptr;
  const auto& a = *model.facts.award;
  return {
      {"region", a.region()},
      {"region_code", a.region_code()},
      {"operator_id", a.operator_id()},
      {"operator_name", a.operator_name()},
      {"departements", std::vector<std::string>(a.departements().begin(), a.departements().end())},
      {"start_date", a.start_date()},
      {"end_date", a.end_date()}};
}

using CounterSums = std::map<std::string, std::map<std::string, int64_t>>;

// Summed over the months of the period: metric -> dimension -> count, from
// the lot's KPI cells (every fact recorded so far).
absl::StatusOr<CounterSums> Counters(Generation& view, const std::string& lot,
                                     const domain::Period& period) {
  auto counts = readmodel::ReadActivityCounters(view.store(), lot, period);
  if (!counts.ok()) return counts.status();
  CounterSums out;
  for (const auto& [key, n] : *counts) out[std::get<1>(key)][std::get<2>(key)] += n;
  return out;
}

// {"dimension": {"VALUE": n}} for the dimensions of `metric` named in `dims`.
json Mix(const CounterSums& counters, const std::string& metric,
         std::initializer_list<const char*> dims) {
  json out = json::object();
  for (const char* d : dims) out[d] = json::object();
  auto it = counters.find(metric);
  if (it == counters.end()) return out;
  for (const auto& [dimension, n] : it->second) {
    const auto eq = dimension.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = dimension.substr(0, eq);
    if (out.contains(name)) out[name][dimension.substr(eq + 1)] = n;
  }
  return out;
}

int64_t Total(const CounterSums& counters, const std::string& metric) {
  auto it = counters.find(metric);
  if (it == counters.end()) return 0;
  auto all = it->second.find("all");
  return all == it->second.end() ? 0 : all->second;
}

// The funnel of the beneficiaries whose first request is in `period`, from
// its cells (decision 0049): no journey is read.
absl::StatusOr<json> Funnel(Generation& view, const std::string& lot,
                            const domain::Period& period) {
  auto f = readmodel::ReadFunnel(view.store(), lot, period);
  if (!f.ok()) return f.status();
  return json{{"requests", f->requests},
              {"level_1", f->level_1},
              {"level_2", f->level_2},
              {"action_plan", f->action_plan},
              {"closure", f->closure}};
}

json CompactKpis(const domain::LotEvaluation& e) {
  json out = json::array();
  for (const auto& k : e.kpis) {
    out.push_back({{"id", k.kpi_id},
                   {"value", k.value},
                   {"target", k.target},
                   {"numerator", k.numerator},
                   {"sample", k.sample},
                   {"status", std::string(domain::KpiStatusName(k.status))}});
  }
  return out;
}

// The lot's reviews (bilans), the latest held first: {"review_id",
// "period", "period_label", "held_on", "findings", "decisions"}.
json ReviewsJson(const readmodel::SteeringReadModel& steering) {
  std::vector<const v1::ReviewHeld*> reviews;
  for (const auto& r : steering.reviews) reviews.push_back(&r.review());
  std::sort(reviews.begin(), reviews.end(), [](const auto* a, const auto* b) {
    return std::tie(a->held_on(), a->review_id()) > std::tie(b->held_on(), b->review_id());
  });
  json out = json::array();
  for (const auto* r : reviews) {
    auto period = domain::Period::Parse(r->period());
    out.push_back(
        {{"review_id", r->review_id()},
         {"period", r->period()},
         {"period_label", period.ok() ? period->FrenchLabel() : r->period()},
         {"held_on", r->held_on()},
         {"findings", std::vector<std::string>(r->findings().begin(), r->findings().end())},
         {"decisions", std::vector<std::string>(r->decisions().begin(), r->decisions().end())}});
  }
  return out;
}

// The statement of `period` for a lot, or why there is none (a lot without
// award or terms: a note, not an error, in pages that show several things).
struct StatementOrWhy {
  std::optional<readmodel::StatementReport> report;
  std::string why;
};
absl::StatusOr<StatementOrWhy> StatementOf(const SteeringInputs& in, const std::string& lot_id,
                                           const domain::Period& period, absl::CivilDay today) {
  auto report = readmodel::ComputeStatementReport(in.View(lot_id), period, today);
  if (absl::IsFailedPrecondition(report.status()) || absl::IsNotFound(report.status()) ||
      absl::IsInvalidArgument(report.status())) {
    return StatementOrWhy{.why = std::string(report.status().message())};
  }
  if (!report.ok()) return report.status();
  return StatementOrWhy{.report = std::move(*report)};
}

json StatementOrNoteJson(const StatementOrWhy& statement, const std::string& lot_id) {
  if (!statement.report) return json{{"unavailable", statement.why}};
  return readmodel::StatementReportJson(lot_id, *statement.report);
}

// Whether a penalty proposed for `text` is about a day of `period`.
bool PenaltyInPeriod(const std::string& text, const domain::Period& period) {
  auto p = domain::Period::Parse(text);
  return p.ok() && period.Contains(p->FirstDay());
}

// `penalties` (PenaltyRowsJson) with each rule's French label
// ("rule_label", empty when its terms version or rule is unknown).
json WithRuleLabels(json penalties, const domain::TermsHistory& history) {
  for (auto& row : penalties) {
    row["rule_label"] = history.RuleLabel(row["terms_version"].get<std::string>(),
                                          row["rule_id"].get<std::string>());
  }
  return penalties;
}

// A lot's evaluation for the period asked, once `who` may read the lot and
// it exists (what the quality pages show of it).
absl::StatusOr<domain::LotEvaluation> QualityEvaluation(Generation& view,
                                                        const access::Principal& who,
                                                        const std::string& lot,
                                                        const std::string& period_text) {
  if (auto s = CheckLot(view, who, lot); !s.ok()) return s;
  auto model = view.Lot(lot);
  if (!model.ok()) return model.status();
  auto period = LotPeriod(period_text, (*model)->facts);
  if (!period.ok()) return period.status();
  return readmodel::EvaluateLotCells(view.store(), **model, *period, nullptr);
}

json LotQualityJson(const std::string& lot, const domain::LotEvaluation& e) {
  json out = {{"lot", lot},
              {"period", e.period.ToString()},
              {"period_label", e.period.FrenchLabel()},
              {"closing_day", domain::FormatDay(e.closing_day)},
              {"data_quality", readmodel::DataQualityJson(e.quality)}};
  for (const auto& k : e.kpis) {
    if (k.formula == v1::KpiFormula::REPORTING_TIMELINESS) {
      out["reporting_timeliness"] = readmodel::KpiJson(e, k);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<json> Meta(Generation& view, const access::Principal& who, const Clock& clock) {
  auto lots = ReadableLots(view, who);
  if (!lots.ok()) return lots.status();
  json lot_rows = json::array();
  for (const auto& lot : *lots) {
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    lot_rows.push_back({{"lot", lot}, {"award", AwardJson(**model)}});
  }
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  auto quarters = Quarters(view, *lots, *today);
  if (!quarters.ok()) return quarters.status();
  json principal = {{"role", who.role == access::Principal::Role::kPilot ? "pilot" : "operator"},
                    {"id", who.id}};
  return json{
      {"principal", principal},
      {"lots", lot_rows},
      {"today", domain::FormatDay(*today)},
      {"quarters", readmodel::QuarterCalendarJson(*quarters)},
      {"default_period", quarters->landing ? json(quarters->landing->ToString()) : json(nullptr)}};
}

absl::StatusOr<json> LotsList(Generation& view, const access::Principal& who, const Params& params,
                              const Clock& clock) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto lots = ReadableLots(view, who);
  if (!lots.ok()) return lots.status();
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  json rows = json::array();
  json columns = json::array();
  std::set<std::string> seen_columns;
  std::optional<domain::Period> shown;
  for (const auto& lot : *lots) {
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    json row = {{"lot", lot}, {"award", AwardJson(**model)}};
    auto period = LotPeriod(*period_text, (*model)->facts);
    if (!period.ok()) {
      if (period.status().code() == absl::StatusCode::kInvalidArgument) return period.status();
      row["problem"] = std::string(period.status().message());
      row["kpis"] = json::array();
      rows.push_back(row);
      continue;
    }
    if (!shown) shown = *period;
    std::vector<std::string> problems;
    auto e = readmodel::EvaluateLotCells(view.store(), **model, *period, &problems);
    if (!e.ok()) {
      if (!absl::IsNotFound(e.status())) return e.status();
      row["problem"] = std::string(e.status().message());
      row["kpis"] = json::array();
      rows.push_back(row);
      continue;
    }
    for (const auto& k : e->kpis) {
      if (seen_columns.insert(k.kpi_id).second) {
        columns.push_back({{"id", k.kpi_id},
                           {"label", k.label},
                           {"formula", v1::KpiFormula::Value_Name(k.formula)},
                           {"direction", v1::Direction::Value_Name(k.direction)},
                           {"informational", k.informational}});
      }
    }
    row["terms_version"] = e->terms.version();
    row["closing_day"] = domain::FormatDay(e->closing_day);
    // Before its closing day a period's figures are provisional: readers
    // show them but do not judge them.
    row["closed"] = *today >= e->closing_day;
    row["kpis"] = CompactKpis(*e);
    json summary = json::object();
    for (const auto& k : e->kpis) {
      const std::string status(domain::KpiStatusName(k.status));
      summary[status] = summary.value(status, 0) + 1;
    }
    row["status_counts"] = summary;
    if (!problems.empty()) row["problems"] = problems;
    rows.push_back(row);
  }
  json out = {{"period", *period_text}, {"columns", columns}, {"lots", rows}};
  if (shown) {
    out["period"] = shown->ToString();
    out["period_label"] = shown->FrenchLabel();
  }
  return out;
}

absl::StatusOr<json> National(Generation& view, const access::Principal& who, const Params& params,
                              const Clock& clock) {
  if (who.role != access::Principal::Role::kPilot) {
    return absl::PermissionDeniedError(
        "the national view aggregates every lot: pilot tokens only (use /api/v1/lots)");
  }
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto lots = view.Lots();
  if (!lots.ok()) return lots.status();
  readmodel::NationalKpis national(*period_text);
  int64_t new_beneficiaries = 0, appointments = 0, closures = 0, surveys = 0;
  for (const auto& lot : *lots) {
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    auto period = LotPeriod(*period_text, (*model)->facts);
    if (!period.ok()) return period.status();
    if (auto s = national.Add(view.store(), **model); !s.ok()) return s;
    auto counters = Counters(view, lot, *period);
    if (!counters.ok()) return counters.status();
    new_beneficiaries += Total(*counters, "new_beneficiaries");
    appointments += Total(*counters, "appointments");
    closures += Total(*counters, "closures");
    surveys += Total(*counters, "surveys");
  }
  auto kpis = std::move(national).Finish();
  if (!kpis.ok()) return kpis.status();
  json out = readmodel::NationalKpisJson(*kpis);
  out.erase("lot");
  // Penalties proposed for the period, and each lot's fund usage as its
  // statement for the period computes it.
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  out["closed"] = *today >= kpis->evaluation.closing_day;
  int64_t proposed = 0, confirmed = 0, waived = 0, undecided = 0, count = 0;
  int64_t envelope = 0, cumulative = 0, projected = 0;
  json over = json::array();
  json without = json::array();
  for (const auto& lot : *lots) {
    auto in = ReadSteeringInputs(view, lot);
    if (!in.ok()) return in.status();
    auto period = LotPeriod(*period_text, in->lot->facts);
    if (!period.ok()) return period.status();
    auto procedures = readmodel::PenaltyProcedures(*in->steering, in->history, nullptr);
    if (!procedures.ok()) return procedures.status();
    for (const auto& p : *procedures) {
      if (!PenaltyInPeriod(p.proposal.period(), *period)) continue;
      const int64_t amount = p.proposal.amount_cents();
      ++count;
      proposed += amount;
      if (p.state == domain::PenaltyState::kConfirmed) confirmed += amount;
      if (p.state == domain::PenaltyState::kWaived) waived += amount;
      if (!p.decided()) undecided += amount;
    }
    auto statement = StatementOf(*in, lot, *period, *today);
    if (!statement.ok()) return statement.status();
    if (!statement->report) {
      without.push_back({{"lot", lot}, {"why", statement->why}});
      continue;
    }
    const domain::Statement& computed = statement->report->statement;
    envelope += computed.statement.budget_envelope_cents();
    cumulative += computed.statement.cumulative_fund_usage_cents();
    projected += computed.projected_usage_cents;
    if (computed.projection_exceeds_envelope) over.push_back(lot);
  }
  out["penalties"] = {{"count", count},
                      {"proposed_cents", proposed},
                      {"confirmed_cents", confirmed},
                      {"waived_cents", waived},
                      {"undecided_cents", undecided}};
  out["fund_usage"] = {{"budget_envelope_cents", envelope},
                       {"cumulative_cents", cumulative},
                       {"projected_cents", projected},
                       {"lots_projected_over_envelope", over},
                       {"lots_without_statement", without}};
  out["volume"] = {{"new_beneficiaries", new_beneficiaries},
                   {"appointments", appointments},
                   {"closures", closures},
                   {"surveys", surveys}};
  return out;
}

absl::StatusOr<json> LotDetail(Generation& view, const access::Principal& who,
                               const std::string& lot, const Params& params, const Clock& clock) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  if (auto s = CheckLot(view, who, lot); !s.ok()) return s;
  auto model = view.Lot(lot);
  if (!model.ok()) return model.status();
  const auto& facts = (*model)->facts;
  auto period = LotPeriod(*period_text, facts);
  if (!period.ok()) return period.status();
  std::vector<std::string> problems;
  auto e = readmodel::EvaluateLotCells(view.store(), **model, *period, &problems);
  if (!e.ok()) return e.status();
  json out = readmodel::EvaluationJson(*e, problems);
  out["award"] = AwardJson(**model);

  // Monthly series of every KPI over the months of the period.
  json months = json::array();
  json series = json::object();
  for (const auto& month : period->Months()) {
    months.push_back(month.ToString());
    auto m = readmodel::EvaluateLotCells(view.store(), **model, month, nullptr);
    for (const auto& k : e->kpis) {
      const std::string& id = k.kpi_id;
      json point = {{"month", month.ToString()}, {"month_label", month.FrenchLabel()}};
      const domain::KpiResult* r = nullptr;
      if (m.ok()) {
        for (const auto& x : m->kpis) {
          if (x.kpi_id == id) r = &x;
        }
      }
      if (r) {
        point["value"] = r->value;
        point["target"] = r->target;
        point["numerator"] = r->numerator;
        point["sample"] = r->sample;
        point["status"] = std::string(domain::KpiStatusName(r->status));
      } else {
        point["value"] = nullptr;
        point["target"] = nullptr;
        point["status"] = nullptr;
      }
      series[id].push_back(point);
    }
  }
  out["series"] = {{"months", months}, {"kpis", series}};

  auto counters = Counters(view, lot, *period);
  if (!counters.ok()) return counters.status();
  auto funnel = Funnel(view, lot, *period);
  if (!funnel.ok()) return funnel.status();
  out["funnel"] = std::move(*funnel);
  out["volume"] = {{"new_beneficiaries", Total(*counters, "new_beneficiaries")},
                   {"appointments", Total(*counters, "appointments")},
                   {"closures", Total(*counters, "closures")},
                   {"surveys", Total(*counters, "surveys")}};
  out["profile_mix"] =
      Mix(*counters, "new_beneficiaries",
          {"age_band", "sex", "qualification", "status", "company_size", "channel"});
  out["modality_mix"] = Mix(*counters, "appointments", {"modality", "level", "kind"});
  json closures = Mix(*counters, "closures", {"outcome", "referral"});
  out["outcomes"] = closures["outcome"];
  out["referrals"] = closures["referral"];

  auto today = clock.Today();
  if (!today.ok()) return today.status();
  out["closed"] = *today >= e->closing_day;
  auto in = ReadSteeringInputs(view, lot);
  if (!in.ok()) return in.status();
  auto ledger = readmodel::ReadLedger(in->View(lot), *today);
  if (!ledger.ok()) return ledger.status();
  auto statement = StatementOf(*in, lot, *period, *today);
  if (!statement.ok()) return statement.status();
  out["steering"] = {
      {"on", domain::FormatDay(*today)},
      {"penalties", WithRuleLabels(readmodel::PenaltyRowsJson(*ledger, *today), in->history)},
      {"penalty_totals", readmodel::PenaltyTotalsJson(*ledger)},
      {"past_deadline_undecided", ledger->past_deadline_undecided},
      {"actions", readmodel::ActionRowsJson(readmodel::ReportActions(*in->steering, *today))},
      {"reviews", ReviewsJson(*in->steering)},
      {"statement", StatementOrNoteJson(*statement, lot)}};
  return out;
}

absl::StatusOr<json> LotQuality(Generation& view, const access::Principal& who,
                                const std::string& lot, const Params& params) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto e = QualityEvaluation(view, who, lot, *period_text);
  if (!e.ok()) return e.status();
  return LotQualityJson(lot, *e);
}

absl::StatusOr<json> Quality(Generation& view, const Freshness& freshness,
                             const access::Principal& who, const Params& params) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto lots = ReadableLots(view, who);
  if (!lots.ok()) return lots.status();
  json rows = json::array();
  int64_t events = 0, late = 0, refused = 0, conflicting = 0, conflicting_in_period = 0,
          imported = 0, duplicates = 0;
  std::map<std::string, int64_t> buckets;
  std::map<std::string, int64_t> gateway_refusals;
  for (const auto& lot : *lots) {
    auto e = QualityEvaluation(view, who, lot, *period_text);
    if (!e.ok()) {
      if (absl::IsNotFound(e.status()) || absl::IsFailedPrecondition(e.status())) {
        rows.push_back({{"lot", lot}, {"problem", std::string(e.status().message())}});
        continue;
      }
      return e.status();
    }
    events += e->quality.events;
    late += e->quality.late;
    refused += e->quality.refused;
    conflicting += e->quality.conflicting_resends;
    conflicting_in_period += e->quality.conflicting_resends_in_period;
    for (const auto& [code, n] : e->quality.gateway_refusals) gateway_refusals[code] += n;
    imported += e->quality.imported;
    duplicates += e->quality.imported_duplicates;
    for (const auto& [b, n] : e->quality.timeliness) buckets[b] += n;
    rows.push_back(LotQualityJson(lot, *e));
  }
  // The gateway's refusals that name no lot (a body that does not parse, a
  // lot at fault): national, so pilots only, and for a calendar period (a
  // contract year is a lot's).
  json without_lot = nullptr;
  const auto calendar_period = domain::Period::Parse(*period_text);
  if (who.role == access::Principal::Role::kPilot && calendar_period.ok()) {
    auto by_day = view.RefusalsWithoutLot();
    if (!by_day.ok()) return by_day.status();
    without_lot = json::object();
    for (const auto& [day, codes] : *by_day) {
      if (!calendar_period->Contains(day)) continue;
      for (const auto& [code, n] : codes) {
        without_lot[code] = without_lot.value(code, int64_t{0}) + n;
        gateway_refusals[code] += n;
      }
    }
  }
  json totals = {{"events", events},
                 {"late_events", late},
                 {"refused_events", refused},
                 {"conflicting_resends", conflicting},
                 {"conflicting_resends_in_period", conflicting_in_period},
                 {"gateway_refusals", gateway_refusals},
                 {"imported_events", imported},
                 {"imported_duplicates", duplicates},
                 {"reporting_delay_days", buckets}};
  json out = {{"period", *period_text},
              {"lots", rows},
              {"totals", totals},
              {"gateway_refusals_without_lot", without_lot}};
  if (calendar_period.ok()) {
    out["period"] = calendar_period->ToString();
    out["period_label"] = calendar_period->FrenchLabel();
  }
  if (who.role == access::Principal::Role::kPilot) {
    int64_t dead = 0;
    for (const auto& [key, p] : freshness.progress) dead += p.dead_letters;
    out["dead_letters"] = dead;
  } else {
    out["dead_letters"] = nullptr;
  }
  json labels = json::object();
  for (const auto& codes : {std::span<const intake::RefusalCode>(intake::kRequestAndEventCodes),
                            std::span<const intake::RefusalCode>(intake::kFileLineCodes),
                            std::span<const intake::RefusalCode>(intake::kGatewayCodes)}) {
    for (auto code : codes) {
      labels[std::string(intake::CodeName(code))] = std::string(intake::FrenchLabel(code));
    }
  }
  out["refusal_labels"] = labels;
  out["refusals_note"] =
      "gateway_refusals: the ingest gateway's refusals (pilotage.rejected.v1) on the period's "
      "days, by intake code, folded by the projector (decision 0045); refused_events: events "
      "the projector refused (dead letters)";
  return out;
}

}  // namespace pilotage::query
