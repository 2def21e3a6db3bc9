// The read side against stores written by hand in the documented layout
// (layout.h), not by the projector: what a reader relies on is the layout,
// whoever wrote it. The projector's own tests fold events and read them back
// through this library (services/projector/tests).
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/readmodel/coverage.h"
#include "pilotage/readmodel/json.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/readmodel/reports.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/store/coding.h"
#include "pilotage/store/store.h"
#include "pilotage/store/v1/readmodel.pb.h"
#include "pilotage/testing/penalty_scenario.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::readmodel {
namespace {

namespace fs = std::filesystem;
namespace sv1 = ::pilotage::store::v1;
using std::string_literals::operator""s;

// The penalty tests' terms ("2024.1", from 2024-01-02), under `version`.
v1::ContractTerms GoodTerms(std::string version, std::string effective_from) {
  v1::ContractTerms t = testing::FirstAppointmentTerms();
  t.set_version(std::move(version));
  t.set_effective_from(std::move(effective_from));
  return t;
}

// A store in the layout of the cep projection, as the projector leaves it,
// under DIR/stores/initial with DIR/current pointing to it.
class HandWrittenStore {
 public:
  explicit HandWrittenStore(std::string tag = "cep:6") {
    data_ = dir_.path() / "data";
    fs::create_directories(data_ / "stores");
    fs::create_directory_symlink("stores/initial", data_ / "current");
    store::StoreOptions options;
    for (auto f : {projection::kMetaFamily, projection::kSeenFamily, projection::kProgressFamily}) {
      options.column_families.push_back({.name = std::string(f)});
    }
    for (auto& f : layout::CepFamilies()) options.column_families.push_back(f);
    auto store = store::Store::Open((data_ / "stores" / "initial").string(), options);
    EXPECT_OK(store);
    store_ = std::move(*store);
    auto batch = store_->NewWriteBatch();
    batch.Put(projection::kMetaFamily, "projection", tag);
    batch.Put(projection::kMetaFamily, "layout", projection::kEngineLayout);
    EXPECT_OK(store_->Write(batch));
  }

  // Writes `fill` and records `next_offset` for partition "activity/0", in
  // one batch, as the engine does.
  void Write(int64_t next_offset, const std::function<void(store::WriteBatch&)>& fill) {
    auto batch = store_->NewWriteBatch();
    fill(batch);
    batch.Put(projection::kProgressFamily, "activity/0",
              projection::EncodeProgress({.next_offset = next_offset, .folded = next_offset}));
    ASSERT_OK(store_->Write(batch));
  }

  // Records `next_offset` for `partition` ("topic/partition") alone.
  void Progress(const std::string& partition, int64_t next_offset) {
    auto batch = store_->NewWriteBatch();
    batch.Put(projection::kProgressFamily, partition,
              projection::EncodeProgress({.next_offset = next_offset, .folded = next_offset}));
    ASSERT_OK(store_->Write(batch));
  }

  const fs::path& data() const { return data_; }
  fs::path root() const { return dir_.path(); }

 private:
  testing::TempDir dir_;
  fs::path data_;
  std::unique_ptr<store::Store> store_;
};

TEST(Layout, KeysAreTheDocumentedBytes) {
  std::string key;
  layout::ReportingKey(key, "LOT-11", absl::CivilDay(2024, 3, 5), 3);
  EXPECT_EQ(key, "LOT-11\0"s + "2024-03-05\0"s + "0003");
  layout::ReportingKey(key, "LOT-11", absl::CivilDay(2024, 3, 5), 12345);
  EXPECT_EQ(key, "LOT-11\0"s + "2024-03-05\0"s + "9999");
  layout::JourneyKey(key, "LOT-11", "p-1");
  EXPECT_EQ(key, "LOT-11\0p-1"s);
  layout::ActivityCountKey(key, "LOT-11", absl::CivilMonth(2024, 7), "appointment_held");
  EXPECT_EQ(key, "LOT-11\0"s + "2024-07\0"s + "appointment_held");
  EXPECT_EQ(layout::Key({"LOT-11", layout::kTerms, "2024.1"}), "LOT-11\0terms\0"s + "2024.1");
  const std::string award_key = "LOT-11\0award"s;
  EXPECT_EQ(layout::LotOf(award_key), "LOT-11");
  // Parts and LotOf return views into the key: it must outlive them.
  const std::string three = "a\0\0c"s;
  const auto parts = layout::Parts(three);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[2], "c");
}

