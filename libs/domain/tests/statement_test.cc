// Payment statements (statement.h), every figure worked out by hand in the
// comments.
#include "pilotage/domain/statement.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

namespace sv1 = ::pilotage::store::v1;
using v1::Level;
using v1::Modality;
using v1::SupportKind;

// 2024-07-15 00:00 in Paris (summer time) is 2024-07-14T22:00:00Z: Q2 2024
// closes on 15 July with 15 days of grace.
constexpr int64_t kQ2Closing = 1720994400;
constexpr int64_t kDay = 86400;

absl::CivilDay Day(const char* text) { return *ParseDay(text); }

v1::ContractTerms Terms() {
  v1::ContractTerms t;
  t.set_version("2024.1");
  t.set_effective_from("2024-01-02");
  t.mutable_delays()->set_closing_grace_days(15);
  auto price = [&](Level::Value l, Modality::Value m, SupportKind::Value k, int64_t cents) {
    auto* p = t.add_unit_prices();
    p->set_level(l);
    p->set_modality(m);
    p->set_kind(k);
    p->set_amount_cents(cents);
  };
  price(Level::LEVEL_1_WELCOME, Modality::IN_PERSON, SupportKind::UNSPECIFIED, 8000);
  price(Level::LEVEL_1_WELCOME, Modality::PHONE, SupportKind::UNSPECIFIED, 6500);
  price(Level::LEVEL_2_SUPPORT, Modality::IN_PERSON, SupportKind::LONG_TERM, 22000);
  price(Level::LEVEL_2_SUPPORT, Modality::VIDEO, SupportKind::UNSPECIFIED, 19000);
  price(Level::LEVEL_2_SUPPORT, Modality::UNSPECIFIED, SupportKind::LONG_TERM, 15000);
  auto bonus = [&](const char* id, const char* kpi, double threshold, int bp, int64_t fixed) {
    auto* b = t.add_bonus_rules();
    b->set_id(id);
    b->set_label(id);
    b->set_kpi_id(kpi);
    b->set_threshold(threshold);
    b->set_share_of_fees_bp(bp);
    b->set_fixed_amount_cents(fixed);
  };
  bonus("satisfaction_bonus", "satisfaction", 0.90, 250, 10000);
  bonus("uptake_bonus", "new_beneficiaries", 13500, 300, 0);
  bonus("delay_bonus", "first_appointment_delay", 0.85, 0, 50000);
  bonus("remote_bonus", "remote_share", 0.30, 0, 2000);
  bonus("usefulness_bonus", "usefulness", 0.5, 0, 70000);
  return t;
}

sv1::AppointmentFact Appointment(std::string id, const char* day, int64_t recorded_at,
                                 Level::Value l, Modality::Value m, SupportKind::Value k) {
  sv1::AppointmentFact a;
  a.set_event_id("e-" + id + "-" + std::to_string(recorded_at));
  a.set_appointment_id(std::move(id));
  a.set_day(day);
  a.set_recorded_at(recorded_at);
  a.set_level(l);
  a.set_modality(m);
  a.set_kind(k);
  return a;
}

