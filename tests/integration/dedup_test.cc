// The engine's dedup (decision 0015) through a real broker and RocksDB on
// disk: with a dedup memory far smaller than the events, the engine forgets
// seen groups and reads them back from the store, and still counts every
// resend as a duplicate and folds every distinct event once — the same store
// state as a run that keeps everything in memory. A store of the previous
// layout (one seen key per event) is refused with the message to rebuild.
#include <string>

#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/projection/engine.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/projector/activity_counts.h"
#include "pilotage/store/store.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/testing/testing.h"

namespace pilotage {
namespace {

struct Folded {
  int64_t folded = 0;
  int64_t duplicates = 0;
  std::string digest;
};

// Folds `topic` from offset 0 to its end into a new store under `dir`.
Folded FoldAll(const std::string& bootstrap, const std::string& topic, const std::string& dir,
               size_t batch_events, size_t seen_cache_ids) {
  Folded out;
  auto counts = projector::ActivityCounts::Create();
  EXPECT_TRUE(counts.ok()) << counts.status();
  if (!counts.ok()) return out;
  auto store = projection::OpenProjectionStore(dir, **counts);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return out;
  auto engine = projection::Engine::Create({.bootstrap = bootstrap,
                                            .group_id = testing::UniqueTopic("dedup-group"),
                                            .topics = {topic},
                                            .dead_letter_topic = topic + ".dead",
                                            .batch_max_events = batch_events,
                                            .stop_at_end = true,
                                            .seen_cache_ids = seen_cache_ids},
                                           counts->get(), store->get());
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return out;
  absl::Status run = (*engine)->Run();
  EXPECT_TRUE(run.ok()) << run;
  out.folded = (*engine)->stats().folded;
  out.duplicates = (*engine)->stats().duplicates;
  auto digest = projection::StateDigest(**store, **counts);
  EXPECT_TRUE(digest.ok()) << digest.status();
  if (digest.ok()) out.digest = *digest;
  return out;
}

TEST(Dedup, ASmallDedupMemoryReadsGroupsBackAndStillSkipsEveryResend) {
  const std::string bootstrap = testing::BrokerOrFail();
  ASSERT_FALSE(bootstrap.empty());
  const std::string topic = testing::UniqueTopic("dedup");
  auto admin = kafka::Admin::Create(bootstrap);
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_TRUE((*admin)->CreateTopic(topic, 2).ok());
  ASSERT_TRUE((*admin)->CreateTopic(topic + ".dead", 1).ok());
  // 30,000 events spread over the 53 weeks of 2024 and the lots; one in ten
  // is sent again later, interleaved with newer events.
  auto truth = testing::ProduceSynthetic(
      {.bootstrap = bootstrap, .topic = topic, .events = 30000, .resend_share = 0.1, .seed = 11});
  ASSERT_TRUE(truth.ok()) << truth.status();
  ASSERT_GT(truth->resends, 2000);

  testing::TempDir dir;
  // Batches of 500 and room for 1,000 ids: nearly every batch forgets groups
  // and reads others back from the store.
  const Folded small = FoldAll(bootstrap, topic, (dir.path() / "small").string(), 500, 1000);
  EXPECT_EQ(small.folded, truth->distinct);
  EXPECT_EQ(small.duplicates, truth->resends);

  const Folded large =
      FoldAll(bootstrap, topic, (dir.path() / "large").string(), 20000, 10'000'000);
  EXPECT_EQ(large.folded, truth->distinct);
  EXPECT_EQ(large.duplicates, truth->resends);
  EXPECT_FALSE(small.digest.empty());
  EXPECT_EQ(small.digest, large.digest);
}

TEST(Dedup, AStoreOfTheOneKeyPerEventLayoutIsRefusedWithTheMessageToRebuild) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "old").string();
  auto counts = projector::ActivityCounts::Create();
  ASSERT_TRUE(counts.ok()) << counts.status();
  {
    // What the previous engine left: the projection's tag, no layout, a
    // seen key per event.
    auto old = store::Store::Open(path, projection::ProjectionStoreOptions(**counts));
    ASSERT_TRUE(old.ok()) << old.status();
    store::WriteBatch batch = (*old)->NewWriteBatch();
    batch.Put(projection::kMetaFamily, "projection", projection::ProjectionTag(**counts));
    batch.Put(projection::kSeenFamily, std::string(16, 'x'), "");
    ASSERT_TRUE((*old)->Write(batch).ok());
  }
  auto opened = projection::OpenProjectionStore(path, **counts);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(opened.status().message());
  EXPECT_NE(message.find("layout 1"), std::string::npos) << message;
  EXPECT_NE(message.find("rebuild"), std::string::npos) << message;
  auto read_only = projection::OpenProjectionStoreReadOnly(path, **counts);
  EXPECT_EQ(read_only.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pilotage
