// `pilotagectl import` end to end, against a real broker and the real
// projector: a file with good and bad lines (report, nothing written, then
// exactly the good lines with --skip-invalid, re-import adds nothing), the
// committed example files, and the golden scenarios of tests/fixtures/cep
// imported through the command giving the hand-worked KPI tables.
#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/terms.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/broker.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource = PILOTAGE_SOURCE_DIR;

std::string Sha256Of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

class Import : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::ConnectBroker(broker_, {dead_letters_}, /*producer=*/false));
  }

  std::string NewTopic(const std::string& prefix) {
    std::string topic = testing::UniqueTopic(prefix);
    EXPECT_OK(broker_.admin->CreateTopic(topic, 1)) << topic;
    return topic;
  }

  int64_t EndOffset(const std::string& topic) {
    auto w = broker_.admin->QueryWatermarks({topic, 0});
    EXPECT_OK(w);
    return w.ok() ? w->high : -1;
  }

  testing::RunResult RunImport(const std::vector<std::string>& extra, const std::string& activity,
                               const std::string& contract, const fs::path& lots) {
    std::vector<std::string> args = {
        "import", "--bootstrap",      broker_.bootstrap, "--lots", lots.string(), "--topic",
        activity, "--contract-topic", contract,          "--by",   "test"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::RunProgram(PILOTAGECTL_BIN, args, /*with_stderr=*/true);
  }

  void Fold(const fs::path& data, const std::string& topics, const std::string& group) {
    auto run = testing::RunProgram(
        PILOTAGE_PROJECTOR_BIN,
        {"--bootstrap", broker_.bootstrap, "--data", data.string(), "--topics", topics,
         "--dead-letter-topic", dead_letters_, "--group", group, "--log-level", "warn", "run",
         "--until-caught-up", "--batch-events", "7"},
        true);
    ASSERT_EQ(run.code, 0) << run.output;
  }

  json Ctl(const std::vector<std::string>& args) { return testing::RunJson(PILOTAGECTL_BIN, args); }

  // LOT-11's award and the example terms, as `contract publish` writes them.
  void PublishLot11(const std::string& contract, const fs::path& lots) {
    auto publish =
        testing::RunProgram(PILOTAGECTL_BIN,
                            {"contract", "publish", "--bootstrap", broker_.bootstrap, "--topic",
                             contract, "--lots", lots.string(), "--lot", "LOT-11", "--terms",
                             (kSource / "deploy/terms/cep-2024-example.textproto").string()},
                            true);
    ASSERT_EQ(publish.code, 0) << publish.output;
  }

  std::string dead_letters_ = testing::UniqueTopic("import.dead");
  testing::BrokerClients broker_;
  testing::TempDir dir_;
};

// Line numbers are the file's: 1 is the header.
constexpr char kMixed[] =
    "lot_id;date_rdv;date_saisie;beneficiaire;id_rdv;niveau;modalite;type_accompagnement;"
    "duree_minutes;departement\n"
    "LOT-11;2024-03-04 10:00;2024-03-04;ben-00000001;R-1;2;présentiel;ponctuel;60;75\n"  // 2 ok
    "LOT-11;04/03/2024;2024-03-04;ben-00000002;R-2;2;visio;ponctuel;60;75\n"             // 3 date
    "LOT-11;2024-03-05;;ben-00000003;R-3;3;visio;ponctuel;60;75\n"                       // 4 enum
    "LOT-11;2024-03-05;;ben-00000003;1 85 05 75 123 456 78;2;visio;ponctuel;60;75\n"     // 5 NIR
    "LOT-24;2024-03-05;;ben-00000003;R-5;2;visio;ponctuel;60;45\n"  // 6 other operator's lot
    "lot_id;date_rdv;date_saisie;beneficiaire;id_rdv;niveau;modalite;type_accompagnement;"
    "duree_minutes;departement\n"                                              // 7 header again
    "LOT-11;2024-03-06;;ben-0000000\xE9;R-6;2;visio;ponctuel;60;75\n"          // 8 not UTF-8
    "LOT-11;2024-03-06;2024-03-08;ben-00000007;R-7;2;PHONE;LONG_TERM;45;92\n"  // 9 ok
    "LOT-11;2024-03-07 14:30;;ben-00000009;R-9;1;visio;ponctuel;30;93\n"       // 10 ok
    "LOT-11;2024-03-07;;ben-00000008;R-8";                                     // 11 truncated

