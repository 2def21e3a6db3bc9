// The KPI cells the cep projection's fold keeps (decision 0034), checked
// against the journey reading (domain::Observe, EvaluateLot, CountActivity),
// the independent oracle: random event sequences folded in random order and
// batching by the real CepProjection through the Kafka-free driver; and one
// hand-worked returning beneficiary whose stored cells are listed by hand.

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/domain/statement.h"
#include "pilotage/domain/terms.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/projector/cep.h"
#include "pilotage/readmodel/funds.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/reports.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/store/coding.h"
#include "pilotage/testing/projection_driver.h"

namespace pilotage::projector {
namespace {

namespace fs = std::filesystem;
using domain::Period;

constexpr char kLot[] = "LOT-11";

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() /
            fmt::format("kpi_cells_test-{}-{}", static_cast<long>(::getpid()), n++);
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

int64_t At(absl::CivilDay day, int seconds_of_day) {
  return absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day()),
                                             domain::Paris())) +
         seconds_of_day;
}

v1::Event Activity(std::string id, absl::CivilDay day, int64_t recorded_at) {
  v1::Event e;
  e.set_event_id(std::move(id));
  e.set_lot_id(kLot);
  e.mutable_occurred_at()->set_seconds(At(day, 10 * 3600));
  e.mutable_recorded_at()->set_seconds(recorded_at);
  return e;
}

v1::ContractTerms LoadTerms(const char* file) {
  auto terms = domain::LoadTermsFile(fs::path(PILOTAGE_TERMS_DIR) / file);
  EXPECT_TRUE(terms.ok()) << terms.status().ToString();
  return *terms;
}

// 2024.1 from deploy/terms, and an amendment from 2024-04-01 that changes
// every parameter a KPI reads, and the closing grace.
std::vector<v1::ContractTerms> TermsVersions() {
  v1::ContractTerms first = LoadTerms("cep-2024-example.textproto");
  v1::ContractTerms second = first;
  second.set_version("2024.2");
  second.set_effective_from("2024-04-01");
  second.mutable_delays()->set_closing_grace_days(9);
  for (auto& kpi : *second.mutable_kpis()) {
    switch (kpi.formula()) {
      case v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY:
        kpi.set_delay_working_days(4);
        break;
      case v1::KpiFormula::END_OF_SERVICE_SATISFACTION:
        kpi.set_min_score(9);
        break;
      case v1::KpiFormula::REPORTING_TIMELINESS:
        kpi.set_reporting_delay_days(3);
        break;
      case v1::KpiFormula::REFERRAL_SHARE:
        kpi.set_referral(kpi.referral() == v1::Referral::CPF ? v1::Referral::APEC
                                                             : v1::Referral::VAE);
        break;
      case v1::KpiFormula::PRIORITY_PUBLICS_SHARE: {
        kpi.clear_priority_publics();
        auto* p = kpi.add_priority_publics();
        p->add_age_band_in(v1::AgeBand::UNDER_26);
        p->add_status_in(v1::WorkStatus::OTHER);
        break;
      }
      default:
        break;
    }
  }
  return {first, second};
}

std::vector<v1::Event> ContractEvents() {
  std::vector<v1::Event> out;
  for (const auto& t : TermsVersions()) {
    v1::Event e;
    e.set_event_id("terms-" + t.version());
    e.set_lot_id(kLot);
    e.mutable_occurred_at()->set_seconds(At(absl::CivilDay(2023, 12, 1), 0));
    e.mutable_recorded_at()->set_seconds(At(absl::CivilDay(2023, 12, 1), 0));
    *e.mutable_terms_published()->mutable_terms() = t;
    out.push_back(std::move(e));
  }
  v1::Event award;
  award.set_event_id("award");
  award.set_lot_id(kLot);
  award.mutable_occurred_at()->set_seconds(At(absl::CivilDay(2023, 12, 1), 0));
  award.mutable_recorded_at()->set_seconds(At(absl::CivilDay(2023, 12, 1), 0));
  auto* a = award.mutable_lot_awarded();
  a->set_start_date("2024-01-02");
  for (const char* d : {"75", "92", "93", "2A"}) a->add_departements(d);
  out.push_back(std::move(award));
  return out;
}

