#pragma once
// The business gauges of the query service's /metrics: every lot's KPIs for
// the default quarter, penalties by procedure state, and fund usage of the
// default quarter's statement (a pilot's view: every lot).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api_common.h"
#include "store_view.h"

namespace pilotage::query {

// KPI value/target of a lot for the default quarter.
struct KpiGauge {
  std::string lot;
  std::string kpi;
  std::string period;
  double value = 0;
  double target = 0;
  bool measured = false;
};

// Penalty amounts of a lot per procedure state (all periods), and its fund
// usage for the default quarter's statement.
struct SteeringGauge {
  std::string lot;
  // state -> euro cents of the lot's penalties in that state.
  std::map<std::string, int64_t> penalties_cents;
  bool has_statement = false;
  std::string contract_year;
  int64_t cumulative_cents = 0;
  int64_t projected_cents = 0;
  int64_t envelope_cents = 0;
};

struct BusinessGauges {
  std::vector<KpiGauge> kpis;           // none without a default quarter
  std::vector<SteeringGauge> steering;  // one per lot
};

// The gauges of every lot of `view`, in one walk over the lots, the default
// quarter (DefaultPeriod) judged on `clock`'s day. A lot without terms has
// no KPI gauges, one without a statement for the quarter no fund gauges.
// Thread-safety: that of the Generation.
absl::StatusOr<BusinessGauges> ComputeBusinessGauges(Generation& view, const Clock& clock);

// `gauges` in Prometheus' text format: pilotage_penalties_euros{lot,state},
// pilotage_fund_usage_euros, pilotage_fund_usage_projected_euros and
// pilotage_budget_envelope_euros{lot,contract_year},
// pilotage_kpi_value{lot,kpi,period} (measured KPIs only) and
// pilotage_kpi_target. Rebuilt at each call: lots and periods no longer
// shown leave no stale series.
std::string BusinessMetricsText(const BusinessGauges& gauges);

}  // namespace pilotage::query
