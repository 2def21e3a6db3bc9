// The query API over real HTTP, on a store filled through the real broker and
// projector with two golden scenarios (tests/fixtures/cep): may-every-kpi
// (LOT-94, May 2024) and closing-late (LOT-11, January 2024). Every expected
// figure is worked out by hand in those scenarios' README.md, or below.
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "gtest/gtest.h"
#include "query_stack.h"

namespace pilotage::query_test {
namespace {

using nlohmann::json;

class QueryApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new QueryStack(); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(stack_ && stack_->ok()); }

  static QueryStack::Answer Get(const std::string& path, const std::string& token = kPilotToken) {
    return stack_->Get(path, token);
  }
  // The named fields of an answer's row, to compare with what is expected.
  static json Fields(const json& row, std::initializer_list<const char*> names) {
    json out = json::object();
    for (const char* name : names) out[name] = row.value(name, json());
    return out;
  }
  static std::map<std::string, json> ById(const json& kpis) {
    std::map<std::string, json> out;
    for (const auto& k : kpis) out[k["id"].get<std::string>()] = k;
    return out;
  }
  static void ExpectKpi(const json& k, int64_t numerator, int64_t sample, double value,
                        double target, const std::string& status) {
    SCOPED_TRACE(k.dump());
    EXPECT_EQ(k["numerator"], numerator);
    EXPECT_EQ(k["sample"], sample);
    EXPECT_NEAR(k["value"].get<double>(), value, 1e-6);
    EXPECT_NEAR(k["target"].get<double>(), target, 1e-6);
    EXPECT_EQ(k["status"], status);
  }

  static QueryStack* stack_;
};

QueryStack* QueryApi::stack_ = nullptr;

TEST_F(QueryApi, EveryAnswerSaysHowFreshItIs) {
  auto a = Get("/api/v1/lots?period=2024-05");
  ASSERT_EQ(a.status, 200) << a.text;
  const json& f = a.body["freshness"];
  // The projector ran until caught up: nothing in the log is missing.
  EXPECT_EQ(f["lag_events"], 0) << f.dump();
  EXPECT_EQ(f["store"], "stores/initial");
  // Two refused events of LOT-11 (closing-late README): an appointment
  // without beneficiary and the bad terms F2-bad.
  EXPECT_EQ(f["dead_letters"], 2);
  EXPECT_FALSE(f["computed_at"].get<std::string>().empty());
  EXPECT_FALSE(f["caught_up_at"].get<std::string>().empty());
  // 25 + 16 activity events, 1 award + 1 terms (LOT-94) + 2 terms (LOT-11),
  // 8 steering events; 7 gateway refusals on the rejected topic's two
  // partitions (fixtures/README.md), whose progress the store holds too.
  int64_t stored = 0;
  for (const auto& p : f["partitions"]) stored += p["stored_offset"].get<int64_t>();
  EXPECT_EQ(stored, 25 + 16 + 4 + 8 + 7);
  EXPECT_EQ(f["partitions"].size(), 4u);
}

// Decision 0029: one projector folded both topics' only partition: the
// store is complete, and caught up, so the replica is ready.
TEST_F(QueryApi, ACompleteCaughtUpStoreIsReady) {
  auto a = Get("/api/v1/lots?period=2024-05");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["freshness"]["complete"], true) << a.body["freshness"].dump();
  EXPECT_EQ(a.body["freshness"]["missing_partitions"], json::array());
  auto live = Get("/livez", "");
  EXPECT_EQ(live.status, 200) << live.text;
  auto ready = Get("/readyz", "");
  EXPECT_EQ(ready.status, 200) << ready.text;
  EXPECT_EQ(ready.body["ready"], true);
  EXPECT_EQ(ready.body["missing_partitions"], json::array());
  EXPECT_EQ(ready.body["lagging_partitions"], json::array());
  EXPECT_EQ(ready.body["max_partition_lag"], 0);
  EXPECT_EQ(ready.body["max_lag"], 5000);
}

// Decision 0017: when the view moves, the answer of the view before is
// served (with that view's stored offsets, never the new ones) until the
// answer of the new view is computed in the background.
TEST_F(QueryApi, AnAnswerShowsTheOffsetsOfTheViewItWasComputedOn) {
  auto stored = [](const json& body) {
    std::map<std::string, int64_t> out;
    for (const auto& p : body["freshness"]["partitions"]) out[p["partition"]] = p["stored_offset"];
    return out;
  };
  auto first = Get("/api/v1/lots?period=2024-05");
  ASSERT_EQ(first.status, 200) << first.text;
  const int64_t generation = first.body["view_generation"];
  const auto offsets = stored(first.body);
  ASSERT_EQ(stack_->ResendAndFold(), 0);
  json later;
  for (int i = 0; i < 600 && later.is_null(); ++i) {
    auto a = Get("/api/v1/lots?period=2024-05");
    ASSERT_EQ(a.status, 200) << a.text;
    if (a.body["view_generation"] == generation) {
      EXPECT_EQ(stored(a.body), offsets) << a.body["freshness"].dump();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
    } else {
      later = a.body;
    }
  }
  ASSERT_FALSE(later.is_null()) << "the answer never moved to the new view";
  EXPECT_GT(later["view_generation"].get<int64_t>(), generation);
  // One more activity event stored (the resent copy), nothing else.
  int64_t before = 0, after = 0;
  for (const auto& [partition, offset] : offsets) before += offset;
  for (const auto& [partition, offset] : stored(later)) after += offset;
  EXPECT_EQ(after, before + 1) << later["freshness"].dump();
  // A resent copy changes no figure.
  EXPECT_EQ(later["lots"], first.body["lots"]);
}

