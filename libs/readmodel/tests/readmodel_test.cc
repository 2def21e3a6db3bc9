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
  explicit HandWrittenStore(std::string tag = "cep:4") {
    data_ = dir_.path() / "data";
    fs::create_directories(data_ / "stores");
    fs::create_directory_symlink("stores/initial", data_ / "current");
    store::StoreOptions options;
    for (auto f : {projection::kMetaFamily, projection::kSeenFamily, projection::kProgressFamily}) {
      options.column_families.push_back({.name = std::string(f)});
    }
    for (auto& f : layout::CepFamilies()) options.column_families.push_back(f);
    auto store = store::Store::Open((data_ / "stores" / "initial").string(), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto batch = store_->NewWriteBatch();
    batch.Put(projection::kMetaFamily, "projection", tag);
    batch.Put(projection::kMetaFamily, "layout", projection::kEngineLayout);
    EXPECT_TRUE(store_->Write(batch).ok());
  }

  // Writes `fill` and records `next_offset` for partition "activity/0", in
  // one batch, as the engine does.
  void Write(int64_t next_offset, const std::function<void(store::WriteBatch&)>& fill) {
    auto batch = store_->NewWriteBatch();
    fill(batch);
    batch.Put(projection::kProgressFamily, "activity/0",
              projection::EncodeProgress({.next_offset = next_offset, .folded = next_offset}));
    ASSERT_TRUE(store_->Write(batch).ok());
  }

  // Records `next_offset` for `partition` ("topic/partition") alone.
  void Progress(const std::string& partition, int64_t next_offset) {
    auto batch = store_->NewWriteBatch();
    batch.Put(projection::kProgressFamily, partition,
              projection::EncodeProgress({.next_offset = next_offset, .folded = next_offset}));
    ASSERT_TRUE(store_->Write(batch).ok());
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
  ASSERT_TRUE(where.ok()) << where.status().ToString();
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
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ((*view)->location().name, "stores/initial");
  const Freshness& fresh = (*view)->freshness();
  ASSERT_EQ(fresh.progress.count("activity/0"), 1u);
  EXPECT_EQ(fresh.progress.at("activity/0").next_offset, 42);
  EXPECT_NE(fresh.opened_at, absl::InfinitePast());
  EXPECT_EQ(fresh.caught_up_at, fresh.opened_at);

  auto lots = ListLots((*view)->store());
  ASSERT_TRUE(lots.ok());
  EXPECT_EQ(*lots, (std::vector<std::string>{"LOT-A", "LOT-B"}));

  auto lot = ReadLot((*view)->store(), "LOT-A");
  ASSERT_TRUE(lot.ok()) << lot.status().ToString();
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
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->facts.journeys.empty());
  EXPECT_EQ(other->facts.refused, 1);

  // A read-only view is a fixed snapshot: no catch-up.
  EXPECT_EQ((*view)->CatchUp().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ReadStore, SecondaryShowsLaterBatchesAfterACatchUp) {
  HandWrittenStore written;
  written.Write(10, [](store::WriteBatch& b) {
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kRefused, "e-1"}), "");
  });
  auto where = CurrentStore(written.data());
  ASSERT_TRUE(where.ok());
  auto view = ReadStore::OpenSecondary(*where, written.root() / "secondary");
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ((*view)->freshness().progress.at("activity/0").next_offset, 10);
  const absl::Time opened = (*view)->freshness().caught_up_at;

  written.Write(11, [](store::WriteBatch& b) {
    b.Put(layout::kQuality, layout::Key({"LOT-A", layout::kRefused, "e-2"}), "");
  });
  auto before = ReadLot((*view)->store(), "LOT-A");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->facts.refused, 1);
  ASSERT_TRUE((*view)->CatchUp().ok());
  EXPECT_EQ((*view)->freshness().progress.at("activity/0").next_offset, 11);
  EXPECT_GE((*view)->freshness().caught_up_at, opened);
  EXPECT_EQ((*view)->freshness().opened_at, opened);
  auto after = ReadLot((*view)->store(), "LOT-A");
  ASSERT_TRUE(after.ok());
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
  ASSERT_TRUE(national.Add(governed).ok());
  ASSERT_TRUE(national.Add(ungoverned).ok());
  auto result = std::move(national).Finish();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
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
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(retries, 1);
  EXPECT_EQ((*view)->freshness().progress.at("activity/0").next_offset, 10);
}

}  // namespace
}  // namespace pilotage::readmodel
