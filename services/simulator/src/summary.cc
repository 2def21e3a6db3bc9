#include "pilotage/simulator/summary.h"

#include <numeric>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace pilotage::simulator {

namespace {

constexpr std::string_view kTypeNames[kActivityTypeCount] = {
    "request_received",   "appointment_held", "appointment_missed",
    "deliverable_issued", "journey_closed",   "survey_answered"};

int64_t Sum(const TypeCounts& counts) {
  return std::accumulate(counts.begin(), counts.end(), int64_t{0});
}

nlohmann::ordered_json LotJson(const LotSummary& lot) {
  nlohmann::ordered_json events = nlohmann::ordered_json::object();
  nlohmann::ordered_json resends = nlohmann::ordered_json::object();
  for (int t = 0; t < kActivityTypeCount; ++t) {
    events[std::string(kTypeNames[t])] = lot.events[t];
    resends[std::string(kTypeNames[t])] = lot.resends[t];
  }
  nlohmann::ordered_json j;
  j["operator_id"] = lot.operator_id;
  j["beneficiaries"] = lot.beneficiaries;
  j["events"] = std::move(events);
  j["resends"] = std::move(resends);
  j["late"] = lot.late;
  j["total_events"] = lot.TotalEvents();
  j["total_resends"] = lot.TotalResends();
  j["messages"] = lot.Messages();
  return j;
}

}  // namespace

std::string_view ActivityTypeName(ActivityType type) {
  return kTypeNames[static_cast<size_t>(type)];
}

int64_t LotSummary::TotalEvents() const { return Sum(events); }
int64_t LotSummary::TotalResends() const { return Sum(resends); }

LotSummary Summary::Total() const {
  LotSummary total;
  total.lot_id = "TOTAL";
  for (const LotSummary& lot : lots) {
    total.beneficiaries += lot.beneficiaries;
    total.late += lot.late;
    for (int t = 0; t < kActivityTypeCount; ++t) {
      total.events[t] += lot.events[t];
      total.resends[t] += lot.resends[t];
    }
  }
  return total;
}

std::string Summary::ToJson() const {
  nlohmann::ordered_json j;
  j["seed"] = seed;
  j["years"] = years;
  j["scale"] = scale;
  j["window_start"] = window_start;
  j["window_end"] = window_end;
  nlohmann::ordered_json total = LotJson(Total());
  total.erase("operator_id");
  j["total"] = std::move(total);
  nlohmann::ordered_json by_lot = nlohmann::ordered_json::object();
  for (const LotSummary& lot : lots) by_lot[lot.lot_id] = LotJson(lot);
  j["lots"] = std::move(by_lot);
  return j.dump(2) + "\n";
}

std::string Summary::ToTable() const {
  std::string out =
      fmt::format("{:<7} {:<15} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8}\n",
                  "lot", "operator", "benef.", "request", "held", "missed", "deliver.", "closed",
                  "survey", "events", "resends", "late");
  auto row = [&out](const LotSummary& lot) {
    out +=
        fmt::format("{:<7} {:<15} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8}\n",
                    lot.lot_id, lot.operator_id, lot.beneficiaries, lot.events[0], lot.events[1],
                    lot.events[2], lot.events[3], lot.events[4], lot.events[5], lot.TotalEvents(),
                    lot.TotalResends(), lot.late);
  };
  for (const LotSummary& lot : lots) row(lot);
  row(Total());
  const LotSummary total = Total();
  out += fmt::format("{} messages sent ({} events + {} resent copies), window {} to {}, seed {}\n",
                     total.Messages(), total.TotalEvents(), total.TotalResends(), window_start,
                     window_end, seed);
  return out;
}

}  // namespace pilotage::simulator