// Random activity of `beneficiaries` people over the first half of 2024:
// successive journeys (a new request after a closure, sometimes before it,
// sometimes a closure with no request), appointments before a request,
// level 2 and action plans, surveys, same-day repeats of an appointment id,
// and records up to ~2 months late at any time of day (so around Paris
// midnights), sometimes recorded before they occurred.
std::vector<v1::Event> RandomActivity(std::mt19937& rng, int beneficiaries) {
  std::vector<v1::Event> out;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int next_id = 0;
  auto recorded = [&](absl::CivilDay day) {
    const int r = pick(10);
    const int late = r < 5 ? pick(3) : r < 8 ? pick(20) : r < 9 ? pick(70) : -1;
    return At(day + late, pick(86400));
  };
  const char* departements[] = {"75", "92", "93", "2A", "13"};
  for (int b = 0; b < beneficiaries; ++b) {
    const std::string who = fmt::format("ben-{:04}", b);
    absl::CivilDay day = absl::CivilDay(2024, 1, 1) + pick(170);
    const int journeys = 1 + pick(3);
    int appointment = 0;
    if (pick(12) == 0) {  // an appointment before any request
      v1::Event e = Activity(fmt::format("e{}", next_id++), day - 3, recorded(day - 3));
      auto* h = e.mutable_appointment_held();
      h->set_beneficiary(who);
      h->set_appointment_id(fmt::format("{}-a{}", who, appointment++));
      h->set_level(v1::Level::LEVEL_1_WELCOME);
      h->set_modality(v1::Modality::IN_PERSON);
      h->set_kind(v1::SupportKind::ONE_OFF);
      h->set_departement(departements[pick(5)]);
      out.push_back(std::move(e));
    }
    for (int j = 0; j < journeys; ++j) {
      if (!(j == 0 && pick(15) == 0)) {  // else: a closure with no request
        const int repeats = pick(6) == 0 ? 2 : 1;
        for (int r = 0; r < repeats; ++r) {
          const absl::CivilDay d = day + r * pick(5);
          v1::Event e = Activity(fmt::format("e{}", next_id++), d, recorded(d));
          auto* q = e.mutable_request_received();
          q->set_beneficiary(who);
          q->set_channel(static_cast<v1::Channel::Value>(1 + pick(4)));
          auto* p = q->mutable_profile();
          p->set_age_band(static_cast<v1::AgeBand::Value>(1 + pick(4)));
          p->set_sex(static_cast<v1::Sex::Value>(1 + pick(3)));
          p->set_qualification(static_cast<v1::Qualification::Value>(1 + pick(5)));
          p->set_status(static_cast<v1::WorkStatus::Value>(1 + pick(3)));
          p->set_company_size(static_cast<v1::CompanySize::Value>(1 + pick(5)));
          out.push_back(std::move(e));
        }
      }
      const int appointments = pick(4);
      for (int a = 0; a < appointments; ++a) {
        const absl::CivilDay d = day + pick(25);
        v1::Event e = Activity(fmt::format("e{}", next_id++), d, recorded(d));
        auto* h = e.mutable_appointment_held();
        h->set_beneficiary(who);
        h->set_appointment_id(fmt::format("{}-a{}", who, appointment++));
        h->set_level(pick(2) ? v1::Level::LEVEL_2_SUPPORT : v1::Level::LEVEL_1_WELCOME);
        h->set_modality(static_cast<v1::Modality::Value>(1 + pick(3)));
        h->set_kind(static_cast<v1::SupportKind::Value>(1 + pick(2)));
        h->set_departement(departements[pick(5)]);
        if (pick(8) == 0) {  // the same appointment sent again, corrected, the same day
          v1::Event again = e;
          again.set_event_id(fmt::format("e{}", next_id++));
          again.mutable_recorded_at()->set_seconds(recorded(d));
          again.mutable_appointment_held()->set_modality(v1::Modality::VIDEO);
          out.push_back(std::move(again));
        }
        out.push_back(std::move(e));
      }
      if (pick(2)) {
        const absl::CivilDay d = day + pick(30);
        v1::Event e = Activity(fmt::format("e{}", next_id++), d, recorded(d));
        e.mutable_deliverable_issued()->set_beneficiary(who);
        e.mutable_deliverable_issued()->set_type(pick(3) ? v1::DeliverableType::ACTION_PLAN
                                                         : v1::DeliverableType::SUMMARY_DOCUMENT);
        out.push_back(std::move(e));
      }
      const absl::CivilDay closed = day + 5 + pick(50);
      if (pick(5) != 0) {
        const int closures = pick(8) == 0 ? 2 : 1;
        for (int c = 0; c < closures; ++c) {
          const absl::CivilDay d = closed + c * pick(4);
          v1::Event e = Activity(fmt::format("e{}", next_id++), d, recorded(d));
          auto* k = e.mutable_journey_closed();
          k->set_beneficiary(who);
          k->set_outcome(static_cast<v1::Outcome::Value>(1 + pick(7)));
          k->set_referred_to(static_cast<v1::Referral::Value>(1 + pick(6)));
          out.push_back(std::move(e));
        }
        for (int s = 0; s < 2; ++s) {
          if (pick(2)) continue;
          const absl::CivilDay d = closed + pick(40);
          v1::Event e = Activity(fmt::format("e{}", next_id++), d, recorded(d));
          auto* a = e.mutable_survey_answered();
          a->set_beneficiary(who);
          a->set_wave(s == 0 ? v1::SurveyWave::END_OF_SERVICE : v1::SurveyWave::SIX_MONTHS);
          a->set_satisfaction(1 + pick(10));
          a->set_useful(pick(2) == 0);
          out.push_back(std::move(e));
        }
      }
      // The next journey: usually after the closure, sometimes before it.
      day = pick(5) == 0 ? day + 1 + pick(10) : closed + pick(40);
    }
  }
  return out;
}

// Every cep_kpi_cells entry of a store but those summed back to 0 (which
// count nothing; whether one is stored depends on the batching).
std::map<std::string, int64_t> StoredCells(const store::Store& store) {
  std::map<std::string, int64_t> out;
  EXPECT_TRUE(store
                  .ForEach(readmodel::layout::kKpiCells, "",
                           [&](std::string_view k, std::string_view v) {
                             const int64_t n = *store::DecodeFixed64(v, "cell");
                             if (n != 0) out[std::string(k)] = n;
                             return true;
                           })
                  .ok());
  return out;
}

