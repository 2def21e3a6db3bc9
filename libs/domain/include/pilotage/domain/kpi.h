#pragma once
// Evaluating one KPI of the contract terms for a lot and a period, from
// what was observed (counted by the projector from the lot's events).
//
// EvaluateKpi is a pure function: same inputs, same result, no I/O.
//
// The status, in this order of precedence:
//   INFORMATIONAL     the KPI is informational (shown, never priced);
//   NOT_ENOUGH_DATA   a share whose sample (denominator) is below min_sample,
//                     or is 0 whatever min_sample (a share of nothing has no
//                     value). NEW_BENEFICIARIES has no minimum sample;
//   then, with `target` the lot's target (pro-rated for NEW_BENEFICIARIES)
//   and `margin` the at_risk_margin (pro-rated likewise):
//   AT_LEAST          BREACHED  value <  target
//                     AT_RISK   target <= value < target + margin
//                     MET       value >= target + margin
//   AT_MOST           BREACHED  value >  target
//                     AT_RISK   target - margin < value <= target
//                     MET       value <= target - margin
// So a value exactly at the target is AT_RISK when the margin is > 0 and MET
// when it is 0; a value exactly at target + margin (AT_LEAST) is MET. AT_RISK
// is a narrow pass, never priced. Comparisons allow a relative tolerance of
// 1e-9, so that 17 of 20 reaches a target of 0.80 + a margin of 0.05 although
// 0.80 + 0.05 is not exactly 0.85 in floating point.
//
// NEW_BENEFICIARIES: the value is the count; the terms give a yearly target,
// multiplied by period.FractionOfYear() (January 2024: 31/366 of it; a
// contract year: all of it).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pilotage/domain/period.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::domain {

enum class KpiStatus {
  kMet,
  kAtRisk,
  kBreached,
  kNotEnoughData,
  kInformational,
};

// "MET", "AT_RISK", "BREACHED", "NOT_ENOUGH_DATA", "INFORMATIONAL".
std::string_view KpiStatusName(KpiStatus status);

// For pilots: "atteint", "à risque", "non atteint", "données insuffisantes",
// "informatif".
std::string_view KpiStatusFrenchLabel(KpiStatus status);

// What the projector counted for one KPI, lot and period.
struct KpiObservation {
  // For a share: the observations that satisfy the KPI (e.g. first
  // appointments held within the delay). For NEW_BENEFICIARIES: the count of
  // new beneficiaries. Must be >= 0, and <= denominator for a share.
  int64_t numerator = 0;
  // For a share: every observation (e.g. new beneficiaries whose first
  // appointment could be measured): the sample. Ignored for
  // NEW_BENEFICIARIES. Must be >= 0.
  int64_t denominator = 0;
};

// One KPI's outcome for a lot and a period, with every input shown.
struct KpiResult {
  std::string kpi_id;
  std::string label;
  pilotage::v1::KpiFormula::Value formula = pilotage::v1::KpiFormula::UNSPECIFIED;
  pilotage::v1::Direction::Value direction = pilotage::v1::Direction::UNSPECIFIED;
  // The share (numerator / sample; 0 when the sample is 0) or the count.
  double value = 0;
  // The target applied: the lot's override or the default, pro-rated for
  // NEW_BENEFICIARIES.
  double target = 0;
  // The at-risk margin applied, pro-rated like the target.
  double at_risk_margin = 0;
  KpiStatus status = KpiStatus::kNotEnoughData;
  int64_t numerator = 0;
  // The denominator for a share; the count for NEW_BENEFICIARIES.
  int64_t sample = 0;
  bool informational = false;
};

// The result of KPI `id` among `kpis`; nullptr when it is not there.
const KpiResult* FindKpiResult(const std::vector<KpiResult>& kpis, std::string_view id);

// Evaluates `kpi` for `lot_id` over `period`. kInvalidArgument when the
// observation is impossible (negative, numerator above denominator for a
// share) or the KPI has no formula, or no direction while priced (terms
// that passed ValidateTerms always have both).
[[nodiscard]] absl::StatusOr<KpiResult> EvaluateKpi(const pilotage::v1::KpiDefinition& kpi,
                                                    std::string_view lot_id, const Period& period,
                                                    const KpiObservation& observed);

}  // namespace pilotage::domain
