// The engine's batch step (BatchFold) through the Kafka-free driver, into a
// real RocksDB store: exactly-once across resends, dead letters, offsets
// written with the state, failed batches that write nothing, the projection
// version check. The projection is a tally of folded events per lot, so
// every expected count below is worked out by hand from the events piped.
#include "pilotage/projection/batch_fold.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/projection/dedup_cache.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/store/coding.h"
#include "pilotage/testing/projection_driver.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/testing/testing.h"

namespace pilotage::projection {
namespace {

using testing::ProjectionDriver;
using testing::ProjectionDriverOptions;

constexpr int64_t kFeb1Noon = 1706788800;  // 2024-02-01T12:00:00Z

// Counts the events folded per lot, in family "tally" (8 bytes per lot).
// Refuses (kInvalidArgument) an event whose operator_id is "refuse"; fails
// (kInternal) on operator_id "crash", and in Flush when told to.
class Tally : public Projection {
 public:
  explicit Tally(uint32_t version = 1, std::string name = "tally")
      : version_(version), name_(std::move(name)) {}

  std::string_view Name() const override { return name_; }
  uint32_t Version() const override { return version_; }
  std::vector<store::ColumnFamilyOptions> StateColumnFamilies() const override {
    return {{.name = "tally"}};
  }
  absl::Status Fold(const v1::Event& event, const Origin&) override {
    if (event.operator_id() == "refuse") {
      return absl::InvalidArgumentError("tally refuses operator 'refuse'");
    }
    if (event.operator_id() == "crash") return absl::InternalError("tally crashed");
    ++delta_[event.lot_id()];
    return absl::OkStatus();
  }
  absl::Status Flush(const store::Store& store, store::WriteBatch& batch) override {
    if (fail_next_flush) {
      fail_next_flush = false;
      return absl::InternalError("tally: flush failed on purpose");
    }
    for (const auto& [lot, n] : delta_) {
      auto stored = store.Get("tally", lot);
      if (!stored.ok()) return stored.status();
      const int64_t before = stored->has_value() ? store::ReadFixed64((*stored)->data()) : 0;
      batch.Put("tally", lot, store::EncodeFixed64(before + n));
    }
    delta_.clear();
    return absl::OkStatus();
  }
  void Discard() override {
    delta_.clear();
    ++discards;
  }
  absl::Status OnConflictingResend(const v1::Event& event, const Origin&) override {
    conflicts.push_back(event.lot_id() + "/" + event.event_id());
    return absl::OkStatus();
  }

  bool fail_next_flush = false;
  int discards = 0;
  std::vector<std::string> conflicts;  // "lot/id" of each conflicting resend told

 private:
  uint32_t version_;
  std::string name_;
  std::map<std::string, int64_t> delta_;
};

v1::Event Event(std::string id, std::string lot = "LOT-11", std::string op = "op") {
  v1::Event e;
  e.set_event_id(std::move(id));
  e.set_lot_id(std::move(lot));
  e.set_operator_id(std::move(op));
  e.mutable_occurred_at()->set_seconds(kFeb1Noon);
  e.mutable_request_received()->set_beneficiary("b1");
  return e;
}

int64_t TallyOf(const ProjectionDriver& driver, const std::string& lot) {
  auto stored = driver.store().Get("tally", lot);
  EXPECT_OK(stored);
  return stored.ok() && stored->has_value() ? store::ReadFixed64((*stored)->data()) : 0;
}

PartitionProgress ProgressOf(const ProjectionDriver& driver, int32_t partition = 0) {
  auto progress = driver.Progress();
  EXPECT_OK(progress);
  if (!progress.ok()) return {};
  auto it = progress->find("pilotage.activity.v1/" + std::to_string(partition));
  return it == progress->end() ? PartitionProgress{} : it->second;
}

// The ids stored in LOT-11's seen group for February 1st's week.
size_t StoredIds(const ProjectionDriver& driver) {
  auto stored = driver.store().Get(kSeenFamily, DedupCache::GroupKey("LOT-11", kFeb1Noon));
  EXPECT_OK(stored);
  return stored.ok() && stored->has_value() ? (*stored)->size() / 8 : 0;
}

class BatchFoldTest : public ::testing::Test {
 protected:
  std::unique_ptr<ProjectionDriver> Driver(ProjectionDriverOptions options = {}) {
    auto driver = ProjectionDriver::Create(&tally_, dir_.path(), options);
    EXPECT_OK(driver);
    return driver.ok() ? std::move(*driver) : nullptr;
  }