TEST_F(QueryApi, LotsListShowsEachKpiValueTargetAndStatus) {
  auto a = Get("/api/v1/lots?period=2024-05");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["period_label"], "mai 2024");
  ASSERT_EQ(a.body["lots"].size(), 2u);
  EXPECT_EQ(a.body["lots"][0]["lot"], "LOT-11");
  const json& lot94 = a.body["lots"][1];
  EXPECT_EQ(lot94["lot"], "LOT-94");
  EXPECT_EQ(lot94["terms_version"], "F1.1");
  EXPECT_EQ(lot94["award"]["region"], "Corse");
  auto k = ById(lot94["kpis"]);
  ASSERT_EQ(k.size(), 12u);
  ExpectKpi(k["new_beneficiaries"], 5, 5, 5, 36.0 * 31 / 366, "MET");
  ExpectKpi(k["first_appointment_delay"], 3, 5, 0.6, 0.80, "BREACHED");
  ExpectKpi(k["end_of_service_satisfaction"], 2, 3, 2.0 / 3, 0.85, "BREACHED");
  ExpectKpi(k["six_month_usefulness"], 1, 2, 0.5, 0.70, "NOT_ENOUGH_DATA");
  ExpectKpi(k["reporting_timeliness"], 19, 21, 19.0 / 21, 0.95, "BREACHED");
  // LOT-11 has nothing in May: no new beneficiary against 48 x 31/366.
  auto k11 = ById(a.body["lots"][0]["kpis"]);
  ExpectKpi(k11["new_beneficiaries"], 0, 0, 0, 48.0 * 31 / 366, "BREACHED");
  EXPECT_EQ(k11["first_appointment_delay"]["status"], "NOT_ENOUGH_DATA");
  // Columns: the union of the lots' KPIs, each once.
  EXPECT_EQ(a.body["columns"].size(), 12u);
}

TEST_F(QueryApi, NationalSummaryAddsUpTheLots) {
  auto a = Get("/api/v1/national?period=2024-05");
  ASSERT_EQ(a.status, 200) << a.text;
  // May: LOT-94's five new beneficiaries, six appointments, three closures
  // (b0, b3, b4) and five surveys (b0, b3, b4, bz, by); LOT-11 has none.
  EXPECT_EQ(a.body["volume"],
            (json{{"new_beneficiaries", 5}, {"appointments", 6}, {"closures", 3}, {"surveys", 5}}));
  EXPECT_EQ(a.body["lots"], (json{"LOT-11", "LOT-94"}));
  // The national KPIs are those of the first lot's terms (F2.1 of LOT-11),
  // numerators and samples summed; the count target is the sum of the
  // lots' pro-rated targets: (48 + 36) x 31/366.
  auto k = ById(a.body["kpis"]);
  ASSERT_EQ(k.size(), 4u);
  ExpectKpi(k["new_beneficiaries"], 5, 5, 5, 84.0 * 31 / 366, "BREACHED");
  ExpectKpi(k["first_appointment_delay"], 3, 5, 0.6, 0.80, "BREACHED");
  ExpectKpi(k["end_of_service_satisfaction"], 2, 3, 2.0 / 3, 0.85, "BREACHED");
  ExpectKpi(k["reporting_timeliness"], 19, 21, 19.0 / 21, 0.90, "MET");
  // Refused events count for every period: LOT-11's two.
  EXPECT_EQ(a.body["data_quality"]["refused_events"], 2);
  EXPECT_EQ(a.body["data_quality"]["events"], 21);
}

TEST_F(QueryApi, LotPageHasSeriesFunnelMixesOutcomesAndReferrals) {
  auto a = Get("/api/v1/lots/LOT-94?period=2024-05");
  ASSERT_EQ(a.status, 200) << a.text;
  // Funnel of May's new beneficiaries b1..b5: level 1 b1 b2 b3 b4; level 2,
  // action plan: b3; closed: b3 and b4.
  EXPECT_EQ(
      a.body["funnel"],
      (json{{"requests", 5}, {"level_1", 4}, {"level_2", 1}, {"action_plan", 1}, {"closure", 2}}));
  // Profiles of b1..b5 (events.ndjson): ages 26-44 b1 b3 b5, 55+ b2, 45-54 b4.
  EXPECT_EQ(a.body["profile_mix"]["age_band"],
            (json{{"AGE_26_44", 3}, {"AGE_45_54", 1}, {"AGE_55_PLUS", 1}}));
  EXPECT_EQ(a.body["profile_mix"]["qualification"],
            (json{{"BAC", 2}, {"BAC_3_PLUS", 1}, {"CAP_BEP", 1}, {"NONE", 1}}));
  EXPECT_EQ(a.body["profile_mix"]["channel"], (json{{"WEB", 5}}));
  // May appointments: b1 in person, b2 phone, b3 in person, video, in person,
  // b4 video; four level-1 one-off, two level-2 long-term.
  EXPECT_EQ(a.body["modality_mix"]["modality"],
            (json{{"IN_PERSON", 3}, {"PHONE", 1}, {"VIDEO", 2}}));
  EXPECT_EQ(a.body["modality_mix"]["level"],
            (json{{"LEVEL_1_WELCOME", 4}, {"LEVEL_2_SUPPORT", 2}}));
  EXPECT_EQ(a.body["modality_mix"]["kind"], (json{{"LONG_TERM", 2}, {"ONE_OFF", 4}}));
  // May closures: b0 training/CPF, b3 project defined/CPF, b4 referred/France Travail.
  EXPECT_EQ(a.body["outcomes"],
            (json{{"PROJECT_DEFINED", 1}, {"REFERRED", 1}, {"TRAINING_STARTED", 1}}));
  EXPECT_EQ(a.body["referrals"], (json{{"CPF", 2}, {"FRANCE_TRAVAIL", 1}}));
  // One month, one point per KPI.
  EXPECT_EQ(a.body["series"]["months"], (json{"2024-05"}));
  ExpectKpi(a.body["series"]["kpis"]["first_appointment_delay"][0], 3, 5, 0.6, 0.80, "BREACHED");
}