// Q2 2024: counted (L1 in person) x2, (L1 phone) x1, (L2 in person long
// term) x1; late: a3 (recorded 20 July) and b4 (recorded exactly at the
// closing instant); outside: a4 (31 March); b1bis repeats b1's id.
LotFacts Facts() {
  LotFacts f;
  f.lot_id = "LOT-11";
  sv1::Journey j1;
  *j1.add_appointments() =
      Appointment("a4", "2024-03-31", kQ2Closing - 100 * kDay, Level::LEVEL_1_WELCOME,
                  Modality::IN_PERSON, SupportKind::ONE_OFF);
  *j1.add_appointments() =
      Appointment("a1", "2024-04-10", kQ2Closing - 90 * kDay, Level::LEVEL_1_WELCOME,
                  Modality::IN_PERSON, SupportKind::ONE_OFF);
  *j1.add_appointments() =
      Appointment("a2", "2024-05-02", kQ2Closing - 70 * kDay, Level::LEVEL_2_SUPPORT,
                  Modality::IN_PERSON, SupportKind::LONG_TERM);
  *j1.add_appointments() =
      Appointment("a3", "2024-06-28", kQ2Closing + 5 * kDay, Level::LEVEL_2_SUPPORT,
                  Modality::IN_PERSON, SupportKind::LONG_TERM);
  sv1::Journey j2;
  *j2.add_appointments() =
      Appointment("b1", "2024-04-11", kQ2Closing - 90 * kDay, Level::LEVEL_1_WELCOME,
                  Modality::IN_PERSON, SupportKind::ONE_OFF);
  *j2.add_appointments() =
      Appointment("b1", "2024-04-11", kQ2Closing - 80 * kDay, Level::LEVEL_1_WELCOME,
                  Modality::IN_PERSON, SupportKind::ONE_OFF);
  *j2.add_appointments() = Appointment("b3", "2024-06-30", kQ2Closing - 1, Level::LEVEL_1_WELCOME,
                                       Modality::PHONE, SupportKind::ONE_OFF);
  *j2.add_appointments() = Appointment("b4", "2024-06-29", kQ2Closing, Level::LEVEL_2_SUPPORT,
                                       Modality::VIDEO, SupportKind::LONG_TERM);
  f.journeys = {j1, j2};
  return f;
}

KpiResult Kpi(const char* id, v1::KpiFormula::Value formula, v1::Direction::Value direction,
              double value, KpiStatus status) {
  KpiResult k;
  k.kpi_id = id;
  k.label = id;
  k.formula = formula;
  k.direction = direction;
  k.value = value;
  k.status = status;
  k.sample = 100;
  return k;
}

PenaltyProcedure Penalty(const char* id, const char* period, int64_t cents, PenaltyState state) {
  PenaltyProcedure p;
  p.proposal.set_penalty_id(id);
  p.proposal.set_period(period);
  p.proposal.set_amount_cents(cents);
  p.state = state;
  return p;
}

v1::PaymentStatementIssued Issued(const char* period, int64_t net) {
  v1::PaymentStatementIssued s;
  s.set_statement_id(std::string("STMT-LOT-11-") + period);
  s.set_period(period);
  s.set_net_amount_cents(net);
  return s;
}

StatementInputs Inputs(const v1::ContractTerms& terms, int64_t envelope) {
  StatementInputs in;
  in.lot_id = "LOT-11";
  in.period = *Period::Parse("2024-Q2");
  in.terms = &terms;
  in.appointments = CountAppointments(Facts(), in.period, Day("2024-07-15"));
  in.kpis = {
      Kpi("satisfaction", v1::KpiFormula::END_OF_SERVICE_SATISFACTION, v1::Direction::AT_LEAST,
          0.92, KpiStatus::kMet),
      // Q2 2024 is 91/366 of 2024: the threshold is 13500 x 91 / 366 = 3356.56.
      Kpi("new_beneficiaries", v1::KpiFormula::NEW_BENEFICIARIES, v1::Direction::AT_LEAST, 3400,
          KpiStatus::kMet),
      Kpi("first_appointment_delay", v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY,
          v1::Direction::AT_LEAST, 0.80, KpiStatus::kBreached),
      Kpi("remote_share", v1::KpiFormula::REMOTE_SHARE, v1::Direction::AT_MOST, 0.25,
          KpiStatus::kMet),
      Kpi("usefulness", v1::KpiFormula::SIX_MONTH_USEFULNESS, v1::Direction::AT_LEAST, 0.9,
          KpiStatus::kNotEnoughData),
  };
  in.penalties = {Penalty("PEN-A", "2024-Q2", 5000, PenaltyState::kConfirmed),
                  Penalty("PEN-B", "2024-Q2", 7000, PenaltyState::kObservationsReceived),
                  Penalty("PEN-C", "2024-Q1", 9000, PenaltyState::kConfirmed),
                  Penalty("PEN-D", "2024-Q2", 3000, PenaltyState::kWaived)};
  in.award.set_start_date("2024-01-02");
  auto* b = in.award.add_budget();
  b->set_contract_year(1);
  b->set_amount_cents(envelope);
  in.issued = {Issued("2023-Q4", 77777), Issued("2024-Q1", 40000), Issued("2024-Q2", 1),
               Issued("2024-Q3", 99999)};
  return in;
}