  Tally tally_;
  testing::TempDir dir_;
};

TEST_F(BatchFoldTest, AResendInTheSameBatchIsFoldedOnce) {
  auto driver = Driver();
  ASSERT_NE(driver, nullptr);
  ASSERT_OK(driver->Pipe({Event("a"), Event("b"), Event("a"), Event("c"), Event("b")}));
  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 3);
  ASSERT_EQ(driver->batches().size(), 1u);
  EXPECT_EQ(driver->batches()[0].folded, 3);
  EXPECT_EQ(driver->batches()[0].duplicates, 2);
  const PartitionProgress p = ProgressOf(*driver);
  EXPECT_EQ(p.next_offset, 5);
  EXPECT_EQ(p.folded, 3);
  EXPECT_EQ(p.duplicates, 2);
  EXPECT_EQ(StoredIds(*driver), 3u);
}

TEST_F(BatchFoldTest, AResendInALaterBatchOrAfterARestartIsFoldedOnce) {
  {
    auto driver = Driver({.batch_events = 2});
    ASSERT_NE(driver, nullptr);
    // Batches [a b] [a c] [b].
    ASSERT_OK(driver->Pipe({Event("a"), Event("b"), Event("a"), Event("c"), Event("b")}));
    EXPECT_EQ(driver->batches().size(), 3u);
    EXPECT_EQ(TallyOf(*driver, "LOT-11"), 3);
  }
  // A new driver on the same store, with a dedup memory too small to keep
  // anything: the groups are read back from the store.
  auto driver = Driver({.seen_cache_ids = 1});
  ASSERT_NE(driver, nullptr);
  ASSERT_OK(driver->Pipe({Event("c"), Event("d")}));
  ASSERT_OK(driver->Pipe({Event("a"), Event("d")}));
  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 4);
  const PartitionProgress p = ProgressOf(*driver);
  EXPECT_EQ(p.next_offset, 9);  // offsets went on from the stored 5
  EXPECT_EQ(p.folded, 4);
  EXPECT_EQ(p.duplicates, 5);
}

// The same event as Event(id, lot) but for its beneficiary: other content.
v1::Event Changed(std::string id, std::string lot = "LOT-11") {
  v1::Event e = Event(std::move(id), std::move(lot));
  e.mutable_request_received()->set_beneficiary("b2");
  return e;
}