TEST_F(Import, MixedFileReportsEveryBadLineWritesNothingThenExactlyTheGoodLines) {
  const fs::path file = dir_.path() / "rdv-mars.csv";
  WriteFile(file, kMixed);
  const fs::path lots = kSource / "deploy/lots/cep-2024-lots.json";
  const std::string activity = NewTopic("import.activity");
  const std::string contract = NewTopic("import.contract");
  const fs::path report = dir_.path() / "report.json";
  const std::vector<std::string> base = {"--operator",  "op-cibc-idf", "--file",
                                         file.string(), "--type",      "appointment_held"};

  auto args = base;
  args.insert(args.end(), {"--report", report.string()});
  auto run = RunImport(args, activity, contract, lots);
  EXPECT_EQ(run.code, 2) << run.output;  // bad input
  const std::map<int, std::pair<std::string, std::string>> want = {
      {3, {"date_rdv", "BAD_TIMESTAMP"}}, {4, {"niveau", "UNKNOWN_ENUM"}},
      {5, {"id_rdv", "PERSONAL_DATA"}},   {6, {"lot_id", "LOT_NOT_ALLOWED"}},
      {7, {"", "DUPLICATE_HEADER"}},      {8, {"", "NOT_UTF8"}},
      {11, {"", "TRUNCATED_LINE"}}};
  json r = ReadJson(report);
  ASSERT_FALSE(r.is_discarded()) << run.output;
  std::map<int, std::pair<std::string, std::string>> got;
  for (const auto& x : r["refusals"]) {
    got[x["line"].get<int>()] = {x["field"].get<std::string>(), x["code"].get<std::string>()};
    EXPECT_FALSE(x["message"].get<std::string>().empty());
  }
  EXPECT_EQ(got, want) << r.dump(2);
  EXPECT_EQ(r["lines"], 10);
  EXPECT_EQ(r["valid"], 3);
  EXPECT_EQ(r["refused"], 7);
  EXPECT_EQ(r["counts"]["appointment_held"]["valid"], 3);
  EXPECT_EQ(r["counts"]["appointment_held"]["refused"], 7);
  EXPECT_EQ(r["written"], 0);
  EXPECT_EQ(r["sha256"], Sha256Of(file));
  // The text report names every bad line too, and the NIR never appears.
  for (const auto& [line, what] : want) {
    EXPECT_NE(run.output.find(fmt::format("ligne {}", line)), std::string::npos) << line;
  }
  EXPECT_EQ(run.output.find("123 456"), std::string::npos);
  EXPECT_EQ(EndOffset(activity), 0);
  EXPECT_EQ(EndOffset(contract), 0);

  // --dry-run with --skip-invalid: still nothing written.
  args = base;
  args.insert(args.end(), {"--skip-invalid", "--dry-run"});
  run = RunImport(args, activity, contract, lots);
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(EndOffset(activity), 0);

  // --skip-invalid: exactly the three good lines, then the import's record.
  args = base;
  args.push_back("--skip-invalid");
  run = RunImport(args, activity, contract, lots);
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(EndOffset(activity), 3);
  std::map<std::string, v1::Event> landed;  // by appointment id
  for (const auto& value : testing::ReadTopic(broker_.bootstrap, activity, 3)) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(value));
    landed[e.appointment_held().appointment_id()] = e;
  }
  ASSERT_EQ(landed.size(), 3u);
  ASSERT_TRUE(landed.count("R-1") && landed.count("R-7") && landed.count("R-9"));
  EXPECT_EQ(landed["R-1"].operator_id(), "op-cibc-idf");
  EXPECT_EQ(landed["R-1"].occurred_at().seconds(), 1709542800);  // 2024-03-04T09:00Z
  // recorded_at from the file: 2024-03-08 00:00 Paris = 2024-03-07T23:00Z.
  EXPECT_EQ(landed["R-7"].recorded_at().seconds(), 1709852400);
  EXPECT_EQ(landed["R-7"].appointment_held().modality(), v1::Modality::PHONE);
  EXPECT_EQ(landed["R-9"].appointment_held().level(), v1::Level::LEVEL_1_WELCOME);
  // Without a recorded_at the import's time, hence today, not 2024.
  EXPECT_GT(landed["R-9"].recorded_at().seconds(), 1767225600);  // after 2026-01-01
  ASSERT_EQ(EndOffset(contract), 1);
  v1::Event record;
  ASSERT_TRUE(record.ParseFromString(testing::ReadTopic(broker_.bootstrap, contract, 1).at(0)));
  ASSERT_TRUE(record.has_history_imported());
  const auto& h = record.history_imported();
  EXPECT_EQ(record.lot_id(), "LOT-11");
  EXPECT_EQ(record.event_id(), "import-" + Sha256Of(file).substr(0, 32) + "-LOT-11");
  EXPECT_EQ(h.file_sha256(), Sha256Of(file));
  EXPECT_EQ(h.file_name(), "rdv-mars.csv");
  EXPECT_EQ(h.format(), "csv:appointment_held");
  EXPECT_EQ(h.imported_by(), "test");
  EXPECT_EQ(h.lines(), 10);
  EXPECT_EQ(h.refused_lines(), 7);
  EXPECT_EQ(h.events(), 3);
  EXPECT_EQ(h.recorded_at_from_file(), 2);
  ASSERT_EQ(h.counts_size(), 1);
  EXPECT_EQ(h.counts(0).event_type(), "appointment_held");
  EXPECT_EQ(h.first_day(), "2024-03-04");
  EXPECT_EQ(h.last_day(), "2024-03-07");
  ASSERT_EQ(h.days_size(), 3);  // R-1 on 4 March, R-7 on the 6th, R-9 on the 7th
  EXPECT_EQ(h.days(0).day(), "2024-03-04");
  EXPECT_EQ(h.days(1).day(), "2024-03-06");
  EXPECT_EQ(h.days(2).events(), 1);

  // Folded with the contract: 3 events of March, 3 imported.
  ASSERT_NO_FATAL_FAILURE(PublishLot11(contract, lots));
  const fs::path data = dir_.path() / "store";
  Fold(data, activity + "," + contract, "import-mixed");
  const std::vector<std::string> kpis = {"--data", data.string(), "kpis",    "--lot",
                                         "LOT-11", "--period",    "2024-03", "--json"};
  const std::vector<std::string> counters = {"--data", data.string(), "counters", "--lot",
                                             "LOT-11", "--period",    "2024-03",  "--json"};
  json first = Ctl(kpis);
  EXPECT_EQ(first["data_quality"]["events"], 3) << first.dump(2);
  EXPECT_EQ(first["data_quality"]["imported_events"], 3) << first.dump(2);
  EXPECT_EQ(first["data_quality"]["imported_duplicates"], 0) << first.dump(2);
  const json first_counts = Ctl(counters);

  // Re-import of the same file: the events are sent again, nothing changes.
  run = RunImport(args, activity, contract, lots);
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(EndOffset(activity), 6);
  Fold(data, activity + "," + contract, "import-mixed");
  EXPECT_EQ(Ctl(kpis), first);
  EXPECT_EQ(Ctl(counters), first_counts);
}

