#include "pilotage/simulator/lots.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/testing/status.h"

namespace pilotage::simulator {
namespace {

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// The shipped file's Corse lot alone, with the profile `flags`.
nlohmann::json CorseWith(const std::vector<std::string>& flags) {
  std::ifstream in(PILOTAGE_LOTS_FILE);
  const nlohmann::json shipped = nlohmann::json::parse(in);
  for (nlohmann::json lot : shipped["lots"]) {
    if (lot["lot_id"] == "LOT-94") {
      lot["profile"] = flags;
      return nlohmann::json{{"lots", nlohmann::json::array({lot})}};
    }
  }
  ADD_FAILURE() << "no LOT-94 in " << PILOTAGE_LOTS_FILE;
  return nlohmann::json::object();
}

TEST(Lots, ShippedFileHasTheFourteenRegionalLots) {
  auto lots = LoadLots(PILOTAGE_LOTS_FILE);
  ASSERT_OK(lots);
  ASSERT_EQ(lots->lots.size(), 14u);
  for (const char* id : {"LOT-11", "LOT-24", "LOT-27", "LOT-28", "LOT-32", "LOT-44", "LOT-52",
                         "LOT-53", "LOT-75", "LOT-76", "LOT-84", "LOT-93", "LOT-94", "LOT-04"}) {
    EXPECT_NE(lots->Find(id), nullptr) << id;
  }
  const Lot* idf = lots->Find("LOT-11");
  EXPECT_EQ(idf->entry.region, "Île-de-France");
  EXPECT_EQ(idf->entry.departements.size(), 8u);
  EXPECT_EQ(idf->entry.start_date, "2024-01-02");
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
  auto lots = ParseLots(CorseWith({"LATE_REPORTING"}).dump(), "test.json");
  ASSERT_OK(lots);
  const Lot& lot = lots->lots.at(0);
  EXPECT_EQ(lot.entry.operator_id, "op-cci-cor");
  EXPECT_EQ(lot.timezone, TimeZone::kEuropeParis);
  EXPECT_TRUE(lot.profile.late_reporting);
  EXPECT_FALSE(lot.profile.low_uptake);
  EXPECT_EQ(lot.entry.departements[1].code, "2B");
}

// The file itself is checked by domain::ParseLotFile (libs/domain's
// lot_file_test); the simulator adds its profile flags.
TEST(Lots, RefusesAnUnknownProfileFlagNamingIt) {
  const nlohmann::json file = CorseWith({"LATE_REPORTING", "LAZY"});
  auto lots = ParseLots(file.dump(), "test.json");
  ASSERT_FALSE(lots.ok());
  EXPECT_EQ(lots.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(Message(lots.status()),
                                "test.json: lots[0].profile[1]: unknown flag 'LAZY'"))
      << lots.status();
}

TEST(Lots, PassesOnTheReadersErrors) {
  nlohmann::json file = CorseWith({});
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
