#include "pilotage/access/access.h"

#include "gtest/gtest.h"
#include "pilotage/testing/status.h"

namespace pilotage::access {
namespace {

// sha256("abc") and sha256("pilot"), from `printf %s abc | sha256sum`.
constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(TokenHash, IsLowercaseHexSha256) { EXPECT_EQ(TokenHash("abc"), kAbc); }

TEST(AccessTable, PilotsReadEveryLotAndOperatorsOnlyTheirs) {
  const std::string text = R"({
    "pilots": [{"pilot_id": "fc", "token_sha256": [")" +
                           TokenHash("pilot-token") + R"("]}],
    "operators": [{"operator_id": "op-corse", "lots": ["LOT-94"],
                   "token_sha256": [")" +
                           TokenHash("corse-token") + R"("],
                   "rate_limit": {"events_per_s": 10}},
                  {"operator_id": "op-old", "lots": ["LOT-11"], "revoked": true,
                   "token_sha256": [")" +
                           TokenHash("old-token") + R"("]}]
  })";
  auto table = AccessTable::Parse(text, "tokens.json");
  ASSERT_OK(table);
  auto pilot = table->Find("pilot-token");
  ASSERT_TRUE(pilot.has_value());
  EXPECT_EQ(pilot->role, Principal::Role::kPilot);
  EXPECT_TRUE(pilot->MayRead("LOT-11"));
  auto op = table->Find("corse-token");
  ASSERT_TRUE(op.has_value());
  EXPECT_EQ(op->id, "op-corse");
  EXPECT_TRUE(op->MayRead("LOT-94"));
  EXPECT_FALSE(op->MayRead("LOT-11"));
  EXPECT_FALSE(table->Find("old-token").has_value()) << "revoked";
  EXPECT_FALSE(table->Find("").has_value());
  EXPECT_FALSE(table->Find("nobody").has_value());
}

TEST(AccessTable, RefusesBadFilesNamingThePath) {
  struct Case {
    std::string text;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"[]", "t.json: $: not a JSON object"},
      {"{}", "t.json: $: no token"},
      {R"({"pilots": [{"token_sha256": []}]})", "t.json: pilots[0].pilot_id: required string"},
      {R"({"pilots": [{"pilot_id": "p", "token_sha256": ["ABC"]}]})",
       "t.json: pilots[0].token_sha256[0]: expected 64 lowercase hex digits"},
      {R"({"operators": [{"operator_id": "o", "token_sha256": []}]})",
       "t.json: operators[0].lots: expected an array of lot ids"},
      {std::string(R"({"pilots": [{"pilot_id": "p", "token_sha256": [")") + kAbc + "\", \"" + kAbc +
           "\"]}]}",
       "t.json: pilots[0].token_sha256[1]: the same token hash is listed twice"},
  };
  for (const auto& c : cases) {
    auto table = AccessTable::Parse(c.text, "t.json");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(std::string(table.status().message()).find(c.want), std::string::npos)
        << c.text << "\n got: " << table.status().message();
  }
}

}  // namespace
}  // namespace pilotage::access