TEST_F(QueryApi, QuarterSeriesHasOnePointPerMonthAgainstTheTarget) {
  auto a = Get("/api/v1/lots/LOT-94?period=2024-Q2");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["period_label"], "T2 2024");
  EXPECT_EQ(a.body["series"]["months"], (json{"2024-04", "2024-05", "2024-06"}));
  const json& nb = a.body["series"]["kpis"]["new_beneficiaries"];
  ASSERT_EQ(nb.size(), 3u);
  // April: b0 only; May: five; June: none. Targets 36 x 30, 31, 30 / 366.
  ExpectKpi(nb[0], 1, 1, 1, 36.0 * 30 / 366, "BREACHED");
  ExpectKpi(nb[1], 5, 5, 5, 36.0 * 31 / 366, "MET");
  ExpectKpi(nb[2], 0, 0, 0, 36.0 * 30 / 366, "BREACHED");
  // The quarter: b0 + b1..b5.
  auto k = ById(a.body["kpis"]);
  EXPECT_EQ(k["new_beneficiaries"]["numerator"], 6);
}

TEST_F(QueryApi, DataQualityShowsLateEventsTimelinessAndRefusals) {
  // closing-late README, January 2024 as known on 15 February.
  auto a = Get("/api/v1/lots/LOT-11/quality?period=2024-01");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["data_quality"],
            (json{{"events", 14},
                  {"conflicting_resends", 0},
                  {"conflicting_resends_in_period", 0},
                  {"gateway_refusals", json::object()},  // LOT-11's is on 31 March
                  {"imported_duplicates", 0},
                  {"imported_events", 0},  // live reporting only, no historical import
                  {"late_events", 3},
                  {"refused_events", 2},
                  {"reporting_delay_days",
                   {{"0-1", 10}, {"2-5", 0}, {"6-15", 1}, {"16-30", 3}, {"31+", 0}}}}));
  EXPECT_EQ(a.body["reporting_timeliness"]["numerator"], 10);
  EXPECT_EQ(a.body["reporting_timeliness"]["sample"], 11);

  auto all = Get("/api/v1/quality?period=2024-01");
  ASSERT_EQ(all.status, 200) << all.text;
  EXPECT_EQ(all.body["dead_letters"], 2);
  // LOT-94 had no activity in January.
  EXPECT_EQ(all.body["totals"]["events"], 14);
  EXPECT_EQ(all.body["totals"]["late_events"], 3);
}

// fixtures/README.md, "Gateway refusals": counted by Paris day of refusal,
// per lot and code, those naming no lot nationally for pilots only.
TEST_F(QueryApi, DataQualityShowsTheGatewaysRefusalsByLotPeriodAndReason) {
  auto q2 = Get("/api/v1/quality?period=2024-Q2");
  ASSERT_EQ(q2.status, 200) << q2.text;
  std::map<std::string, json> by_lot;
  for (const auto& row : q2.body["lots"])
    by_lot[row["lot"].get<std::string>()] = row["data_quality"];
  EXPECT_EQ(by_lot["LOT-94"]["gateway_refusals"],
            (json{{"PERSONAL_DATA", 2}, {"UNKNOWN_ENUM", 1}}));
  EXPECT_EQ(by_lot["LOT-11"]["gateway_refusals"], json::object());
  EXPECT_EQ(q2.body["gateway_refusals_without_lot"], (json{{"MALFORMED_BODY", 2}}));
  EXPECT_EQ(q2.body["totals"]["gateway_refusals"],
            (json{{"MALFORMED_BODY", 2}, {"PERSONAL_DATA", 2}, {"UNKNOWN_ENUM", 1}}));
  EXPECT_EQ(q2.body["refusal_labels"]["PERSONAL_DATA"], "donnée personnelle détectée");
  EXPECT_EQ(q2.body["totals"]["conflicting_resends_in_period"], 0);

  auto q1 = Get("/api/v1/quality?period=2024-Q1");
  ASSERT_EQ(q1.status, 200) << q1.text;
  EXPECT_EQ(q1.body["totals"]["gateway_refusals"], (json{{"FUTURE_TIMESTAMP", 1}}));
  EXPECT_EQ(q1.body["gateway_refusals_without_lot"], json::object());
  auto q3 = Get("/api/v1/quality?period=2024-Q3");
  ASSERT_EQ(q3.status, 200) << q3.text;
  EXPECT_EQ(q3.body["totals"]["gateway_refusals"], (json{{"MISSING_FIELD", 1}}));
  auto may = Get("/api/v1/lots/LOT-94/quality?period=2024-05");
  ASSERT_EQ(may.status, 200) << may.text;
  EXPECT_EQ(may.body["data_quality"]["gateway_refusals"], (json{{"PERSONAL_DATA", 2}}));

  // The operator of LOT-94: its lot's, not the national ones.
  auto corse = Get("/api/v1/quality?period=2024-Q2", kCorseToken);
  ASSERT_EQ(corse.status, 200) << corse.text;
  EXPECT_TRUE(corse.body["gateway_refusals_without_lot"].is_null());
  EXPECT_EQ(corse.body["totals"]["gateway_refusals"],
            (json{{"PERSONAL_DATA", 2}, {"UNKNOWN_ENUM", 1}}));
  // Every fixture refusal decoded: none became a dead letter.
  EXPECT_EQ(q2.body["dead_letters"], 2);
}