// RandomActivity of 60 beneficiaries (seeded) and the contract events,
// shuffled, with resends of some (the engine folds an id once).
std::vector<v1::Event> ShuffledEvents(unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<v1::Event> events = RandomActivity(rng, 60);
  for (auto& e : ContractEvents()) events.push_back(std::move(e));
  std::shuffle(events.begin(), events.end(), rng);
  for (int i = 0; i < 10; ++i) events.push_back(events[rng() % events.size()]);
  return events;
}

std::vector<Period> Periods() {
  std::vector<Period> out;
  for (const char* p : {"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07",
                        "2024-08", "2024-09", "2024-Q1", "2024-Q2", "2024-Q3", "2024"}) {
    out.push_back(*Period::Parse(p));
  }
  return out;
}

void ExpectSameEvaluation(const domain::LotEvaluation& journeys,
                          const domain::LotEvaluation& cells) {
  EXPECT_EQ(journeys.closing_day, cells.closing_day);
  EXPECT_EQ(journeys.terms.version(), cells.terms.version());
  ASSERT_EQ(journeys.kpis.size(), cells.kpis.size());
  for (size_t i = 0; i < journeys.kpis.size(); ++i) {
    SCOPED_TRACE(journeys.kpis[i].kpi_id);
    EXPECT_EQ(journeys.kpis[i].numerator, cells.kpis[i].numerator);
    EXPECT_EQ(journeys.kpis[i].sample, cells.kpis[i].sample);
    EXPECT_EQ(journeys.kpis[i].status, cells.kpis[i].status);
    EXPECT_EQ(journeys.kpis[i].value, cells.kpis[i].value);
  }
  EXPECT_EQ(journeys.quality.events, cells.quality.events);
  EXPECT_EQ(journeys.quality.late, cells.quality.late);
}

// The statements of every quarter and the fund usage at every month's end,
// judged on several days, from the journeys of `model` and from the cells
// of `store` (the lot read without journeys, `lean`): the same.
void ExpectSameStatementsAndFunds(const store::Store& store, const readmodel::LotReadModel& model,
                                  const readmodel::LotReadModel& lean) {
  auto steering = readmodel::ReadSteering(store, kLot);
  ASSERT_TRUE(steering.ok());
  const domain::TermsHistory history = readmodel::HistoryOf(model.terms, nullptr);
  const readmodel::LotSteering journeys{
      .lot_id = kLot, .lot = &model, .steering = &*steering, .history = &history};
  const readmodel::LotSteering cells{
      .lot_id = kLot, .lot = &lean, .steering = &*steering, .history = &history, .cells = &store};
  int statements = 0;
  for (const char* q : {"2024-Q1", "2024-Q2", "2024-Q3"}) {
    const Period quarter = *Period::Parse(q);
    for (int after : {0, 20, 45, 90}) {
      const absl::CivilDay on = quarter.LastDay() + after;
      SCOPED_TRACE(fmt::format("statement {} on {}", q, domain::FormatDay(on)));
      auto expected = readmodel::ComputeStatementReport(journeys, quarter, on);
      auto got = readmodel::ComputeStatementReport(cells, quarter, on);
      ASSERT_EQ(expected.status(), got.status());
      if (!expected.ok()) continue;
      ++statements;
      EXPECT_EQ(expected->closing, got->closing);
      EXPECT_EQ(expected->closed, got->closed);
      EXPECT_EQ(expected->statement.statement.DebugString(),
                got->statement.statement.DebugString());
      EXPECT_EQ(expected->statement.projected_usage_cents, got->statement.projected_usage_cents);
      EXPECT_EQ(expected->statement.late_appointments, got->statement.late_appointments);
      EXPECT_EQ(expected->statement.warnings, got->statement.warnings);
    }
  }
  EXPECT_GT(statements, 0);
  int64_t earned = 0;
  for (absl::CivilMonth m(2024, 1); m <= absl::CivilMonth(2024, 9); ++m) {
    const absl::CivilDay day = absl::CivilDay(m + 1) - 1;
    for (const absl::CivilDay today : {day - 10, day, absl::CivilDay(2025, 1, 1)}) {
      SCOPED_TRACE(
          fmt::format("funds at {} on {}", domain::FormatDay(day), domain::FormatDay(today)));
      auto expected = readmodel::ComputeFundUsage(journeys, day, today);
      auto got = readmodel::ComputeFundUsage(cells, day, today);
      ASSERT_EQ(expected.status(), got.status());
      if (!expected.ok()) continue;
      EXPECT_EQ(expected->earned_cents, got->earned_cents);
      EXPECT_EQ(expected->appointments, got->appointments);
      EXPECT_EQ(expected->unpriced_appointments, got->unpriced_appointments);
      EXPECT_EQ(expected->projected_cents, got->projected_cents);
      ASSERT_EQ(expected->quarters.size(), got->quarters.size());
      for (size_t i = 0; i < expected->quarters.size(); ++i) {
        EXPECT_EQ(expected->quarters[i].earned_cents, got->quarters[i].earned_cents);
        EXPECT_EQ(expected->quarters[i].appointments, got->quarters[i].appointments);
      }
      earned += got->earned_cents;
    }
  }
  EXPECT_GT(earned, 0);
}