TEST_F(Import, HeaderProblemsRefuseTheWholeFile) {
  const fs::path lots = kSource / "deploy/lots/cep-2024-lots.json";
  const std::string activity = NewTopic("import.activity");
  const std::string contract = NewTopic("import.contract");
  const fs::path file = dir_.path() / "livrables.csv";
  WriteFile(file,
            "lot_id,date_remise,beneficiaire,livrable,nom\nLOT-11,2024-03-04,ben-00000001,"
            "synthèse,Dupont\n");
  const fs::path report = dir_.path() / "header-report.json";
  auto run = RunImport({"--operator", "op-cibc-idf", "--file", file.string(), "--type",
                        "deliverable_issued", "--report", report.string()},
                       activity, contract, lots);
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_NE(run.output.find("ligne 1, champ nom : PERSONAL_DATA"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("Dupont"), std::string::npos);
  EXPECT_EQ(EndOffset(activity), 0);
  const json r = ReadJson(report);
  ASSERT_EQ(r["refusals"].size(), 1u) << r.dump();
  EXPECT_EQ(r["refusals"][0]["line"], 1);
  EXPECT_EQ(r["outcome"], "refused");
  EXPECT_EQ(r["sha256"], Sha256Of(file));  // of the whole file, though refused at line 1
  // An operator that holds no lot, a CSV without --type.
  run = RunImport(
      {"--operator", "op-nobody", "--file", file.string(), "--type", "deliverable_issued"},
      activity, contract, lots);
  EXPECT_EQ(run.code, 5) << run.output;
  run = RunImport({"--operator", "op-cibc-idf", "--file", file.string()}, activity, contract, lots);
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_NE(run.output.find("--type"), std::string::npos) << run.output;
}

TEST_F(Import, EveryCommittedExampleFileValidates) {
  const fs::path lots = kSource / "deploy/lots/cep-2024-lots.json";
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "deploy/import-examples")) {
    const fs::path& p = entry.path();
    std::vector<std::string> args = {"import",      "--lots", lots.string(), "--operator",
                                     "op-cibc-idf", "--file", p.string(),    "--dry-run"};
    if (p.extension() == ".csv") {
      args.insert(args.end(), {"--type", p.stem().string()});
    } else if (p.extension() != ".ndjson") {
      continue;
    }
    ++files;
    auto run = testing::RunProgram(PILOTAGECTL_BIN, args, true);
    EXPECT_EQ(run.code, 0) << p << "\n" << run.output;
    EXPECT_NE(run.output.find("refusées : 0"), std::string::npos) << run.output;
  }
  EXPECT_EQ(files, 7);  // one CSV per activity type, one NDJSON
}

