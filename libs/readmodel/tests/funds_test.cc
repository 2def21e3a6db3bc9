// ComputeFundUsage (funds.h) on hand-made read models: a contract year
// starting inside a quarter, an amendment changing a price, an appointment
// sent twice, one no price matches, days outside the year. Expected figures
// worked out by hand below.
#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "pilotage/readmodel/funds.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/testing/status.h"

namespace pilotage::readmodel {
namespace {

namespace v1 = ::pilotage::v1;

v1::ContractTerms Terms(const std::string& version, const std::string& from, int64_t level1) {
  v1::ContractTerms terms;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        kpis {
          id: "new_beneficiaries"
          label: "Nouveaux bénéficiaires"
          formula: NEW_BENEFICIARIES
          direction: AT_LEAST
          target: 12
        }
        delays { closing_grace_days: 15 observation_days: 15 }
      )pb",
      &terms));
  terms.set_version(version);
  terms.set_effective_from(from);
  auto* price = terms.add_unit_prices();
  price->set_level(v1::Level::LEVEL_1_WELCOME);
  price->set_amount_cents(level1);
  return terms;
}

void Appointment(LotReadModel& lot, const std::string& day, const std::string& id,
                 v1::Level::Value level = v1::Level::LEVEL_1_WELCOME) {
  auto* a = lot.facts.journeys.emplace_back().add_appointments();
  a->set_day(day);
  a->set_appointment_id(id);
  a->set_level(level);
}

class FundUsageTest : public ::testing::Test {
 protected:
  FundUsageTest() {
    lot_.facts.lot_id = "LOT-F";
    v1::LotAwarded award;
    award.set_start_date("2024-02-15");
    auto* budget = award.add_budget();
    budget->set_contract_year(1);
    budget->set_amount_cents(100000);
    lot_.facts.award = award;
    // 40 € a level-1 appointment from the start, 50 € from 1 July 2024.
    lot_.terms = {Terms("F.1", "2024-02-15", 4000), Terms("F.2", "2024-07-01", 5000)};
    Appointment(lot_, "2024-02-10", "before-start");
    Appointment(lot_, "2024-02-20", "a1");
    Appointment(lot_, "2024-03-01", "a2");
    Appointment(lot_, "2024-03-01", "a2");  // the same appointment sent twice
    Appointment(lot_, "2024-07-05", "a3");
    Appointment(lot_, "2024-08-01", "a4", v1::Level::LEVEL_2_SUPPORT);  // no price
    Appointment(lot_, "2025-02-20", "next-year");
    history_ = HistoryOf(lot_.terms, nullptr);
  }
  LotSteering View() const {
    return {.lot_id = "LOT-F", .lot = &lot_, .steering = &steering_, .history = &history_};
  }

  LotReadModel lot_;
  SteeringReadModel steering_;
  domain::TermsHistory history_;
};

TEST_F(FundUsageTest, EarnedFromTheYearsStartAtEachQuartersPriceAndProjected) {
  auto u = ComputeFundUsage(View(), absl::CivilDay(2024, 9, 30), absl::CivilDay(2026, 1, 1));
  ASSERT_OK(u);
  // Contract year 1: 15 February 2024 to 14 February 2025, 366 days (29
  // February 2024 in it). Elapsed to 30 September: 15 (15-29 Feb) + 31 +
  // 30 + 31 + 30 + 31 + 31 + 30 = 229 days.
  EXPECT_EQ(u->contract_year.FirstDay(), absl::CivilDay(2024, 2, 15));
  EXPECT_EQ(u->contract_year.LastDay(), absl::CivilDay(2025, 2, 14));
  EXPECT_EQ(u->contract_year_index, 1);
  EXPECT_EQ(u->year_days, 366);
  EXPECT_EQ(u->elapsed_days, 229);
  EXPECT_EQ(u->as_of, absl::CivilDay(2024, 9, 30));
  // a1 40 € + a2 40 € (once) + a3 50 € (F.2 governs Q3); a4 unpriced.
  EXPECT_EQ(u->earned_cents, 13000);
  EXPECT_EQ(u->appointments, 4);
  EXPECT_EQ(u->unpriced_appointments, 1);
  // 13 000 x 366 / 229 = 20 777.29 -> 20 777 cents.
  EXPECT_EQ(u->projected_cents, 20777);
  ASSERT_TRUE(u->envelope_cents.has_value());
  EXPECT_EQ(*u->envelope_cents, 100000);
  ASSERT_EQ(u->quarters.size(), 3u);
  EXPECT_EQ(u->quarters[0].quarter.ToString(), "2024-Q1");
  EXPECT_EQ(u->quarters[0].earned_cents, 8000);
  EXPECT_EQ(u->quarters[0].appointments, 2);
  EXPECT_EQ(u->quarters[1].earned_cents, 0);
  EXPECT_EQ(u->quarters[2].earned_cents, 5000);
  EXPECT_EQ(u->quarters[2].appointments, 2);
}