TEST_F(QueryApi, AnOperatorSeesOnlyItsLots) {
  auto list = Get("/api/v1/lots?period=2024-05", kCorseToken);
  ASSERT_EQ(list.status, 200) << list.text;
  ASSERT_EQ(list.body["lots"].size(), 1u);
  EXPECT_EQ(list.body["lots"][0]["lot"], "LOT-94");
  EXPECT_EQ(Get("/api/v1/lots/LOT-94?period=2024-05", kCorseToken).status, 200);
  auto other = Get("/api/v1/lots/LOT-11?period=2024-05", kCorseToken);
  EXPECT_EQ(other.status, 403) << other.text;
  EXPECT_NE(other.body["error"]["message"].get<std::string>().find("LOT-94"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/lots/LOT-11/quality?period=2024-01", kCorseToken).status, 403);
  // Even a lot that does not exist: an operator learns nothing about others.
  EXPECT_EQ(Get("/api/v1/lots/LOT-99?period=2024-05", kCorseToken).status, 403);
  EXPECT_EQ(Get("/api/v1/national?period=2024-05", kCorseToken).status, 403);
  auto quality = Get("/api/v1/quality?period=2024-01", kCorseToken);
  ASSERT_EQ(quality.status, 200);
  EXPECT_EQ(quality.body["lots"].size(), 1u);
  EXPECT_TRUE(quality.body["dead_letters"].is_null());
  auto meta = Get("/api/v1/meta", kCorseToken);
  EXPECT_EQ(meta.body["principal"], (json{{"role", "operator"}, {"id", "op-corse"}}));
  EXPECT_EQ(meta.body["lots"].size(), 1u);
}

// Two pilots read the same lots: each is still told who they are, never the
// other's name out of a remembered answer.
TEST_F(QueryApi, MetaNamesWhoAsksEvenWhenAnotherWithTheSameRightsAskedFirst) {
  auto first = Get("/api/v1/meta", kPilotToken);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body["principal"], (json{{"role", "pilot"}, {"id", "fc-pilotes"}}));
  auto second = Get("/api/v1/meta", kPilot2Token);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.body["principal"], (json{{"role", "pilot"}, {"id", "fc-pilote-2"}}));
}

TEST_F(QueryApi, BadParametersAreRefusedWithAMessage) {
  struct Case {
    std::string path;
    std::string token;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/api/v1/lots", kPilotToken, 400, "period: required"},
      {"/api/v1/lots?period=2024-13", kPilotToken, 400, "2024-13"},
      {"/api/v1/lots?period=last-quarter", kPilotToken, 400, "last-quarter"},
      {"/api/v1/national?period=", kPilotToken, 400, "period: required"},
      {"/api/v1/lots/LOT-94?period=2024-Q5", kPilotToken, 400, "2024-Q5"},
      {"/api/v1/lots/LOT-99?period=2024-05", kPilotToken, 404, "LOT-99"},
      {"/api/v1/lots/LOT-99/quality?period=2024-05", kPilotToken, 404, "LOT-99"},
      // LOT-11 was never awarded: its contract years have no start date.
      {"/api/v1/lots/LOT-11?period=CY1", kPilotToken, 400, "award"},
      {"/api/v1/lots?period=2024-05", "", 401, "Bearer"},
      {"/api/v1/lots?period=2024-05", "not-a-token", 401, "Bearer"},
      {"/api/v1/nothing-here", kPilotToken, 404, "no such endpoint"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto a = Get(c.path, c.token);
    EXPECT_EQ(a.status, c.status) << a.text;
    ASSERT_TRUE(a.body.contains("error")) << a.text;
    EXPECT_EQ(a.body["error"]["status"], c.status);
    EXPECT_NE(a.body["error"]["message"].get<std::string>().find(c.message), std::string::npos)
        << a.text;
  }
}

TEST_F(QueryApi, ContractYearsFollowTheLotsAward) {
  // LOT-94 awarded from 2024-01-02: CY1 holds every fact of the scenario:
  // b0..b5 are new (b0 in April).
  auto a = Get("/api/v1/lots/LOT-94?period=CY1");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["period"], "CY1@2024-01-02");
  EXPECT_EQ(ById(a.body["kpis"])["new_beneficiaries"]["numerator"], 6);
}

