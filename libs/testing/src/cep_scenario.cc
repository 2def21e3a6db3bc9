#include "pilotage/testing/cep_scenario.h"

#include <algorithm>
#include <fstream>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "pilotage/domain/terms.h"
#include "pilotage/testing/status.h"

namespace pilotage::testing {

namespace fs = std::filesystem;

std::vector<v1::Event> ReadEventsNdjson(const fs::path& path) {
  std::vector<v1::Event> out;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    v1::Event event;
    auto s = google::protobuf::util::JsonStringToMessage(line, &event);
    EXPECT_TRUE(s.ok()) << path << ": " << s.ToString() << "\n" << line;
    out.push_back(std::move(event));
  }
  return out;
}

CepScenario LoadCepScenario(const fs::path& dir) {
  CepScenario f;
  f.name = dir.filename().string();
  f.activity = ReadEventsNdjson(dir / "events.ndjson");
  EXPECT_FALSE(f.activity.empty()) << dir;
  if (!f.activity.empty()) f.lot = f.activity.front().lot_id();
  if (fs::exists(dir / "contract.ndjson")) f.contract = ReadEventsNdjson(dir / "contract.ndjson");
  std::vector<fs::path> terms;
  for (const auto& e : fs::directory_iterator(dir / "terms")) terms.push_back(e.path());
  std::sort(terms.begin(), terms.end());
  for (const auto& path : terms) {
    auto parsed = domain::LoadTermsFile(path);
    EXPECT_OK(parsed);
    if (!parsed.ok()) continue;
    // The admin publishes a version once per lot it governs, keyed by it.
    v1::Event event;
    event.set_event_id("terms-" + parsed->version() + "-" + f.lot);
    event.set_lot_id(f.lot);
    event.set_operator_id("france-competences");
    event.mutable_occurred_at()->set_seconds(1700000000);
    event.mutable_recorded_at()->set_seconds(1700000000);
    *event.mutable_terms_published()->mutable_terms() = *parsed;
    f.contract.push_back(std::move(event));
  }
  std::ifstream in(dir / "expected.json");
  f.expected = nlohmann::json::parse(in, nullptr, false);
  EXPECT_FALSE(f.expected.is_discarded()) << dir / "expected.json";
  return f;
}

std::vector<CepScenario> LoadCepScenarios(const fs::path& root) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<CepScenario> out;
  for (const auto& d : dirs) out.push_back(LoadCepScenario(d));
  return out;
}

}  // namespace pilotage::testing
