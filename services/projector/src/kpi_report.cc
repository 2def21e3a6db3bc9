#include "pilotage/projector/kpi_report.h"

#include <map>
#include <optional>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/terms.h"

namespace pilotage::projector {

namespace v1 = ::pilotage::v1;

absl::StatusOr<domain::Period> ParseLotPeriod(const std::string& text,
                                              const domain::LotFacts& facts) {
  if (text.rfind("CY", 0) == 0 && text.find('@') == std::string::npos) {
    if (!facts.award) {
      return absl::FailedPreconditionError(
          fmt::format("period {}: lot '{}' has no award (LotAwarded) giving its start date; write "
                      "CYn@YYYY-MM-DD",
                      text, facts.lot_id));
    }
    auto start = domain::ParseDay(facts.award->start_date());
    if (!start.ok()) return start.status();
    return domain::Period::Parse(text, *start);
  }
  return domain::Period::Parse(text);
}

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

nlohmann::json EvaluationJson(const domain::LotEvaluation& e,
                              const std::vector<std::string>& problems) {
  nlohmann::json kpis = nlohmann::json::array();
  std::map<std::string, const v1::KpiDefinition*> defs;
  for (const auto& k : e.terms.kpis()) defs[k.id()] = &k;
  for (const auto& r : e.kpis) {
    const auto* def = defs[r.kpi_id];
    kpis.push_back({{"id", r.kpi_id},
                    {"label", r.label},
                    {"formula", v1::KpiFormula::Value_Name(r.formula)},
                    {"direction", v1::Direction::Value_Name(r.direction)},
                    {"value", r.value},
                    {"target", r.target},
                    {"at_risk_margin", r.at_risk_margin},
                    {"numerator", r.numerator},
                    {"sample", r.sample},
                    {"min_sample", def ? def->min_sample() : 0},
                    {"status", std::string(domain::KpiStatusName(r.status))},
                    {"informational", r.informational}});
  }
  nlohmann::json timeliness = nlohmann::json::object();
  for (const auto& [bucket, n] : e.quality.timeliness) timeliness[bucket] = n;
  return {{"lot", e.lot_id},
          {"period", e.period.ToString()},
          {"period_label", e.period.FrenchLabel()},
          {"terms_version", e.terms.version()},
          {"closing_day", domain::FormatDay(e.closing_day)},
          {"kpis", kpis},
          {"data_quality",
           {{"events", e.quality.events},
            {"late_events", e.quality.late},
            {"refused_events", e.quality.refused},
            {"imported_events", e.quality.imported},
            {"imported_duplicates", e.quality.imported_duplicates},
            {"reporting_delay_days", timeliness}}},
          {"problems", problems}};
}

absl::StatusOr<nlohmann::json> NationalKpisJson(const std::vector<const LotReadModel*>& models,
                                                const std::string& period_text) {
  std::vector<domain::LotEvaluation> evaluations;
  std::vector<std::string> problems;
  std::optional<domain::Period> period;
  for (const auto* model : models) {
    auto p = ParseLotPeriod(period_text, model->facts);
    if (!p.ok()) return p.status();
    if (!period) period = *p;
    auto evaluation = EvaluateLotModel(*model, *p, &problems);
    if (!evaluation.ok()) {
      if (absl::IsNotFound(evaluation.status())) {
        problems.push_back(
            fmt::format("{}: {}", model->facts.lot_id, std::string(evaluation.status().message())));
        continue;
      }
      return evaluation.status();
    }
    evaluations.push_back(std::move(*evaluation));
  }
  if (!period) {
    auto p = domain::Period::Parse(period_text);
    if (!p.ok()) return p.status();
    period = *p;
  }
  auto national = domain::EvaluateNational(evaluations, *period);
  if (!national.ok()) return national.status();
  nlohmann::json out = EvaluationJson(*national, problems);
  nlohmann::json names = nlohmann::json::array();
  for (const auto& e : evaluations) names.push_back(e.lot_id);
  out["lots"] = names;
  return out;
}

}  // namespace pilotage::projector