TEST_F(BatchFoldTest, AResendWithOtherContentIsADeadLetterCountedPerLotAndAPlainResendIsNot) {
  auto driver = Driver({.batch_events = 3});
  ASSERT_NE(driver, nullptr);
  // What the gateway sets at each sending differs: still the same content.
  v1::Event resent = Event("a", "LOT-11", "another-operator");
  resent.mutable_recorded_at()->set_seconds(kFeb1Noon + 3600);
  // Batches [a b a'] [a" b' c]: a' a plain resend, a" a with other content
  // in a later batch, b' b's id in another lot (another event), c new.
  ASSERT_OK(driver->Pipe(
      {Event("a"), Event("b"), resent, Changed("a"), Changed("b", "LOT-84"), Event("c")}));
  // b was LOT-11's; LOT-84's b is another event (ids are per lot): folded.
  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 3);
  EXPECT_EQ(TallyOf(*driver, "LOT-84"), 1);
  const PartitionProgress p = ProgressOf(*driver);
  EXPECT_EQ(p.folded, 4);
  EXPECT_EQ(p.duplicates, 1);
  EXPECT_EQ(p.dead_letters, 1);
  ASSERT_EQ(driver->dead_letters().size(), 1u);
  const v1::DeadLetter& letter = driver->dead_letters()[0];
  EXPECT_EQ(letter.reason(), "event_id already known with other content");
  EXPECT_EQ(letter.origin_offset(), 3);
  EXPECT_EQ(letter.payload(), Changed("a").SerializeAsString()) << "the second copy, as read";
  ASSERT_EQ(driver->batches().size(), 2u);
  EXPECT_TRUE(driver->batches()[0].conflicting_resends.empty());
  EXPECT_EQ(driver->batches()[1].conflicting_resends,
            (std::map<std::string, int64_t>{{"LOT-11", 1}}));
  EXPECT_EQ(tally_.conflicts, std::vector<std::string>{"LOT-11/a"});
}

TEST_F(BatchFoldTest, AResendWithOtherContentIsCaughtInItsOwnBatchAndAfterARestart) {
  {
    auto driver = Driver();
    ASSERT_NE(driver, nullptr);
    ASSERT_OK(driver->Pipe({Event("a"), Changed("a"), Event("a")}));
    EXPECT_EQ(ProgressOf(*driver).dead_letters, 1);
    EXPECT_EQ(ProgressOf(*driver).duplicates, 1);
  }
  // The fingerprints were stored with the ids: a new driver, with a dedup
  // memory too small to keep anything, reads them back.
  auto driver = Driver({.seen_cache_ids = 1});
  ASSERT_NE(driver, nullptr);
  ASSERT_OK(driver->Pipe({Event("b")}));
  ASSERT_OK(driver->Pipe({Changed("a"), Event("a")}));
  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 2);
  const PartitionProgress p = ProgressOf(*driver);
  EXPECT_EQ(p.dead_letters, 2);
  EXPECT_EQ(p.duplicates, 2);
  ASSERT_EQ(driver->dead_letters().size(), 1u);
  EXPECT_EQ(driver->dead_letters()[0].origin_offset(), 4);
  EXPECT_EQ(tally_.conflicts, (std::vector<std::string>{"LOT-11/a", "LOT-11/a"}));
}

TEST_F(BatchFoldTest, AnIdFoldedBeforeFingerprintsWereKeptIsNeverAConflict) {
  {
    // A store as an engine before decision 0036 left it: a's id in the seen
    // group, no fingerprint beside it.
    auto driver = Driver();
    ASSERT_NE(driver, nullptr);
  }
  {
    auto store = store::Store::Open(dir_.path().string(), ProjectionStoreOptions(tally_));
    ASSERT_OK(store);
    store::WriteBatch batch = (*store)->NewWriteBatch();
    std::string ids;
    store::AppendFixed64(ids, static_cast<int64_t>(DedupCache::IdHash("a")));
    batch.Put(kSeenFamily, DedupCache::GroupKey("LOT-11", kFeb1Noon), ids);
    ASSERT_OK((*store)->Write(batch));
  }
  auto driver = Driver();
  ASSERT_NE(driver, nullptr);
  ASSERT_OK(driver->Pipe({Changed("a"), Event("a")}));
  EXPECT_EQ(ProgressOf(*driver).duplicates, 2);
  EXPECT_EQ(ProgressOf(*driver).dead_letters, 0);
  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 0);
}

