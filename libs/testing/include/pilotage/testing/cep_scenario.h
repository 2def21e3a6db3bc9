#pragma once
// The golden CEP scenarios of tests/fixtures/cep (README.md there): events,
// terms and the expected tables worked out by hand, loaded as the events a
// test produces to the real broker.

#include <filesystem>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "pilotage/v1/event.pb.h"

namespace pilotage::testing {

struct CepScenario {
  std::string name;  // the folder's name
  std::string lot;   // the lot of its first activity event
  // LotAwarded (contract.ndjson) and one TermsPublished per terms/*.textproto,
  // keyed by the scenario's lot, as the admin publishes them.
  std::vector<v1::Event> contract;
  std::vector<v1::Event> activity;  // events.ndjson, in file order
  nlohmann::json expected;          // expected.json
};

// Events of an NDJSON file in the v1 JSON mapping; fails the calling test on
// a line that does not parse.
std::vector<v1::Event> ReadEventsNdjson(const std::filesystem::path& path);

// One scenario folder; fails the calling test on a file that does not load.
CepScenario LoadCepScenario(const std::filesystem::path& dir);

// Every scenario folder under `root`, sorted by name.
std::vector<CepScenario> LoadCepScenarios(const std::filesystem::path& root);

}  // namespace pilotage::testing
