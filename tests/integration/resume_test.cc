// Offsets kept in the store, not in Kafka: produce 100,000 events to a real
// broker, fold half of them with offsets written atomically with the state,
// stop, resume in a *new* consumer group (so Kafka's committed offsets cannot
// help), and check that exactly the produced multiset came back.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/store/store.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kEvents = 100000;
constexpr int kPartitions = 4;
const char* const kLots[] = {"LOT-11", "LOT-24", "LOT-27", "LOT-28", "LOT-32", "LOT-44", "LOT-52",
                             "LOT-53", "LOT-75", "LOT-76", "LOT-84", "LOT-93", "LOT-94", "LOT-01"};

store::StoreOptions FoldStoreOptions() {
  return {.column_families = {{.name = "offsets"}, {.name = "counts"}, {.name = "seen"}}};
}

// A minimal fold: appointments per lot, event ids seen, next offset per
// partition — all three written in one atomic batch per flush.
class CountingFold : public kafka::RebalanceListener {
 public:
  explicit CountingFold(store::Store* store) : store_(store) {}

  absl::StatusOr<std::map<kafka::TopicPartition, int64_t>> OnAssigned(
      const std::vector<kafka::TopicPartition>& partitions) override {
    std::map<kafka::TopicPartition, int64_t> start;
    for (const auto& tp : partitions) {
      auto stored = store_->Get("offsets", tp.ToString());
      if (!stored.ok()) return stored.status();
      start[tp] = *stored ? std::stoll(**stored) : 0;
      first_offsets[tp] = start[tp];
    }
    return start;
  }

  void OnRevoked(const std::vector<kafka::TopicPartition>&) override { EXPECT_OK(Flush()); }

  void Fold(const kafka::Message& m) {
    v1::Event event;
    ASSERT_TRUE(event.ParseFromArray(m.value.data(), static_cast<int>(m.value.size())));
    next_offsets_[{std::string(m.topic), m.partition}] = m.offset + 1;
    ++consumed;
    if (pending_ids_.contains(event.event_id())) return;
    auto seen = store_->Get("seen", event.event_id());
    ASSERT_OK(seen);
    if (seen->has_value()) return;
    pending_ids_.insert(event.event_id());
    ++pending_counts_[event.lot_id()];
  }

  absl::Status Flush() {
    if (next_offsets_.empty()) return absl::OkStatus();
    store::WriteBatch batch = store_->NewWriteBatch();
    for (const auto& [lot, delta] : pending_counts_) {
      auto current = store_->Get("counts", lot);
      if (!current.ok()) return current.status();
      int64_t value = *current ? std::stoll(**current) : 0;
      batch.Put("counts", lot, std::to_string(value + delta));
    }
    for (const auto& id : pending_ids_) batch.Put("seen", id, "");
    for (const auto& [tp, next] : next_offsets_) {
      batch.Put("offsets", tp.ToString(), std::to_string(next));
    }
    if (absl::Status s = store_->Write(batch); !s.ok()) return s;
    committed_ids.insert(committed_ids.end(), pending_ids_.begin(), pending_ids_.end());
    pending_counts_.clear();
    pending_ids_.clear();
    next_offsets_.clear();
    return absl::OkStatus();
  }

  std::vector<std::string> committed_ids;
  std::map<kafka::TopicPartition, int64_t> first_offsets;
  int64_t consumed = 0;

 private:
  store::Store* store_;
  std::map<std::string, int64_t> pending_counts_;
  std::unordered_set<std::string> pending_ids_;
  std::map<kafka::TopicPartition, int64_t> next_offsets_;
};

int64_t StoredOffset(store::Store& store, const kafka::TopicPartition& tp) {
  auto v = store.Get("offsets", tp.ToString());
  EXPECT_OK(v);
  return v.ok() && *v ? std::stoll(**v) : 0;
}