// ---------------------------------------------------------------------------
// One appointment of LOT-11 as an NDJSON line, by hand.
std::string AppointmentLine(const std::string& id, const std::string& day,
                            const std::string& beneficiary, const char* level = "LEVEL_1_WELCOME") {
  return fmt::format(
      R"({{"event_id": "{}", "lot_id": "LOT-11", "occurred_at": "{}T10:00:00+02:00", )"
      R"("recorded_at": "{}T11:00:00+02:00", "appointment_held": {{"beneficiary": "{}", )"
      R"("appointment_id": "{}", "level": "{}", "modality": "IN_PERSON", "kind": "ONE_OFF", )"
      R"("duration_minutes": 60, "departement": "75"}}}})",
      id, day, day, beneficiary, id, level);
}

// Duplicates within a file, events already known to the projector, and the
// data quality of each period: distinct imported events and duplicates apart.
TEST_F(Import, DuplicatesInAFileAndAlreadyKnownEventsAreCountedApartPerPeriod) {
  const fs::path lots = kSource / "deploy/lots/cep-2024-lots.json";
  const std::string activity = NewTopic("import.dup.activity");
  const std::string contract = NewTopic("import.dup.contract");
  ASSERT_NO_FATAL_FAILURE(PublishLot11(contract, lots));
  const fs::path data = dir_.path() / "store";
  Fold(data, activity + "," + contract, "import-dup");

  // File A: two April events and one of May; line 4 repeats line 2 exactly.
  const fs::path a = dir_.path() / "a.ndjson";
  WriteFile(a, AppointmentLine("imp-a1", "2024-04-02", "ben-aaaaaaa1") + "\n" +
                   AppointmentLine("imp-a2", "2024-04-03", "ben-aaaaaaa2") + "\n" +
                   AppointmentLine("imp-a3", "2024-05-06", "ben-aaaaaaa3") + "\n" +
                   AppointmentLine("imp-a2", "2024-04-03", "ben-aaaaaaa2") + "\n");
  const fs::path report_a = dir_.path() / "a.json";
  auto run =
      RunImport({"--operator", "op-cibc-idf", "--file", a.string(), "--report", report_a.string()},
                activity, contract, lots);
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("ligne 4 : même événement que la ligne 2"), std::string::npos)
      << run.output;
  json r = ReadJson(report_a);
  EXPECT_EQ(r["lines"], 4);
  EXPECT_EQ(r["valid"], 4);
  EXPECT_EQ(r["duplicated_in_file"], 1);
  EXPECT_EQ(r["written"], 3);
  EXPECT_TRUE(r["already_known"].is_null()) << r.dump();  // no --data: not checked
  EXPECT_EQ(EndOffset(activity), 3);
  Fold(data, activity + "," + contract, "import-dup");

  // File B, checked against the store: imp-a2 is known, imp-b1 (April) new.
  const fs::path b = dir_.path() / "b.ndjson";
  WriteFile(b, AppointmentLine("imp-a2", "2024-04-03", "ben-aaaaaaa2") + "\n" +
                   AppointmentLine("imp-b1", "2024-04-04", "ben-bbbbbbb1") + "\n");
  const fs::path report_b = dir_.path() / "b.json";
  auto args = std::vector<std::string>{
      "--data", data.string(), "import",   "--bootstrap",    broker_.bootstrap,
      "--lots", lots.string(), "--topic",  activity,         "--contract-topic",
      contract, "--by",        "test",     "--operator",     "op-cibc-idf",
      "--file", b.string(),    "--report", report_b.string()};
  run = testing::RunProgram(PILOTAGECTL_BIN, args, true);
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("2 événements écrits (1 nouveaux, 1 déjà connus du projecteur)"),
            std::string::npos)
      << run.output;
  r = ReadJson(report_b);
  EXPECT_EQ(r["already_known"], 1);
  EXPECT_EQ(r["new"], 1);
  EXPECT_EQ(r["duplicated_in_file"], 0);
  Fold(data, activity + "," + contract, "import-dup");

  // April: imp-a1, imp-a2, imp-b1 imported once each; imp-a2 written again
  // by file B: one duplicate. May: imp-a3.
  auto quality = [&](const char* period) {
    return Ctl({"--data", data.string(), "kpis", "--lot", "LOT-11", "--period", period,
                "--json"})["data_quality"];
  };
  json april = quality("2024-04");
  EXPECT_EQ(april["events"], 3) << april.dump();
  EXPECT_EQ(april["imported_events"], 3) << april.dump();
  EXPECT_EQ(april["imported_duplicates"], 1) << april.dump();
  json may = quality("2024-05");
  EXPECT_EQ(may["imported_events"], 1) << may.dump();
  EXPECT_EQ(may["imported_duplicates"], 0) << may.dump();
  EXPECT_EQ(quality("2024-03")["imported_events"], 0);

  // File C: one id, two contents: refused, naming the first line.
  const fs::path c = dir_.path() / "c.ndjson";
  WriteFile(c, AppointmentLine("imp-c1", "2024-04-05", "ben-ccccccc1") + "\n" +
                   AppointmentLine("imp-c1", "2024-04-05", "ben-ccccccc1", "LEVEL_2_SUPPORT") +
                   "\n");
  const fs::path report_c = dir_.path() / "c.json";
  run =
      RunImport({"--operator", "op-cibc-idf", "--file", c.string(), "--report", report_c.string()},
                activity, contract, lots);
  EXPECT_EQ(run.code, 2) << run.output;
  r = ReadJson(report_c);
  ASSERT_EQ(r["refusals"].size(), 1u) << r.dump();
  EXPECT_EQ(r["refusals"][0]["line"], 2);
  EXPECT_EQ(r["refusals"][0]["code"], "CONFLICTING_EVENT_ID");
  EXPECT_EQ(r["refusals"][0]["field"], "event_id");
  EXPECT_NE(r["refusals"][0]["message"].get<std::string>().find("line 1"), std::string::npos);
  EXPECT_EQ(EndOffset(activity), 5);  // nothing more written
}

