// GET /api/v1/funds over real HTTP: fund usage as earned by priced
// appointments (decision 0038), on a store the real projector folded from
// the real broker with LOT-94, LOT-11 and fixtures/funds-lot-95. Every
// expected figure is worked out by hand in fixtures/funds-lot-95/README.md.
#include <string>

#include "gtest/gtest.h"
#include "query_stack.h"

namespace pilotage::query_test {
namespace {

using nlohmann::json;

class QueryFunds : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new QueryStack({"funds-lot-95"}); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(stack_ && stack_->ok()); }

  static json Lot(const json& body, const std::string& lot) {
    for (const auto& row : body["lots"]) {
      if (row["lot"] == lot) return row;
    }
    ADD_FAILURE() << lot << " missing from " << body.dump();
    return json::object();
  }

  // The figures that move with the day asked: as_of, elapsed_days,
  // earned_cents, projected_cents.
  static json Usage(const json& lot) {
    json out = json::object();
    for (const char* name : {"as_of", "elapsed_days", "earned_cents", "projected_cents"}) {
      out[name] = lot.value(name, json());
    }
    return out;
  }

  static QueryStack* stack_;
};

QueryStack* QueryFunds::stack_ = nullptr;

TEST_F(QueryFunds, EarnedToDateAgainstTheEnvelopeWithTheYearEndProjection) {
  auto a = stack_->Get("/api/v1/funds?period=2024-Q2");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["period_label"], "T2 2024");
  const json lot = Lot(a.body, "LOT-95");
  SCOPED_TRACE(lot.dump());
  EXPECT_EQ(lot["operator_name"], "Opérateur Bretagne");
  EXPECT_EQ(lot["contract_year"]["index"], 1);
  EXPECT_EQ(lot["contract_year"]["first_day"], "2024-01-01");
  EXPECT_EQ(lot["contract_year"]["last_day"], "2024-12-31");
  EXPECT_EQ(lot["contract_year"]["days"], 366);
  EXPECT_EQ(lot["as_of"], "2024-06-30");
  EXPECT_EQ(lot["elapsed_days"], 182);
  EXPECT_EQ(lot["envelope_cents"], 2000000);
  EXPECT_EQ(lot["earned_cents"], 63000);
  EXPECT_EQ(lot["appointments"], 6);
  EXPECT_EQ(lot["unpriced_appointments"], 0);
  EXPECT_NEAR(lot["earned_share"].get<double>(), 0.0315, 1e-12);
  EXPECT_EQ(lot["projected_cents"], 126692);
  EXPECT_NEAR(lot["projected_share"].get<double>(), 1266.92 / 20000, 1e-6);
  EXPECT_EQ(lot["projection_exceeds_envelope"], false);
  // Per quarter: what each earned, and whether its statement was issued.
  ASSERT_EQ(lot["quarters"].size(), 2u);
  EXPECT_EQ(lot["quarters"][0], (json{{"period", "2024-Q1"},
                                      {"period_label", "T1 2024"},
                                      {"earned_cents", 29000},
                                      {"appointments", 3},
                                      {"statement_issued", true},
                                      {"statement_net_cents", 29000}}));
  EXPECT_EQ(lot["quarters"][1], (json{{"period", "2024-Q2"},
                                      {"period_label", "T2 2024"},
                                      {"earned_cents", 34000},
                                      {"appointments", 3},
                                      {"statement_issued", false},
                                      {"statement_net_cents", nullptr}}));
  EXPECT_EQ(lot["issued_net_cents"], 29000);
  ASSERT_EQ(lot["issued"].size(), 1u);
  EXPECT_EQ(lot["issued"][0]["statement_id"], "STMT-LOT-95-2024-Q1");
}

TEST_F(QueryFunds, AYearOverProjectsWhatItEarned) {
  auto a = stack_->Get("/api/v1/funds?period=2024");
  ASSERT_EQ(a.status, 200) << a.text;
  const json lot = Lot(a.body, "LOT-95");
  EXPECT_EQ(Usage(lot), (json{{"as_of", "2024-12-31"},
                              {"elapsed_days", 366},
                              {"earned_cents", 63000},
                              {"projected_cents", 63000}}));
  EXPECT_EQ(lot["quarters"].size(), 4u);
}

TEST_F(QueryFunds, NationallyPerContractYearAndLotsWithoutAward) {
  auto a = stack_->Get("/api/v1/funds?period=2024-Q2");
  ASSERT_EQ(a.status, 200) << a.text;
  ASSERT_EQ(a.body["national"].size(), 1u) << a.body.dump();
  const json& n = a.body["national"][0];
  EXPECT_EQ(n["contract_year"], 1);
  EXPECT_EQ(n["lots"], (json{"LOT-94", "LOT-95"}));
  EXPECT_EQ(n["lots_without_envelope"], json::array());
  EXPECT_EQ(n["envelope_cents"], 102000000);
  EXPECT_EQ(n["earned_cents"], 63000);
  EXPECT_EQ(n["projected_cents"], 126692);
  EXPECT_EQ(n["issued_net_cents"], 29000);
  // LOT-94's terms have no unit prices: nothing earned, its appointments
  // unpriced; LOT-11 has no award.
  const json lot94 = Lot(a.body, "LOT-94");
  EXPECT_EQ(lot94["earned_cents"], 0);
  EXPECT_EQ(lot94["elapsed_days"], 181);
  EXPECT_EQ(lot94["unpriced_appointments"], lot94["appointments"]);
  EXPECT_GT(lot94["appointments"].get<int>(), 0);
  const json lot11 = Lot(a.body, "LOT-11");
  EXPECT_TRUE(lot11.contains("unavailable"));
  EXPECT_FALSE(lot11.contains("earned_cents"));
}

TEST_F(QueryFunds, JudgedOnADayEarnedStopsThatDay) {
  const std::string july = stack_->StartQueryOn("2024-07-10");
  ASSERT_FALSE(july.empty());
  auto a = stack_->GetAt(july, "/api/v1/funds?period=2024-Q3");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(Usage(Lot(a.body, "LOT-95")), (json{{"as_of", "2024-07-10"},
                                                {"elapsed_days", 192},
                                                {"earned_cents", 63000},
                                                {"projected_cents", 120093}}));
}

TEST_F(QueryFunds, OperatorsSeeTheirLotsAndNoNationalTotal) {
  auto a = stack_->Get("/api/v1/funds?period=2024-Q2", kCorseToken);
  ASSERT_EQ(a.status, 200) << a.text;
  ASSERT_EQ(a.body["lots"].size(), 1u);
  EXPECT_EQ(a.body["lots"][0]["lot"], "LOT-94");
  EXPECT_TRUE(a.body["national"].is_null());
}

TEST_F(QueryFunds, BadPeriodsAreRefusedNamingTheParameter) {
  for (const char* path : {"/api/v1/funds", "/api/v1/funds?period=2024-Q5"}) {
    auto a = stack_->Get(path);
    EXPECT_EQ(a.status, 400) << path;
    EXPECT_NE(a.text.find("period"), std::string::npos) << a.text;
  }
  EXPECT_EQ(stack_->Get("/api/v1/funds?period=2024-Q2", "not-a-token").status, 401);
}

}  // namespace
}  // namespace pilotage::query_test
