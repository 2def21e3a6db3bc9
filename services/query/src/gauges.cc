// The business gauges of /metrics (gauges.h).
#include "gauges.h"

#include <utility>

#include "lot_inputs.h"
#include "pilotage/metrics/metrics.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/reports.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace pilotage::query {

absl::StatusOr<BusinessGauges> ComputeBusinessGauges(Generation& view, const Clock& clock) {
  auto lots = view.Lots();  // a pilot's view: every lot
  if (!lots.ok()) return lots.status();
  auto period = DefaultPeriod(view, *lots, clock);
  if (!period.ok()) return period.status();
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  const std::string period_text = *period ? (*period)->ToString() : "";
  BusinessGauges out;
  // One walk: each lot's models are read once for both kinds of gauges.
  for (const auto& lot : *lots) {
    auto in = ReadSteeringInputs(view, lot);
    if (!in.ok()) return in.status();
    if (*period) {
      auto e = readmodel::EvaluateLotCells(view.store(), *in->lot, **period, nullptr);
      if (e.ok()) {
        for (const auto& k : e->kpis) {
          out.kpis.push_back({.lot = lot,
                              .kpi = k.kpi_id,
                              .period = period_text,
                              .value = k.value,
                              .target = k.target,
                              .measured = k.status != domain::KpiStatus::kNotEnoughData});
        }
      } else if (!absl::IsNotFound(e.status())) {  // no terms: no gauge
        return e.status();
      }
    }
    SteeringGauge g{.lot = lot};
    for (const char* state : {"PROPOSED", "OBSERVATIONS_RECEIVED", "CONFIRMED", "WAIVED"}) {
      g.penalties_cents[state] = 0;
    }
    auto procedures = readmodel::PenaltyProcedures(*in->steering, in->history, nullptr);
    if (!procedures.ok()) return procedures.status();
    for (const auto& p : *procedures) {
      g.penalties_cents[std::string(domain::PenaltyStateName(p.state))] +=
          p.proposal.amount_cents();
    }
    if (*period) {
      auto report = readmodel::ComputeStatementReport(in->View(lot), **period, *today);
      if (report.ok()) {
        g.has_statement = true;
        g.contract_year = report->statement.contract_year.ToString();
        g.cumulative_cents = report->statement.statement.cumulative_fund_usage_cents();
        g.projected_cents = report->statement.projected_usage_cents;
        g.envelope_cents = report->statement.statement.budget_envelope_cents();
      }
    }
    out.steering.push_back(std::move(g));
  }
  return out;
}

std::string BusinessMetricsText(const BusinessGauges& gauges) {
  prometheus::Registry business;
  auto& kpi_value = prometheus::BuildGauge()
                        .Name("pilotage_kpi_value")
                        .Help("KPI value per lot for the current quarter (share 0-1 or count)")
                        .Register(business);
  auto& kpi_target = prometheus::BuildGauge()
                         .Name("pilotage_kpi_target")
                         .Help("KPI target per lot for the current quarter")
                         .Register(business);
  auto& penalties = prometheus::BuildGauge()
                        .Name("pilotage_penalties_euros")
                        .Help("Penalties of a lot by procedure state, all periods (euros)")
                        .Register(business);
  auto& fund_used = prometheus::BuildGauge()
                        .Name("pilotage_fund_usage_euros")
                        .Help(
                            "Paid in the lot's contract year up to the current quarter's "
                            "statement (euros)")
                        .Register(business);
  auto& fund_projected = prometheus::BuildGauge()
                             .Name("pilotage_fund_usage_projected_euros")
                             .Help("Linear projection of the contract year's fund usage (euros)")
                             .Register(business);
  auto& envelope = prometheus::BuildGauge()
                       .Name("pilotage_budget_envelope_euros")
                       .Help("The lot's budget envelope for the contract year (euros)")
                       .Register(business);
  for (const auto& sg : gauges.steering) {
    for (const auto& [state, cents] : sg.penalties_cents) {
      penalties.Add({{"lot", sg.lot}, {"state", state}}).Set(static_cast<double>(cents) / 100);
    }
    if (!sg.has_statement) continue;
    const std::map<std::string, std::string> labels = {{"lot", sg.lot},
                                                       {"contract_year", sg.contract_year}};
    fund_used.Add(labels).Set(static_cast<double>(sg.cumulative_cents) / 100);
    fund_projected.Add(labels).Set(static_cast<double>(sg.projected_cents) / 100);
    envelope.Add(labels).Set(static_cast<double>(sg.envelope_cents) / 100);
  }
  for (const auto& k : gauges.kpis) {
    const std::map<std::string, std::string> labels = {
        {"lot", k.lot}, {"kpi", k.kpi}, {"period", k.period}};
    if (k.measured) kpi_value.Add(labels).Set(k.value);
    kpi_target.Add(labels).Set(k.target);
  }
  return metrics::Serialize(business);
}

}  // namespace pilotage::query