TEST(ContentFingerprint, IgnoresWhatTheGatewaySetsAndRestoresTheEvent) {
  std::string scratch;
  v1::Event first = Event("a");
  first.mutable_recorded_at()->set_seconds(kFeb1Noon);
  v1::Event resent = Event("a", "LOT-11", "op2");
  resent.mutable_recorded_at()->set_seconds(kFeb1Noon + 60);
  const v1::Event before = resent;
  const uint64_t f = ContentFingerprint(first, scratch);
  EXPECT_EQ(ContentFingerprint(resent, scratch), f);
  EXPECT_EQ(resent.SerializeAsString(), before.SerializeAsString()) << "restored";
  v1::Event imported = Event("a");
  imported.set_imported(true);
  v1::Event later = Event("a");
  later.mutable_occurred_at()->set_seconds(kFeb1Noon + 1);
  v1::Event changed = Changed("a");
  for (v1::Event* other : {&imported, &later, &changed}) {
    EXPECT_NE(ContentFingerprint(*other, scratch), f) << other->ShortDebugString();
  }
}

TEST_F(BatchFoldTest, RefusedAndUnusableEventsAreDeadLettersAndLeaveTheStateUnchanged) {
  auto driver = Driver();
  ASSERT_NE(driver, nullptr);
  ASSERT_OK(driver->Pipe({Event("a")}));
  auto before = driver->Digest();
  ASSERT_OK(before);

  v1::Event no_lot = Event("n1");
  no_lot.clear_lot_id();
  v1::Event no_body = Event("n2");
  no_body.clear_request_received();
  const std::vector<std::string> payloads = {Event("r1", "LOT-11", "refuse").SerializeAsString(),
                                             "\xff\xff garbage", no_lot.SerializeAsString(),
                                             no_body.SerializeAsString()};
  ASSERT_OK(driver->PipePayloads(payloads, "pilotage.activity.v1"));

  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 1);
  EXPECT_EQ(StoredIds(*driver), 1u);
  auto after = driver->Digest();
  ASSERT_OK(after);
  EXPECT_EQ(*after, *before);
  ASSERT_EQ(driver->dead_letters().size(), 4u);
  const std::string reasons[] = {"tally refuses", "does not decode", "no lot_id", "no body"};
  for (size_t i = 0; i < 4; ++i) {
    const v1::DeadLetter& letter = driver->dead_letters()[i];
    EXPECT_EQ(letter.origin_topic(), "pilotage.activity.v1");
    EXPECT_EQ(letter.origin_partition(), 0);
    EXPECT_EQ(letter.origin_offset(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(letter.payload(), payloads[i]);
    EXPECT_NE(letter.reason().find(reasons[i]), std::string::npos) << letter.reason();
  }
  const PartitionProgress p = ProgressOf(*driver);
  EXPECT_EQ(p.next_offset, 5);
  EXPECT_EQ(p.folded, 1);
  EXPECT_EQ(p.dead_letters, 4);

  // A refused event is not remembered as folded: sent again, it is refused
  // again, not skipped as a duplicate.
  ASSERT_OK(driver->Pipe({Event("r1", "LOT-11", "refuse")}));
  EXPECT_EQ(driver->dead_letters().size(), 5u);
  EXPECT_EQ(ProgressOf(*driver).duplicates, 0);
}

TEST_F(BatchFoldTest, EachBatchWritesTheOffsetsOfThePartitionsItMovedWithTheState) {
  auto driver = Driver({.batch_events = 3});
  ASSERT_NE(driver, nullptr);
  ASSERT_OK(driver->Pipe({Event("a"), Event("b"), Event("c"), Event("d")}, 0));
  ASSERT_OK(driver->Pipe({Event("p", "LOT-84"), Event("q", "LOT-84")}, 1));
  // Batches [a b c] [d] from partition 0, then [p q] from partition 1.
  ASSERT_EQ(driver->batches().size(), 3u);
  using Offsets = std::map<std::pair<std::string, int32_t>, int64_t>;
  EXPECT_EQ(driver->batches()[0].next_offsets, (Offsets{{{"pilotage.activity.v1", 0}, 3}}));
  EXPECT_EQ(driver->batches()[1].next_offsets, (Offsets{{{"pilotage.activity.v1", 0}, 4}}));
  EXPECT_EQ(driver->batches()[2].next_offsets, (Offsets{{{"pilotage.activity.v1", 1}, 2}}));
  EXPECT_EQ(ProgressOf(*driver, 0).next_offset, 4);
  EXPECT_EQ(ProgressOf(*driver, 1).next_offset, 2);
  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 4);
  EXPECT_EQ(TallyOf(*driver, "LOT-84"), 2);
}

