#include "pilotage/domain/cep.h"

#include <algorithm>
#include <map>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

int64_t At(int y, int m, int d, int h = 12) {
  return absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(y, m, d, h, 0, 0), absl::UTCTimeZone()));
}

v1::Event Base(std::string id, int64_t occurred, int64_t recorded) {
  v1::Event e;
  e.set_event_id(std::move(id));
  e.set_lot_id("LOT-T");
  e.mutable_occurred_at()->set_seconds(occurred);
  e.mutable_recorded_at()->set_seconds(recorded);
  return e;
}

v1::Event Request(std::string id, int64_t occurred, int64_t recorded) {
  v1::Event e = Base(std::move(id), occurred, recorded);
  e.mutable_request_received()->set_beneficiary("b1");
  return e;
}

v1::Event Appointment(std::string id, int64_t occurred, int64_t recorded) {
  v1::Event e = Base(id, occurred, recorded);
  auto* a = e.mutable_appointment_held();
  a->set_beneficiary("b1");
  a->set_appointment_id(id);
  a->set_level(v1::Level::LEVEL_1_WELCOME);
  a->set_modality(v1::Modality::IN_PERSON);
  return e;
}

v1::KpiDefinition Delay() {
  v1::KpiDefinition kpi;
  kpi.set_id("delay");
  kpi.set_label("délai");
  kpi.set_formula(v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY);
  kpi.set_direction(v1::Direction::AT_LEAST);
  kpi.set_delay_working_days(10);
  return kpi;
}

TEST(Journey, IsTheSameWhateverTheOrderOfItsEvents) {
  std::vector<v1::Event> events = {Request("r", At(2024, 5, 7), At(2024, 5, 7, 13)),
                                   Appointment("a1", At(2024, 5, 24), At(2024, 5, 24, 13)),
                                   Appointment("a2", At(2024, 5, 13), At(2024, 5, 13, 13))};
  std::string first;
  std::sort(events.begin(), events.end(),
            [](const auto& a, const auto& b) { return a.event_id() < b.event_id(); });
  do {
    store::v1::Journey journey;
    for (const auto& e : events) ASSERT_OK(AddToJourney(e, journey));
    ASSERT_OK(AddToJourney(events[0], journey));  // a resend changes nothing
    if (first.empty()) first = journey.SerializeAsString();
    EXPECT_EQ(journey.SerializeAsString(), first);
  } while (std::next_permutation(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return a.event_id() < b.event_id();
  }));
}

TEST(Journey, ConcatenatedRecordsNormalizeToTheirUnionSortedByDayThenId) {
  // What the store holds (decision 0016): one Journey record per fact,
  // appended in arrival order, including a resent copy of "a1".
  std::string stored;
  for (const auto& e : {Appointment("a1", At(2024, 5, 24), At(2024, 5, 24, 13)),
                        Request("r", At(2024, 5, 7), At(2024, 5, 7, 13)),
                        Appointment("a2", At(2024, 5, 13), At(2024, 5, 13, 13)),
                        Appointment("a1", At(2024, 5, 24), At(2024, 5, 24, 13)),
                        Appointment("a0", At(2024, 5, 24), At(2024, 5, 24, 14))}) {
    store::v1::Journey one;
    ASSERT_OK(AddToJourney(e, one));
    stored += one.SerializeAsString();
  }
  store::v1::Journey journey;
  ASSERT_TRUE(journey.ParseFromString(stored));
  ASSERT_EQ(journey.appointments_size(), 4);  // as stored: unsorted, a1 twice
  NormalizeJourney(journey);
  ASSERT_EQ(journey.requests_size(), 1);
  ASSERT_EQ(journey.appointments_size(), 3);
  // 13 May first, then the two of 24 May by id: a0 before a1.
  EXPECT_EQ(journey.appointments(0).event_id(), "a2");
  EXPECT_EQ(journey.appointments(0).day(), "2024-05-13");
  EXPECT_EQ(journey.appointments(1).event_id(), "a0");
  EXPECT_EQ(journey.appointments(2).event_id(), "a1");
  EXPECT_EQ(journey.appointments(2).day(), "2024-05-24");
  // Normalizing again changes nothing.
  const std::string once = journey.SerializeAsString();
  NormalizeJourney(journey);
  EXPECT_EQ(journey.SerializeAsString(), once);
}

TEST(Journey, RefusesAnEventWithoutBeneficiaryNamingTheField) {
  v1::Event e = Base("x", At(2024, 5, 7), At(2024, 5, 7));
  e.mutable_journey_closed();
  store::v1::Journey journey;
  auto s = AddToJourney(e, journey);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("journey_closed.beneficiary"), std::string_view::npos) << s;
}