TEST(KpiCells, EqualTheJourneyReadingForEveryKpiPeriodAndClosingDay) {
  const auto versions = TermsVersions();
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    const std::vector<v1::Event> events = ShuffledEvents(seed);

    auto cep = CepProjection::Create();
    ASSERT_TRUE(cep.ok());
    TempDir dir;
    auto driver = testing::ProjectionDriver::Create(cep->get(), dir.path(),
                                                    {.batch_events = 1 + seed * 5 % 13});
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    ASSERT_TRUE((*driver)->Pipe(events).ok());
    const store::Store& store = (*driver)->store();

    // The same events in one batch, in another order, its journeys split
    // between Flush's two threads: the same cells.
    auto cep_once = CepProjection::Create();
    ASSERT_TRUE(cep_once.ok());
    (*cep_once)->SplitJourneysAbove(seed % 2);
    TempDir dir_once;
    auto once = testing::ProjectionDriver::Create(cep_once->get(), dir_once.path(),
                                                  {.batch_events = 100000});
    ASSERT_TRUE(once.ok());
    std::vector<v1::Event> reversed(events.rbegin(), events.rend());
    ASSERT_TRUE((*once)->Pipe(reversed).ok());
    const auto cells = StoredCells(store);
    EXPECT_FALSE(cells.empty());
    EXPECT_EQ(cells, StoredCells((*once)->store()));
    // And the same state digest (cells summed back to 0 left out).
    auto digest = projection::StateDigest(store, **cep);
    auto digest_once = projection::StateDigest((*once)->store(), **cep_once);
    ASSERT_TRUE(digest.ok() && digest_once.ok());
    EXPECT_EQ(*digest, *digest_once);

    auto model = readmodel::ReadLot(store, kLot);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    auto lean = readmodel::ReadLot(store, kLot, {.journeys = false});
    ASSERT_TRUE(lean.ok());
    EXPECT_TRUE(lean->facts.journeys.empty());
    ASSERT_GE(model->facts.journeys.size(), 50u);

    int compared = 0;
    int64_t fees = 0;
    for (const Period& period : Periods()) {
      SCOPED_TRACE(period.ToString());
      const int step = period.Days() > 100 ? 5 : 1;
      for (absl::CivilDay c = period.FirstDay(); c <= period.LastDay() + 70; c += step) {
        SCOPED_TRACE(domain::FormatDay(c));
        auto known = readmodel::ReadKnownCells(store, kLot, period, c);
        ASSERT_TRUE(known.ok()) << known.status().ToString();
        for (const auto& terms : versions) {
          for (const auto& kpi : terms.kpis()) {
            SCOPED_TRACE(terms.version() + " " + kpi.id());
            const auto expected = domain::Observe(kpi, model->facts, period, c);
            const auto got = domain::ObserveCells(kpi, lean->facts, *known, period);
            ASSERT_EQ(expected.numerator, got.numerator);
            ASSERT_EQ(expected.denominator, got.denominator);
            ++compared;
          }
        }
        // The appointments a statement prices, as known on that day.
        const auto appointments = domain::CountAppointments(model->facts, period, c);
        const auto from_cells = domain::CountAppointmentsCells(*known, period);
        ASSERT_EQ(appointments.late, from_cells.late);
        ASSERT_EQ(appointments.counts.size(), from_cells.counts.size());
        for (size_t i = 0; i < appointments.counts.size(); ++i) {
          EXPECT_EQ(appointments.counts[i].level, from_cells.counts[i].level);
          EXPECT_EQ(appointments.counts[i].modality, from_cells.counts[i].modality);
          EXPECT_EQ(appointments.counts[i].kind, from_cells.counts[i].kind);
          EXPECT_EQ(appointments.counts[i].appointments, from_cells.counts[i].appointments);
        }
      }
      // The fees of the period under each version (its own closing day).
      for (const auto& terms : versions) {
        const absl::CivilDay closing = period.ClosingDay(terms.delays().closing_grace_days());
        auto known = readmodel::ReadKnownCells(store, kLot, period, closing);
        ASSERT_TRUE(known.ok());
        auto expected = domain::PeriodFeesCents(model->facts, terms, period);
        auto got = domain::PeriodFeesCentsCells(*known, terms, period);
        ASSERT_TRUE(expected.ok() && got.ok());
        EXPECT_EQ(*expected, *got);
        fees += *got;
      }
      // The readers' evaluation under the stored terms, and the counters.
      auto expected = readmodel::EvaluateLotModel(*model, period, nullptr);
      auto got = readmodel::EvaluateLotCells(store, *lean, period, nullptr);
      ASSERT_TRUE(expected.ok()) << expected.status().ToString();
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ExpectSameEvaluation(*expected, *got);
      auto counters = readmodel::ReadActivityCounters(store, kLot, period);
      ASSERT_TRUE(counters.ok());
      EXPECT_EQ(domain::CountActivity(model->facts, period), *counters);
      // The funnel, read from its cells (the query's lot page).
      const domain::JourneyFunnel funnel = domain::CountFunnel(model->facts, period);
      auto streamed = readmodel::ReadFunnel(store, kLot, period);
      ASSERT_TRUE(streamed.ok());
      EXPECT_EQ(funnel.requests, streamed->requests);
      EXPECT_EQ(funnel.level_1, streamed->level_1);
      EXPECT_EQ(funnel.level_2, streamed->level_2);
      EXPECT_EQ(funnel.action_plan, streamed->action_plan);
      EXPECT_EQ(funnel.closure, streamed->closure);
      if (period.ToString() == "2024") {
        EXPECT_GT(funnel.requests, 0);
      }
    }
    EXPECT_GT(compared, 10000);
    EXPECT_GT(fees, 0);

    // What the query service and pilotagectl read from cells besides the
    // KPIs: the span of activity (the quarters offered), the statements and
    // the fund usage.
    auto span = readmodel::ReadActivitySpan(store, kLot);
    ASSERT_TRUE(span.ok()) << span.status().ToString();
    ASSERT_TRUE(span->has_value());
    EXPECT_EQ(readmodel::JourneyActivitySpan(model->facts), *span);
    ExpectSameStatementsAndFunds(store, *model, *lean);
  }
}