TEST(CurrentStore, SaysWhenThereIsNoStoreOrTheLinkIsNotOne) {
  testing::TempDir dir;
  auto none = CurrentStore(dir.path());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("pilotage-projector run"), std::string::npos);
  fs::create_directories(dir.path() / "current");
  auto not_link = CurrentStore(dir.path());
  EXPECT_EQ(not_link.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(not_link.status().message().find("not a symlink"), std::string::npos);
}

TEST(CurrentStore, ResolvesTheLinkRelativeToTheDataDirectory) {
  HandWrittenStore written;
  auto where = CurrentStore(written.data());
  ASSERT_OK(where);
  EXPECT_EQ(where->path, written.data() / "stores" / "initial");
  EXPECT_EQ(where->name, "stores/initial");
}

TEST(ReadStore, RefusesAStoreOfAnotherProjectionSayingToRebuild) {
  HandWrittenStore written("cep:2");
  auto view = ReadStore::OpenReadOnly(written.data());
  EXPECT_EQ(view.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(view.status().message().find("rebuild"), std::string::npos) << view.status();
}

TEST(ReadStore, ReadsALotAndTheOffsetsStoredWithIt) {
  HandWrittenStore written;
  written.Write(42, [](store::WriteBatch& b) {
    sv1::LotRecord award;
    award.mutable_lot()->set_start_date("2024-01-02");
    award.mutable_lot()->set_region("Bretagne");
    b.Put(layout::kContract, layout::Key({"LOT-A", layout::kAward}), award.SerializeAsString());
    sv1::TermsRecord terms;
    *terms.mutable_terms() = GoodTerms("2024.1", "2024-01-02");
    b.Put(layout::kContract, layout::Key({"LOT-A", layout::kTerms, "2024.1"}),
          terms.SerializeAsString());
    // One journey written by two batches: two records appended.
    sv1::Journey first, second;
    first.add_requests()->set_event_id("r-1");
    first.mutable_requests(0)->set_day("2024-03-04");
    second.add_requests()->set_event_id("r-2");
    second.mutable_requests(0)->set_day("2024-05-06");
    std::string key;
    layout::JourneyKey(key, "LOT-A", "p-1");
    b.Put(layout::kJourneys, key, first.SerializeAsString() + second.SerializeAsString());
    layout::ReportingKey(key, "LOT-A", absl::CivilDay(2024, 3, 4), 3);
    b.Put(layout::kReporting, key, store::EncodeFixed64(7));
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kRefused, "e-1"}), "");
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kRefused, "e-2"}), "");
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kImported, "h-1"}),
          store::EncodeFixed64(5));
    // Imported events of 4 March (3 distinct) and lines of two imports that day.
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kImportedDay, "2024-03-04"}),
          store::EncodeFixed64(3));
    b.Put(layout::kQuality,
          layout::Key({"LOT-A", layout::kImportedLines, "2024-03-04", "import-x-LOT-A"}),
          store::EncodeFixed64(3));
    b.Put(layout::kQuality,
          layout::Key({"LOT-A", layout::kImportedLines, "2024-03-04", "import-y-LOT-A"}),
          store::EncodeFixed64(1));
    // Another lot with a refused event only.
    b.Put(layout::kQuality, layout::Key({"LOT-B", layout::kRefused, "e-3"}), "");
  });
  auto view = ReadStore::OpenReadOnly(written.data());
  ASSERT_OK(view);
  EXPECT_EQ((*view)->location().name, "stores/initial");
  const Freshness& fresh = (*view)->freshness();
  ASSERT_EQ(fresh.progress.count("activity/0"), 1u);
  EXPECT_EQ(fresh.progress.at("activity/0").next_offset, 42);
  EXPECT_NE(fresh.opened_at, absl::InfinitePast());
  EXPECT_EQ(fresh.caught_up_at, fresh.opened_at);

  auto lots = ListLots((*view)->store());
  ASSERT_OK(lots);
  EXPECT_EQ(*lots, (std::vector<std::string>{"LOT-A", "LOT-B"}));

  auto lot = ReadLot((*view)->store(), "LOT-A");
  ASSERT_OK(lot);
  ASSERT_TRUE(lot->facts.award.has_value());
  EXPECT_EQ(lot->facts.award->region(), "Bretagne");
  ASSERT_EQ(lot->terms.size(), 1u);
  EXPECT_EQ(lot->terms[0].version(), "2024.1");
  ASSERT_EQ(lot->facts.journeys.size(), 1u);
  EXPECT_EQ(lot->facts.journeys[0].requests_size(), 2);
  ASSERT_EQ(lot->facts.reporting.size(), 1u);
  EXPECT_EQ(lot->facts.reporting[0].day, absl::CivilDay(2024, 3, 4));
  EXPECT_EQ(lot->facts.reporting[0].delay_days, 3);
  EXPECT_EQ(lot->facts.reporting[0].count, 7);
  EXPECT_EQ(lot->facts.refused, 2);
  EXPECT_EQ(lot->facts.imported, 5);
  EXPECT_EQ(lot->facts.imported_events_by_day,
            (std::map<absl::CivilDay, int64_t>{{absl::CivilDay(2024, 3, 4), 3}}));
  EXPECT_EQ(lot->facts.imported_lines_by_day,
            (std::map<absl::CivilDay, int64_t>{{absl::CivilDay(2024, 3, 4), 4}}));

  auto other = ReadLot((*view)->store(), "LOT-B");
  ASSERT_OK(other);
  EXPECT_TRUE(other->facts.journeys.empty());
  EXPECT_EQ(other->facts.refused, 1);

  // A read-only view is a fixed snapshot: no catch-up.
  EXPECT_EQ((*view)->CatchUp().code(), absl::StatusCode::kFailedPrecondition);
}