// The golden scenarios, imported.

std::vector<v1::Event> ReadNdjson(const fs::path& path) {
  std::vector<v1::Event> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    v1::Event event;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &event).ok()) << line;
    out.push_back(std::move(event));
  }
  return out;
}

// The fixtures were written for the projector, not for the gateway's rules:
// their pseudonyms ("c1") are shorter than the rule, and their six-month
// surveys carry no satisfaction score (the gateway wants 1-10 in every
// wave). Pseudonyms are lengthened the same way everywhere, and those
// surveys get a score that no KPI reads (only END_OF_SERVICE satisfaction
// counts): no KPI changes.
void AdaptToTheGatewayRules(v1::Event& e) {
  if (e.has_survey_answered() && e.survey_answered().wave() == v1::SurveyWave::SIX_MONTHS &&
      e.survey_answered().satisfaction() == 0) {
    e.mutable_survey_answered()->set_satisfaction(5);
  }
  auto* m = e.GetReflection()->MutableMessage(
      &e, v1::Event::descriptor()->FindFieldByNumber(e.body_case()));
  const auto* f = m->GetDescriptor()->FindFieldByName("beneficiary");
  const std::string b = m->GetReflection()->GetString(*m, f);
  if (!b.empty()) m->GetReflection()->SetString(m, f, "golden-" + b);
}

