// The steering answers (ledger.h).
#include "ledger.h"

#include <map>

#include "fmt/format.h"
#include "lot_inputs.h"
#include "pilotage/readmodel/json.h"
#include "pilotage/readmodel/reports.h"

namespace pilotage::query {
namespace {

using nlohmann::json;

// A lot's steering inputs and the Paris day its deadlines are judged on,
// once `who` may read the lot and it exists.
struct CheckedSteering : SteeringInputs {
  absl::CivilDay today;
};
absl::StatusOr<CheckedSteering> CheckedSteeringInputs(Generation& view,
                                                      const access::Principal& who,
                                                      const std::string& lot_id,
                                                      const Clock& clock) {
  if (auto s = CheckLot(view, who, lot_id); !s.ok()) return s;
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  auto in = ReadSteeringInputs(view, lot_id);
  if (!in.ok()) return in.status();
  return CheckedSteering{std::move(*in), *today};
}

}  // namespace

absl::StatusOr<json> LotPenalties(Generation& view, const access::Principal& who,
                                  const std::string& lot, const Clock& clock) {
  auto in = CheckedSteeringInputs(view, who, lot, clock);
  if (!in.ok()) return in.status();
  return readmodel::PenaltyLedgerJson(in->View(lot), in->today);
}

absl::StatusOr<json> LotActions(Generation& view, const access::Principal& who,
                                const std::string& lot, const Clock& clock) {
  auto in = CheckedSteeringInputs(view, who, lot, clock);
  if (!in.ok()) return in.status();
  return readmodel::ActionsReportJson(in->View(lot), in->today);
}

absl::StatusOr<json> Pending(Generation& view, const access::Principal& who, const Clock& clock) {
  auto lots = ReadableLots(view, who);
  if (!lots.ok()) return lots.status();
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  readmodel::PendingReport report;
  std::map<std::string, json> operators;
  for (const auto& lot : *lots) {
    auto in = ReadSteeringInputs(view, lot);
    if (!in.ok()) return in.status();
    if (auto s = readmodel::AddPending(in->View(lot), *today, &report); !s.ok()) return s;
    const auto& award = in->lot->facts.award;
    operators[lot] = award ? json(award->operator_name()) : json(nullptr);
  }
  json out = readmodel::PendingReportJson(report, *today);
  for (const char* list : {"penalties", "actions"}) {
    for (auto& row : out[list]) row["operator_name"] = operators[row["lot"].get<std::string>()];
  }
  return out;
}

absl::StatusOr<json> LotStatement(Generation& view, const access::Principal& who,
                                  const std::string& lot, const Params& params,
                                  const Clock& clock) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto in = CheckedSteeringInputs(view, who, lot, clock);
  if (!in.ok()) return in.status();
  auto period = LotPeriod(*period_text, in->lot->facts);
  if (!period.ok()) return period.status();
  auto report = readmodel::ComputeStatementReport(in->View(lot), *period, in->today);
  if (!report.ok()) {
    if (absl::IsFailedPrecondition(report.status()) || absl::IsNotFound(report.status())) {
      return absl::FailedPreconditionError(fmt::format("statement of {} for {}: {}", lot,
                                                       period->ToString(),
                                                       std::string(report.status().message())));
    }
    return report.status();
  }
  return readmodel::StatementReportJson(lot, *report);
}

}  // namespace pilotage::query