TEST_F(QueryApi, MetricsCountRequestsAndExportKpiGauges) {
  ASSERT_EQ(Get("/api/v1/lots?period=2024-05").status, 200);
  auto m = Get("/metrics");  // a pilot's token
  ASSERT_EQ(m.status, 200);
  // The answer just computed is remembered, within the bound.
  EXPECT_NE(m.text.find("pilotage_query_answer_cache_evictions_total 0"), std::string::npos)
      << m.text;
  EXPECT_EQ(m.text.find("pilotage_query_answer_cache_entries 0\n"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("pilotage_query_answer_cache_bytes "), std::string::npos) << m.text;
  EXPECT_NE(m.text.find(R"(pilotage_query_requests_total{endpoint="/api/v1/lots",status="200"})"),
            std::string::npos)
      << m.text;
  EXPECT_NE(m.text.find("pilotage_query_request_duration_seconds_bucket"), std::string::npos);
  // The default period is the quarter of the latest fact (May 2024): Q2.
  // LOT-94's new beneficiaries in Q2: b0..b5 = 6, target 36 x 91/366.
  EXPECT_NE(
      m.text.find(R"(pilotage_kpi_value{kpi="new_beneficiaries",lot="LOT-94",period="2024-Q2"} 6)"),
      std::string::npos)
      << m.text;
  EXPECT_NE(
      m.text.find(
          R"(pilotage_kpi_target{kpi="new_beneficiaries",lot="LOT-94",period="2024-Q2"} 8.95)"),
      std::string::npos)
      << m.text;
}

TEST_F(QueryApi, MetricsTakeAPilotsToken) {
  // Every lot's KPIs, penalties and budgets: not for anyone, not for one operator.
  auto none = Get("/metrics", "");
  EXPECT_EQ(none.status, 401) << none.text;
  EXPECT_EQ(none.text.find("pilotage_kpi_value"), std::string::npos);
  EXPECT_EQ(Get("/metrics", "not-a-token").status, 401);
  auto op = Get("/metrics", kCorseToken);
  EXPECT_EQ(op.status, 403) << op.text;
  EXPECT_EQ(op.text.find("pilotage_kpi_value"), std::string::npos);
  EXPECT_EQ(Get("/metrics").status, 200);
}

// The JSON log lines of the service with audit=read and this path.
std::vector<json> AuditLines(const QueryStack& stack, const std::string& path) {
  std::vector<json> out;
  std::ifstream in(stack.dir() / "query.log");
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("audit", "") == "read" && j.value("path", "") == path) {
      out.push_back(std::move(j));
    }
  }
  return out;
}

TEST_F(QueryApi, EveryReadIsAuditedWithWhoWhatAndWhen) {
  // Paths no other test reads, so that the lines found are these requests'.
  const std::string path = "/api/v1/lots/LOT-94/actions";
  ASSERT_EQ(Get(path + "?audit-probe=1", kCorseToken).status, 200);
  ASSERT_EQ(Get(path, "").status, 401);
  ASSERT_EQ(Get("/api/v1/lots/LOT-11/statement?period=2024-01", kCorseToken).status, 403);
  ASSERT_EQ(Get("/metrics").status, 200);
  // The response is sent after its line is written: no waiting needed.
  const auto lines = AuditLines(*stack_, path);
  std::vector<json> probe, anonymous;
  for (const auto& l : lines) {
    if (l["query"] == "audit-probe=1") probe.push_back(l);
    if (l["status"] == 401) anonymous.push_back(l);
  }
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(probe[0]["who"], "op-corse");
  EXPECT_EQ(probe[0]["role"], "operator");
  EXPECT_EQ(probe[0]["status"], 200);
  EXPECT_EQ(probe[0]["level"], "info");
  EXPECT_EQ(probe[0]["msg"], "read " + path);
  // When: the line's UTC time, RFC 3339 with milliseconds.
  ASSERT_TRUE(probe[0]["ts"].is_string());
  EXPECT_EQ(probe[0]["ts"].get<std::string>().size(),
            std::string("2026-11-30T03:13:37.123Z").size());
  ASSERT_EQ(anonymous.size(), 1u);
  EXPECT_EQ(anonymous[0]["who"], "");
  EXPECT_EQ(anonymous[0]["role"], "none");
  auto refused = AuditLines(*stack_, "/api/v1/lots/LOT-11/statement");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused.back()["who"], "op-corse");
  EXPECT_EQ(refused.back()["status"], 403);
  auto metrics = AuditLines(*stack_, "/metrics");
  ASSERT_FALSE(metrics.empty());
  EXPECT_EQ(metrics.back()["who"], "fc-pilotes");
  EXPECT_EQ(metrics.back()["role"], "pilot");
  // Never the token itself.
  std::ifstream in(stack_->dir() / "query.log");
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(log.find(kCorseToken), std::string::npos);
  EXPECT_EQ(log.find(kPilotToken), std::string::npos);
}

// fixtures/README.md works these out.
TEST_F(QueryApi, PenaltiesShowTheirExplanationAndProcedureState) {
  auto a = Get("/api/v1/lots/LOT-94/penalties");
  ASSERT_EQ(a.status, 200) << a.text;
  ASSERT_EQ(a.body["penalties"].size(), 2u);
  const json& delay = a.body["penalties"][0];
  EXPECT_EQ(Fields(delay, {"penalty_id", "state", "state_label", "amount_cents", "observations"}),
            (json{{"penalty_id", "PEN-94-2024-05-DELAY"},
                  {"state", "CONFIRMED"},
                  {"state_label", "confirmée"},
                  {"amount_cents", 150000},
                  {"observations", "Deux conseillers absents en mai."}}));
  EXPECT_NE(delay["explanation"].get<std::string>().find("60 % en mai 2024"), std::string::npos);
  const json& timeliness = a.body["penalties"][1];
  EXPECT_EQ(timeliness["state"], "PROPOSED");
  EXPECT_EQ(timeliness["observation_deadline"], "2024-07-05");
  EXPECT_EQ(timeliness["past_deadline_undecided"], true);
  EXPECT_EQ(a.body["totals"], (json{{"proposed_cents", 200000},
                                    {"confirmed_cents", 150000},
                                    {"waived_cents", 0},
                                    {"undecided_cents", 50000}}));
  // LOT-11 has none.
  auto none = Get("/api/v1/lots/LOT-11/penalties");
  ASSERT_EQ(none.status, 200) << none.text;
  EXPECT_TRUE(none.body["penalties"].empty());
}

