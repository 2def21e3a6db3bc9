// ActivityCounts through the engine's batch step, without a broker (the
// Kafka-free driver of libs/testing): synthetic events whose counts are known
// by construction, with resends, folded into a real RocksDB store.
#include "pilotage/projector/activity_counts.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/testing/projection_driver.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::projector {
namespace {

struct Folded {
  int64_t folded = 0;
  int64_t duplicates = 0;
  std::string digest;
  std::map<std::string, int64_t> counts;
};

// Folds `payloads` into a new store under `dir`, as one partition.
Folded FoldAll(const std::vector<std::string>& payloads, const std::filesystem::path& dir,
               size_t batch_events, size_t seen_cache_ids) {
  Folded out;
  auto counts = ActivityCounts::Create();
  EXPECT_OK(counts);
  if (!counts.ok()) return out;
  auto driver = testing::ProjectionDriver::Create(
      counts->get(), dir, {.batch_events = batch_events, .seen_cache_ids = seen_cache_ids});
  EXPECT_OK(driver);
  if (!driver.ok()) return out;
  absl::Status piped = (*driver)->PipePayloads(payloads, "pilotage.activity.v1");
  EXPECT_OK(piped);
  for (const auto& batch : (*driver)->batches()) {
    out.folded += batch.folded;
    out.duplicates += batch.duplicates;
  }
  auto digest = (*driver)->Digest();
  EXPECT_OK(digest);
  if (digest.ok()) out.digest = *digest;
  auto read = ActivityCounts::ReadAll((*driver)->store());
  EXPECT_OK(read);
  if (read.ok()) out.counts = *read;
  return out;
}

// Formerly a broker test (tests/integration, Dedup.*): what it checked is the
// engine's dedup, which the driver runs as the engine does.
TEST(ActivityCountsFold, ASmallDedupMemoryReadsGroupsBackAndStillSkipsEveryResend) {
  // 30,000 events spread over the 53 weeks of 2024 and the lots; one in ten
  // is sent again later, interleaved with newer events.
  std::vector<std::string> payloads;
  auto truth = testing::GenerateSynthetic({.events = 30000, .resend_share = 0.1, .seed = 11},
                                          [&](const std::string&, const std::string& value) {
                                            payloads.push_back(value);
                                            return absl::OkStatus();
                                          });
  ASSERT_OK(truth);
  ASSERT_GT(truth->resends, 2000);

  testing::TempDir dir;
  // Batches of 500 and room for 1,000 ids: nearly every batch forgets groups
  // and reads others back from the store.
  const Folded small = FoldAll(payloads, dir.path() / "small", 500, 1000);
  EXPECT_EQ(small.folded, truth->distinct);
  EXPECT_EQ(small.duplicates, truth->resends);
  EXPECT_EQ(small.counts, truth->counts);

  const Folded large = FoldAll(payloads, dir.path() / "large", 20000, 10'000'000);
  EXPECT_EQ(large.folded, truth->distinct);
  EXPECT_EQ(large.duplicates, truth->resends);
  EXPECT_FALSE(small.digest.empty());
  EXPECT_EQ(small.digest, large.digest);
}

}  // namespace
}  // namespace pilotage::projector