// One event as a CSV header and row of its type's layout, with the
// canonical column names (the proto fields, the profile's flattened) and
// v1 enum names: written here by hand, not by the code under test.
std::pair<std::string, std::string> CsvOf(const v1::Event& e) {
  using google::protobuf::FieldDescriptor;
  using google::protobuf::Message;
  using google::protobuf::util::TimeUtil;
  std::vector<std::string> header = {"lot_id", "occurred_at", "recorded_at"};
  std::vector<std::string> row = {e.lot_id(), TimeUtil::ToString(e.occurred_at()),
                                  TimeUtil::ToString(e.recorded_at())};
  std::function<void(const Message&)> add = [&](const Message& m) {
    const auto* d = m.GetDescriptor();
    const auto* r = m.GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const auto* f = d->field(i);
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_MESSAGE:
          add(r->GetMessage(m, f));
          continue;
        case FieldDescriptor::CPPTYPE_STRING:
          row.push_back(r->GetString(m, f));
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          row.push_back(r->GetEnum(m, f)->number() ? r->GetEnum(m, f)->name() : "");
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          row.push_back(std::to_string(r->GetInt32(m, f)));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          row.push_back(r->GetBool(m, f) ? "true" : "false");
          break;
        default:
          ADD_FAILURE() << f->full_name();
      }
      header.push_back(f->name());
    }
  };
  add(e.GetReflection()->GetMessage(e, v1::Event::descriptor()->FindFieldByNumber(e.body_case())));
  std::string h, v;
  for (size_t i = 0; i < header.size(); ++i) {
    h += (i ? "," : "") + header[i];
    v += (i ? "," : "") + row[i];
  }
  return {h, v};
}

