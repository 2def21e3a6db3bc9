#include "funds.h"

#include <map>
#include <optional>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/lot_period.h"
#include "pilotage/domain/period.h"
#include "pilotage/readmodel/funds.h"
#include "pilotage/readmodel/kpis.h"

namespace pilotage::query {

namespace {

using nlohmann::json;

json Share(int64_t cents, const std::optional<int64_t>& envelope) {
  if (!envelope || *envelope <= 0) return nullptr;
  return static_cast<double>(cents) / static_cast<double>(*envelope);
}

json UsageJson(const readmodel::FundUsage& u) {
  json quarters = json::array();
  for (const auto& q : u.quarters) {
    quarters.push_back(
        {{"period", q.quarter.ToString()},
         {"period_label", q.quarter.FrenchLabel()},
         {"earned_cents", q.earned_cents},
         {"appointments", q.appointments},
         {"statement_issued", q.issued.has_value()},
         {"statement_net_cents", q.issued ? json(q.issued->net_amount_cents()) : json(nullptr)}});
  }
  json issued = json::array();
  for (const auto& s : u.issued) {
    auto period = domain::Period::Parse(s.period());
    issued.push_back({{"statement_id", s.statement_id()},
                      {"period", s.period()},
                      {"period_label", period.ok() ? period->FrenchLabel() : s.period()},
                      {"net_amount_cents", s.net_amount_cents()}});
  }
  return {{"contract_year",
           {{"index", u.contract_year_index},
            {"label", u.contract_year.FrenchLabel()},
            {"first_day", domain::FormatDay(u.contract_year.FirstDay())},
            {"last_day", domain::FormatDay(u.contract_year.LastDay())},
            {"days", u.year_days}}},
          {"as_of", domain::FormatDay(u.as_of)},
          {"elapsed_days", u.elapsed_days},
          {"envelope_cents", u.envelope_cents ? json(*u.envelope_cents) : json(nullptr)},
          {"earned_cents", u.earned_cents},
          {"earned_share", Share(u.earned_cents, u.envelope_cents)},
          {"projected_cents", u.projected_cents},
          {"projected_share", Share(u.projected_cents, u.envelope_cents)},
          {"projection_exceeds_envelope",
           u.envelope_cents.has_value() && u.projected_cents > *u.envelope_cents},
          {"appointments", u.appointments},
          {"unpriced_appointments", u.unpriced_appointments},
          {"quarters", quarters},
          {"issued", issued},
          {"issued_net_cents", u.issued_net_cents}};
}

struct NationalYear {
  json lots = json::array();
  json without_envelope = json::array();
  std::optional<int64_t> envelope;
  int64_t earned = 0, projected = 0, issued = 0;
};

}  // namespace

absl::StatusOr<json> Funds(Generation& view, const access::Principal& who, const Params& params,
                           const Clock& clock) {
  auto param = params.find("period");
  if (param == params.end() || param->second.empty()) {
    return absl::InvalidArgumentError("period: required, e.g. period=2024-Q2 (also 2024-05, 2024)");
  }
  auto today = clock.Today();
  if (!today.ok()) return today.status();
  auto lots = view.Lots();
  if (!lots.ok()) return lots.status();
  json rows = json::array();
  std::map<int, NationalYear> national;
  std::optional<domain::Period> shown;
  for (const auto& lot : *lots) {
    if (!who.MayRead(lot)) continue;
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    auto steering = view.Steering(lot);
    if (!steering.ok()) return steering.status();
    const auto& award = (*model)->facts.award;
    json row = {{"lot", lot}, {"operator_name", award ? json(award->operator_name()) : json()}};
    auto period = domain::ParseLotPeriod(param->second, (*model)->facts);
    if (absl::IsInvalidArgument(period.status())) {
      return absl::InvalidArgumentError(
          fmt::format("period: {}", std::string(period.status().message())));
    }
    if (!period.ok()) {
      row["unavailable"] = std::string(period.status().message());
      rows.push_back(row);
      continue;
    }
    if (!shown) shown = *period;
    const domain::TermsHistory history = readmodel::HistoryOf((*model)->terms, nullptr);
    const readmodel::LotSteering in{.lot_id = lot,
                                    .lot = model->get(),
                                    .steering = steering->get(),
                                    .history = &history,
                                    .cells = &view.store()};
    auto usage = readmodel::ComputeFundUsage(in, period->LastDay(), *today);
    if (absl::IsOutOfRange(usage.status())) return usage.status();
    if (!usage.ok()) {
      row["unavailable"] = std::string(usage.status().message());
      rows.push_back(row);
      continue;
    }
    row.update(UsageJson(*usage));
    rows.push_back(row);
    NationalYear& n = national[usage->contract_year_index];
    n.lots.push_back(lot);
    if (usage->envelope_cents) {
      n.envelope = n.envelope.value_or(0) + *usage->envelope_cents;
    } else {
      n.without_envelope.push_back(lot);
    }
    n.earned += usage->earned_cents;
    n.projected += usage->projected_cents;
    n.issued += usage->issued_net_cents;
  }
  json national_rows = json::array();
  for (const auto& [index, n] : national) {
    national_rows.push_back({{"contract_year", index},
                             {"lots", n.lots},
                             {"lots_without_envelope", n.without_envelope},
                             {"envelope_cents", n.envelope ? json(*n.envelope) : json(nullptr)},
                             {"earned_cents", n.earned},
                             {"earned_share", Share(n.earned, n.envelope)},
                             {"projected_cents", n.projected},
                             {"projected_share", Share(n.projected, n.envelope)},
                             {"issued_net_cents", n.issued}});
  }
  const bool pilot = who.role == access::Principal::Role::kPilot;
  return json{{"period", shown ? shown->ToString() : param->second},
              {"period_label", shown ? shown->FrenchLabel() : param->second},
              {"today", domain::FormatDay(*today)},
              {"lots", rows},
              {"national", pilot ? national_rows : json(nullptr)}};
}

}  // namespace pilotage::query