// The funnel is the sum of the lot's kFunnel cells of the period's days
// (layout.h, decision 0049), worked by hand:
//   2024-03-04 "1.1.0.1" x2: 2 requests, 2 level 1, 2 level 2, 2 closures
//   2024-03-31 "0.0.0.0" x1: 1 request
//   2024-04-01 "1.0.0.0" x5: in April, not March
// March: requests 3, level 1 2, level 2 2, action plan 0, closure 2.
// April: requests 5, level 1 5, nothing else. June: nothing.
// A May cell "1.2.0.1" is not four 0/1 fields: the year is kDataLoss.
TEST(Funnel, SumsThePeriodsCellsAndRefusesABadDimensionNamingIt) {
  HandWrittenStore written;
  using domain::CellKind;
  written.Write(1, [&](store::WriteBatch& b) {
    auto put = [&](std::string_view lot, CellKind kind, absl::CivilDay day, std::string dim,
                   int64_t n) {
      std::string key;
      layout::KpiCellKey(key, lot, {.kind = kind, .day = day, .known = day, .dim = dim});
      b.Put(layout::kKpiCells, key, store::EncodeFixed64(n));
    };
    put("LOT-A", CellKind::kFunnel, absl::CivilDay(2024, 3, 4), "1.1.0.1", 2);
    put("LOT-A", CellKind::kFunnel, absl::CivilDay(2024, 3, 31), "0.0.0.0", 1);
    put("LOT-A", CellKind::kFunnel, absl::CivilDay(2024, 4, 1), "1.0.0.0", 5);
    // Not the funnel: another kind, another lot.
    put("LOT-A", CellKind::kRequest, absl::CivilDay(2024, 3, 5), "0", 4);
    put("LOT-AB", CellKind::kFunnel, absl::CivilDay(2024, 3, 4), "1.1.1.1", 9);
    // A dimension that is not four 0/1 fields, in May.
    put("LOT-A", CellKind::kFunnel, absl::CivilDay(2024, 5, 2), "1.2.0.1", 1);
  });
  auto view = ReadStore::OpenReadOnly(written.data());
  ASSERT_OK(view);
  auto march = ReadFunnel((*view)->store(), "LOT-A", *domain::Period::Parse("2024-03"));
  ASSERT_OK(march);
  EXPECT_EQ(march->requests, 3);
  EXPECT_EQ(march->level_1, 2);
  EXPECT_EQ(march->level_2, 2);
  EXPECT_EQ(march->action_plan, 0);
  EXPECT_EQ(march->closure, 2);
  auto april = ReadFunnel((*view)->store(), "LOT-A", *domain::Period::Parse("2024-04"));
  ASSERT_OK(april);
  EXPECT_EQ(april->requests, 5);
  EXPECT_EQ(april->level_1, 5);
  EXPECT_EQ(april->closure, 0);
  auto june = ReadFunnel((*view)->store(), "LOT-A", *domain::Period::Parse("2024-06"));
  ASSERT_OK(june);
  EXPECT_EQ(june->requests, 0);
  auto year = ReadFunnel((*view)->store(), "LOT-A", *domain::Period::Parse("2024"));
  EXPECT_EQ(year.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(year.status().message().find("'1.2.0.1'"), std::string::npos) << year.status();
  EXPECT_NE(year.status().message().find("cep_kpi_cells"), std::string::npos) << year.status();
  EXPECT_NE(year.status().message().find("LOT-A"), std::string::npos) << year.status();
}

TEST(ReadStore, SecondaryShowsLaterBatchesAfterACatchUp) {
  HandWrittenStore written;
  written.Write(10, [](store::WriteBatch& b) {
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kRefused, "e-1"}), "");
  });
  auto where = CurrentStore(written.data());
  ASSERT_OK(where);
  auto view = ReadStore::OpenSecondary(*where, written.root() / "secondary");
  ASSERT_OK(view);
  EXPECT_EQ((*view)->freshness().progress.at("activity/0").next_offset, 10);
  const absl::Time opened = (*view)->freshness().caught_up_at;

  written.Write(11, [](store::WriteBatch& b) {
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kRefused, "e-2"}), "");
  });
  auto before = ReadLot((*view)->store(), "LOT-A");
  ASSERT_OK(before);
  EXPECT_EQ(before->facts.refused, 1);
  ASSERT_OK((*view)->CatchUp());
  EXPECT_EQ((*view)->freshness().progress.at("activity/0").next_offset, 11);
  EXPECT_GE((*view)->freshness().caught_up_at, opened);
  EXPECT_EQ((*view)->freshness().opened_at, opened);
  auto after = ReadLot((*view)->store(), "LOT-A");
  ASSERT_OK(after);
  EXPECT_EQ(after->facts.refused, 2);
}

