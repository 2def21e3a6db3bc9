#pragma once
// KPI results of the cep read model as JSON, shared by every reader that
// shows them (`pilotagectl kpis --json`, the query service): one lot's, or
// the national aggregate of several lots, for a period.
//
// JSON shape (English keys, raw numbers):
//   {"lot", "period", "period_label", "terms_version", "closing_day",
//    "kpis": [{"id", "label", "formula", "direction", "value", "target",
//              "at_risk_margin", "numerator", "sample", "min_sample",
//              "status", "informational"}],
//    "data_quality": {"events", "late_events", "refused_events",
//                     "imported_events", "imported_duplicates",
//                     "reporting_delay_days": {"0-1": n, ...}},
//    "problems": [...],
//    "lots": [...]  (national only: the lots aggregated)}
//
// Pure given the read models: the caller reads them from one consistent
// view of the store.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"
#include "pilotage/projector/cep.h"

namespace pilotage::projector {

// Parses `text` as a period for the lot of `facts`: "2024-01", "2024-Q1",
// "2024", "CYn@YYYY-MM-DD", or "CYn" (contract year n from the lot's award;
// kFailedPrecondition when the lot has no award). kInvalidArgument for a
// malformed period, with the accepted forms.
[[nodiscard]] absl::StatusOr<domain::Period> ParseLotPeriod(const std::string& text,
                                                            const domain::LotFacts& facts);

// Evaluates `model` for `period`; problems of its terms history (versions
// left out) are appended to `problems`. kNotFound when no terms govern it.
[[nodiscard]] absl::StatusOr<domain::LotEvaluation> EvaluateLotModel(
    const LotReadModel& model, const domain::Period& period, std::vector<std::string>* problems);

// The JSON above for one evaluation (a lot's or EvaluateNational's).
nlohmann::json EvaluationJson(const domain::LotEvaluation& evaluation,
                              const std::vector<std::string>& problems);

// The national JSON for `period_text` over `models`: each lot is evaluated
// (lots no terms govern are left out and named in "problems"), then
// aggregated by domain::EvaluateNational; "lots" lists those aggregated.
// kInvalidArgument for a malformed period; kNotFound when no lot has terms.
[[nodiscard]] absl::StatusOr<nlohmann::json> NationalKpisJson(
    const std::vector<const LotReadModel*>& models, const std::string& period_text);

}  // namespace pilotage::projector