// A transaction's commit marker takes offset 2 after records 0 and 1; the
// consumer's position (3) is past it. SkipTo records 3, alone in a batch,
// and counts nothing; a position not ahead, or of a partition not assigned,
// moves nothing.
TEST_F(BatchFoldTest, SkipToRecordsAPositionPastTransactionMarkersWithoutCountingAnEvent) {
  auto store = OpenProjectionStore((dir_.path() / "store").string(), tally_);
  ASSERT_OK(store);
  BatchFold fold(&tally_, store->get(), 1000);
  ASSERT_EQ(fold.Assign("pilotage.contract.v1", 0).value_or(-1), 0);
  std::string reason;
  for (int64_t offset : {0, 1}) {
    auto added = fold.Add({"pilotage.contract.v1", 0, offset},
                          Event("e" + std::to_string(offset)).SerializeAsString(), &reason);
    ASSERT_EQ(added.value_or(BatchFold::Outcome::kDeadLetter), BatchFold::Outcome::kFolded);
  }
  auto first = fold.Seal();
  ASSERT_OK(first);
  ASSERT_OK((*store)->Write(first->batch));
  EXPECT_FALSE(fold.pending());

  EXPECT_FALSE(fold.SkipTo("pilotage.contract.v1", 0, 2));  // not ahead of 2
  EXPECT_FALSE(fold.SkipTo("pilotage.contract.v1", 1, 3));  // not assigned
  EXPECT_FALSE(fold.pending());
  EXPECT_TRUE(fold.SkipTo("pilotage.contract.v1", 0, 3));
  EXPECT_TRUE(fold.pending());
  EXPECT_EQ(fold.events(), 0u);
  auto second = fold.Seal();
  ASSERT_OK(second);
  EXPECT_EQ(second->report.events, 0);
  using Offsets = std::map<std::pair<std::string, int32_t>, int64_t>;
  EXPECT_EQ(second->report.next_offsets, (Offsets{{{"pilotage.contract.v1", 0}, 3}}));
  ASSERT_OK((*store)->Write(second->batch));
  EXPECT_FALSE(fold.pending());

  auto progress = ReadProgress(**store);
  ASSERT_OK(progress);
  const PartitionProgress& p = progress->at("pilotage.contract.v1/0");
  EXPECT_EQ(p.next_offset, 3);
  EXPECT_EQ(p.folded, 2);
  EXPECT_EQ(p.duplicates + p.dead_letters, 0);
}

