#include "pilotage/domain/penalty.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/kpi.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/terms.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

// Every expected amount below is worked out by hand in the comments.

v1::ContractTerms Terms(const std::string& version, const std::string& from,
                        int64_t per_point_cents, int64_t threshold_cents) {
  v1::ContractTerms terms;
  const std::string text = R"pb(
    kpis {
      id: "first_appointment_delay"
      label: "Premier rendez-vous sous 10 jours ouvrés"
      formula: FIRST_APPOINTMENT_WITHIN_DELAY
      direction: AT_LEAST
      target: 0.80
      at_risk_margin: 0.05
      min_sample: 30
      delay_working_days: 10
    }
    kpis {
      id: "reporting_timeliness"
      label: "Remontée de l'activité sous 5 jours"
      formula: REPORTING_TIMELINESS
      direction: AT_LEAST
      target: 0.95
      min_sample: 1
      reporting_delay_days: 5
    }
    penalty_rules {
      id: "first_appointment_shortfall"
      label: "Délai de premier rendez-vous non tenu"
      trigger: KPI_SHORTFALL
      kpi_id: "first_appointment_delay"
    }
    penalty_rules {
      id: "late_reporting"
      label: "Remontée tardive de l'activité"
      trigger: LATE_REPORTING
      kpi_id: "reporting_timeliness"
      amount_per_point_cents: 20000
    }
    penalty_rules {
      id: "corrective_action_overdue"
      label: "Action corrective en retard"
      trigger: CORRECTIVE_ACTION_OVERDUE
      late_base_value_cents: 500000
    }
    penalty_limits { cap_share_of_annual_bp: 1000 }
    delays { closing_grace_days: 15 observation_days: 15 }
  )pb";
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &terms)) << text;
  terms.set_version(version);
  terms.set_effective_from(from);
  terms.mutable_penalty_rules(0)->set_amount_per_point_cents(per_point_cents);
  terms.mutable_penalty_limits()->set_threshold_cents(threshold_cents);
  EXPECT_OK(ValidateTerms(terms));
  return terms;
}

Period P(std::string_view text) { return *Period::Parse(text); }
absl::CivilDay D(std::string_view text) { return *ParseDay(text); }

// KPI results evaluated by libs/domain from (numerator, sample) pairs.
std::vector<KpiResult> Results(const v1::ContractTerms& terms, const Period& period,
                               KpiObservation first, KpiObservation reporting) {
  std::vector<KpiResult> out;
  for (const auto& kpi : terms.kpis()) {
    auto r = EvaluateKpi(kpi, "LOT-11", period,
                         kpi.id() == "first_appointment_delay" ? first : reporting);
    EXPECT_OK(r);
    out.push_back(*r);
  }
  return out;
}

PenaltyContext Context(const v1::ContractTerms& terms, const Period& period, KpiObservation first,
                       KpiObservation reporting) {
  PenaltyContext ctx{.lot_id = "LOT-11", .period = period, .terms = &terms};
  ctx.kpis = Results(terms, period, first, reporting);
  ctx.annual_amount_cents = 2'000'000'000;  // 20 M EUR: cap 10 % = 2 M EUR, out of the way
  // Notified on the closing day (the period's last day + 15 days of grace).
  ctx.notified_on = period.ClosingDay(15);
  return ctx;
}

TEST(PenaltyTest, TheObservationDelayRunsFromTheNotificationDay) {
  // Same shortfall as below, notified late: on Tuesday 20 August 2024, 36
  // days after the closing day. 15 calendar days from 20 August: 4 September
  // (20 + 15 = 35 = 31 August + 4), whatever the closing day.
  const auto terms = Terms("2024.1", "2024-01-01", 50000, 100000);
  auto ctx = Context(terms, P("2024-Q2"), {74, 100}, {100, 100});
  ctx.notified_on = D("2024-08-20");
  auto got = ProposePenalties(ctx);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].notified_on(), "2024-08-20");
  EXPECT_EQ((*got)[0].observation_deadline(), "2024-09-04");
  // Terms saying 0 days: the CCAG-FCS 15 days (procedure.h), not the
  // notification day itself.
  auto zero = terms;
  zero.mutable_delays()->set_observation_days(0);
  ctx.terms = &zero;
  got = ProposePenalties(ctx);
  ASSERT_OK(got);
  EXPECT_EQ((*got)[0].observation_deadline(), "2024-09-04");
}