// Decision 0048: a rebuild folds with the cells deferred (the facts appended,
// no journey read, no cell written) and computes them once from the final
// journeys. The oracle is the incremental fold of the same events (whose
// cells the test above checks against the journey reading): the same
// non-zero cells and the same state digest, on random journeys with returning
// beneficiaries and late facts, folded in small batches (many appended
// records per journey) and in another order.
TEST(KpiCells, ADeferredFoldWithItsFinalPassEqualsTheIncrementalFold) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    const std::vector<v1::Event> events = ShuffledEvents(seed);
    // The oracle: the incremental fold, in batches of 1 + seed * 5 % 13.
    std::map<std::string, int64_t> cells;
    std::string digest;
    {
      auto incremental = CepProjection::Create();
      ASSERT_TRUE(incremental.ok());
      TempDir dir;
      auto folded = testing::ProjectionDriver::Create(incremental->get(), dir.path(),
                                                      {.batch_events = 1 + seed * 5 % 13});
      ASSERT_TRUE(folded.ok() && (*folded)->Pipe(events).ok());
      cells = StoredCells((*folded)->store());
      auto d = (*folded)->Digest();
      ASSERT_TRUE(d.ok());
      digest = *d;
    }
    ASSERT_FALSE(cells.empty());

    auto deferred = CepProjection::Create();
    ASSERT_TRUE(deferred.ok());
    (*deferred)->DeferCells();
    TempDir deferred_dir;
    {
      auto folding = testing::ProjectionDriver::Create(deferred->get(), deferred_dir.path(),
                                                       {.batch_events = 3});
      ASSERT_TRUE(folding.ok());
      std::vector<v1::Event> reversed(events.rbegin(), events.rend());
      ASSERT_TRUE((*folding)->Pipe(reversed).ok());
      EXPECT_TRUE(StoredCells((*folding)->store()).empty()) << "no cell during a deferred fold";
    }
    auto store = projection::OpenProjectionStore(deferred_dir.path().string(), **deferred);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    int64_t reported = 0;
    auto written = WriteCellsOfJourneys(**store, [&](int64_t n) { reported = n; });
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    EXPECT_EQ(StoredCells(**store), cells);
    EXPECT_EQ(written->cells, static_cast<int64_t>(cells.size()));
    int64_t journeys = 0;
    ASSERT_TRUE((*store)
                    ->ForEach(readmodel::layout::kJourneys, "",
                              [&](std::string_view, std::string_view) {
                                ++journeys;
                                return true;
                              })
                    .ok());
    EXPECT_EQ(written->journeys, journeys);
    EXPECT_EQ(reported, journeys);
    auto deferred_digest = projection::StateDigest(**store, **deferred);
    ASSERT_TRUE(deferred_digest.ok());
    EXPECT_EQ(*deferred_digest, digest);

    // A second pass would count every journey twice: refused.
    auto again = WriteCellsOfJourneys(**store);
    EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(StoredCells(**store), cells);
  }
}