TEST_F(QueryApi, CorrectiveActionsShowTheirDueDatesAndLateness) {
  auto a = Get("/api/v1/lots/LOT-94/actions");
  ASSERT_EQ(a.status, 200) << a.text;
  ASSERT_EQ(a.body["actions"].size(), 2u);
  EXPECT_EQ(Fields(a.body["actions"][0], {"action_id", "due_date", "state", "days_late"}),
            (json{{"action_id", "ACT-94-1"},
                  {"due_date", "2024-07-31"},
                  {"state", "CLOSED_LATE"},
                  {"days_late", 5}}));
  // Due 30 September 2024, never closed: overdue whatever today is.
  EXPECT_EQ(a.body["actions"][1]["state"], "OVERDUE");
}

TEST_F(QueryApi, StatementShowsWhatThePeriodCostsAndTheFundUsage) {
  auto a = Get("/api/v1/lots/LOT-94/statement?period=2024-05");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["fees_cents"], 0);
  EXPECT_EQ(a.body["variable_cents"], 0);
  EXPECT_EQ(a.body["penalties_cents"], 150000);
  EXPECT_EQ(a.body["net_amount_cents"], -150000);
  EXPECT_EQ(a.body["closed"], true);
  EXPECT_EQ(a.body["fund_usage"]["contract_year"], "CY1@2024-01-02");
  EXPECT_EQ(a.body["fund_usage"]["budget_envelope_cents"], 100000000);
  EXPECT_EQ(a.body["fund_usage"]["earlier_cents"], 0);
  EXPECT_EQ(a.body["fund_usage"]["cumulative_cents"], -150000);
  EXPECT_EQ(a.body["fund_usage"]["elapsed_days"], 151);
  EXPECT_EQ(a.body["fund_usage"]["year_days"], 366);
  // LOT-11 was never awarded: no budget, no statement.
  auto none = Get("/api/v1/lots/LOT-11/statement?period=2024-01");
  EXPECT_EQ(none.status, 400) << none.text;
  EXPECT_NE(none.body["error"]["message"].get<std::string>().find("award"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/lots/LOT-94/statement").status, 400);
  EXPECT_EQ(Get("/api/v1/lots/LOT-94/statement?period=2024-05", kCorseToken).status, 200);
  EXPECT_EQ(Get("/api/v1/lots/LOT-11/penalties", kCorseToken).status, 403);
  EXPECT_EQ(Get("/api/v1/lots/LOT-11/actions", kCorseToken).status, 403);
}

TEST_F(QueryApi, LotPageAndNationalSummaryCarryPenaltiesAndFundUsage) {
  auto lot = Get("/api/v1/lots/LOT-94?period=2024-05");
  ASSERT_EQ(lot.status, 200) << lot.text;
  EXPECT_EQ(lot.body["steering"]["penalties"].size(), 2u);
  EXPECT_EQ(lot.body["steering"]["actions"].size(), 2u);
  EXPECT_EQ(lot.body["steering"]["statement"]["net_amount_cents"], -150000);
  auto national = Get("/api/v1/national?period=2024-Q2");
  ASSERT_EQ(national.status, 200) << national.text;
  EXPECT_EQ(national.body["penalties"], (json{{"count", 2},
                                              {"proposed_cents", 200000},
                                              {"confirmed_cents", 150000},
                                              {"waived_cents", 0},
                                              {"undecided_cents", 50000}}));
  EXPECT_EQ(national.body["fund_usage"]["budget_envelope_cents"], 100000000);
  ASSERT_EQ(national.body["fund_usage"]["lots_without_statement"].size(), 1u);
  EXPECT_EQ(national.body["fund_usage"]["lots_without_statement"][0]["lot"], "LOT-11");
  // Nothing proposed for January.
  auto january = Get("/api/v1/national?period=2024-01");
  ASSERT_EQ(january.status, 200) << january.text;
  EXPECT_EQ(january.body["penalties"]["count"], 0);
}

TEST_F(QueryApi, FollowsTheStoreARebuildSwitchesTo) {
  ASSERT_EQ(Get("/api/v1/lots?period=2024-05").body["freshness"]["store"], "stores/initial");
  ASSERT_EQ(stack_->Rebuild("rebuilt"), 0);
  // The service notices the repointed `current` link at its next catch-up
  // (100 ms here); poll for it, then the same figures come from the new store.
  json body;
  for (int i = 0; i < 600; ++i) {
    body = Get("/api/v1/lots?period=2024-05").body;
    if (body["freshness"]["store"] == "stores/rebuilt" && body.contains("lots")) {
      // An answer computed on the rebuilt store, not a stale one.
      auto again = Get("/api/v1/lots?period=2024-05").body;
      if (again["freshness"]["store"] == "stores/rebuilt") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
  }
  ASSERT_EQ(body["freshness"]["store"], "stores/rebuilt") << body.dump();
  auto k = ById(body["lots"][1]["kpis"]);
  ExpectKpi(k["new_beneficiaries"], 5, 5, 5, 36.0 * 31 / 366, "MET");
  ExpectKpi(k["first_appointment_delay"], 3, 5, 0.6, 0.80, "BREACHED");
}

TEST_F(QueryApi, MetaGivesTheDefaultPeriodAndTheLots) {
  auto a = Get("/api/v1/meta");
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body["default_period"], "2024-Q2");
  EXPECT_EQ(a.body["principal"]["role"], "pilot");
  ASSERT_EQ(a.body["lots"].size(), 2u);
  EXPECT_EQ(a.body["lots"][1]["award"]["operator_id"], "op-corse");
}

// The dashboard trades its token for a session cookie (decision 0031):
// scripts never hold a credential, and the cookie stands for the token's
// principal with the same scope.
TEST_F(QueryApi, ADashboardSessionCookieStandsForTheTokenUntilClosed) {
  httplib::Client client("127.0.0.1", stack_->port());
  const httplib::Headers csrf = {{"X-Requested-With", "pilotage"}};
  const auto bearer = [](const std::string& token) {
    return httplib::Headers{{"X-Requested-With", "pilotage"}, {"Authorization", "Bearer " + token}};
  };
  // Without the custom header (what a cross-site form would send): refused.
  auto forged = client.Post(
      "/api/v1/session", httplib::Headers{{"Authorization", std::string("Bearer ") + kCorseToken}},
      "", "text/plain");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  EXPECT_FALSE(forged->has_header("Set-Cookie"));
  auto unknown = client.Post("/api/v1/session", bearer("not-a-token"), "", "text/plain");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_FALSE(unknown->has_header("Set-Cookie"));

  auto opened = client.Post("/api/v1/session", bearer(kCorseToken), "", "text/plain");
  ASSERT_TRUE(opened);
  ASSERT_EQ(opened->status, 200) << opened->body;
  const std::string set_cookie = opened->get_header_value("Set-Cookie");
  for (const char* attribute : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/api/"}) {
    EXPECT_NE(set_cookie.find(attribute), std::string::npos) << set_cookie;
  }
  ASSERT_EQ(set_cookie.rfind("pilotage_session=", 0), 0u) << set_cookie;
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  EXPECT_EQ(cookie.size(), std::string("pilotage_session=").size() + 64) << "256 random bits";
  EXPECT_EQ(json::parse(opened->body)["principal"], "op-corse");
  // Sign-ins are audited, refused ones included, never with the token.
  std::vector<json> signins;
  std::ifstream log(stack_->dir() / "query.log");
  for (std::string line; std::getline(log, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("audit", "") == "session") signins.push_back(std::move(j));
  }
  ASSERT_GE(signins.size(), 3u);
  EXPECT_EQ(signins.back()["who"], "op-corse");
  EXPECT_EQ(signins.back()["status"], 200);
  EXPECT_EQ(signins[signins.size() - 2]["who"], "");
  EXPECT_EQ(signins[signins.size() - 2]["status"], 401);

  // The cookie alone reads what the operator's token reads, no more.
  auto mine = client.Get("/api/v1/lots/LOT-94?period=2024-05", {{"Cookie", cookie}});
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->status, 200);
  auto other = client.Get("/api/v1/lots/LOT-11?period=2024-05", {{"Cookie", cookie}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  // A made-up session id is no session.
  auto guessed =
      client.Get("/api/v1/meta", {{"Cookie", "pilotage_session=" + std::string(64, 'a')}});
  ASSERT_TRUE(guessed);
  EXPECT_EQ(guessed->status, 401);

  // Closing needs the custom header too; then the cookie is worth nothing.
  auto close_forged = client.Post("/api/v1/session/end", {{"Cookie", cookie}}, "", "text/plain");
  ASSERT_TRUE(close_forged);
  EXPECT_EQ(close_forged->status, 403);
  EXPECT_EQ(client.Get("/api/v1/meta", {{"Cookie", cookie}})->status, 200);
  httplib::Headers with_cookie = csrf;
  with_cookie.emplace("Cookie", cookie);
  auto closed = client.Post("/api/v1/session/end", with_cookie, "", "text/plain");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->status, 200);
  EXPECT_NE(closed->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(client.Get("/api/v1/meta", {{"Cookie", cookie}})->status, 401);
}

TEST_F(QueryApi, ApiAnswersCarrySecurityHeadersAndAreNotCached) {
  httplib::Client client("127.0.0.1", stack_->port());
  for (const auto& [path, token] :
       {std::pair<std::string, std::string>{"/api/v1/meta", kPilotToken},
        {"/api/v1/meta", ""},
        {"/healthz", ""}}) {
    SCOPED_TRACE(path + (token.empty() ? " without token" : ""));
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto res = client.Get(path, headers);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer");
    EXPECT_NE(res->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos);
    // Plain HTTP: no HSTS (a browser ignores it there, and it would be a lie).
    EXPECT_FALSE(res->has_header("Strict-Transport-Security"));
  }
}

#ifdef PILOTAGE_QUERY_WEB_DIR
// The State's design system is served from the dashboard's own origin
// (decision 0044): its stylesheet, and the fonts and icons that stylesheet
// names in subfolders, with types a browser accepts under nosniff; no path
// leaves assets/.
TEST_F(QueryApi, ServesTheDesignSystemsStylesheetFontsAndIconsFromItsOwnOrigin) {
  httplib::Client client("127.0.0.1", stack_->port());
  for (const auto& [path, type] :
       {std::pair<std::string, std::string>{"/assets/dsfr/dsfr.min.css", "text/css; charset=utf-8"},
        {"/assets/dsfr/dsfr.module.min.js", "text/javascript; charset=utf-8"},
        {"/assets/dsfr/fonts/Marianne-Regular.woff2", "font/woff2"},
        {"/assets/dsfr/fonts/Marianne-Bold.woff", "font/woff"},
        {"/assets/dsfr/icons/system/close-line.svg", "image/svg+xml"}}) {
    SCOPED_TRACE(path);
    auto res = client.Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), type);
    EXPECT_FALSE(res->body.empty());
  }
  // What dsfr.min.css refers to resolves from /assets/dsfr/.
  auto css = client.Get("/assets/dsfr/dsfr.min.css");
  ASSERT_TRUE(css);
  EXPECT_NE(css->body.find("url(fonts/Marianne-Regular.woff2)"), std::string::npos);
  EXPECT_NE(css->body.find("url(icons/system/close-line.svg)"), std::string::npos);
  for (const char* path :
       {"/assets/dsfr/../../index.html", "/assets/dsfr/%2e%2e/app.js", "/assets/.dsfr.yml",
        "/assets/dsfr/fonts/", "/assets/dsfr/no-such.css"}) {
    SCOPED_TRACE(path);
    auto res = client.Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
  }
}
#endif