sv1::ActionRecord Action(std::string id, std::string due, std::string closed_on) {
  sv1::ActionRecord a;
  if (!due.empty()) {
    a.mutable_opened()->set_action_id(id);
    a.mutable_opened()->set_due_date(std::move(due));
    a.set_opened_event_id("open-" + id);
  }
  if (!closed_on.empty()) {
    a.mutable_closed()->set_action_id(id);
    a.mutable_closed()->set_closed_on(std::move(closed_on));
    a.set_closed_event_id("close-" + id);
  }
  return a;
}

TEST(ReportActions, StatesAndDaysLateAsOfTheDayAsked) {
  SteeringReadModel steering;
  steering.actions = {Action("A1", "2024-05-15", ""), Action("A2", "2024-05-15", "2024-05-10"),
                      Action("A3", "2024-05-15", "2024-05-18"), Action("A4", "", "2024-05-12"),
                      Action("A5", "2024-05-25", "")};
  const ActionsReport report = ReportActions(steering, absl::CivilDay(2024, 5, 20));
  ASSERT_EQ(report.actions.size(), 4u);
  // Open, due the 15th, judged the 20th: 5 days overdue.
  EXPECT_EQ(report.actions[0].state, ActionState::kOverdue);
  EXPECT_EQ(report.actions[0].days_late, 5);
  // Closed before its due date.
  EXPECT_EQ(report.actions[1].state, ActionState::kClosed);
  EXPECT_EQ(report.actions[1].days_late, 0);
  // Closed the 18th, due the 15th: 3 days late, whatever the day asked.
  EXPECT_EQ(report.actions[2].state, ActionState::kClosedLate);
  EXPECT_EQ(report.actions[2].days_late, 3);
  // Open, not due yet.
  EXPECT_EQ(report.actions[3].state, ActionState::kOpen);
  EXPECT_EQ(report.closings_without_opening, std::vector<std::string>{"A4"});
  EXPECT_EQ(ActionStateName(ActionState::kClosedLate), "CLOSED_LATE");
  // The edge's French label.
  const auto rows = ActionRowsJson(report);
  EXPECT_EQ(rows[0]["state_label"], "en retard de 5 jour(s)");
  EXPECT_EQ(rows[3]["state"], "OPEN");
}