TEST_F(BatchFoldTest, ABatchThatFailsWritesNothingAndAReplayFoldsItOnce) {
  {
    auto driver = Driver({.batch_events = 2});
    ASSERT_NE(driver, nullptr);
    ASSERT_OK(driver->Pipe({Event("a"), Event("b")}));
    auto digest = driver->Digest();
    ASSERT_OK(digest);

    tally_.fail_next_flush = true;
    const absl::Status failed = driver->Pipe({Event("c"), Event("d")});
    EXPECT_EQ(failed.code(), absl::StatusCode::kInternal) << failed;
    EXPECT_EQ(tally_.discards, 1);
    // Nothing of the failed batch: state, seen ids and offsets as before.
    EXPECT_EQ(TallyOf(*driver, "LOT-11"), 2);
    EXPECT_EQ(StoredIds(*driver), 2u);
    EXPECT_EQ(ProgressOf(*driver).next_offset, 2);
    EXPECT_EQ(*driver->Digest(), *digest);
    // The driver, like an engine, stops at the first failure.
    EXPECT_EQ(driver->Pipe({Event("e")}).code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    // An error of the projection in the middle of a batch loses the events
    // folded before it in that batch too.
    auto driver = Driver({.batch_events = 10});
    ASSERT_NE(driver, nullptr);
    const absl::Status crashed =
        driver->Pipe({Event("c"), Event("x", "LOT-11", "crash"), Event("d")});
    EXPECT_EQ(crashed.code(), absl::StatusCode::kInternal) << crashed;
    EXPECT_EQ(TallyOf(*driver, "LOT-11"), 2);
    EXPECT_EQ(ProgressOf(*driver).next_offset, 2);
  }
  // A restart replays from the stored offsets: c and d are folded once.
  auto driver = Driver();
  ASSERT_NE(driver, nullptr);
  ASSERT_OK(driver->Pipe({Event("c"), Event("d")}));
  EXPECT_EQ(TallyOf(*driver, "LOT-11"), 4);
  const PartitionProgress p = ProgressOf(*driver);
  EXPECT_EQ(p.next_offset, 4);
  EXPECT_EQ(p.folded, 4);
  EXPECT_EQ(p.duplicates, 0);
}

TEST_F(BatchFoldTest, AStoreOfAnotherProjectionOrVersionIsRefusedWithTheMessageToRebuild) {
  ASSERT_NE(Driver(), nullptr);  // records tally:1
  Tally next_version(2), another_name(1, "counts");
  for (Tally* other : {&next_version, &another_name}) {
    auto refused = ProjectionDriver::Create(other, dir_.path());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    const std::string message(refused.status().message());
    EXPECT_NE(message.find("tally:1"), std::string::npos) << message;
    EXPECT_NE(message.find(ProjectionTag(*other)), std::string::npos) << message;
    EXPECT_NE(message.find("rebuild"), std::string::npos) << message;
    EXPECT_EQ(OpenProjectionStoreReadOnly(dir_.path().string(), *other).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_NE(Driver(), nullptr) << "the same projection and version opens it";
}

// Moved from the broker-based tests (it needs no broker): the store a
// previous engine left, with one seen key per event and no layout.
TEST_F(BatchFoldTest, AStoreOfTheOneKeyPerEventLayoutIsRefusedWithTheMessageToRebuild) {
  const std::string path = dir_.path().string();
  {
    auto old = store::Store::Open(path, ProjectionStoreOptions(tally_));
    ASSERT_OK(old);
    store::WriteBatch batch = (*old)->NewWriteBatch();
    batch.Put(kMetaFamily, "projection", ProjectionTag(tally_));
    batch.Put(kSeenFamily, std::string(16, 'x'), "");
    ASSERT_OK((*old)->Write(batch));
  }
  auto opened = OpenProjectionStore(path, tally_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(opened.status().message());
  EXPECT_NE(message.find("layout 1"), std::string::npos) << message;
  EXPECT_NE(message.find("rebuild"), std::string::npos) << message;
  auto read_only = OpenProjectionStoreReadOnly(path, tally_);
  EXPECT_EQ(read_only.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(BatchFoldTest, TheStateDoesNotDependOnHowEventsAreCutIntoBatches) {
  std::vector<v1::Event> events;
  for (int i = 0; i < 60; ++i) {
    events.push_back(Event("e" + std::to_string(i % 45), i % 3 == 0 ? "LOT-84" : "LOT-11"));
  }
  std::string digests[2];
  const size_t sizes[] = {1, 1000};
  for (int k = 0; k < 2; ++k) {
    testing::TempDir dir;
    auto driver = ProjectionDriver::Create(&tally_, dir.path(), {.batch_events = sizes[k]});
    ASSERT_OK(driver);
    ASSERT_OK((*driver)->Pipe(events));
    auto digest = (*driver)->Digest();
    ASSERT_OK(digest);
    digests[k] = *digest;
  }
  EXPECT_EQ(digests[0], digests[1]);
}

}  // namespace
}  // namespace pilotage::projection
