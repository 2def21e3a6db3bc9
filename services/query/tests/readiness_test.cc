// CompareCoverage: the figures below are worked out by hand from the offsets
// given (end offset minus the next offset stored).
#include "readiness.h"

#include "gtest/gtest.h"

namespace pilotage::query {
namespace {

using Progress = std::map<std::string, projection::PartitionProgress>;

Progress Stored(std::initializer_list<std::pair<const char*, int64_t>> next_offsets) {
  Progress out;
  for (const auto& [key, next] : next_offsets) out[key].next_offset = next;
  return out;
}

TEST(CompareCoverage, UnknownWithoutEndOffsets) {
  const Coverage c = CompareCoverage(Stored({{"a/0", 10}}), {}, 100);
  EXPECT_FALSE(c.known);
  EXPECT_FALSE(c.complete());
  EXPECT_FALSE(c.ready());
  EXPECT_TRUE(c.missing.empty());
}

TEST(CompareCoverage, WholeAndCaughtUpIsReady) {
  // c/0 ends with a transaction marker: its end offset is one past the last
  // event folded.
  const Coverage c = CompareCoverage(Stored({{"a/0", 12}, {"a/1", 7}, {"c/0", 3}}),
                                     {{"a/0", 12}, {"a/1", 7}, {"c/0", 4}}, 1);
  EXPECT_TRUE(c.complete());
  EXPECT_TRUE(c.ready());
  EXPECT_EQ(c.max_partition_lag, 1);
}

TEST(CompareCoverage, APartitionWithRecordsNotHeldIsMissing) {
  // a/1 holds 7 records the store never folded (another member of a shared
  // group took it); a/2 is empty: nothing to hold.
  const Coverage c = CompareCoverage(Stored({{"a/0", 12}, {"c/0", 3}}),
                                     {{"a/0", 12}, {"a/1", 7}, {"a/2", 0}, {"c/0", 3}}, 100);
  EXPECT_TRUE(c.known);
  EXPECT_FALSE(c.complete());
  EXPECT_FALSE(c.ready());
  EXPECT_EQ(c.missing, std::vector<std::string>({"a/1"}));
  EXPECT_TRUE(c.lagging.empty());
}

TEST(CompareCoverage, LagAboveTheThresholdOnly) {
  // a/0: 100 - 90 = 10; a/1: 50 - 45 = 5; c/0: 3 - 3 = 0.
  const Progress stored = Stored({{"a/0", 90}, {"a/1", 45}, {"c/0", 3}});
  const std::map<std::string, int64_t> ends = {{"a/0", 100}, {"a/1", 50}, {"c/0", 3}};
  const Coverage strict = CompareCoverage(stored, ends, 4);
  EXPECT_TRUE(strict.complete());
  EXPECT_FALSE(strict.ready());
  ASSERT_EQ(strict.lagging.size(), 2u);
  EXPECT_EQ(strict.lagging[0].partition, "a/0");
  EXPECT_EQ(strict.lagging[0].lag, 10);
  EXPECT_EQ(strict.lagging[1].partition, "a/1");
  EXPECT_EQ(strict.lagging[1].lag, 5);
  EXPECT_EQ(strict.max_partition_lag, 10);

  const Coverage at_threshold = CompareCoverage(stored, ends, 10);  // a lag equal to it is ready
  EXPECT_TRUE(at_threshold.ready());
  ASSERT_EQ(CompareCoverage(stored, ends, 9).lagging.size(), 1u);
}

TEST(CompareCoverage, StoredAheadOfOldEndOffsetsIsNoLag) {
  // End offsets asked before the view caught up: the store is ahead.
  const Coverage c = CompareCoverage(Stored({{"a/0", 20}}), {{"a/0", 15}}, 0);
  EXPECT_TRUE(c.ready());
  EXPECT_EQ(c.max_partition_lag, 0);
}

TEST(CompareCoverage, PartitionsOfTopicsNotAskedAreIgnored) {
  const Coverage c = CompareCoverage(Stored({{"a/0", 5}, {"old/0", 1}}), {{"a/0", 5}}, 0);
  EXPECT_TRUE(c.ready());
}

}  // namespace
}  // namespace pilotage::query