TEST(Observe, SkipsPublicHolidaysInTheFirstAppointmentDelay) {
  // Request Tuesday 7 May 2024; 8 May, Ascension (9 May) and Whit Monday
  // (20 May) are skipped: Friday 24 May is the 10th working day.
  LotFacts facts{.lot_id = "LOT-T"};
  store::v1::Journey j;
  ASSERT_OK(AddToJourney(Request("r", At(2024, 5, 7), At(2024, 5, 7)), j));
  ASSERT_OK(AddToJourney(Appointment("a", At(2024, 5, 24), At(2024, 5, 24)), j));
  facts.journeys.push_back(j);
  const Period may = Period::MonthOf(absl::CivilDay(2024, 5, 1));
  auto o = Observe(Delay(), facts, may, may.ClosingDay(15));
  EXPECT_EQ(o.numerator, 1);
  EXPECT_EQ(o.denominator, 1);
}

TEST(Observe, LeavesOutFactsRecordedOnOrAfterTheClosingDay) {
  LotFacts facts{.lot_id = "LOT-T"};
  store::v1::Journey j;
  ASSERT_OK(AddToJourney(Request("r", At(2024, 1, 10), At(2024, 1, 10)), j));
  // Held on time but recorded on 15 February, January's closing day.
  ASSERT_OK(AddToJourney(Appointment("a", At(2024, 1, 12), At(2024, 2, 15, 8)), j));
  facts.journeys.push_back(j);
  const Period january = Period::MonthOf(absl::CivilDay(2024, 1, 1));
  auto o = Observe(Delay(), facts, january, january.ClosingDay(15));
  EXPECT_EQ(o.numerator, 0);
  EXPECT_EQ(o.denominator, 1);  // the delay ran out before closing: a miss
}

}  // namespace
}  // namespace pilotage::domain

namespace pilotage::domain {
namespace {

TEST(CountActivity, CountsEachMetricOverallAndAlongEachDimension) {
  LotFacts facts{.lot_id = "LOT-T"};
  store::v1::Journey j;
  v1::Event request = Request("r", At(2024, 5, 7), At(2024, 5, 7));
  request.mutable_request_received()->mutable_profile()->set_age_band(v1::AgeBand::AGE_55_PLUS);
  ASSERT_OK(AddToJourney(request, j));
  ASSERT_OK(AddToJourney(Appointment("a1", At(2024, 5, 10), At(2024, 5, 10)), j));
  ASSERT_OK(AddToJourney(Appointment("a2", At(2024, 6, 10), At(2024, 6, 10)), j));
  facts.journeys.push_back(j);
  const auto counters = CountActivity(facts, Period::QuarterOf(absl::CivilDay(2024, 4, 1)));
  auto at = [&](const char* m, const char* metric, const char* dim) {
    auto it = counters.find({m, metric, dim});
    return it == counters.end() ? int64_t{0} : it->second;
  };
  EXPECT_EQ(at("2024-05", "new_beneficiaries", "all"), 1);
  EXPECT_EQ(at("2024-05", "new_beneficiaries", "age_band=AGE_55_PLUS"), 1);
  EXPECT_EQ(at("2024-05", "appointments", "all"), 1);
  EXPECT_EQ(at("2024-06", "appointments", "modality=IN_PERSON"), 1);
  EXPECT_EQ(at("2024-06", "appointments", "level=LEVEL_1_WELCOME"), 1);
}

}  // namespace
}  // namespace pilotage::domain