TEST(ExactlyOnceResume, StoredOffsetsResumeWithNothingLostAndNothingTwice) {
  const std::string bootstrap = pilotage::testing::BrokerOrFail();
  ASSERT_FALSE(bootstrap.empty());
  const std::string topic = pilotage::testing::UniqueTopic("resume");
  auto admin = kafka::Admin::Create(bootstrap);
  ASSERT_OK(admin);
  ASSERT_OK((*admin)->CreateTopic(topic, kPartitions));

  // Produce, keeping the ground truth on the producer's side.
  std::vector<std::string> produced_ids;
  std::map<std::string, int64_t> produced_per_lot;
  {
    auto producer = kafka::Producer::Create({.bootstrap = bootstrap});
    ASSERT_OK(producer);
    std::atomic<int> failures{0};
    for (int i = 0; i < kEvents; ++i) {
      v1::Event event;
      event.set_event_id("evt-" + std::to_string(i));
      event.set_lot_id(kLots[i % std::size(kLots)]);
      event.set_operator_id("op-test");
      event.mutable_occurred_at()->set_seconds(1704186000 + i);
      auto* held = event.mutable_appointment_held();
      held->set_beneficiary("b" + std::to_string(i % 5000));
      held->set_appointment_id("a" + std::to_string(i));
      const std::string value = event.SerializeAsString();
      ASSERT_OK((*producer)->Send({topic, event.lot_id(), value}, [&](const kafka::Delivery& d) {
        if (!d.status.ok()) ++failures;
      }));
      produced_ids.push_back(event.event_id());
      ++produced_per_lot[event.lot_id()];
    }
    ASSERT_OK((*producer)->Flush(120s));
    ASSERT_EQ(failures.load(), 0);
  }

  pilotage::testing::TempDir dir;
  auto store = store::Store::Open(dir.path().string(), FoldStoreOptions());
  ASSERT_OK(store);
  CountingFold fold(store->get());

  // Run 1: stop after about half, flushing what was folded.
  {
    auto consumer = kafka::Consumer::Create(
        {.bootstrap = bootstrap, .group_id = topic + ".run1", .topics = {topic}}, &fold);
    ASSERT_OK(consumer);
    const auto deadline = Clock::now() + 120s;
    while (fold.consumed < kEvents / 2 && Clock::now() < deadline) {
      auto n = (*consumer)->Poll(1000, 500ms, [&](const kafka::Message& m) { fold.Fold(m); });
      ASSERT_OK(n);
      ASSERT_OK(fold.Flush());
    }
    (*consumer)->Close();
  }
  const int64_t first_run = fold.consumed;
  ASSERT_GE(first_run, kEvents / 2);
  ASSERT_LT(first_run, kEvents);
  std::map<kafka::TopicPartition, int64_t> after_run1;
  int64_t stored_total = 0;
  for (int p = 0; p < kPartitions; ++p) {
    after_run1[{topic, p}] = StoredOffset(**store, {topic, p});
    stored_total += after_run1[{topic, p}];
  }
  ASSERT_EQ(stored_total, first_run);
  fold.first_offsets.clear();

  // Run 2: a new group, so only the stored offsets say where to resume.
  {
    auto consumer = kafka::Consumer::Create(
        {.bootstrap = bootstrap, .group_id = topic + ".run2", .topics = {topic}}, &fold);
    ASSERT_OK(consumer);
    const auto deadline = Clock::now() + 120s;
    while (fold.consumed < kEvents && Clock::now() < deadline) {
      auto n = (*consumer)->Poll(1000, 500ms, [&](const kafka::Message& m) { fold.Fold(m); });
      ASSERT_OK(n);
      ASSERT_OK(fold.Flush());
    }
    (*consumer)->Close();
    // Run 2 started each partition where run 1's store said.
    EXPECT_EQ(fold.first_offsets, after_run1);
  }

  // Nothing was read twice: the two runs together consumed exactly the topic.
  EXPECT_EQ(fold.consumed, kEvents);
  for (int p = 0; p < kPartitions; ++p) {
    auto marks = (*admin)->QueryWatermarks({topic, p});
    ASSERT_OK(marks);
    EXPECT_EQ(StoredOffset(**store, {topic, p}), marks->high) << "partition " << p;
  }
  // Exactly the produced multiset came back and was stored.
  std::vector<std::string> got = fold.committed_ids;
  std::sort(got.begin(), got.end());
  std::sort(produced_ids.begin(), produced_ids.end());
  EXPECT_EQ(got.size(), produced_ids.size());
  EXPECT_TRUE(got == produced_ids);
  for (const auto& [lot, count] : produced_per_lot) {
    auto stored = (*store)->Get("counts", lot);
    ASSERT_TRUE(stored.ok() && stored->has_value()) << lot;
    EXPECT_EQ(std::stoll(**stored), count) << lot;
  }
}

}  // namespace
}  // namespace pilotage