// One returning beneficiary, its events sent in reverse order one batch each.
// Cells worked out by hand from the rules of domain/kpi_cells.h:
//   e1 request     2024-01-10 (Wed), recorded 2024-01-10: the first request
//                  ever, profile NONE(1), AGE_26_44(2), EMPLOYEE(1),
//                  FROM_250(4), FEMALE(1), channel WEB(2)
//   e2 appointment 2024-01-12 (Fri), recorded 2024-01-20: level 2 (2), PHONE
//                  (2), LONG_TERM (2), "75"; 2 working days after the request
//   e3 closure     2024-02-05, recorded 2024-02-06: TRAINING_STARTED (2),
//                  CPF (1); no action plan known yet: not formalised
//   e4 action plan 2024-01-30, recorded 2024-02-10: from then on the closure
//                  is formalised (retraction and insertion at known day 02-10)
//   e5 request     2024-03-04 (Mon), recorded 2024-03-04: a new journey of a
//                  returning beneficiary ("0")
//   e6 appointment 2024-03-06 (Wed), recorded 2024-03-06: level 1, IN_PERSON
//                  (1), ONE_OFF (1), "92"; 2 working days after its request
// Each appointment is also priced ("p": level.modality.kind) from the day it
// was recorded. The funnel ("u", known day = its day) sits on the first
// request ever: folded in reverse, it was first on 03-04 (e5, with e6's level
// 1, then e4's action plan, e3's closure, e2's level 2: "1.1.1.1"), then e1
// moved it to 01-10: the 03-04 cells sum to 0, "1.1.1.1" on 01-10 remains.
TEST(KpiCells, AReturningBeneficiaryWorkedByHand) {
  auto day = [](int m, int d) { return absl::CivilDay(2024, m, d); };
  std::vector<v1::Event> e;
  {
    v1::Event x = Activity("e1", day(1, 10), At(day(1, 10), 12 * 3600));
    auto* q = x.mutable_request_received();
    q->set_beneficiary("b1");
    q->set_channel(v1::Channel::WEB);
    q->mutable_profile()->set_qualification(v1::Qualification::NONE);
    q->mutable_profile()->set_age_band(v1::AgeBand::AGE_26_44);
    q->mutable_profile()->set_status(v1::WorkStatus::EMPLOYEE);
    q->mutable_profile()->set_company_size(v1::CompanySize::FROM_250);
    q->mutable_profile()->set_sex(v1::Sex::FEMALE);
    e.push_back(x);
  }
  auto appointment = [&](const char* id, absl::CivilDay d, absl::CivilDay rec, v1::Level::Value l,
                         v1::Modality::Value m, v1::SupportKind::Value k, const char* dep,
                         const char* aid) {
    v1::Event x = Activity(id, d, At(rec, 9 * 3600));
    auto* h = x.mutable_appointment_held();
    h->set_beneficiary("b1");
    h->set_appointment_id(aid);
    h->set_level(l);
    h->set_modality(m);
    h->set_kind(k);
    h->set_departement(dep);
    return x;
  };
  e.push_back(appointment("e2", day(1, 12), day(1, 20), v1::Level::LEVEL_2_SUPPORT,
                          v1::Modality::PHONE, v1::SupportKind::LONG_TERM, "75", "A1"));
  {
    v1::Event x = Activity("e3", day(2, 5), At(day(2, 6), 23 * 3600 + 30 * 60));
    x.mutable_journey_closed()->set_beneficiary("b1");
    x.mutable_journey_closed()->set_outcome(v1::Outcome::TRAINING_STARTED);
    x.mutable_journey_closed()->set_referred_to(v1::Referral::CPF);
    e.push_back(x);
  }
  {
    v1::Event x = Activity("e4", day(1, 30), At(day(2, 10), 0));
    x.mutable_deliverable_issued()->set_beneficiary("b1");
    x.mutable_deliverable_issued()->set_type(v1::DeliverableType::ACTION_PLAN);
    e.push_back(x);
  }
  {
    v1::Event x = Activity("e5", day(3, 4), At(day(3, 4), 8 * 3600));
    x.mutable_request_received()->set_beneficiary("b1");
    e.push_back(x);
  }
  e.push_back(appointment("e6", day(3, 6), day(3, 6), v1::Level::LEVEL_1_WELCOME,
                          v1::Modality::IN_PERSON, v1::SupportKind::ONE_OFF, "92", "A2"));

  auto cep = CepProjection::Create();
  ASSERT_TRUE(cep.ok());
  TempDir dir;
  auto driver = testing::ProjectionDriver::Create(cep->get(), dir.path(), {.batch_events = 1});
  ASSERT_TRUE(driver.ok());
  std::vector<v1::Event> reversed(e.rbegin(), e.rend());
  ASSERT_TRUE((*driver)->Pipe(reversed).ok());

  auto key = [](const char* kind, const char* d, const char* known, const char* dim) {
    return readmodel::layout::Key({kLot, kind, d, known, dim});
  };
  const std::map<std::string, int64_t> expected = {
      {key("r", "2024-01-10", "2024-01-10", "1.1.2.1.4.1.2"), 1},
      {key("a", "2024-01-12", "2024-01-20", "1.2.2.2.75"), 1},
      {key("f", "2024-01-10", "2024-01-20", "2"), 1},
      {key("c", "2024-02-05", "2024-02-06", "0.2.1"), 1},
      {key("c", "2024-02-05", "2024-02-10", "0.2.1"), -1},
      {key("c", "2024-02-05", "2024-02-10", "1.2.1"), 1},
      {key("r", "2024-03-04", "2024-03-04", "0"), 1},
      {key("a", "2024-03-06", "2024-03-06", "1.1.1.1.92"), 1},
      {key("f", "2024-03-04", "2024-03-06", "2"), 1},
      {key("p", "2024-01-12", "2024-01-20", "2.2.2"), 1},
      {key("p", "2024-03-06", "2024-03-06", "1.1.1"), 1},
      {key("u", "2024-01-10", "2024-01-10", "1.1.1.1"), 1},
  };
  EXPECT_EQ(StoredCells((*driver)->store()), expected);

  // February as known on 2024-02-08, then on 2024-02-11: one closure, not
  // formalised, then formalised.
  v1::KpiDefinition formalised;
  formalised.set_formula(v1::KpiFormula::FORMALISED_OUTCOMES);
  const Period february = *Period::Parse("2024-02");
  domain::LotFacts none{.lot_id = kLot};
  for (auto [closing, numerator] : {std::pair{day(2, 8), 0}, std::pair{day(2, 11), 1}}) {
    auto known = readmodel::ReadKnownCells((*driver)->store(), kLot, february, closing);
    ASSERT_TRUE(known.ok());
    const auto o = domain::ObserveCells(formalised, none, *known, february);
    EXPECT_EQ(o.denominator, 1);
    EXPECT_EQ(o.numerator, numerator);
  }
}

