#pragma once
// KPI evaluations of the cep read model, typed: one lot's for a period, and
// the national aggregate of several lots, built lot by lot (a lot's read model
// can be dropped once added). JSON for them is at the edges (json.h).
//
// Pure given the read models: the caller reads them from one consistent view
// of the store (open.h). Thread-safety: functions are pure; a NationalKpis is
// used by one thread at a time.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"
#include "pilotage/readmodel/lots.h"

namespace pilotage::readmodel {

// Evaluates `model` for `period`; problems of its terms history (versions
// left out) are appended to `problems` (may be null), prefixed by the lot id.
// kNotFound when no terms govern it.
[[nodiscard]] absl::StatusOr<domain::LotEvaluation> EvaluateLotModel(
    const LotReadModel& model, const domain::Period& period, std::vector<std::string>* problems);

// The national evaluation of a period.
struct NationalEvaluation {
  // domain::EvaluateNational of the lots evaluated (lot_id "national").
  domain::LotEvaluation evaluation;
  // Terms history problems, and the lots left out because no terms govern
  // them ("LOT-xx: why").
  std::vector<std::string> problems;
  // The lots aggregated, in the order added.
  std::vector<std::string> lots;
};

// The national evaluation of `period_text`, lot by lot: each lot's period is
// parsed for it (CYn depends on its award), the lot evaluated, and only its
// evaluation kept.
class NationalKpis {
 public:
  explicit NationalKpis(std::string period_text);

  // Evaluates `model`. A lot no terms govern is left out and named in the
  // problems (OK). Errors: domain::ParseLotPeriod's (kInvalidArgument,
  // kFailedPrecondition), EvaluateLotModel's other than kNotFound.
  [[nodiscard]] absl::Status Add(const LotReadModel& model);

  // The aggregate. kInvalidArgument for a malformed period (when no lot was
  // added); kNotFound when no lot was evaluated (domain::EvaluateNational).
  [[nodiscard]] absl::StatusOr<NationalEvaluation> Finish() &&;

 private:
  std::string period_text_;
  std::optional<domain::Period> period_;
  std::vector<domain::LotEvaluation> evaluations_;
  std::vector<std::string> problems_;
};

}  // namespace pilotage::readmodel