TEST_F(FundUsageTest, TodayBoundsTheEarnedAndTheDaysElapsed) {
  // On 1 March 2024: a1 only (a2 is on 1 March: included), 16 days elapsed.
  auto u = ComputeFundUsage(View(), absl::CivilDay(2024, 3, 31), absl::CivilDay(2024, 3, 1));
  ASSERT_OK(u);
  EXPECT_EQ(u->as_of, absl::CivilDay(2024, 3, 1));
  EXPECT_EQ(u->elapsed_days, 16);
  EXPECT_EQ(u->earned_cents, 8000);
  // 8 000 x 366 / 16 = 183 000.
  EXPECT_EQ(u->projected_cents, 183000);
}

TEST_F(FundUsageTest, IssuedStatementsOfTheYearAreListedByQuarter) {
  store::v1::StatementRecord q2;
  q2.mutable_statement()->set_statement_id("STMT-LOT-F-2024-Q2");
  q2.mutable_statement()->set_period("2024-Q2");
  q2.mutable_statement()->set_net_amount_cents(-1500);
  store::v1::StatementRecord earlier;  // ends before the contract year
  earlier.mutable_statement()->set_statement_id("STMT-LOT-F-2024-01");
  earlier.mutable_statement()->set_period("2024-01");
  earlier.mutable_statement()->set_net_amount_cents(999);
  steering_.statements = {earlier, q2};
  auto u = ComputeFundUsage(View(), absl::CivilDay(2024, 9, 30), absl::CivilDay(2026, 1, 1));
  ASSERT_OK(u);
  ASSERT_EQ(u->issued.size(), 1u);
  EXPECT_EQ(u->issued[0].statement_id(), "STMT-LOT-F-2024-Q2");
  EXPECT_EQ(u->issued_net_cents, -1500);
  EXPECT_FALSE(u->quarters[0].issued.has_value());
  ASSERT_TRUE(u->quarters[1].issued.has_value());
  EXPECT_EQ(u->quarters[1].issued->net_amount_cents(), -1500);
}

TEST_F(FundUsageTest, RefusesADayBeforeTheLotStartsOrAYearNotStarted) {
  auto early = ComputeFundUsage(View(), absl::CivilDay(2024, 1, 31), absl::CivilDay(2026, 1, 1));
  EXPECT_TRUE(absl::IsInvalidArgument(early.status())) << early.status();
  auto not_started =
      ComputeFundUsage(View(), absl::CivilDay(2024, 3, 31), absl::CivilDay(2024, 2, 1));
  EXPECT_TRUE(absl::IsInvalidArgument(not_started.status())) << not_started.status();
}

TEST_F(FundUsageTest, RefusesALotWithoutAward) {
  lot_.facts.award.reset();
  auto none = ComputeFundUsage(View(), absl::CivilDay(2024, 9, 30), absl::CivilDay(2026, 1, 1));
  EXPECT_TRUE(absl::IsFailedPrecondition(none.status())) << none.status();
}

}  // namespace
}  // namespace pilotage::readmodel