// Through both formats: NDJSON (the scenario's own ids) and CSV (derived ids).
TEST_F(Import, GoldenScenariosImportedGiveTheHandWorkedTables) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kSource / "tests/fixtures/cep")) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  ASSERT_GE(dirs.size(), 3u);
  auto producer = kafka::Producer::Create({.bootstrap = broker_.bootstrap});
  ASSERT_OK(producer);
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    auto events = ReadNdjson(dir / "events.ndjson");
    ASSERT_FALSE(events.empty());
    const std::string lot = events.front().lot_id();
    const std::string op = events.front().operator_id();
    // The contract, produced as `contract publish` would.
    std::vector<v1::Event> contract_events;
    if (fs::exists(dir / "contract.ndjson")) contract_events = ReadNdjson(dir / "contract.ndjson");
    std::vector<fs::path> terms;
    for (const auto& e : fs::directory_iterator(dir / "terms")) terms.push_back(e.path());
    std::sort(terms.begin(), terms.end());
    for (const auto& path : terms) {
      auto parsed = domain::LoadTermsFile(path);
      ASSERT_OK(parsed);
      v1::Event e;
      e.set_event_id("terms-" + parsed->version() + "-" + lot);
      e.set_lot_id(lot);
      e.set_operator_id("france-competences");
      e.mutable_occurred_at()->set_seconds(1700000000);
      e.mutable_recorded_at()->set_seconds(1700000000);
      *e.mutable_terms_published()->mutable_terms() = *parsed;
      contract_events.push_back(std::move(e));
    }
    for (const std::string format : {"ndjson", "csv"}) {
      SCOPED_TRACE(format);
      const std::string activity = NewTopic("import.golden.activity");
      const std::string contract = NewTopic("import.golden.contract");
      std::vector<std::string> values;
      for (const auto& e : contract_events) values.push_back(e.SerializeAsString());
      std::vector<kafka::Record> records;
      for (size_t i = 0; i < values.size(); ++i) {
        records.push_back({.topic = contract, .key = lot, .value = values[i]});
      }
      for (const auto& d : (*producer)->SendAll(records)) ASSERT_OK(d.status);

      // The operator's export of the scenario's activity: one NDJSON file,
      // or one CSV file per event type with the canonical column names.
      int64_t without_beneficiary = 0;
      std::map<std::string, std::string> files;  // file name -> contents
      for (auto e : events) {
        AdaptToTheGatewayRules(e);
        const auto* field = v1::Event::descriptor()->FindFieldByNumber(e.body_case());
        const auto& body = e.GetReflection()->GetMessage(e, field);
        without_beneficiary +=
            body.GetReflection()
                ->GetString(body, body.GetDescriptor()->FindFieldByName("beneficiary"))
                .empty();
        if (format == "ndjson") {
          std::string line;
          google::protobuf::util::JsonPrintOptions o;
          o.preserve_proto_field_names = true;
          ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &line, o).ok());
          files[dir.filename().string() + ".ndjson"] += line + "\n";
        } else {
          auto [header, row] = CsvOf(e);
          auto& text = files[field->name() + ".csv"];
          if (text.empty()) text = header + "\n";
          text += row + "\n";
        }
      }
      const fs::path lots = dir_.path() / (dir.filename().string() + "-lots.json");
      // A whole lot file (domain/lot_file.h checks every field); only the
      // lot, its operator and its start matter to the import.
      json entry = {{"lot_id", lot},
                    {"region", "test"},
                    {"region_code", lot.substr(4)},
                    {"operator_id", op},
                    {"working_population_k", 1},
                    {"start_date", "2024-01-02"},
                    {"end_date", "2028-01-01"},
                    {"annual_budget_cents", 0}};
      entry["departements"] = json::array({json{{"code", "01"}, {"population_k", 1}}});
      WriteFile(lots, json{{"lots", json::array({entry})}}.dump());
      // One command for the whole export (CSV: the type from each file's name).
      const fs::path report = dir_.path() / (format + "-report.json");
      std::vector<std::string> args = {"--operator", op, "--skip-invalid", "--report",
                                       report.string()};
      for (const auto& [name, text] : files) {
        const fs::path file = dir_.path() / (format + "-" + name);
        WriteFile(file, text);
        args.insert(args.end(), {"--file", file.string()});
      }
      auto run = RunImport(args, activity, contract, lots);
      ASSERT_EQ(run.code, 0) << run.output;
      int64_t refused = 0;
      for (const auto& [name, text] : files) {
        const fs::path per_file =
            files.size() == 1 ? report
                              : fs::path(report.string() + "." + format + "-" + name + ".json");
        const json r = ReadJson(per_file);
        ASSERT_FALSE(r.is_discarded()) << per_file;
        EXPECT_EQ(r["outcome"], "imported") << per_file;
        EXPECT_EQ(r["written"].get<int64_t>(), r["valid"].get<int64_t>()) << per_file;
        refused += r["refused"].get<int64_t>();
        for (const auto& x : r["refusals"]) EXPECT_EQ(x["code"], "MISSING_FIELD") << x.dump();
      }
      EXPECT_EQ(refused, without_beneficiary);

      const fs::path data = dir_.path() / ("golden-" + format + "-" + dir.filename().string());
      Fold(data, activity + "," + contract,
           "import-golden-" + format + "-" + dir.filename().string());
      const json expected = ReadJson(dir / "expected.json");
      for (const auto& want : expected) {
        SCOPED_TRACE(want["query"].dump());
        std::vector<std::string> args = {
            "--data", data.string(), "kpis", "--period", want["query"]["period"].get<std::string>(),
            "--json"};
        if (want["query"].value("national", false)) {
          args.push_back("--national");
        } else {
          args.insert(args.end(), {"--lot", want["query"]["lot"].get<std::string>()});
        }
        const json got = Ctl(args);
        EXPECT_EQ(got["terms_version"], want["terms_version"]);
        EXPECT_EQ(got["closing_day"], want["closing_day"]);
        std::map<std::string, json> kpis;
        for (const auto& k : got["kpis"]) kpis[k["id"].get<std::string>()] = k;
        EXPECT_EQ(kpis.size(), want["kpis"].size()) << got.dump(2);
        for (const auto& [id, w] : want["kpis"].items()) {
          SCOPED_TRACE(id);
          ASSERT_TRUE(kpis.count(id)) << got.dump(2);
          EXPECT_EQ(kpis[id]["status"], w["status"]);
          EXPECT_EQ(kpis[id]["numerator"], w["numerator"]);
          EXPECT_EQ(kpis[id]["sample"], w["sample"]);
          EXPECT_NEAR(kpis[id]["value"].get<double>(), w["value"].get<double>(), 1e-6);
        }
        // Same data quality, except: the event without a beneficiary was
        // refused by the import (and named in its report) instead of by the
        // projector, and the lot's events are counted as imported history.
        json dq = want["data_quality"];
        dq["refused_events"] = dq["refused_events"].get<int64_t>() - without_beneficiary;
        dq["imported_events"] = dq["events"];  // every event of the period, imported once
        EXPECT_EQ(got["data_quality"], dq) << got["data_quality"].dump();
      }
    }
  }
}

}  // namespace
}  // namespace pilotage