TEST(PenaltyTest, ShortfallAboveThreshold) {
  // 74 of 100 within delay, target 80 %: 6 whole points below.
  // 6 x 500 EUR = 3 000 EUR = 300 000 cents > threshold 1 000 EUR.
  // Reporting 100 of 100: met.
  const auto terms = Terms("2024.1", "2024-01-01", 50000, 100000);
  auto got = ProposePenalties(Context(terms, P("2024-Q2"), {74, 100}, {100, 100}));
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  const auto& p = (*got)[0];
  EXPECT_EQ(p.rule_id(), "first_appointment_shortfall");
  EXPECT_EQ(p.computed_cents(), 300000);
  EXPECT_EQ(p.amount_cents(), 300000);
  EXPECT_EQ(p.limit_applied(), "");
  EXPECT_EQ(p.formula(), "500,00 EUR x 6");
  // Q2 2024 ends 2024-06-30, closes 15 days later (2024-07-15), notified
  // that day; observations within 15 more days: 2024-07-30.
  EXPECT_EQ(p.notified_on(), "2024-07-15");
  EXPECT_EQ(p.observation_deadline(), "2024-07-30");
  EXPECT_EQ(p.penalty_id(),
            PenaltyId("LOT-11", "2024-Q2", "first_appointment_shortfall", "2024.1"));
  EXPECT_NE(p.explanation().find("non atteint de 6 point(s)"), std::string::npos)
      << p.explanation();
}

TEST(PenaltyTest, ThresholdZeroesThePeriod) {
  // 75 of 100: 5 points x 200 EUR (late_reporting rate used as the
  // shortfall rate here) = 1 000 EUR = threshold exactly: no penalty.
  const auto terms = Terms("2024.1", "2024-01-01", 20000, 100000);
  auto got = ProposePenalties(Context(terms, P("2024-Q2"), {75, 100}, {100, 100}));
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].computed_cents(), 100000);
  EXPECT_EQ((*got)[0].amount_cents(), 0);
  EXPECT_NE((*got)[0].limit_applied().find("seuil"), std::string::npos);
}

TEST(PenaltyTest, LateReportingPricedLikeShortfall) {
  // Reporting 90 of 100 within 5 days, target 95 %: 5 points x 200 EUR
  // = 1 000 EUR; first appointment 70 of 100: 10 points x 500 EUR
  // = 5 000 EUR. Total 6 000 EUR > 1 000 EUR: both kept.
  const auto terms = Terms("2024.1", "2024-01-01", 50000, 100000);
  auto got = ProposePenalties(Context(terms, P("2024-Q2"), {70, 100}, {90, 100}));
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].amount_cents(), 500000);
  EXPECT_EQ((*got)[1].rule_id(), "late_reporting");
  EXPECT_EQ((*got)[1].amount_cents(), 100000);
}

TEST(PenaltyTest, AtRiskAndNotEnoughDataNeverPriced) {
  const auto terms = Terms("2024.1", "2024-01-01", 50000, 0);
  // 82 of 100: 80 % <= 82 % < 85 %: AT_RISK, no penalty.
  auto at_risk = ProposePenalties(Context(terms, P("2024-Q2"), {82, 100}, {100, 100}));
  ASSERT_OK(at_risk);
  EXPECT_TRUE(at_risk->empty());
  // 0 of 10 (below min_sample 30) and no reporting at all: NOT_ENOUGH_DATA.
  auto no_data = ProposePenalties(Context(terms, P("2024-Q2"), {0, 10}, {0, 0}));
  ASSERT_OK(no_data);
  EXPECT_TRUE(no_data->empty());
}

TEST(PenaltyTest, CapReachedMidYear) {
  // Annual amount 100 000 EUR, cap 10 % = 10 000 EUR = 1 000 000 cents.
  // Already proposed this contract year: 9 500 EUR; room 500 EUR.
  // Computed: 70 of 100 -> 10 points x 500 EUR = 5 000 EUR -> capped to
  // 500 EUR; reporting 90 of 100 -> 5 points x 200 EUR = 1 000 EUR -> 0.
  const auto terms = Terms("2024.1", "2024-01-01", 50000, 100000);
  auto ctx = Context(terms, P("2024-Q3"), {70, 100}, {90, 100});
  ctx.annual_amount_cents = 10'000'000;
  ctx.cap_used_by_other_periods_cents = 950'000;
  auto got = ProposePenalties(ctx);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].computed_cents(), 500000);
  EXPECT_EQ((*got)[0].amount_cents(), 50000);
  EXPECT_NE((*got)[0].limit_applied().find("plafond"), std::string::npos);
  EXPECT_EQ((*got)[1].computed_cents(), 100000);
  EXPECT_EQ((*got)[1].amount_cents(), 0);
}