// The stored cells of `kind` (text keys, those summed to 0 left out).
std::map<std::string, int64_t> StoredCellsOfKind(const store::Store& store, domain::CellKind kind) {
  std::map<std::string, int64_t> out;
  for (auto& [key, n] : StoredCells(store)) {
    auto cell = readmodel::layout::ParseKpiCellKey(key);
    EXPECT_TRUE(cell.ok()) << cell.status().ToString();
    if (cell.ok() && cell->kind == kind) out[key] = n;
  }
  return out;
}

void ExpectSameFunnel(const domain::JourneyFunnel& expected, const domain::JourneyFunnel& got) {
  EXPECT_EQ(expected.requests, got.requests);
  EXPECT_EQ(expected.level_1, got.level_1);
  EXPECT_EQ(expected.level_2, got.level_2);
  EXPECT_EQ(expected.action_plan, got.action_plan);
  EXPECT_EQ(expected.closure, got.closure);
}

// The funnel read from the cells (readmodel::ReadFunnel) against
// domain::CountFunnel over the stored journeys, the independent reading: random
// returning beneficiaries (a second request before or after the first
// closure, appointments before any request), events shuffled and resent,
// folded in batches of several sizes, and all at once in reverse order split
// between Flush's two threads. The funnel's cells are a bounded set: one
// key per (first request day, dimension), counts >= 1 once summed, equal to
// the sum of the stored journeys' contributions.
TEST(KpiCells, FunnelCellsEqualCountFunnelOverTheJourneys) {
  int returning = 0;
  for (unsigned seed = 11; seed <= 14; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    std::mt19937 rng(seed);
    std::vector<v1::Event> events = RandomActivity(rng, 80);
    std::shuffle(events.begin(), events.end(), rng);
    for (int i = 0; i < 10; ++i) events.push_back(events[rng() % events.size()]);
    std::vector<v1::Event> reversed(events.rbegin(), events.rend());

    auto cep = CepProjection::Create();
    auto cep_once = CepProjection::Create();
    ASSERT_TRUE(cep.ok() && cep_once.ok());
    (*cep_once)->SplitJourneysAbove(seed % 3);
    TempDir dir, dir_once;
    auto driver =
        testing::ProjectionDriver::Create(cep->get(), dir.path(), {.batch_events = 1 + seed % 7});
    auto once = testing::ProjectionDriver::Create(cep_once->get(), dir_once.path(),
                                                  {.batch_events = 100000});
    ASSERT_TRUE(driver.ok() && once.ok());
    ASSERT_TRUE((*driver)->Pipe(events).ok());
    ASSERT_TRUE((*once)->Pipe(reversed).ok());

    auto model = readmodel::ReadLot((*driver)->store(), kLot);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    ASSERT_GE(model->facts.journeys.size(), 70u);
    for (const auto& j : model->facts.journeys) returning += j.requests_size() >= 2;

    for (const store::Store* store : {&(*driver)->store(), &(*once)->store()}) {
      for (const Period& period : Periods()) {
        SCOPED_TRACE(period.ToString());
        auto got = readmodel::ReadFunnel(*store, kLot, period);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ExpectSameFunnel(domain::CountFunnel(model->facts, period), *got);
      }
      const auto year = domain::CountFunnel(model->facts, *Period::Parse("2024"));
      EXPECT_GT(year.requests, 50);
      EXPECT_GT(year.level_2, 0);
      EXPECT_GT(year.action_plan, 0);
      EXPECT_GT(year.closure, 0);

      // Bounded: at most 16 keys a day, each summed to one count >= 1, and
      // the sum of the journeys' contributions.
      const auto funnel_cells = StoredCellsOfKind(*store, domain::CellKind::kFunnel);
      std::map<std::string, int64_t> contributions;
      for (const auto& j : model->facts.journeys) {
        for (const auto& [cell, n] : domain::ContributionOf(j)) {
          if (cell.kind != domain::CellKind::kFunnel) continue;
          std::string key;
          readmodel::layout::KpiCellKey(key, kLot, cell);
          contributions[key] += n;
        }
      }
      EXPECT_EQ(funnel_cells, contributions);
      std::map<absl::CivilDay, int> per_day;
      for (const auto& [key, n] : funnel_cells) {
        auto cell = readmodel::layout::ParseKpiCellKey(key);
        ASSERT_TRUE(cell.ok());
        EXPECT_EQ(cell->day, cell->known) << key;
        EXPECT_GE(n, 1) << key;
        EXPECT_LE(++per_day[cell->day], 16);
      }
    }
    EXPECT_EQ(StoredCells((*driver)->store()), StoredCells((*once)->store()));
  }
  EXPECT_GT(returning, 20);
}