// A lot under the penalty tests' terms (15 days of grace) with a request and
// an appointment on each of `days`.
LotReadModel LotWithActivity(const std::string& lot_id, const std::vector<std::string>& days) {
  LotReadModel lot;
  lot.facts.lot_id = lot_id;
  lot.terms.push_back(GoodTerms("2024.1", "2024-01-02"));
  for (const auto& day : days) {
    auto& journey = lot.facts.journeys.emplace_back();
    journey.add_requests()->set_day(day);
    journey.add_appointments()->set_day(day);
  }
  return lot;
}

std::vector<std::string> QuarterTexts(const QuarterCalendar& calendar) {
  std::vector<std::string> out;
  for (const auto& q : calendar.quarters) out.push_back(q.quarter.ToString());
  return out;
}

TEST(QuartersOn, LandsOnTheLastClosedQuarterAndOffersNoQuarterNotStarted) {
  const LotReadModel lot = LotWithActivity("LOT-A", {"2024-02-10", "2024-05-20"});
  // 10 July 2024: Q2 ends 30 June and closes 15 days later, on 15 July.
  QuarterCalendar on = QuartersOn({&lot}, absl::CivilDay(2024, 7, 10));
  EXPECT_EQ(QuarterTexts(on), (std::vector<std::string>{"2024-Q3", "2024-Q2", "2024-Q1"}));
  EXPECT_FALSE(on.quarters[0].closed);
  EXPECT_FALSE(on.quarters[1].closed);
  EXPECT_EQ(on.quarters[1].closing_day, absl::CivilDay(2024, 7, 15));
  EXPECT_TRUE(on.quarters[2].closed);
  EXPECT_EQ(on.quarters[2].closing_day, absl::CivilDay(2024, 4, 15));
  ASSERT_TRUE(on.landing);
  EXPECT_EQ(on.landing->ToString(), "2024-Q1");
  // On its closing day Q2 is closed and becomes the landing quarter.
  on = QuartersOn({&lot}, absl::CivilDay(2024, 7, 15));
  EXPECT_TRUE(on.quarters[1].closed);
  EXPECT_EQ(on.landing->ToString(), "2024-Q2");
  // Long after, the quarters without activity are offered (they exist) but
  // pages open on the last closed quarter that had activity.
  on = QuartersOn({&lot}, absl::CivilDay(2025, 3, 1));
  EXPECT_EQ(QuarterTexts(on),
            (std::vector<std::string>{"2025-Q1", "2024-Q4", "2024-Q3", "2024-Q2", "2024-Q1"}));
  EXPECT_FALSE(on.quarters[0].closed);
  EXPECT_EQ(on.landing->ToString(), "2024-Q2");
}