TEST(UnitPriceFor, TheMostSpecificMatchingPriceWins) {
  const auto terms = Terms();
  struct Case {
    Level::Value l;
    Modality::Value m;
    SupportKind::Value k;
    std::optional<int64_t> price;
  } cases[] = {
      {Level::LEVEL_1_WELCOME, Modality::IN_PERSON, SupportKind::ONE_OFF, 8000},
      {Level::LEVEL_2_SUPPORT, Modality::IN_PERSON, SupportKind::LONG_TERM, 22000},
      // modality named (19000) beats kind named (15000)
      {Level::LEVEL_2_SUPPORT, Modality::VIDEO, SupportKind::LONG_TERM, 19000},
      {Level::LEVEL_2_SUPPORT, Modality::PHONE, SupportKind::LONG_TERM, 15000},
      {Level::LEVEL_2_SUPPORT, Modality::PHONE, SupportKind::ONE_OFF, std::nullopt},
      {Level::LEVEL_1_WELCOME, Modality::VIDEO, SupportKind::ONE_OFF, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.l << "/" << c.m << "/" << c.k);
    EXPECT_EQ(UnitPriceFor(terms, c.l, c.m, c.k), c.price);
  }
}

TEST(CountAppointments, CountsWhatWasKnownAtClosingOncePerAppointment) {
  const auto counted = CountAppointments(Facts(), *Period::Parse("2024-Q2"), Day("2024-07-15"));
  ASSERT_EQ(counted.counts.size(), 3u);
  EXPECT_EQ(counted.counts[0].modality, Modality::IN_PERSON);  // L1 in person
  EXPECT_EQ(counted.counts[0].appointments, 2);
  EXPECT_EQ(counted.counts[1].modality, Modality::PHONE);  // L1 phone
  EXPECT_EQ(counted.counts[1].appointments, 1);
  EXPECT_EQ(counted.counts[2].level, Level::LEVEL_2_SUPPORT);
  EXPECT_EQ(counted.counts[2].appointments, 1);
  EXPECT_EQ(counted.late, 2);
}

TEST(PeriodFeesCents, PricesTheAppointmentsOfThePeriod) {
  // 2 x 80 EUR + 1 x 65 EUR + 1 x 220 EUR = 445 EUR.
  ASSERT_OK_AND_ASSIGN(const int64_t fees,
                       PeriodFeesCents(Facts(), Terms(), *Period::Parse("2024-Q2")));
  EXPECT_EQ(fees, 44500);
}

