#include "pilotage/readmodel/kpis.h"

#include <map>
#include <optional>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/lot_period.h"
#include "pilotage/domain/terms.h"

namespace pilotage::readmodel {

namespace v1 = ::pilotage::v1;

absl::StatusOr<domain::LotEvaluation> EvaluateLotModel(const LotReadModel& model,
                                                       const domain::Period& period,
                                                       std::vector<std::string>* problems) {
  std::vector<std::string> lot_problems;
  domain::TermsHistory history = HistoryOf(model.terms, &lot_problems);
  if (problems) {
    for (auto& m : lot_problems) problems->push_back(fmt::format("{}: {}", model.facts.lot_id, m));
  }
  return domain::EvaluateLot(model.facts, history, period);
}

NationalKpis::NationalKpis(std::string period_text) : period_text_(std::move(period_text)) {}

absl::Status NationalKpis::Add(const LotReadModel& model) {
  auto p = domain::ParseLotPeriod(period_text_, model.facts);
  if (!p.ok()) return p.status();
  if (!period_) period_ = *p;
  auto evaluation = EvaluateLotModel(model, *p, &problems_);
  if (!evaluation.ok()) {
    if (absl::IsNotFound(evaluation.status())) {
      problems_.push_back(
          fmt::format("{}: {}", model.facts.lot_id, std::string(evaluation.status().message())));
      return absl::OkStatus();
    }
    return evaluation.status();
  }
  evaluations_.push_back(std::move(*evaluation));
  return absl::OkStatus();
}

absl::StatusOr<NationalEvaluation> NationalKpis::Finish() && {
  if (!period_) {
    auto p = domain::Period::Parse(period_text_);
    if (!p.ok()) return p.status();
    period_ = *p;
  }
  auto national = domain::EvaluateNational(evaluations_, *period_);
  if (!national.ok()) return national.status();
  NationalEvaluation out{.evaluation = std::move(*national), .problems = std::move(problems_)};
  for (const auto& e : evaluations_) out.lots.push_back(e.lot_id);
  return out;
}

}  // namespace pilotage::readmodel
