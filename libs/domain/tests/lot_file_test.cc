#include "pilotage/domain/lot_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nlohmann/json.hpp"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

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

TEST(LotFile, ReadsTheShippedFileWithItsFourteenRegionalLots) {
  auto file = ReadLotFile(PILOTAGE_LOTS_FILE);
  ASSERT_OK(file);
  ASSERT_EQ(file->lots.size(), 14u);
  const LotFileEntry* idf = file->Find("LOT-11");
  ASSERT_NE(idf, nullptr);
  EXPECT_EQ(idf->region, "Île-de-France");
  EXPECT_EQ(idf->operator_id, "op-cibc-idf");
  EXPECT_EQ(idf->start_date, "2024-01-02");
  EXPECT_EQ(idf->end_date, "2028-01-01");
  EXPECT_EQ(idf->annual_budget_cents, 1701600000);
  ASSERT_EQ(idf->departements.size(), 8u);
  EXPECT_EQ(idf->departements[0].code, "75");
  EXPECT_EQ(idf->departements[0].population_k, 2133);
  EXPECT_EQ(file->Find("LOT-04")->timezone, "Indian/Reunion");
  EXPECT_EQ(file->Find("LOT-99"), nullptr);
}

TEST(LotFile, ParsesAValidFileWithItsDefaults) {
  auto file = ParseLotFile(ValidFile().dump(), "test.json");
  ASSERT_OK(file);
  const LotFileEntry& lot = file->lots.at(0);
  EXPECT_EQ(lot.lot_id, "LOT-94");
  EXPECT_EQ(lot.operator_name, "");
  EXPECT_EQ(lot.timezone, "Europe/Paris");
  EXPECT_EQ(lot.working_population_k, 135);
  EXPECT_EQ(lot.profile, std::vector<std::string>{"LATE_REPORTING"});
  EXPECT_EQ(lot.departements[1].code, "2B");
}

// Each bad file is refused with kInvalidArgument and a message that starts
// with the file and names the field, as the header promises.
TEST(LotFile, RefusesABadFileNamingTheFileAndTheField) {
  struct Case {
    const char* name;
    void (*edit)(nlohmann::json&);
    const char* message;
  };
  const Case cases[] = {
      {"missing operator", [](nlohmann::json& j) { j["lots"][0].erase("operator_id"); },
       "test.json: lots[0].operator_id: missing"},
      {"empty region", [](nlohmann::json& j) { j["lots"][0]["region"] = ""; },
       "test.json: lots[0].region: must not be empty"},
      {"lot id not on region code", [](nlohmann::json& j) { j["lots"][0]["lot_id"] = "LOT-93"; },
       "test.json: lots[0].lot_id: must be 'LOT-94' (LOT- and the region code), got 'LOT-93'"},
      {"bad operator id", [](nlohmann::json& j) { j["lots"][0]["operator_id"] = "Op Test"; },
       "test.json: lots[0].operator_id: must use a-z, 0-9 and '-' only, got 'Op Test'"},
      {"bad departement", [](nlohmann::json& j) { j["lots"][0]["departements"][1]["code"] = "99"; },
       "test.json: lots[0].departements[1].code: not an INSEE département code: '99'"},
      {"negative population", [](nlohmann::json& j) { j["lots"][0]["working_population_k"] = -3; },
       "test.json: lots[0].working_population_k: must be positive, got -3"},
      {"not a real day", [](nlohmann::json& j) { j["lots"][0]["end_date"] = "2028-02-30"; },
       "test.json: lots[0].end_date: must be YYYY-MM-DD, got '2028-02-30'"},
      {"start not a day", [](nlohmann::json& j) { j["lots"][0]["start_date"] = "02/01/2024"; },
       "test.json: lots[0].start_date: must be YYYY-MM-DD, got '02/01/2024'"},
      {"end before start", [](nlohmann::json& j) { j["lots"][0]["end_date"] = "2023-12-31"; },
       "test.json: lots[0].end_date: 2023-12-31 is before start_date 2024-01-02"},
      {"unknown time zone", [](nlohmann::json& j) { j["lots"][0]["timezone"] = "UTC"; },
       "test.json: lots[0].timezone: must be Europe/Paris or Indian/Reunion, got 'UTC'"},
      {"misspelt field", [](nlohmann::json& j) { j["lots"][0]["timezon"] = "Europe/Paris"; },
       "test.json: lots[0].timezon: unknown field"},
      {"budget not in cents", [](nlohmann::json& j) { j["lots"][0]["annual_budget_cents"] = 1.5; },
       "test.json: lots[0].annual_budget_cents: must be an integer (euro cents)"},
      {"negative budget", [](nlohmann::json& j) { j["lots"][0]["annual_budget_cents"] = -1; },
       "test.json: lots[0].annual_budget_cents: must not be negative, got -1"},
      {"profile not a list", [](nlohmann::json& j) { j["lots"][0]["profile"] = "LOW_UPTAKE"; },
       "test.json: lots[0].profile: must be an array of flag names"},
      {"no lots", [](nlohmann::json& j) { j["lots"] = nlohmann::json::array(); },
       "test.json: lots: must list at least one lot"},
      {"lots missing", [](nlohmann::json& j) { j.erase("lots"); }, "test.json: lots: missing"},
      {"unknown top field", [](nlohmann::json& j) { j["lot"] = 1; },
       "test.json: lot: unknown field"},
      {"departement in two lots", [](nlohmann::json& j) { j["lots"].push_back(j["lots"][0]); },
       "test.json: lots[1].departements[0].code: département 2A belongs to two lots"},
      {"lot twice",
       [](nlohmann::json& j) {
         j["lots"].push_back(j["lots"][0]);
         j["lots"][1]["departements"] = {{{"code", "13"}, {"population_k", 2000}}};
       },
       "test.json: lots[1].lot_id: LOT-94 appears twice"},
  };
  for (const Case& c : cases) {
    nlohmann::json json = ValidFile();
    c.edit(json);
    auto file = ParseLotFile(json.dump(), "test.json");
    ASSERT_FALSE(file.ok()) << c.name;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(file.status().message(), c.message) << c.name;
  }
}

