// What several answers read first (lot_inputs.h).
#include "lot_inputs.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "pilotage/domain/lot_period.h"
#include "pilotage/readmodel/kpis.h"

namespace pilotage::query {

absl::StatusOr<std::string> PeriodParam(const Params& params) {
  auto it = params.find("period");
  if (it == params.end() || it->second.empty()) {
    return absl::InvalidArgumentError(
        "period: required, e.g. period=2024-Q2 (also 2024-05, 2024, CY1)");
  }
  const std::string& text = it->second;
  if (text.rfind("CY", 0) == 0 && text.find('@') == std::string::npos) {
    int n = 0;
    if (text.size() < 3 || !absl::SimpleAtoi(text.substr(2), &n) || n < 1) {
      return absl::InvalidArgumentError(fmt::format(
          "period: '{}' is not a period (2024-05, 2024-Q2, 2024, CY1, CY1@2024-01-02)", text));
    }
    return text;
  }
  auto p = domain::Period::Parse(text);
  if (!p.ok())
    return absl::InvalidArgumentError(fmt::format("period: {}", std::string(p.status().message())));
  return text;
}

absl::Status CheckLot(Generation& view, const access::Principal& who, const std::string& lot) {
  if (!who.MayRead(lot)) {
    return absl::PermissionDeniedError(
        fmt::format("lot '{}': this token may read only lots {}", lot,
                    fmt::join(who.lots.begin(), who.lots.end(), ", ")));
  }
  auto lots = view.Lots();
  if (!lots.ok()) return lots.status();
  if (!std::binary_search(lots->begin(), lots->end(), lot)) {
    return absl::NotFoundError(fmt::format("lot '{}': no such lot in the store", lot));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadableLots(Generation& view,
                                                      const access::Principal& who) {
  auto lots = view.Lots();
  if (!lots.ok()) return lots.status();
  std::vector<std::string> out;
  for (const auto& lot : *lots) {
    if (who.MayRead(lot)) out.push_back(lot);
  }
  return out;
}

absl::StatusOr<domain::Period> LotPeriod(const std::string& text, const domain::LotFacts& facts) {
  auto p = domain::ParseLotPeriod(text, facts);
  if (!p.ok()) {
    return absl::Status(p.status().code() == absl::StatusCode::kFailedPrecondition
                            ? absl::StatusCode::kFailedPrecondition
                            : absl::StatusCode::kInvalidArgument,
                        fmt::format("period: {}", std::string(p.status().message())));
  }
  return p;
}

absl::StatusOr<readmodel::QuarterCalendar> Quarters(Generation& view,
                                                    const std::vector<std::string>& lots,
                                                    absl::CivilDay today) {
  std::vector<std::shared_ptr<const readmodel::LotReadModel>> models;
  std::vector<readmodel::LotActivity> read;
  for (const auto& lot : lots) {
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    auto span = view.ActivitySpan(lot);
    if (!span.ok()) return span.status();
    read.push_back({.lot = model->get(), .span = *span});
    models.push_back(std::move(*model));
  }
  return readmodel::QuartersOfSpans(read, today);
}

absl::StatusOr<std::optional<domain::Period>> DefaultPeriod(Generation& view,
                                                            const std::vector<std::string>& lots,
                                                            const Clock& clock) {
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  auto quarters = Quarters(view, lots, *today);
  if (!quarters.ok()) return quarters.status();
  return quarters->landing;
}

absl::StatusOr<SteeringInputs> ReadSteeringInputs(Generation& view, const std::string& lot_id) {
  SteeringInputs in;
  auto lot = view.Lot(lot_id);
  if (!lot.ok()) return lot.status();
  in.lot = *lot;
  auto steering = view.Steering(lot_id);
  if (!steering.ok()) return steering.status();
  in.steering = *steering;
  in.history = readmodel::HistoryOf(in.lot->terms, nullptr);
  in.cells = &view.store();
  return in;
}

}  // namespace pilotage::query