TEST(QuartersOn, NothingClosedYetLandsOnTheProvisionalQuarterAndLaterLotsCloseLater) {
  LotReadModel lot = LotWithActivity("LOT-A", {"2024-01-20"});
  // A second lot whose terms give 40 days of grace: the quarter closes for
  // every lot on the later day.
  LotReadModel slow = LotWithActivity("LOT-B", {"2024-02-01"});
  slow.terms[0].mutable_delays()->set_closing_grace_days(40);
  QuarterCalendar on = QuartersOn({&lot, &slow}, absl::CivilDay(2024, 4, 20));
  EXPECT_EQ(QuarterTexts(on), (std::vector<std::string>{"2024-Q2", "2024-Q1"}));
  EXPECT_EQ(on.quarters[1].closing_day, absl::CivilDay(2024, 5, 10));
  EXPECT_FALSE(on.quarters[1].closed);
  ASSERT_TRUE(on.landing);
  EXPECT_EQ(on.landing->ToString(), "2024-Q1");
  // Activity dated after today offers no quarter not started.
  const LotReadModel ahead = LotWithActivity("LOT-C", {"2024-02-01", "2024-09-01"});
  on = QuartersOn({&ahead}, absl::CivilDay(2024, 3, 1));
  EXPECT_EQ(QuarterTexts(on), std::vector<std::string>{"2024-Q1"});
  EXPECT_EQ(on.landing->ToString(), "2024-Q1");
  // No activity: nothing to offer.
  LotReadModel idle;
  idle.facts.lot_id = "LOT-D";
  on = QuartersOn({&idle}, absl::CivilDay(2024, 3, 1));
  EXPECT_TRUE(on.quarters.empty());
  EXPECT_FALSE(on.landing);
}

sv1::PenaltyRecord Penalty(std::string id, std::string deadline) {
  sv1::PenaltyRecord r;
  auto* p = r.mutable_proposed();
  p->set_penalty_id(std::move(id));
  p->set_period("2024-Q2");
  p->set_rule_id("first_appointment_shortfall");
  p->set_terms_version("2024.1");
  p->set_amount_cents(150000);
  p->set_notified_on("2024-07-20");
  p->set_observation_deadline(std::move(deadline));
  r.set_proposed_event_id("prop-" + p->penalty_id());
  return r;
}