TEST_F(QueryApi, MetaOffersTheQuartersFromTheFirstActivityToTodaysNotLater) {
  auto a = Get("/api/v1/meta");
  ASSERT_EQ(a.status, 200) << a.text;
  // Activity runs from 3 January to 31 May 2024; the terms give 15 days of
  // grace: Q1 closed on 15 April, Q2 on 15 July 2024.
  const auto& quarters = a.body["quarters"];
  ASSERT_GE(quarters.size(), 2u);
  EXPECT_EQ(quarters.back(), (json{{"period", "2024-Q1"},
                                   {"period_label", "T1 2024"},
                                   {"closing_day", "2024-04-15"},
                                   {"closed", true}}));
  EXPECT_EQ(quarters[quarters.size() - 2]["period"], "2024-Q2");
  EXPECT_EQ(quarters[quarters.size() - 2]["closing_day"], "2024-07-15");
  // Newest first: the quarter holding the service's today, still open;
  // none after it.
  const std::string today = a.body["today"];
  const int year = std::stoi(today.substr(0, 4));
  const int quarter = (std::stoi(today.substr(5, 2)) - 1) / 3 + 1;
  EXPECT_EQ(quarters[0]["period"], std::to_string(year) + "-Q" + std::to_string(quarter));
  EXPECT_EQ(quarters[0]["closed"], false);
  EXPECT_EQ(quarters.size(), static_cast<size_t>((year - 2024) * 4 + quarter));
  // Pages land on the last closed quarter with activity.
  EXPECT_EQ(a.body["default_period"], "2024-Q2");
  auto list = Get("/api/v1/lots?period=2024-Q2");
  ASSERT_EQ(list.status, 200) << list.text;
  for (const auto& row : list.body["lots"]) EXPECT_EQ(row["closed"], true) << row["lot"];
  EXPECT_EQ(Get("/api/v1/national?period=2024-Q2").body["closed"], true);
}