TEST(PenaltyTest, AmendmentChangesTheRateMidYear) {
  // 2024.1 from 2024-01-01: 500 EUR per point; amendment 2024.2 from
  // 2024-04-01: 800 EUR per point. 70 of 100 (10 points) both quarters.
  // Q1 (2024.1): 10 x 500 = 5 000 EUR. Q2 (2024.2): 10 x 800 = 8 000 EUR;
  // cap 2 M EUR far away, so 8 000 EUR kept with Q1's 5 000 EUR counted.
  TermsHistory history;
  ASSERT_OK(history.Add(Terms("2024.1", "2024-01-01", 50000, 100000)));
  ASSERT_OK(history.Add(Terms("2024.2", "2024-04-01", 80000, 100000)));
  auto q1_terms = history.TermsFor("LOT-11", P("2024-Q1"));
  auto q2_terms = history.TermsFor("LOT-11", P("2024-Q2"));
  ASSERT_OK(q1_terms);
  ASSERT_OK(q2_terms);
  auto q1 = ProposePenalties(Context(**q1_terms, P("2024-Q1"), {70, 100}, {100, 100}));
  ASSERT_OK(q1);
  ASSERT_EQ(q1->size(), 1u);
  EXPECT_EQ((*q1)[0].terms_version(), "2024.1");
  EXPECT_EQ((*q1)[0].amount_cents(), 500000);
  auto ctx = Context(**q2_terms, P("2024-Q2"), {70, 100}, {100, 100});
  ctx.cap_used_by_other_periods_cents = 500000;
  auto q2 = ProposePenalties(ctx);
  ASSERT_OK(q2);
  ASSERT_EQ(q2->size(), 1u);
  EXPECT_EQ((*q2)[0].terms_version(), "2024.2");
  EXPECT_EQ((*q2)[0].amount_cents(), 800000);
  EXPECT_NE((*q1)[0].penalty_id(), (*q2)[0].penalty_id());
}

TEST(PenaltyTest, CorrectiveActionOverdue) {
  // V = 5 000 EUR = 500 000 cents; threshold 0 so each day shows.
  // Q2 2024 closes 2024-07-15; Q1 closed 2024-04-15 (the window's start).
  //  A-1 due 2024-07-01, open: R = 14 (07-02..07-15), P = 500 000 x 14 / 1000
  //      = 7 000 cents (70 EUR).
  //  A-2 due 2024-06-01, open: R = 29 (rest of June) + 15 = 44,
  //      P = 22 000 cents.
  //  A-3 due 2024-05-01, closed 2024-05-11: R = 10, P = 5 000 cents.
  //  A-4 due 2024-08-01, open: not late yet.
  //  A-5 due 2024-03-01, open: late days before 2024-04-15 were Q1's;
  //      R = 91 (04-16..07-15), P = 45 500 cents.
  const auto terms = Terms("2024.1", "2024-01-01", 50000, 0);
  auto ctx = Context(terms, P("2024-Q2"), {100, 100}, {100, 100});
  ctx.actions = {
      {"A-1", "first_appointment_delay", D("2024-07-01"), std::nullopt},
      {"A-2", "", D("2024-06-01"), std::nullopt},
      {"A-3", "", D("2024-05-01"), D("2024-05-11")},
      {"A-4", "", D("2024-08-01"), std::nullopt},
      {"A-5", "", D("2024-03-01"), std::nullopt},
  };
  auto got = ProposePenalties(ctx);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[0].action_id(), "A-1");
  EXPECT_EQ((*got)[0].amount_cents(), 7000);
  EXPECT_EQ((*got)[0].formula(), "5 000,00 EUR x 14 / 1000");
  EXPECT_EQ((*got)[1].action_id(), "A-2");
  EXPECT_EQ((*got)[1].amount_cents(), 22000);
  EXPECT_EQ((*got)[2].action_id(), "A-3");
  EXPECT_EQ((*got)[2].amount_cents(), 5000);
  EXPECT_EQ((*got)[3].action_id(), "A-5");
  EXPECT_EQ((*got)[3].amount_cents(), 45500);
  EXPECT_EQ((*got)[0].penalty_id(),
            PenaltyId("LOT-11", "2024-Q2", "corrective_action_overdue", "2024.1", "A-1"));
  EXPECT_NE((*got)[0].penalty_id(), (*got)[1].penalty_id());
}

TEST(PenaltyTest, DeterministicIds) {
  EXPECT_EQ(PenaltyId("LOT-11", "2024-Q2", "r", "2024.1"),
            PenaltyId("LOT-11", "2024-Q2", "r", "2024.1"));
  EXPECT_NE(PenaltyId("LOT-11", "2024-Q2", "r", "2024.1"),
            PenaltyId("LOT-11", "2024-Q2", "r", "2024.2"));
  EXPECT_NE(PenaltyId("LOT-1", "12024-Q2", "r", "2024.1"),
            PenaltyId("LOT-11", "2024-Q2", "r", "2024.1"));
}

}  // namespace
}  // namespace pilotage::domain