TEST(AddPending, ListsUndecidedPenaltiesAndOpenActionsWithTheirLabelsAndDeadlines) {
  LotReadModel lot = LotWithActivity("LOT-A", {"2024-05-20"});
  const domain::TermsHistory history = HistoryOf(lot.terms, nullptr);
  SteeringReadModel steering;
  steering.penalties.push_back(Penalty("P-1", "2024-08-04"));
  sv1::PenaltyRecord answered = Penalty("P-2", "2024-08-04");
  answered.mutable_observations()->set_penalty_id("P-2");
  answered.mutable_observations()->set_received_on("2024-07-30");
  answered.mutable_observations()->set_text("Rendez-vous reportés par les bénéficiaires.");
  answered.set_observations_event_id("obs-P-2");
  steering.penalties.push_back(answered);
  sv1::PenaltyRecord confirmed = Penalty("P-3", "2024-08-04");
  confirmed.mutable_confirmed()->set_penalty_id("P-3");
  confirmed.mutable_confirmed()->set_reason("Aucune observation dans le délai.");
  confirmed.set_decided_at(
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2024, 8, 10), absl::UTCTimeZone())));
  confirmed.set_decision_event_id("conf-P-3");
  steering.penalties.push_back(confirmed);
  steering.actions = {Action("A1", "2024-08-01", ""), Action("A2", "2024-08-01", "2024-07-30"),
                      Action("A3", "2024-09-01", "")};
  steering.actions[0].mutable_opened()->set_kpi_id("first_appointment_delay");
  const LotSteering view{
      .lot_id = "LOT-A", .lot = &lot, .steering = &steering, .history = &history};
  PendingReport report;
  ASSERT_OK(AddPending(view, absl::CivilDay(2024, 8, 6), &report));
  // P-3 is decided; P-1 may be decided from the day after its deadline, P-2
  // from the day its observations came.
  ASSERT_EQ(report.penalties.size(), 2u);
  EXPECT_EQ(report.penalties[0].procedure.proposal.penalty_id(), "P-1");
  EXPECT_EQ(report.penalties[0].lot_id, "LOT-A");
  EXPECT_EQ(report.penalties[0].rule_label, "Délai de premier rendez-vous non tenu");
  EXPECT_EQ(report.penalties[0].kpi_id, "first_appointment_delay");
  EXPECT_EQ(report.penalties[0].kpi_label, "Premier rendez-vous sous 10 jours ouvrés");
  EXPECT_EQ(report.penalties[0].decision_from, absl::CivilDay(2024, 8, 5));
  EXPECT_EQ(report.penalties[1].decision_from, absl::CivilDay(2024, 7, 30));
  // A2 is closed; A1 is overdue by 5 days on 6 August, A3 not due yet.
  ASSERT_EQ(report.actions.size(), 2u);
  EXPECT_EQ(report.actions[0].action.record.opened().action_id(), "A1");
  EXPECT_EQ(report.actions[0].action.state, ActionState::kOverdue);
  EXPECT_EQ(report.actions[0].kpi_label, "Premier rendez-vous sous 10 jours ouvrés");
  EXPECT_EQ(report.actions[1].action.state, ActionState::kOpen);
  EXPECT_EQ(report.actions[1].kpi_label, "");
  // The edge's JSON.
  const auto json = PendingReportJson(report, absl::CivilDay(2024, 8, 6));
  EXPECT_EQ(json["penalties"][0]["observation_deadline"], "2024-08-04");
  EXPECT_EQ(json["penalties"][0]["decision_from"], "2024-08-05");
  EXPECT_EQ(json["penalties"][0]["past_deadline_undecided"], true);
  EXPECT_EQ(json["penalties"][0]["period_label"], "T2 2024");
  EXPECT_EQ(json["penalties"][1]["state"], "OBSERVATIONS_RECEIVED");
  EXPECT_EQ(json["actions"][0]["lot"], "LOT-A");
  EXPECT_EQ(json["actions"][0]["state_label"], "en retard de 5 jour(s)");
}