TEST_F(QueryApi, PendingListsWhatAwaitsADecisionAcrossLotsWithItsDeadlines) {
  // fixtures/README.md: PEN-94-2024-05-DELAY is confirmed and ACT-94-1
  // closed; the timeliness penalty awaits a decision and ACT-94-2 is open
  // past its due date. LOT-11 has neither.
  for (const char* token : {kPilotToken, kCorseToken}) {
    auto a = Get("/api/v1/pending", token);
    ASSERT_EQ(a.status, 200) << a.text;
    ASSERT_EQ(a.body["penalties"].size(), 1u) << a.text;
    const auto& p = a.body["penalties"][0];
    EXPECT_EQ(p["lot"], "LOT-94");
    EXPECT_EQ(p["operator_name"], "Opérateur Corse");
    EXPECT_EQ(p["penalty_id"], "PEN-94-2024-05-TIMELINESS");
    EXPECT_EQ(p["amount_cents"], 50000);
    EXPECT_EQ(p["period_label"], "mai 2024");
    EXPECT_EQ(p["state"], "PROPOSED");
    EXPECT_EQ(p["observation_deadline"], "2024-07-05");
    EXPECT_EQ(p["decision_from"], "2024-07-06");
    EXPECT_EQ(p["past_deadline_undecided"], true);
    ASSERT_EQ(a.body["actions"].size(), 1u) << a.text;
    const auto& act = a.body["actions"][0];
    EXPECT_EQ(act["lot"], "LOT-94");
    EXPECT_EQ(act["action_id"], "ACT-94-2");
    EXPECT_EQ(act["kpi_label"], "Activité saisie sous 5 jours");
    EXPECT_EQ(act["due_date"], "2024-09-30");
    EXPECT_EQ(act["state"], "OVERDUE");
  }
}

}  // namespace
}  // namespace pilotage::query_test