// A small lot's funnel worked out by hand, its events folded in the order
// listed one batch each (b3's late first request after its June request),
// then in reverse order two by two: the same cells.
//   b1 request 05-02; level 1 05-06; level 2 05-20; action plan 05-21;
//      closure 06-10                              May: requested, 1 1 1 1
//   b2 request 05-03; level 1 05-07; closure 05-30 (no level 2); returns:
//      request 06-05, level 1 06-06, level 2 06-12
//                                                 May: requested, 1 1 0 1
//      (any journey counts; its June request is not a first request)
//   b3 request 06-03, level 1 06-04; a request of 05-31 recorded on 06-20
//      (late): the first request is 05-31        May: requested, 1 0 0 0
//   b4 level 1 05-10, a closure 05-28, never a request: in no funnel
//   b5 request 04-29, level 1 05-02              April: requested, 1 0 0 0
// May:  requests 3 (b1 b2 b3), level 1 3, level 2 2 (b1 b2), action plan 1
//       (b1), closure 2 (b1 b2).
// June: nothing (b2's and b3's June requests are not first requests).
// Q2:   May plus b5: requests 4, level 1 4, level 2 2, action plan 1,
//       closure 2. April: requests 1, level 1 1.
// Cells ("u", day = known day = the first request's): 05-02 "1.1.1.1",
// 05-03 "1.1.0.1", 05-31 "1.0.0.0", 04-29 "1.0.0.0", one each; b3's cells
// of 06-03 were retracted when its 05-31 request arrived (summed to 0).
TEST(KpiCells, AFunnelWorkedByHand) {
  auto day = [](int m, int d) { return absl::CivilDay(2024, m, d); };
  int next = 0;
  std::vector<v1::Event> e;
  auto base = [&](absl::CivilDay d, absl::CivilDay rec) {
    e.push_back(Activity(fmt::format("h{}", next++), d, At(rec, 15 * 3600)));
    return &e.back();
  };
  auto request = [&](const char* who, absl::CivilDay d, std::optional<absl::CivilDay> rec = {}) {
    base(d, rec.value_or(d))->mutable_request_received()->set_beneficiary(who);
  };
  auto appointment = [&](const char* who, absl::CivilDay d, v1::Level::Value level) {
    auto* h = base(d, d)->mutable_appointment_held();
    h->set_beneficiary(who);
    h->set_appointment_id(fmt::format("{}-{}", who, next));
    h->set_level(level);
    h->set_modality(v1::Modality::IN_PERSON);
    h->set_kind(v1::SupportKind::ONE_OFF);
    h->set_departement("75");
  };
  auto plan = [&](const char* who, absl::CivilDay d) {
    auto* x = base(d, d)->mutable_deliverable_issued();
    x->set_beneficiary(who);
    x->set_type(v1::DeliverableType::ACTION_PLAN);
  };
  auto closure = [&](const char* who, absl::CivilDay d) {
    auto* x = base(d, d)->mutable_journey_closed();
    x->set_beneficiary(who);
    x->set_outcome(v1::Outcome::TRAINING_STARTED);
    x->set_referred_to(v1::Referral::CPF);
  };
  constexpr auto kL1 = v1::Level::LEVEL_1_WELCOME;
  constexpr auto kL2 = v1::Level::LEVEL_2_SUPPORT;
  request("b1", day(5, 2));
  appointment("b1", day(5, 6), kL1);
  appointment("b1", day(5, 20), kL2);
  plan("b1", day(5, 21));
  closure("b1", day(6, 10));
  request("b2", day(5, 3));
  appointment("b2", day(5, 7), kL1);
  closure("b2", day(5, 30));
  request("b2", day(6, 5));
  appointment("b2", day(6, 6), kL1);
  appointment("b2", day(6, 12), kL2);
  request("b3", day(6, 3));
  appointment("b3", day(6, 4), kL1);
  request("b3", day(5, 31), day(6, 20));
  appointment("b4", day(5, 10), kL1);
  closure("b4", day(5, 28));
  request("b5", day(4, 29));
  appointment("b5", day(5, 2), kL1);

  auto key = [](const char* d, const char* dim) {
    return readmodel::layout::Key({kLot, "u", d, d, dim});
  };
  const std::map<std::string, int64_t> cells = {
      {key("2024-05-02", "1.1.1.1"), 1},
      {key("2024-05-03", "1.1.0.1"), 1},
      {key("2024-05-31", "1.0.0.0"), 1},
      {key("2024-04-29", "1.0.0.0"), 1},
  };
  const std::vector<std::pair<const char*, domain::JourneyFunnel>> expected = {
      {"2024-05", {.requests = 3, .level_1 = 3, .level_2 = 2, .action_plan = 1, .closure = 2}},
      {"2024-06", {}},
      {"2024-04", {.requests = 1, .level_1 = 1}},
      {"2024-Q2", {.requests = 4, .level_1 = 4, .level_2 = 2, .action_plan = 1, .closure = 2}},
  };
  const std::vector<v1::Event> reversed(e.rbegin(), e.rend());
  const std::vector<std::pair<const std::vector<v1::Event>*, size_t>> runs = {{&e, 1},
                                                                              {&reversed, 2}};
  for (const auto& [events, batch] : runs) {
    SCOPED_TRACE(fmt::format("batches of {}", batch));
    auto cep = CepProjection::Create();
    ASSERT_TRUE(cep.ok());
    TempDir dir;
    auto driver =
        testing::ProjectionDriver::Create(cep->get(), dir.path(), {.batch_events = batch});
    ASSERT_TRUE(driver.ok());
    ASSERT_TRUE((*driver)->Pipe(*events).ok());
    EXPECT_EQ(StoredCellsOfKind((*driver)->store(), domain::CellKind::kFunnel), cells);
    for (const auto& [period, funnel] : expected) {
      SCOPED_TRACE(period);
      auto got = readmodel::ReadFunnel((*driver)->store(), kLot, *Period::Parse(period));
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ExpectSameFunnel(funnel, *got);
    }
  }
}

}  // namespace
}  // namespace pilotage::projector