TEST(HistoryOf, LeavesOutOverlappingVersionsAndSaysWhy) {
  std::vector<std::string> problems;
  auto history =
      HistoryOf({GoodTerms("2024.1", "2024-01-02"), GoodTerms("2024.1b", "2024-01-02")}, &problems);
  EXPECT_EQ(history.size(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("overlapping"), std::string::npos) << problems[0];
}

TEST(NationalKpis, LeavesOutALotNoTermsGovernAndNamesIt) {
  LotReadModel governed, ungoverned;
  governed.facts.lot_id = "LOT-A";
  governed.terms.push_back(GoodTerms("2024.1", "2024-01-02"));
  ungoverned.facts.lot_id = "LOT-B";
  NationalKpis national("2024-Q2");
  ASSERT_OK(national.Add(governed));
  ASSERT_OK(national.Add(ungoverned));
  auto result = std::move(national).Finish();
  ASSERT_OK(result);
  EXPECT_EQ(result->lots, std::vector<std::string>{"LOT-A"});
  ASSERT_EQ(result->problems.size(), 1u);
  EXPECT_EQ(result->problems[0].rfind("LOT-B: ", 0), 0u) << result->problems[0];
  EXPECT_EQ(result->evaluation.lot_id, "national");
  // The edge's JSON names the same lots and problems.
  const auto json = NationalKpisJson(*result);
  EXPECT_EQ(json["lots"], nlohmann::json::array({"LOT-A"}));
  EXPECT_EQ(json["lot"], "national");
  EXPECT_EQ(json["period"], "2024-Q2");
}

TEST(NationalKpis, AMalformedPeriodIsInvalidArgument) {
  LotReadModel lot;
  lot.facts.lot_id = "LOT-A";
  NationalKpis national("2024-Q5");
  EXPECT_EQ(national.Add(lot).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::move(NationalKpis("2024-Q5")).Finish().status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Worked by hand: a/0 folded to 7 of 10 (3 behind), a/1 complete, a/2 empty
// (nothing to fold: not missing), c/0 complete, c/1 holds 5 events never
// folded; x/0 is folded but not asked about.
TEST(Coverage, NamesMissingAndBehindPartitionsAndByHowMuch) {
  Freshness f;
  f.progress["a/0"].next_offset = 7;
  f.progress["a/1"].next_offset = 10;
  f.progress["c/0"].next_offset = 3;
  f.progress["x/0"].next_offset = 1;
  const Coverage c =
      CompareWithLog(f, {{"a/0", 10}, {"a/1", 10}, {"a/2", 0}, {"c/0", 3}, {"c/1", 5}});
  EXPECT_FALSE(c.Complete());
  EXPECT_EQ(c.partitions, 5);
  EXPECT_EQ(c.missing, std::vector<std::string>{"c/1"});
  ASSERT_EQ(c.behind.size(), 1u);
  EXPECT_EQ(c.behind[0].partition, "a/0");
  EXPECT_EQ(c.behind[0].lag(), 3);
  EXPECT_EQ(c.EventsBehind(), 3);
  EXPECT_EQ(c.DescribeFrench(),
            "1 partition(s) sur 5 jamais intégrée(s) : c/1 ; 1 en retard : a/0 de 3 "
            "événement(s) (intégrée jusqu'à 7, fin du journal 10)");
  EXPECT_EQ(c.DescribeEnglish(),
            "1 of 5 partition(s) never folded: c/1; 1 behind: a/0 by 3 event(s) (folded to 7, "
            "log end 10)");
}

TEST(Coverage, AStoreAtTheEndOfEveryPartitionIsComplete) {
  Freshness f;
  f.progress["a/0"].next_offset = 10;
  // Ahead of the end read earlier: the projector folded what came since.
  f.progress["c/0"].next_offset = 4;
  const Coverage c = CompareWithLog(f, {{"a/0", 10}, {"c/0", 3}});
  EXPECT_TRUE(c.Complete());
  EXPECT_EQ(c.DescribeFrench(), "toutes les 2 partitions à jour");
  EXPECT_EQ(c.EventsBehind(), 0);
}

TEST(OpenTrusted, RefusesAStoreMissingAPartitionNamingItAndTheStore) {
  HandWrittenStore hand;
  hand.Progress("activity/0", 7);
  auto view = OpenTrusted(hand.data(), {{"activity/0", 10}, {"contract/0", 2}});
  ASSERT_FALSE(view.ok());
  EXPECT_TRUE(IsStoreNotTrusted(view.status())) << view.status();
  const std::string message(view.status().message());
  EXPECT_NE(message.find("stores/initial"), std::string::npos) << message;
  EXPECT_NE(message.find("jamais intégrée(s) : contract/0"), std::string::npos) << message;
  EXPECT_NE(message.find("activity/0 de 3 événement(s)"), std::string::npos) << message;
  EXPECT_FALSE(IsStoreNotTrusted(absl::FailedPreconditionError("other")));
}

// The projector catches up between two openings (written here by the retry
// callback itself, so the order is fixed): the second snapshot is accepted.
TEST(OpenTrusted, WaitsForTheProjectorReopeningTheSnapshot) {
  HandWrittenStore hand;
  hand.Progress("activity/0", 7);
  int retries = 0;
  const TrustOptions options{
      .wait = absl::Minutes(10), .poll = absl::ZeroDuration(), .on_retry = [&](const Coverage& c) {
        ++retries;
        EXPECT_EQ(c.EventsBehind(), 3);
        hand.Progress("activity/0", 10);
      }};
  auto view = OpenTrusted(hand.data(), {{"activity/0", 10}}, options);
  ASSERT_OK(view);
  EXPECT_EQ(retries, 1);
  EXPECT_EQ((*view)->freshness().progress.at("activity/0").next_offset, 10);
}

}  // namespace
}  // namespace pilotage::readmodel
