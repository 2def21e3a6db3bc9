// DedupCache (decision 0015) on a real RocksDB store in a temporary
// directory: group keys worked out by hand, hits and misses, ids reaching the
// store only through the batch, eviction and its bound.
#include "pilotage/projection/dedup_cache.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/store/store.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::projection {
namespace {

using namespace std::string_literals;

constexpr int64_t kWeek = 7 * 86400;
// 2024-02-01T12:00:00Z: 1706788800 s = 2822 weeks (1706745600 s) + 12 h.
constexpr int64_t kFeb1Noon = 1706788800;

class DedupCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::Store::Open(dir_.path().string(), {.column_families = {{.name = "seen"}}});
    ASSERT_OK(store);
    store_ = std::move(*store);
  }

  // Checks, and adds if not seen; returns whether it was seen.
  bool CheckAndAdd(DedupCache& cache, const std::string& lot, int64_t at, const std::string& id) {
    auto entry = cache.Check(lot, at, id);
    EXPECT_OK(entry);
    if (!entry.ok()) return false;
    if (!entry->seen) cache.Add(*entry);
    return entry->seen;
  }

  // Closes the open batch and writes it, as the engine does.
  void CloseAndWrite(DedupCache& cache) {
    store::WriteBatch batch = store_->NewWriteBatch();
    cache.CloseBatch(batch);
    ASSERT_OK(store_->Write(batch));
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST(DedupCacheKey, IsTheLotANulAndTheBiasedWeekBigEndian) {
  EXPECT_EQ(DedupCache::GroupKey("LOT-11", 0), "LOT-11\0\x80\0\0\0"s);
  EXPECT_EQ(DedupCache::GroupKey("LOT-11", kWeek - 1), "LOT-11\0\x80\0\0\0"s);
  EXPECT_EQ(DedupCache::GroupKey("LOT-11", kWeek), "LOT-11\0\x80\0\0\x01"s);
  // Weeks are rounded down: the second before the epoch is in week -1.
  EXPECT_EQ(DedupCache::GroupKey("LOT-11", -1), "LOT-11\0\x7f\xff\xff\xff"s);
  EXPECT_EQ(DedupCache::GroupKey("LOT-11", -kWeek), "LOT-11\0\x7f\xff\xff\xff"s);
  EXPECT_EQ(DedupCache::GroupKey("LOT-11", -kWeek - 1), "LOT-11\0\x7f\xff\xff\xfe"s);
  // Week 2822 = 0xB06.
  EXPECT_EQ(DedupCache::GroupKey("LOT-84", kFeb1Noon), "LOT-84\0\x80\0\x0b\x06"s);
}

TEST_F(DedupCacheTest, AMissReadsTheStoreOnceThenTheGroupIsCheckedInMemory) {
  DedupCache cache(*store_, 1000);
  EXPECT_FALSE(CheckAndAdd(cache, "LOT-11", kFeb1Noon, "e1"));
  EXPECT_EQ(cache.group_reads(), 1);
  // A resend in the same open batch, and another event of the same week.
  EXPECT_TRUE(CheckAndAdd(cache, "LOT-11", kFeb1Noon + 3600, "e1"));
  EXPECT_FALSE(CheckAndAdd(cache, "LOT-11", kFeb1Noon + 86400, "e2"));
  EXPECT_EQ(cache.group_reads(), 1);
  EXPECT_EQ(cache.cached_ids(), 2u);
  EXPECT_EQ(cache.cached_groups(), 1u);
}

TEST_F(DedupCacheTest, TheSameIdInAnotherLotOrWeekIsAnotherEvent) {
  DedupCache cache(*store_, 1000);
  EXPECT_FALSE(CheckAndAdd(cache, "LOT-11", kFeb1Noon, "e1"));
  EXPECT_FALSE(CheckAndAdd(cache, "LOT-84", kFeb1Noon, "e1"));
  EXPECT_FALSE(CheckAndAdd(cache, "LOT-11", kFeb1Noon + kWeek, "e1"));
  EXPECT_EQ(cache.cached_groups(), 3u);
}

TEST_F(DedupCacheTest, IdsReachTheStoreThroughTheClosedBatchOnly) {
  {
    DedupCache cache(*store_, 1000);
    EXPECT_FALSE(CheckAndAdd(cache, "LOT-11", kFeb1Noon, "e1"));
    EXPECT_FALSE(CheckAndAdd(cache, "LOT-11", kFeb1Noon, "e2"));
    // Not closed: a cache that starts now does not know them.
    DedupCache other(*store_, 1000);
    EXPECT_FALSE(CheckAndAdd(other, "LOT-11", kFeb1Noon, "e1"));
    CloseAndWrite(cache);
  }
  // One value per group: the two ids, 8 bytes each, in fold order.
  auto stored = store_->Get(kSeenFamily, DedupCache::GroupKey("LOT-11", kFeb1Noon));
  ASSERT_OK(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->size(), 16u);

  DedupCache restarted(*store_, 1000);
  EXPECT_TRUE(CheckAndAdd(restarted, "LOT-11", kFeb1Noon, "e1"));
  EXPECT_TRUE(CheckAndAdd(restarted, "LOT-11", kFeb1Noon, "e2"));
  EXPECT_FALSE(CheckAndAdd(restarted, "LOT-11", kFeb1Noon, "e3"));
  EXPECT_EQ(restarted.group_reads(), 1);
  // A second batch appends to the group rather than rewriting it.
  CloseAndWrite(restarted);
  stored = store_->Get(kSeenFamily, DedupCache::GroupKey("LOT-11", kFeb1Noon));
  ASSERT_OK(stored);
  EXPECT_EQ((*stored)->size(), 24u);
}

TEST_F(DedupCacheTest, PastTheBoundTheLeastRecentGroupIsForgottenAndReadBackWhenNeeded) {
  DedupCache cache(*store_, 4);  // evicts down to 3 ids
  for (const char* id : {"a1", "a2", "a3"}) EXPECT_FALSE(CheckAndAdd(cache, "LOT-A", 0, id));
  CloseAndWrite(cache);
  EXPECT_EQ(cache.cached_ids(), 3u);  // within the bound: nothing forgotten
  for (const char* id : {"b1", "b2", "b3"}) EXPECT_FALSE(CheckAndAdd(cache, "LOT-B", 0, id));
  CloseAndWrite(cache);
  // 6 > 4: LOT-A's group (last added to in batch 1) goes, LOT-B's (the batch
  // just closed) stays.
  EXPECT_EQ(cache.cached_ids(), 3u);
  EXPECT_EQ(cache.cached_groups(), 1u);
  EXPECT_EQ(cache.group_reads(), 2);
  EXPECT_TRUE(CheckAndAdd(cache, "LOT-B", 0, "b2"));
  EXPECT_EQ(cache.group_reads(), 2);  // still in memory
  EXPECT_TRUE(CheckAndAdd(cache, "LOT-A", 0, "a2"));
  EXPECT_EQ(cache.group_reads(), 3);  // read back from the store, whole
  EXPECT_TRUE(CheckAndAdd(cache, "LOT-A", 0, "a3"));
  EXPECT_FALSE(CheckAndAdd(cache, "LOT-A", 0, "a4"));
}

TEST_F(DedupCacheTest, TheGroupsOfTheBatchJustClosedAreKeptEvenBeyondTheBound) {
  DedupCache cache(*store_, 2);
  for (const char* id : {"a1", "a2", "a3", "a4", "a5"}) {
    EXPECT_FALSE(CheckAndAdd(cache, "LOT-A", 0, id));
  }
  CloseAndWrite(cache);
  EXPECT_EQ(cache.cached_ids(), 5u);
  EXPECT_FALSE(CheckAndAdd(cache, "LOT-B", 0, "b1"));
  CloseAndWrite(cache);
  EXPECT_EQ(cache.cached_ids(), 1u);
  EXPECT_EQ(cache.cached_groups(), 1u);
}

TEST_F(DedupCacheTest, AfterEachBatchItHoldsNoMoreThanTheBound) {
  DedupCache cache(*store_, 100);
  for (int batch = 0; batch < 40; ++batch) {
    // Ten events a batch, each batch in a week of its own.
    for (int i = 0; i < 10; ++i) {
      EXPECT_FALSE(CheckAndAdd(cache, "LOT-11", batch * kWeek, "e" + std::to_string(i)));
    }
    CloseAndWrite(cache);
    EXPECT_LE(cache.cached_ids(), 100u) << "after batch " << batch;
  }
  // The early weeks were forgotten, yet all 400 ids are still known.
  for (int batch = 0; batch < 40; ++batch) {
    EXPECT_TRUE(CheckAndAdd(cache, "LOT-11", batch * kWeek, "e7"));
  }
}

TEST_F(DedupCacheTest, AGroupThatIsNotWholeIdsIsDataLossWithTheMessageToRebuild) {
  store::WriteBatch batch = store_->NewWriteBatch();
  batch.Put(kSeenFamily, DedupCache::GroupKey("LOT-11", 0), "12345");
  ASSERT_OK(store_->Write(batch));
  DedupCache cache(*store_, 1000);
  auto entry = cache.Check("LOT-11", 0, "e1");
  ASSERT_FALSE(entry.ok());
  EXPECT_EQ(entry.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(entry.status().message().find("rebuild"), std::string_view::npos) << entry.status();
}

}  // namespace
}  // namespace pilotage::projection
