#include "pilotage/domain/kpi.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "pilotage/domain/terms.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

// Relative tolerance of every comparison with a target (see kpi.h).
constexpr double kTolerance = 1e-9;

double Slack(double threshold) { return kTolerance * std::max(1.0, std::abs(threshold)); }

bool AtOrAbove(double value, double threshold) { return value >= threshold - Slack(threshold); }
bool AtOrBelow(double value, double threshold) { return value <= threshold + Slack(threshold); }

KpiStatus Compare(v1::Direction::Value direction, double value, double target, double margin) {
  if (direction == v1::Direction::AT_LEAST) {
    if (!AtOrAbove(value, target)) return KpiStatus::kBreached;
    return AtOrAbove(value, target + margin) ? KpiStatus::kMet : KpiStatus::kAtRisk;
  }
  if (!AtOrBelow(value, target)) return KpiStatus::kBreached;
  return AtOrBelow(value, target - margin) ? KpiStatus::kMet : KpiStatus::kAtRisk;
}

}  // namespace

std::string_view KpiStatusName(KpiStatus status) {
  switch (status) {
    case KpiStatus::kMet:
      return "MET";
    case KpiStatus::kAtRisk:
      return "AT_RISK";
    case KpiStatus::kBreached:
      return "BREACHED";
    case KpiStatus::kNotEnoughData:
      return "NOT_ENOUGH_DATA";
    case KpiStatus::kInformational:
      return "INFORMATIONAL";
  }
  return "UNKNOWN";
}

std::string_view KpiStatusFrenchLabel(KpiStatus status) {
  switch (status) {
    case KpiStatus::kMet:
      return "atteint";
    case KpiStatus::kAtRisk:
      return "à risque";
    case KpiStatus::kBreached:
      return "non atteint";
    case KpiStatus::kNotEnoughData:
      return "données insuffisantes";
    case KpiStatus::kInformational:
      return "informatif";
  }
  return "inconnu";
}

const KpiResult* FindKpiResult(const std::vector<KpiResult>& kpis, std::string_view id) {
  for (const auto& k : kpis) {
    if (k.kpi_id == id) return &k;
  }
  return nullptr;
}

absl::StatusOr<KpiResult> EvaluateKpi(const v1::KpiDefinition& kpi, std::string_view lot_id,
                                      const Period& period, const KpiObservation& observed) {
  if (kpi.formula() == v1::KpiFormula::UNSPECIFIED ||
      !v1::KpiFormula::Value_IsValid(kpi.formula())) {
    return absl::InvalidArgumentError(
        fmt::format("KPI '{}' has no formula: validate the terms first", kpi.id()));
  }
  const bool priced_direction =
      kpi.direction() == v1::Direction::AT_LEAST || kpi.direction() == v1::Direction::AT_MOST;
  if (!kpi.informational() && !priced_direction) {
    return absl::InvalidArgumentError(
        fmt::format("KPI '{}' has no direction: validate the terms first", kpi.id()));
  }
  const bool count = IsCountFormula(kpi.formula());
  if (observed.numerator < 0 || (!count && observed.denominator < 0) ||
      (!count && observed.numerator > observed.denominator)) {
    return absl::InvalidArgumentError(fmt::format(
        "impossible observation for KPI '{}', lot '{}', period {}: numerator {}, denominator {} "
        "(both must be >= 0, and numerator <= denominator for a share)",
        kpi.id(), lot_id, period.ToString(), observed.numerator, observed.denominator));
  }

  KpiResult result;
  result.kpi_id = kpi.id();
  result.label = kpi.label();
  result.formula = kpi.formula();
  result.direction = kpi.direction();
  result.informational = kpi.informational();
  result.numerator = observed.numerator;
  const double scale = count ? period.FractionOfYear() : 1.0;
  result.target = TargetFor(kpi, lot_id) * scale;
  result.at_risk_margin = kpi.at_risk_margin() * scale;
  if (count) {
    result.sample = observed.numerator;
    result.value = static_cast<double>(observed.numerator);
  } else {
    result.sample = observed.denominator;
    result.value = observed.denominator == 0 ? 0.0
                                             : static_cast<double>(observed.numerator) /
                                                   static_cast<double>(observed.denominator);
  }

  if (kpi.informational()) {
    result.status = KpiStatus::kInformational;
  } else if (!count && (observed.denominator == 0 || observed.denominator < kpi.min_sample())) {
    result.status = KpiStatus::kNotEnoughData;
  } else {
    result.status = Compare(kpi.direction(), result.value, result.target, result.at_risk_margin);
  }
  return result;
}

}  // namespace pilotage::domain