namespace pilotage::domain {
namespace {

// Successive journeys (cep.h): one beneficiary, b1, whose facts are added to
// one stored Journey, as the projection keeps them.
class Journeys : public ::testing::Test {
 protected:
  void Add(const v1::Event& e) { ASSERT_OK(AddToJourney(e, journey_)) << e.event_id(); }
  void Closure(std::string id, int64_t occurred, int64_t recorded, v1::Referral::Value referral) {
    v1::Event e = Base(std::move(id), occurred, recorded);
    e.mutable_journey_closed()->set_beneficiary("b1");
    e.mutable_journey_closed()->set_outcome(v1::Outcome::REFERRED);
    e.mutable_journey_closed()->set_referred_to(referral);
    Add(e);
  }
  void Level2(std::string id, int64_t occurred) {
    v1::Event e = Appointment(std::move(id), occurred, occurred);
    e.mutable_appointment_held()->set_level(v1::Level::LEVEL_2_SUPPORT);
    Add(e);
  }
  void Plan(std::string id, int64_t occurred) {
    v1::Event e = Base(std::move(id), occurred, occurred);
    e.mutable_deliverable_issued()->set_beneficiary("b1");
    e.mutable_deliverable_issued()->set_type(v1::DeliverableType::ACTION_PLAN);
    Add(e);
  }
  // Numerator and sample of `formula` for `period`, as known on its closing
  // day (grace 15 days).
  std::pair<int64_t, int64_t> See(v1::KpiFormula::Value formula, const Period& period) {
    v1::KpiDefinition kpi = Delay();
    kpi.set_formula(formula);
    kpi.set_referral(v1::Referral::CPF);
    LotFacts facts{.lot_id = "LOT-T", .journeys = {journey_}};
    auto o = Observe(kpi, facts, period, period.ClosingDay(15));
    return {o.numerator, o.denominator};
  }
  std::pair<int64_t, int64_t> Pair(int64_t a, int64_t b) { return {a, b}; }

  store::v1::Journey journey_;
  const Period march_ = Period::MonthOf(absl::CivilDay(2024, 3, 1));
  const Period may_ = Period::MonthOf(absl::CivilDay(2024, 5, 1));
};

TEST_F(Journeys, ARequestAfterAClosureOpensAJourneyCountedInItsOwnPeriod) {
  Add(Request("r1", At(2024, 3, 4), At(2024, 3, 4)));
  Level2("a1", At(2024, 3, 6));
  Plan("p1", At(2024, 3, 12));
  Closure("c1", At(2024, 3, 20), At(2024, 3, 20), v1::Referral::CPF);
  Add(Request("r2", At(2024, 5, 6), At(2024, 5, 6)));
  Add(Appointment("a2", At(2024, 5, 13), At(2024, 5, 13)));  // level 1
  Closure("c2", At(2024, 5, 23), At(2024, 5, 23), v1::Referral::CPF);

  EXPECT_EQ(See(v1::KpiFormula::NEW_BENEFICIARIES, march_).first, 1);
  EXPECT_EQ(See(v1::KpiFormula::NEW_BENEFICIARIES, may_).first, 0);  // returning, not new
  EXPECT_EQ(See(v1::KpiFormula::FORMALISED_OUTCOMES, march_), Pair(1, 1));
  // The second journey reached neither level 2 nor an action plan of its own.
  EXPECT_EQ(See(v1::KpiFormula::FORMALISED_OUTCOMES, may_), Pair(0, 1));
  EXPECT_EQ(See(v1::KpiFormula::REFERRAL_SHARE, may_), Pair(1, 1));
  // 6 May -> 13 May: 7, 10, 13 (8 and 9 May are public holidays).
  EXPECT_EQ(See(v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY, may_), Pair(1, 1));
  EXPECT_EQ(See(v1::KpiFormula::PRIORITY_PUBLICS_SHARE, may_), Pair(0, 0));

  const auto counters = CountActivity({.lot_id = "LOT-T", .journeys = {journey_}},
                                      Period::YearOf(absl::CivilDay(2024, 1, 1)));
  EXPECT_EQ(counters.at({"2024-03", "closures", "all"}), 1);
  EXPECT_EQ(counters.at({"2024-05", "closures", "referral=CPF"}), 1);
  EXPECT_EQ(counters.at({"2024-03", "new_beneficiaries", "all"}), 1);
  EXPECT_FALSE(counters.count({"2024-05", "new_beneficiaries", "all"}));
}

TEST_F(Journeys, ARequestBeforeTheClosureIsKnownIsARepeatUntilTheClosureIsRecorded) {
  Add(Request("r1", At(2024, 3, 4), At(2024, 3, 4)));
  Level2("a1", At(2024, 3, 6));
  Plan("p1", At(2024, 3, 12));
  // Closed on 20 March but recorded on 20 June, after May's closing day
  // (15 June) and after the second request (6 May) was recorded.
  Closure("c1", At(2024, 3, 20), At(2024, 6, 20), v1::Referral::CPF);
  Add(Request("r2", At(2024, 5, 6), At(2024, 5, 6)));
  Add(Appointment("a2", At(2024, 5, 13), At(2024, 5, 13)));
  Closure("c2", At(2024, 5, 23), At(2024, 5, 23), v1::Referral::NONE);

  // As known on 15 June: no closure between the requests, one journey,
  // whose closure of 23 May is the one known; its level 2 and plan count.
  EXPECT_EQ(See(v1::KpiFormula::FORMALISED_OUTCOMES, may_), Pair(1, 1));
  EXPECT_EQ(See(v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY, may_), Pair(0, 0));
  // As known later (the second quarter closes on 15 July): two journeys,
  // the same as if the closure had been recorded on its day.
  const Period q2 = Period::QuarterOf(absl::CivilDay(2024, 4, 1));
  EXPECT_EQ(See(v1::KpiFormula::FORMALISED_OUTCOMES, q2), Pair(0, 1));
  EXPECT_EQ(See(v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY, q2), Pair(1, 1));
  EXPECT_EQ(See(v1::KpiFormula::NEW_BENEFICIARIES, q2).first, 0);
}

TEST_F(Journeys, AClosureWithNoRequestSinceTheLastOneIsIgnored) {
  Add(Request("r1", At(2024, 3, 4), At(2024, 3, 4)));
  Closure("c1", At(2024, 3, 20), At(2024, 3, 20), v1::Referral::NONE);
  Closure("c2", At(2024, 5, 23), At(2024, 5, 23), v1::Referral::CPF);  // e.g. a correction
  EXPECT_EQ(See(v1::KpiFormula::REFERRAL_SHARE, march_), Pair(0, 1));
  EXPECT_EQ(See(v1::KpiFormula::REFERRAL_SHARE, may_), Pair(0, 0));
}

TEST_F(Journeys, ARequestAndAClosureOfTheSameDayAreOneJourney) {
  Add(Request("r1", At(2024, 3, 4), At(2024, 3, 4)));
  Closure("c1", At(2024, 3, 20), At(2024, 3, 20), v1::Referral::NONE);
  // A request on the day of the closure is the closed journey's, not a new one.
  Add(Request("r2", At(2024, 3, 20), At(2024, 3, 20)));
  EXPECT_EQ(See(v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY, march_), Pair(0, 1));
  EXPECT_EQ(See(v1::KpiFormula::FORMALISED_OUTCOMES, march_), Pair(0, 1));
}

}  // namespace
}  // namespace pilotage::domain

