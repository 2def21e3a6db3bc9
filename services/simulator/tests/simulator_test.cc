#include "pilotage/simulator/simulator.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "calendar.h"
#include "gtest/gtest.h"
#include "pilotage/simulator/sinks.h"
#include "pilotage/testing/status.h"
#include "random.h"

namespace pilotage::simulator {
namespace {

using v1::Event;

// Keeps every event sent, in order.
class CollectingSink : public EventSink {
 public:
  absl::Status Send(const Event& event) override {
    events.push_back(event);
    return absl::OkStatus();
  }
  absl::Status Finish() override { return absl::OkStatus(); }
  std::vector<Event> events;
};

LotCatalogue ShippedLots() {
  auto lots = LoadLots(PILOTAGE_LOTS_FILE);
  EXPECT_OK(lots);
  return lots.ok() ? *lots : LotCatalogue{};
}

struct Generated {
  Summary summary;
  std::vector<Event> events;
};

Generated Generate(const SimulationOptions& options) {
  CollectingSink sink;
  auto summary = Simulate(ShippedLots(), options, sink);
  EXPECT_OK(summary);
  return {summary.ok() ? *summary : Summary{}, std::move(sink.events)};
}

// The NDJSON output and a digest of it.
std::pair<std::string, uint64_t> Ndjson(const SimulationOptions& options) {
  std::ostringstream out;
  NdjsonSink sink(&out);
  auto summary = Simulate(ShippedLots(), options, sink);
  EXPECT_OK(summary);
  EXPECT_OK(sink.Finish());
  std::string text = out.str();
  const uint64_t digest = HashText(text);
  return {std::move(text), digest};
}

int64_t Millis(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1'000'000;
}

// The beneficiary of an activity event, with its lot.
std::string Who(const Event& e) {
  std::string b;
  switch (e.body_case()) {
    case Event::kRequestReceived:
      b = e.request_received().beneficiary();
      break;
    case Event::kAppointmentHeld:
      b = e.appointment_held().beneficiary();
      break;
    case Event::kAppointmentMissed:
      b = e.appointment_missed().beneficiary();
      break;
    case Event::kDeliverableIssued:
      b = e.deliverable_issued().beneficiary();
      break;
    case Event::kJourneyClosed:
      b = e.journey_closed().beneficiary();
      break;
    case Event::kSurveyAnswered:
      b = e.survey_answered().beneficiary();
      break;
    default:
      ADD_FAILURE() << "not an activity event: " << e.ShortDebugString();
  }
  return e.lot_id() + "/" + b;
}

SimulationOptions Scaled(double scale, uint64_t seed = 1) {
  SimulationOptions options;
  options.scale = scale;
  options.seed = seed;
  return options;
}

// The events once each (resent copies left out).
std::vector<const Event*> Distinct(const std::vector<Event>& events) {
  std::set<std::string> seen;
  std::vector<const Event*> out;
  for (const Event& e : events) {
    if (seen.insert(e.event_id()).second) out.push_back(&e);
  }
  return out;
}

double Share(int64_t part, int64_t whole) {
  return whole == 0 ? 0 : static_cast<double>(part) / static_cast<double>(whole);
}

TEST(Simulator, SameSeedGivesByteIdenticalOutput) {
  const auto [first, first_digest] = Ndjson(Scaled(0.01, 42));
  const auto [again, again_digest] = Ndjson(Scaled(0.01, 42));
  EXPECT_GT(first.size(), 1000u);
  EXPECT_EQ(first_digest, again_digest);
  EXPECT_TRUE(first == again);
}

TEST(Simulator, DifferentSeedGivesDifferentOutput) {
  EXPECT_NE(Ndjson(Scaled(0.01, 42)).second, Ndjson(Scaled(0.01, 43)).second);
}

TEST(Simulator, NationalVolumeIsPlausibleAtFivePercent) {
  const Generated run = Generate(Scaled(0.05));
  const LotSummary total = run.summary.Total();
  // 190,000 beneficiaries a year (docs/domain.md), scaled by 0.05.
  EXPECT_NEAR(total.beneficiaries, 9500, 9500 * 0.01);
  const double per_beneficiary = Share(total.TotalEvents(), total.beneficiaries);
  EXPECT_GT(per_beneficiary, 5.5);
  EXPECT_LT(per_beneficiary, 10.0);
  EXPECT_EQ(run.summary.lots.size(), 14u);
  // Every lot has activity, and Île-de-France the most.
  int64_t idf = 0, largest_other = 0;
  for (const LotSummary& lot : run.summary.lots) {
    EXPECT_GT(lot.beneficiaries, 0) << lot.lot_id;
    if (lot.lot_id == "LOT-11") {
      idf = lot.beneficiaries;
    } else {
      largest_other = std::max(largest_other, lot.beneficiaries);
    }
  }
  EXPECT_GT(idf, largest_other);

  // Shares of the service, from the events themselves.
  int64_t held = 0, missed = 0, level2_journeys = 0, end_surveys = 0, satisfied = 0;
  std::set<std::string> with_level2;
  for (const Event* e : Distinct(run.events)) {
    if (e->has_appointment_held()) {
      ++held;
      if (e->appointment_held().level() == v1::Level::LEVEL_2_SUPPORT) {
        if (with_level2.insert(Who(*e)).second) ++level2_journeys;
      }
    }
    if (e->has_appointment_missed()) ++missed;
    if (e->has_survey_answered() && e->survey_answered().wave() == v1::SurveyWave::END_OF_SERVICE) {
      ++end_surveys;
      satisfied += e->survey_answered().satisfaction() >= 7;
    }
  }
  EXPECT_NEAR(Share(missed, held + missed), 0.08, 0.015);                // ~8% missed
  EXPECT_NEAR(Share(level2_journeys, total.beneficiaries), 0.45, 0.06);  // about half
  EXPECT_NEAR(Share(end_surveys, total.beneficiaries), 0.55, 0.07);      // ~60% of closed journeys
  EXPECT_NEAR(Share(satisfied, end_surveys), 0.88, 0.04);                // ~90% score 7+
}

TEST(Simulator, ProfilesMatchThePublishedShares) {
  const Generated run = Generate(Scaled(0.05));
  int64_t requests = 0, women = 0, over_55 = 0, age_45_54 = 0, low_qualification = 0;
  int64_t employees = 0;
  for (const Event* e : Distinct(run.events)) {
    if (!e->has_request_received()) continue;
    const v1::Profile& p = e->request_received().profile();
    ++requests;
    women += p.sex() == v1::Sex::FEMALE;
    over_55 += p.age_band() == v1::AgeBand::AGE_55_PLUS;
    age_45_54 += p.age_band() == v1::AgeBand::AGE_45_54;
    low_qualification += p.qualification() == v1::Qualification::NONE ||
                         p.qualification() == v1::Qualification::CAP_BEP;
    employees += p.status() == v1::WorkStatus::EMPLOYEE;
  }
  // docs/domain.md: 62% women, 15% over 50, more than 25% CAP/BEP or none.
  EXPECT_NEAR(Share(women, requests), 0.62, 0.02);
  EXPECT_NEAR(Share(over_55, requests), 0.06, 0.015);
  EXPECT_NEAR(Share(age_45_54, requests) / 2 + Share(over_55, requests), 0.15, 0.025);
  EXPECT_GT(Share(low_qualification, requests), 0.25);
  EXPECT_LT(Share(low_qualification, requests), 0.33);
  EXPECT_GT(Share(employees, requests), 0.8);
}

TEST(Simulator, EveryJourneyIsOrderedInEventTime) {
  const Generated run = Generate(Scaled(0.02));
  struct Journey {
    int64_t request = -1, first_appointment = INT64_MAX, last_appointment = -1, closed = -1;
    int64_t first_survey = INT64_MAX, earliest = INT64_MAX;
    int requests = 0;
  };
  std::map<std::string, Journey> journeys;
  for (const Event* e : Distinct(run.events)) {
    Journey& j = journeys[Who(*e)];
    const int64_t at = Millis(e->occurred_at());
    j.earliest = std::min(j.earliest, at);
    EXPECT_GE(Millis(e->recorded_at()), at) << e->ShortDebugString();
    if (e->has_request_received()) {
      j.request = at;
      ++j.requests;
    } else if (e->has_appointment_held() || e->has_appointment_missed()) {
      j.first_appointment = std::min(j.first_appointment, at);
      j.last_appointment = std::max(j.last_appointment, at);
    } else if (e->has_journey_closed()) {
      j.closed = at;
    } else if (e->has_survey_answered()) {
      j.first_survey = std::min(j.first_survey, at);
    }
  }
  int closed = 0;
  for (const auto& [who, j] : journeys) {
    ASSERT_EQ(j.requests, 1) << who;
    EXPECT_EQ(j.earliest, j.request) << who << ": something happened before the request";
    if (j.first_appointment != INT64_MAX) {
      EXPECT_LT(j.request, j.first_appointment) << who;
    }
    if (j.closed >= 0) {
      ++closed;
      EXPECT_GT(j.closed, j.last_appointment) << who;
      if (j.first_survey != INT64_MAX) {
        EXPECT_GT(j.first_survey, j.closed) << who;
      }
    } else {
      EXPECT_EQ(j.first_survey, INT64_MAX) << who << ": survey before closure";
    }
  }
  EXPECT_GT(closed, static_cast<int>(journeys.size()) / 2);
}

TEST(Simulator, SendsInRecordedOrderAndAppointmentsOnWorkingDays) {
  const Generated run = Generate(Scaled(0.02));
  const LotCatalogue lots = ShippedLots();
  int64_t previous = 0;
  for (const Event& e : run.events) {
    const int64_t recorded = Millis(e.recorded_at());
    ASSERT_GE(recorded, previous) << e.ShortDebugString();
    previous = recorded;
    if (e.has_appointment_held()) {
      const TimeZone zone = lots.Find(e.lot_id())->timezone;
      EXPECT_TRUE(IsWorkingDay(LocalDayOf(Millis(e.occurred_at()), zone), zone))
          << e.ShortDebugString();
    }
  }
}

TEST(Simulator, ResendsCarryTheSameEventId) {
  SimulationOptions options = Scaled(0.02);
  options.resend_rate = 0.05;
  const Generated run = Generate(options);
  std::map<std::string, const Event*> first;
  int64_t copies = 0;
  for (const Event& e : run.events) {
    auto [it, inserted] = first.emplace(e.event_id(), &e);
    if (inserted) continue;
    ++copies;
    // The same event; only the gateway's receipt time differs.
    Event a = *it->second, b = e;
    EXPECT_LT(Millis(a.recorded_at()), Millis(b.recorded_at()));
    a.clear_recorded_at();
    b.clear_recorded_at();
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << e.event_id();
  }
  EXPECT_EQ(copies, run.summary.Total().TotalResends());
  EXPECT_NEAR(Share(copies, static_cast<int64_t>(first.size())), 0.05, 0.01);
}

TEST(Simulator, SummaryCountsWhatWasSent) {
  const Generated run = Generate(Scaled(0.02));
  std::map<std::string, LotSummary> counted;
  std::set<std::string> seen;
  for (const Event& e : run.events) {
    LotSummary& lot = counted[e.lot_id()];
    const int type = static_cast<int>(e.body_case()) - static_cast<int>(Event::kRequestReceived);
    ASSERT_GE(type, 0);
    ASSERT_LT(type, kActivityTypeCount);
    if (!seen.insert(e.event_id()).second) {
      ++lot.resends[type];
      continue;
    }
    ++lot.events[type];
    lot.beneficiaries += e.has_request_received();
    lot.late += Millis(e.recorded_at()) - Millis(e.occurred_at()) >= 24 * 3600 * 1000;
  }
  ASSERT_EQ(counted.size(), run.summary.lots.size());
  for (const LotSummary& lot : run.summary.lots) {
    const LotSummary& c = counted[lot.lot_id];
    EXPECT_EQ(lot.events, c.events) << lot.lot_id;
    EXPECT_EQ(lot.resends, c.resends) << lot.lot_id;
    EXPECT_EQ(lot.late, c.late) << lot.lot_id;
    EXPECT_EQ(lot.beneficiaries, c.beneficiaries) << lot.lot_id;
  }
  EXPECT_EQ(run.summary.Total().Messages(), static_cast<int64_t>(run.events.size()));
}

TEST(Simulator, ProfileFlagsMakeLotsMissTargets) {
  const Generated run = Generate(Scaled(0.05));
  // Share of events reported late, and of first appointments within 10 working days.
  std::map<std::string, std::pair<int64_t, int64_t>> late;  // lot -> (late, all)
  std::map<std::string, int64_t> request_at;
  std::map<std::string, std::pair<int64_t, int64_t>> quick;  // lot -> (within 10, all)
  const LotCatalogue lots = ShippedLots();
  for (const Event* e : Distinct(run.events)) {
    auto& [l, all] = late[e->lot_id()];
    ++all;
    l += Millis(e->recorded_at()) - Millis(e->occurred_at()) >= 24 * 3600 * 1000;
    const std::string who = Who(*e);
    if (e->has_request_received()) request_at[who] = Millis(e->occurred_at());
    if (e->has_appointment_held() && e->appointment_held().level() == v1::Level::LEVEL_1_WELCOME &&
        request_at.count(who) != 0) {
      const TimeZone zone = lots.Find(e->lot_id())->timezone;
      const Day limit = AddWorkingDays(LocalDayOf(request_at[who], zone), 10, zone);
      auto& [within, total] = quick[e->lot_id()];
      ++total;
      within += LocalDayOf(Millis(e->occurred_at()), zone) <= limit;
      request_at.erase(who);  // first appointment only
    }
  }
  auto ratio = [](std::pair<int64_t, int64_t> p) { return Share(p.first, p.second); };
  EXPECT_GT(ratio(late["LOT-94"]), 0.2);  // LATE_REPORTING
  EXPECT_LT(ratio(late["LOT-11"]), 0.05);
  EXPECT_LT(ratio(quick["LOT-93"]), 0.6);  // SLOW_FIRST_APPOINTMENT
  EXPECT_GT(ratio(quick["LOT-11"]), 0.8);
}

TEST(Simulator, LeavingLotsOutChangesNothingForTheOthers) {
  SimulationOptions only = Scaled(0.02, 9);
  only.only_lots = {"LOT-94"};
  const Generated alone = Generate(only);
  const Generated all = Generate(Scaled(0.02, 9));
  std::vector<std::string> corsica_in_all;
  for (const Event& e : all.events) {
    if (e.lot_id() == "LOT-94") corsica_in_all.push_back(e.SerializeAsString());
  }
  ASSERT_EQ(alone.summary.lots.size(), 1u);
  ASSERT_EQ(alone.events.size(), corsica_in_all.size());
  for (size_t i = 0; i < alone.events.size(); ++i) {
    ASSERT_EQ(alone.events[i].SerializeAsString(), corsica_in_all[i]) << i;
  }
}

// The window [2024-01-02, 2025-01-02) in UTC milliseconds, by hand: Paris is
// UTC+1 on 2 January; La Réunion (UTC+4) ends earliest, Paris latest.
constexpr int64_t kWindowStartUtcMs = 1704150000000;  // 2024-01-01T23:00:00Z
constexpr int64_t kWindowEndUtcMs = 1735772400000;    // 2025-01-01T23:00:00Z

TEST(Simulator, RunOnSendsTheStartedJourneysPastTheWindowWithNoNewRequest) {
  const Generated cut = Generate(Scaled(0.02, 5));
  SimulationOptions options = Scaled(0.02, 5);
  options.run_on_days = 31;
  const Generated ran_on = Generate(options);

  int64_t cut_after_end = 0, ran_on_after_end = 0, requests_after_end = 0, after_run_on = 0;
  std::set<std::string> cut_ids;
  for (const Event& e : cut.events) {
    cut_ids.insert(e.event_id());
    if (Millis(e.occurred_at()) >= kWindowEndUtcMs) ++cut_after_end;
  }
  for (const Event& e : ran_on.events) {
    const int64_t at = Millis(e.occurred_at());
    EXPECT_GE(at, kWindowStartUtcMs - 4 * 3600 * 1000);
    if (at >= kWindowEndUtcMs) {
      ++ran_on_after_end;
      if (e.has_request_received()) ++requests_after_end;
    }
    if (at >= kWindowEndUtcMs + 31LL * 86'400'000) ++after_run_on;
  }
  EXPECT_EQ(cut_after_end, 0);
  EXPECT_GT(ran_on_after_end, 100);  // December's journeys go on in January
  EXPECT_EQ(requests_after_end, 0);
  EXPECT_EQ(after_run_on, 0);
  // The same beneficiaries: every event of the cut run is sent by the other.
  EXPECT_EQ(ran_on.summary.Total().beneficiaries, cut.summary.Total().beneficiaries);
  std::set<std::string> ran_on_ids;
  for (const Event& e : ran_on.events) ran_on_ids.insert(e.event_id());
  EXPECT_TRUE(std::includes(ran_on_ids.begin(), ran_on_ids.end(), cut_ids.begin(), cut_ids.end()));
}

TEST(Simulator, RefusesBadOptionsNamingThem) {
  const LotCatalogue lots = ShippedLots();
  struct Case {
    void (*edit)(SimulationOptions&);
    const char* option;
  };
  for (const Case& c :
       {Case{[](SimulationOptions& o) { o.scale = 0; }, "--scale"},
        Case{[](SimulationOptions& o) { o.scale = -1; }, "--scale"},
        Case{[](SimulationOptions& o) { o.years = 0; }, "--years"},
        Case{[](SimulationOptions& o) { o.resend_rate = 2; }, "--resend-rate"},
        Case{[](SimulationOptions& o) { o.run_on_days = -1; }, "--run-on"},
        Case{[](SimulationOptions& o) { o.only_lots = {"LOT-99"}; }, "--lot LOT-99"}}) {
    SimulationOptions options;
    c.edit(options);
    const absl::Status s = ValidateOptions(options, lots);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.option;
    EXPECT_NE(std::string(s.message()).find(c.option), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace pilotage::simulator