TEST(ComputeStatement, FeesBonusesPenaltiesAndFundUsage) {
  const auto terms = Terms();
  auto result = ComputeStatement(Inputs(terms, 180000));
  ASSERT_OK(result);
  const auto& s = result->statement;
  EXPECT_EQ(s.statement_id(), "STMT-LOT-11-2024-Q2");
  EXPECT_EQ(s.period(), "2024-Q2");
  EXPECT_EQ(s.terms_version(), "2024.1");
  ASSERT_EQ(s.fees_size(), 3);
  EXPECT_EQ(s.fees(0).level(), "LEVEL_1_WELCOME");
  EXPECT_EQ(s.fees(0).modality(), "IN_PERSON");
  EXPECT_EQ(s.fees(0).kind(), "ONE_OFF");
  EXPECT_EQ(s.fees(0).amount_cents(), 16000);
  EXPECT_EQ(s.fees(1).amount_cents(), 6500);
  EXPECT_EQ(s.fees(2).unit_price_cents(), 22000);
  EXPECT_EQ(s.fees_cents(), 44500);

  // satisfaction: 44500 x 250 / 10000 = 1112.5 -> 1112, + 10000 fixed;
  // uptake: 3400 >= 3356.56, 44500 x 300 / 10000 = 1335; delay: 0.80 <
  // 0.85, nothing; remote (at most 0.30): 0.25, 2000 fixed; usefulness:
  // not enough data, nothing. 11112 + 1335 + 2000 = 14447.
  ASSERT_EQ(s.variable_payments_size(), 5);
  EXPECT_EQ(s.variable_payments(0).amount_cents(), 11112);
  EXPECT_EQ(s.variable_payments(1).amount_cents(), 1335);
  EXPECT_EQ(s.variable_payments(2).amount_cents(), 0);
  EXPECT_NE(s.variable_payments(2).basis().find("non acquis"), std::string::npos);
  EXPECT_EQ(s.variable_payments(3).amount_cents(), 2000);
  EXPECT_EQ(s.variable_payments(4).amount_cents(), 0);
  EXPECT_NE(s.variable_payments(4).basis().find("données insuffisantes"), std::string::npos);
  EXPECT_EQ(s.variable_cents(), 14447);

  // Only PEN-A is confirmed for Q2.
  ASSERT_EQ(s.penalties_size(), 1);
  EXPECT_EQ(s.penalties(0).penalty_id(), "PEN-A");
  EXPECT_EQ(s.penalties_cents(), 5000);
  EXPECT_EQ(s.net_amount_cents(), 44500 + 14447 - 5000);

  // Contract year 1: 2024-01-02 .. 2025-01-01, 366 days; elapsed to 30 June:
  // 30 + 29 + 31 + 30 + 31 + 30 = 181 days. Earlier: Q1 (40000); Q4 2023 is
  // before the lot, Q3 after, the old Q2 statement replaced.
  EXPECT_EQ(result->contract_year.ToString(), "CY1@2024-01-02");
  EXPECT_EQ(result->earlier_usage_cents, 40000);
  EXPECT_EQ(s.cumulative_fund_usage_cents(), 93947);
  EXPECT_EQ(s.budget_envelope_cents(), 180000);
  EXPECT_EQ(result->year_days, 366);
  EXPECT_EQ(result->elapsed_days, 181);
  // 93947 x 366 / 181 = 34384602 / 181 = 189970.17 -> 189970 > 180000.
  EXPECT_EQ(result->projected_usage_cents, 189970);
  EXPECT_TRUE(result->projection_exceeds_envelope);
  EXPECT_EQ(result->late_appointments, 2);
  ASSERT_EQ(result->warnings.size(), 2u);
  EXPECT_NE(result->warnings[0].find("serait dépassée"), std::string::npos) << result->warnings[0];
  EXPECT_NE(result->warnings[1].find("après sa clôture : 2"), std::string::npos)
      << result->warnings[1];
}

TEST(ComputeStatement, NoWarningWhenTheProjectionFitsTheEnvelope) {
  const auto terms = Terms();
  auto result = ComputeStatement(Inputs(terms, 189970));
  ASSERT_OK(result);
  EXPECT_FALSE(result->projection_exceeds_envelope);
  EXPECT_EQ(result->warnings.size(), 1u);  // the late appointments only
}

TEST(ComputeStatement, WarnsWhenTheContractYearHasNoEnvelope) {
  const auto terms = Terms();
  auto in = Inputs(terms, 0);
  in.award.clear_budget();
  auto result = ComputeStatement(in);
  ASSERT_OK(result);
  EXPECT_EQ(result->statement.budget_envelope_cents(), 0);
  EXPECT_NE(result->warnings[0].find("aucune enveloppe"), std::string::npos);
}

TEST(ComputeStatement, RefusesAPeriodOverlappingAnIssuedStatement) {
  const auto terms = Terms();
  auto in = Inputs(terms, 180000);
  in.issued.push_back(Issued("2024-05", 10));
  auto result = ComputeStatement(in);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("2024-05"), std::string_view::npos);
}

TEST(ComputeStatement, APeriodWithoutDataHasNoFeesAndNoShareBonus) {
  const auto terms = Terms();
  auto in = Inputs(terms, 180000);
  in.appointments = {};
  in.penalties.clear();
  in.issued.clear();
  auto result = ComputeStatement(in);
  ASSERT_OK(result);
  EXPECT_EQ(result->statement.fees_cents(), 0);
  // Fixed parts still earned on the KPIs given: 10000 + 2000.
  EXPECT_EQ(result->statement.variable_cents(), 12000);
  EXPECT_EQ(result->statement.net_amount_cents(), 12000);
}

TEST(ComputeStatement, RefusesAPeriodBeforeTheLotStarts) {
  const auto terms = Terms();
  auto in = Inputs(terms, 180000);
  in.period = *Period::Parse("2023-Q4");
  EXPECT_EQ(ComputeStatement(in).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pilotage::domain
