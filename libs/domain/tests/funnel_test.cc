// The funnel (funnel.h) and a lot's period names (lot_period.h): the rules
// the query API and pilotagectl take from libs/domain.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pilotage/domain/funnel.h"
#include "pilotage/domain/lot_period.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;
namespace sv1 = ::pilotage::store::v1;

// A journey: its first request on `request_day` ("" for none), then the
// appointment levels, deliverable types and whether it is closed.
sv1::Journey Journey(const std::string& request_day, std::vector<v1::Level::Value> levels,
                     std::vector<v1::DeliverableType::Value> deliverables, bool closed) {
  sv1::Journey j;
  if (!request_day.empty()) j.add_requests()->set_day(request_day);
  for (auto level : levels) j.add_appointments()->set_level(level);
  for (auto type : deliverables) j.add_deliverables()->set_type(type);
  if (closed) j.add_closures()->set_day("2024-06-28");
  return j;
}

TEST(Funnel, CountsTheBeneficiariesOfThePeriodAtEachStep) {
  constexpr auto kL1 = v1::Level::LEVEL_1_WELCOME;
  constexpr auto kL2 = v1::Level::LEVEL_2_SUPPORT;
  constexpr auto kPlan = v1::DeliverableType::ACTION_PLAN;
  LotFacts facts{.lot_id = "LOT-11"};
  // Five beneficiaries of May 2024 ...
  facts.journeys.push_back(Journey("2024-05-02", {kL1, kL2, kL2}, {kPlan}, true));
  facts.journeys.push_back(Journey("2024-05-10", {kL1, kL2}, {kPlan}, false));
  facts.journeys.push_back(Journey("2024-05-15", {kL1}, {}, false));
  facts.journeys.push_back(Journey("2024-05-31", {kL1}, {}, true));
  facts.journeys.push_back(Journey("2024-05-20", {}, {}, false));
  // ... and three left out: April, a journey without request, an unreadable day.
  facts.journeys.push_back(Journey("2024-04-30", {kL1, kL2}, {kPlan}, true));
  facts.journeys.push_back(Journey("", {kL1}, {}, false));
  facts.journeys.push_back(Journey("31/05/2024", {kL1}, {}, false));

  auto may = Period::Parse("2024-05");
  ASSERT_OK(may);
  const JourneyFunnel f = CountFunnel(facts, *may);
  EXPECT_EQ(f.requests, 5);
  EXPECT_EQ(f.level_1, 4);
  EXPECT_EQ(f.level_2, 2);  // the first journey's two level 2 appointments count once
  EXPECT_EQ(f.action_plan, 2);
  EXPECT_EQ(f.closure, 2);
}

TEST(Funnel, IsEmptyForALotWithoutJourneys) {
  auto q2 = Period::Parse("2024-Q2");
  ASSERT_OK(q2);
  const JourneyFunnel f = CountFunnel(LotFacts{.lot_id = "LOT-11"}, *q2);
  EXPECT_EQ(f.requests + f.level_1 + f.level_2 + f.action_plan + f.closure, 0);
}

TEST(LotPeriod, ReadsABareContractYearFromTheLotsAward) {
  LotFacts facts{.lot_id = "LOT-94"};
  facts.award.emplace();
  facts.award->set_start_date("2024-01-02");
  auto cy2 = ParseLotPeriod("CY2", facts);
  ASSERT_OK(cy2);
  EXPECT_EQ(cy2->ToString(), "CY2@2024-01-02");
  EXPECT_EQ(cy2->FirstDay(), absl::CivilDay(2025, 1, 2));
  EXPECT_EQ(cy2->LastDay(), absl::CivilDay(2026, 1, 1));
}

TEST(LotPeriod, ReadsTheCalendarFormsWithoutAnAward) {
  const LotFacts facts{.lot_id = "LOT-11"};
  for (const char* text : {"2024-05", "2024-Q2", "2024", "CY1@2024-01-02"}) {
    auto p = ParseLotPeriod(text, facts);
    ASSERT_OK(p) << text;
    EXPECT_EQ(p->ToString(), text);
  }
}

TEST(LotPeriod, RefusesABareContractYearWithoutAnAwardSayingWhatToWrite) {
  auto p = ParseLotPeriod("CY1", LotFacts{.lot_id = "LOT-11"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(p.status().message(),
            "period CY1: lot 'LOT-11' has no award (LotAwarded) giving its start date; write "
            "CYn@YYYY-MM-DD");
}

TEST(LotPeriod, RefusesAMalformedPeriod) {
  LotFacts facts{.lot_id = "LOT-94"};
  facts.award.emplace();
  facts.award->set_start_date("2024-01-02");
  for (const char* text : {"2024-T1", "CY0", "CYx", ""}) {
    auto p = ParseLotPeriod(text, facts);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace pilotage::domain
