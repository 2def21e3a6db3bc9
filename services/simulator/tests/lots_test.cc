#include "pilotage/simulator/lots.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace pilotage::simulator {
namespace {

std::string Message(const absl::Status& s) { return std::string(s.message()); }

nlohmann::json ValidFile() {
  return nlohmann::json::parse(R"({
    "lots": [{
      "lot_id": "LOT-94", "region": "Corse", "region_code": "94", "operator_id": "op-test",
      "working_population_k": 135, "start_date": "2024-01-02", "end_date": "2028-01-01",
      "annual_budget_cents": 40000000,
      "departements": [{"code": "2A", "population_k": 158}, {"code": "2B", "population_k": 182}],
      "profile": ["LATE_REPORTING"]
    }]})");
}

TEST(Lots, ShippedFileHasTheFourteenRegionalLots) {
  auto lots = LoadLots(PILOTAGE_LOTS_FILE);
  ASSERT_TRUE(lots.ok()) << lots.status().ToString();
  ASSERT_EQ(lots->lots.size(), 14u);
  for (const char* id : {"LOT-11", "LOT-24", "LOT-27", "LOT-28", "LOT-32", "LOT-44", "LOT-52",
                         "LOT-53", "LOT-75", "LOT-76", "LOT-84", "LOT-93", "LOT-94", "LOT-04"}) {
    EXPECT_NE(lots->Find(id), nullptr) << id;
  }
  const Lot* idf = lots->Find("LOT-11");
  EXPECT_EQ(idf->region, "Île-de-France");
  EXPECT_EQ(idf->departements.size(), 8u);
  EXPECT_EQ(idf->start_date, "2024-01-02");
  EXPECT_EQ(lots->Find("LOT-04")->timezone, TimeZone::kIndianReunion);
  int flagged = 0;
  for (const Lot& lot : lots->lots) {
    const LotProfile& p = lot.profile;
    flagged += p.slow_first_appointment || p.low_satisfaction || p.late_reporting ||
               p.low_priority_publics || p.low_uptake;
  }
  EXPECT_GE(flagged, 3);
}

TEST(Lots, ParsesAValidFile) {
  auto lots = ParseLots(ValidFile().dump(), "test.json");
  ASSERT_TRUE(lots.ok()) << lots.status().ToString();
  const Lot& lot = lots->lots.at(0);
  EXPECT_EQ(lot.operator_id, "op-test");
  EXPECT_EQ(lot.timezone, TimeZone::kEuropeParis);
  EXPECT_TRUE(lot.profile.late_reporting);
  EXPECT_FALSE(lot.profile.low_uptake);
  EXPECT_EQ(lot.departements[1].code, "2B");
}

// The file itself is checked by domain::ParseLotFile (libs/domain's
// lot_file_test); the simulator adds its profile flags.
TEST(Lots, RefusesAnUnknownProfileFlagNamingIt) {
  nlohmann::json file = ValidFile();
  file["lots"][0]["profile"] = {"LATE_REPORTING", "LAZY"};
  auto lots = ParseLots(file.dump(), "test.json");
  ASSERT_FALSE(lots.ok());
  EXPECT_EQ(lots.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(Message(lots.status()),
                                "test.json: lots[0].profile[1]: unknown flag 'LAZY'"))
      << lots.status();
}

TEST(Lots, PassesOnTheReadersErrors) {
  nlohmann::json file = ValidFile();
  file["lots"][0].erase("operator_id");
  auto lots = ParseLots(file.dump(), "test.json");
  ASSERT_FALSE(lots.ok());
  EXPECT_EQ(Message(lots.status()), "test.json: lots[0].operator_id: missing");
  auto missing = LoadLots("/nonexistent/lots.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(Message(missing.status()), "/nonexistent/lots.json"));
}

}  // namespace
}  // namespace pilotage::simulator
