// Parts of the steering commands that need neither a store nor a broker:
// event ids, and the award's input checks (--dry-run).
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "pilotage/pilotagectl/steering.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::pilotagectl {
namespace {

TEST(ContentEventId, IsStableForTheSameContentAndDiffersOtherwise) {
  const auto a = ContentEventId("penalty-confirmed", {"LOT-11", "PEN-1"});
  EXPECT_EQ(a, ContentEventId("penalty-confirmed", {"LOT-11", "PEN-1"}));
  EXPECT_NE(a, ContentEventId("penalty-confirmed", {"LOT-11", "PEN-2"}));
  // The separator keeps ("ab", "c") apart from ("a", "bc").
  EXPECT_NE(ContentEventId("x", {"ab", "c"}), ContentEventId("x", {"a", "bc"}));
  EXPECT_EQ(a.size(), std::string("penalty-confirmed-").size() + 16);
}

AwardOptions GoodAward(const testing::TempDir& dir) {
  AwardOptions o;
  o.common.data_dir = dir.path() / "no-store-yet";
  o.common.lot = "LOT-11";
  o.common.on = "2024-01-02";
  o.common.emit.dry_run = true;
  o.operator_id = "op-11";
  o.start_date = "2024-01-02";
  o.end_date = "2027-12-31";
  o.annual_budget_cents = 1200000000;
  return o;
}

TEST(AwardLot, DryRunPrintsTheEventWithAnEnvelopePerContractYear) {
  testing::TempDir dir;
  std::ostringstream out;
  const absl::Status s = AwardLot(GoodAward(dir), out);
  ASSERT_OK(s);
  // 2024-01-02 .. 2027-12-31 spans contract years 1 to 4.
  EXPECT_NE(out.str().find("\"contract_year\": 4"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("\"contract_year\": 5"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("--dry-run"), std::string::npos) << out.str();
}

TEST(AwardLot, ReadsAJsonFileThatFlagsOverride) {
  testing::TempDir dir;
  const auto file = dir.path() / "award.json";
  std::ofstream(file) << R"({"region": "Île-de-France", "region_code": "11",
    "operator_id": "op-file", "departements": ["75", "77"],
    "start_date": "2024-01-02", "end_date": "2027-12-31",
    "budget": [{"contract_year": 1, "amount_cents": "1500000000"}]})";
  AwardOptions o;
  o.common.data_dir = dir.path() / "no-store-yet";
  o.common.lot = "LOT-11";
  o.common.on = "2024-01-02";
  o.common.emit.dry_run = true;
  o.file = file;
  o.operator_id = "op-flag";
  std::ostringstream out;
  const absl::Status s = AwardLot(o, out);
  ASSERT_OK(s);
  EXPECT_NE(out.str().find("\"operator_id\": \"op-flag\""), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\"77\""), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\"1500000000\""), std::string::npos) << out.str();

  std::ofstream(file) << R"({"region": "x", "no_such_field": 1})";
  std::ostringstream bad;
  const absl::Status refused = AwardLot(o, bad);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused.ToString();
  EXPECT_NE(refused.message().find("--file"), std::string_view::npos) << refused.ToString();
  EXPECT_TRUE(bad.str().empty());
}

struct BadAward {
  const char* what;
  void (*spoil)(AwardOptions&);
  const char* field;
};

TEST(AwardLot, RefusesBadInputNamingTheFlag) {
  const BadAward cases[] = {
      {"negative budget", [](AwardOptions& o) { o.annual_budget_cents = -1; }, "--budget"},
      {"budget not YEAR=CENTS", [](AwardOptions& o) { o.budgets = {"1:100"}; }, "--budget"},
      {"budget year outside the lot", [](AwardOptions& o) { o.budgets = {"5=100"}; }, "--budget"},
      {"bad start", [](AwardOptions& o) { o.start_date = "2024-02-30"; }, "--start"},
      {"end before start", [](AwardOptions& o) { o.end_date = "2023-12-31"; }, "--end"},
      {"no operator", [](AwardOptions& o) { o.operator_id.clear(); }, "--operator-id"},
      {"no lot", [](AwardOptions& o) { o.common.lot.clear(); }, "--lot"},
      {"--on in the future", [](AwardOptions& o) { o.common.on = "2999-01-01"; }, "--on"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    testing::TempDir dir;
    AwardOptions o = GoodAward(dir);
    c.spoil(o);
    std::ostringstream out;
    const absl::Status s = AwardLot(o, out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(c.field), std::string_view::npos) << s.ToString();
    EXPECT_TRUE(out.str().empty()) << out.str();
  }
}

TEST(SteeringCommands, AnUnknownStoreIsNotFoundAndSendsNothing) {
  testing::TempDir dir;
  DecisionOptions o;
  o.common.data_dir = dir.path() / "missing";
  o.common.lot = "LOT-11";
  o.common.emit.dry_run = true;
  o.penalty_id = "PEN-1";
  o.by = "pilote";
  o.reason = "sans observations";
  std::ostringstream out;
  EXPECT_EQ(ConfirmPenalty(o, out).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace pilotage::pilotagectl
