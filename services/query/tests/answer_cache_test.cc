// The query service's remembered answers stay within their bound of bytes,
// forgetting the least recently used first.
#include "answer_cache.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "store_view.h"

namespace pilotage::query {
namespace {

constexpr size_t kOverhead = AnswerCache::kEntryOverhead;

std::shared_ptr<const Answer> AnswerOf(size_t body_bytes, uint64_t generation = 1) {
  auto view = std::make_shared<ViewState>();
  view->generation = generation;
  return std::make_shared<const Answer>(
      Answer{.body = std::string(body_bytes, 'x'), .day = "2024-05-02", .view = view});
}

// Key "kN" (2 bytes) + body + day (10 bytes) + overhead.
size_t CostWithBody(size_t body_bytes) { return 2 + body_bytes + 10 + kOverhead; }

TEST(AnswerCache, CountsKeyBodyDayAndOverhead) {
  AnswerCache cache(10000);
  ASSERT_TRUE(cache.Put("k1", AnswerOf(100)));
  EXPECT_EQ(cache.bytes(), CostWithBody(100));  // 2 + 100 + 10 + 256 = 368
  EXPECT_EQ(cache.bytes(), 368u);
  EXPECT_EQ(cache.entries(), 1u);
  // Replacing an answer counts the new one only.
  ASSERT_TRUE(cache.Put("k1", AnswerOf(50)));
  EXPECT_EQ(cache.bytes(), CostWithBody(50));
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.evictions(), 0u);
}

TEST(AnswerCache, ForgetsTheLeastRecentlyUsedFirst) {
  // Room for exactly three answers of 100 bytes (3 x 368 = 1104).
  AnswerCache cache(3 * CostWithBody(100));
  ASSERT_TRUE(cache.Put("k1", AnswerOf(100)));
  ASSERT_TRUE(cache.Put("k2", AnswerOf(100)));
  ASSERT_TRUE(cache.Put("k3", AnswerOf(100)));
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.bytes(), cache.max_bytes());
  // k1 read: now k2 is the least recently used.
  ASSERT_NE(cache.Get("k1"), nullptr);
  ASSERT_TRUE(cache.Put("k4", AnswerOf(100)));
  EXPECT_EQ(cache.Get("k2"), nullptr);
  EXPECT_NE(cache.Get("k1"), nullptr);
  EXPECT_NE(cache.Get("k3"), nullptr);
  EXPECT_NE(cache.Get("k4"), nullptr);
  EXPECT_EQ(cache.evictions(), 1u);
  // Peek does not count as a use: k1 stays the oldest after it.
  // Order now (most recent first): k4, k3, k1.
  ASSERT_NE(cache.Peek("k1"), nullptr);
  // One answer costing two slots pushes out the two oldest: k1, then k3.
  ASSERT_TRUE(cache.Put("k5", AnswerOf(100 + CostWithBody(100))));
  EXPECT_EQ(cache.Get("k1"), nullptr);
  EXPECT_EQ(cache.Get("k3"), nullptr);
  EXPECT_NE(cache.Get("k4"), nullptr);
  EXPECT_NE(cache.Get("k5"), nullptr);
  EXPECT_EQ(cache.evictions(), 3u);
  EXPECT_EQ(cache.bytes(), CostWithBody(100) + CostWithBody(100 + CostWithBody(100)));
  EXPECT_LE(cache.bytes(), cache.max_bytes());
}

TEST(AnswerCache, AJunkFloodStaysWithinTheBound) {
  // The attack of issue 17: thousands of distinct query strings.
  AnswerCache cache(64 * 1024);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(cache.Put("/api/v1/lots?junk=" + std::to_string(i), AnswerOf(2000)));
    ASSERT_LE(cache.bytes(), cache.max_bytes());
  }
  // Each costs 18..22 + 2000 + 10 + 256 bytes: 28 fit in 64 KiB at most.
  EXPECT_LE(cache.entries(), 28u);
  EXPECT_GE(cache.entries(), 27u);
  EXPECT_EQ(cache.evictions(), 3000u - cache.entries());
  EXPECT_NE(cache.Get("/api/v1/lots?junk=2999"), nullptr);  // the newest stays
  EXPECT_EQ(cache.Get("/api/v1/lots?junk=0"), nullptr);
}

TEST(AnswerCache, AnAnswerLargerThanTheBoundIsNotKept) {
  AnswerCache cache(1000);
  ASSERT_TRUE(cache.Put("k1", AnswerOf(10)));
  EXPECT_FALSE(cache.Put("k2", AnswerOf(1000)));
  EXPECT_EQ(cache.Get("k2"), nullptr);
  EXPECT_NE(cache.Get("k1"), nullptr);  // nothing else was pushed out for it
  EXPECT_EQ(cache.evictions(), 0u);
}

TEST(AnswerCache, TakeAllEmptiesItWithoutCountingEvictions) {
  AnswerCache cache(10000);
  ASSERT_TRUE(cache.Put("k1", AnswerOf(10)));
  ASSERT_TRUE(cache.Put("k2", AnswerOf(10)));
  AnswerCache taken = cache.TakeAll();
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.Get("k1"), nullptr);
  EXPECT_EQ(taken.entries(), 2u);
  EXPECT_NE(taken.Get("k2"), nullptr);
  EXPECT_EQ(cache.evictions(), 0u);
  // Still usable with its bound.
  ASSERT_TRUE(cache.Put("k3", AnswerOf(10)));
  EXPECT_EQ(cache.entries(), 1u);
}

}  // namespace
}  // namespace pilotage::query