namespace pilotage::domain {
namespace {

TEST(DataQuality, CountsConflictingResendsAndGatewayRefusalsOfThePeriodsDaysOnly) {
  v1::ContractTerms terms;
  terms.set_version("2024.1");
  terms.set_effective_from("2024-01-01");
  *terms.add_kpis() = Delay();
  terms.mutable_kpis(0)->set_target(0.8);
  terms.mutable_delays()->set_closing_grace_days(15);
  TermsHistory history;
  ASSERT_OK(history.Add(terms));
  LotFacts facts;
  facts.lot_id = "LOT-T";
  // Five conflicting copies, one folded before they were counted per day.
  facts.conflicting_resends = 5;
  facts.conflicting_resends_by_day = {{absl::CivilDay(2024, 3, 31), 1},
                                      {absl::CivilDay(2024, 4, 1), 2},
                                      {absl::CivilDay(2024, 6, 30), 1}};
  facts.gateway_refusals_by_day = {
      {absl::CivilDay(2024, 3, 31), {{"PERSONAL_DATA", 5}}},
      {absl::CivilDay(2024, 4, 1), {{"PERSONAL_DATA", 1}, {"UNKNOWN_ENUM", 2}}},
      {absl::CivilDay(2024, 6, 30), {{"PERSONAL_DATA", 3}}},
      {absl::CivilDay(2024, 7, 1), {{"MISSING_FIELD", 7}}}};
  auto q2 = Period::Parse("2024-Q2");
  ASSERT_OK(q2);
  auto e = EvaluateLot(facts, history, *q2);
  ASSERT_OK(e);
  EXPECT_EQ(e->quality.conflicting_resends, 5) << "all periods";
  EXPECT_EQ(e->quality.conflicting_resends_in_period, 3) << "1 April and 30 June";
  const std::map<std::string, int64_t> q2_refusals = {{"PERSONAL_DATA", 4}, {"UNKNOWN_ENUM", 2}};
  EXPECT_EQ(e->quality.gateway_refusals, q2_refusals);
  // Nationally, two such lots: twice each.
  auto national = EvaluateNational({*e, *e}, *q2);
  ASSERT_OK(national);
  EXPECT_EQ(national->quality.conflicting_resends_in_period, 6);
  const std::map<std::string, int64_t> doubled = {{"PERSONAL_DATA", 8}, {"UNKNOWN_ENUM", 4}};
  EXPECT_EQ(national->quality.gateway_refusals, doubled);
}

}  // namespace
}  // namespace pilotage::domain