TEST(LotFile, RefusesTextThatIsNotAJsonObject) {
  auto broken = ParseLotFile("{\"lots\": [", "broken.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(broken.status().message()).rfind("broken.json: not valid JSON", 0), 0u)
      << broken.status();
  auto array = ParseLotFile("[]", "array.json");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(array.status().message(), "array.json: must be a JSON object");
}

TEST(LotFile, SaysWhichFileCannotBeRead) {
  const std::filesystem::path missing =
      std::filesystem::path(::testing::TempDir()) / "no-such-dir" / "lots.json";
  auto file = ReadLotFile(missing);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(file.status().message(),
            "lot file " + missing.string() + ": cannot open it (missing or unreadable)");
}

// The shipped file ten times larger: 140 lots, each regional lot followed by
// its nine copies, every field but the id kept.
TEST(LotFile, MultipliesTheShippedFileIntoAContractTenTimesLarger) {
  auto file = ReadLotFile(PILOTAGE_LOTS_FILE);
  ASSERT_OK(file);
  auto larger = MultiplyLots(*file, 10);
  ASSERT_OK(larger);
  ASSERT_EQ(larger->lots.size(), 140u);
  EXPECT_EQ(larger->lots[0].lot_id, "LOT-11");
  EXPECT_EQ(larger->lots[1].lot_id, "LOT-11-2");
  EXPECT_EQ(larger->lots[9].lot_id, "LOT-11-10");
  EXPECT_EQ(larger->lots[10].lot_id, "LOT-24");
  const LotFileEntry* copy = larger->Find("LOT-94-7");
  ASSERT_NE(copy, nullptr);
  const LotFileEntry* corse = file->Find("LOT-94");
  EXPECT_EQ(copy->region, corse->region);
  EXPECT_EQ(copy->operator_id, corse->operator_id);
  EXPECT_EQ(copy->annual_budget_cents, corse->annual_budget_cents);
  EXPECT_EQ(copy->departements.size(), corse->departements.size());
  EXPECT_EQ(copy->profile, corse->profile);
  EXPECT_EQ(larger->Find("LOT-94-11"), nullptr);
}

TEST(LotFile, MultipliesByOneIntoTheSameLotsAndRefusesOtherFactors) {
  auto file = ParseLotFile(ValidFile().dump(), "test.json");
  ASSERT_OK(file);
  auto same = MultiplyLots(*file, 1);
  ASSERT_OK(same);
  ASSERT_EQ(same->lots.size(), 1u);
  EXPECT_EQ(same->lots[0].lot_id, "LOT-94");
  for (int bad : {0, -1, 101}) {
    auto refused = MultiplyLots(*file, bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("[1, 100]"), std::string::npos)
        << refused.status().message();
  }
}

}  // namespace
}  // namespace pilotage::domain
