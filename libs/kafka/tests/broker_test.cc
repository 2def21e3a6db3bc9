// libs/kafka against a real Apache Kafka broker (ctest fixture "kafka").
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::kafka {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Starts partitions at fixed offsets and records what it was told.
class FixedOffsets : public RebalanceListener {
 public:
  explicit FixedOffsets(std::map<TopicPartition, int64_t> offsets) : offsets_(std::move(offsets)) {}
  absl::StatusOr<std::map<TopicPartition, int64_t>> OnAssigned(
      const std::vector<TopicPartition>& partitions) override {
    assigned.insert(partitions.begin(), partitions.end());
    return offsets_;
  }
  void OnRevoked(const std::vector<TopicPartition>& partitions) override {
    for (const auto& p : partitions) revoked.insert(p);
  }
  std::set<TopicPartition> assigned, revoked;

 private:
  std::map<TopicPartition, int64_t> offsets_;
};

struct Consumed {
  int32_t partition;
  int64_t offset;
  std::string key, value;
};

// Polls until `want` messages arrived or a generous deadline passed.
std::vector<Consumed> ConsumeAtLeast(Consumer& consumer, size_t want) {
  std::vector<Consumed> out;
  const auto deadline = Clock::now() + 60s;
  while (out.size() < want && Clock::now() < deadline) {
    auto n = consumer.Poll(1000, 500ms, [&](const Message& m) {
      out.push_back({m.partition, m.offset, std::string(m.key), std::string(m.value)});
    });
    EXPECT_OK(n);
    if (!n.ok()) break;
  }
  return out;
}

class KafkaBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = pilotage::testing::BrokerOrFail();
    ASSERT_FALSE(bootstrap_.empty());
    auto admin = Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    admin_ = std::move(*admin);
  }
  std::string bootstrap_;
  std::unique_ptr<Admin> admin_;
};

TEST_F(KafkaBroker, ConsumerStartsEachPartitionAtTheOffsetTheCallerSupplies) {
  const std::string topic = pilotage::testing::UniqueTopic("offsets");
  ASSERT_OK(admin_->CreateTopic(topic, 2));
  auto producer = Producer::Create({.bootstrap = bootstrap_});
  ASSERT_OK(producer);
  std::vector<std::string> values;
  for (int i = 0; i < 20; ++i) values.push_back("v" + std::to_string(i));
  std::vector<Record> records;
  for (int i = 0; i < 20; ++i) records.push_back({topic, "k", values[i], i % 2});
  for (const Delivery& d : (*producer)->SendAll(records)) ASSERT_OK(d.status);

  FixedOffsets listener({{{topic, 0}, 5}, {{topic, 1}, 0}});
  auto consumer = Consumer::Create(
      {.bootstrap = bootstrap_, .group_id = topic + ".group", .topics = {topic}}, &listener);
  ASSERT_OK(consumer);
  std::vector<Consumed> got = ConsumeAtLeast(**consumer, 15);

  std::map<int32_t, std::vector<int64_t>> offsets;
  for (const auto& c : got) offsets[c.partition].push_back(c.offset);
  EXPECT_EQ(offsets[0], (std::vector<int64_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(offsets[1], (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(listener.assigned.size(), 2u);
  (*consumer)->Close();
  EXPECT_EQ(listener.revoked.size(), 2u);
}

TEST_F(KafkaBroker, DeliveryReportsTheOffsetEachRecordGot) {
  const std::string topic = pilotage::testing::UniqueTopic("delivery");
  ASSERT_OK(admin_->CreateTopic(topic, 1));
  auto producer = Producer::Create({.bootstrap = bootstrap_});
  ASSERT_OK(producer);
  std::vector<Record> records(5, Record{topic, "LOT-11", "x"});
  std::vector<Delivery> deliveries = (*producer)->SendAll(records);
  for (size_t i = 0; i < deliveries.size(); ++i) {
    ASSERT_OK(deliveries[i].status);
    EXPECT_EQ(deliveries[i].offset, static_cast<int64_t>(i));
  }
  auto marks = admin_->QueryWatermarks({topic, 0});
  ASSERT_OK(marks);
  EXPECT_EQ(marks->high, 5);
}

TEST_F(KafkaBroker, RecordsOfOneLotLandInOnePartition) {
  const std::string topic = pilotage::testing::UniqueTopic("keyed");
  ASSERT_OK(admin_->CreateTopic(topic, 4));
  auto producer = Producer::Create({.bootstrap = bootstrap_});
  ASSERT_OK(producer);
  std::vector<Record> records(50, Record{topic, "LOT-11", "x"});
  std::set<int32_t> partitions;
  for (const Delivery& d : (*producer)->SendAll(records)) {
    ASSERT_OK(d.status);
    partitions.insert(d.partition);
  }
  EXPECT_EQ(partitions.size(), 1u);
}

TEST_F(KafkaBroker, CreatingAnExistingTopicSaysSo) {
  const std::string topic = pilotage::testing::UniqueTopic("twice");
  ASSERT_OK(admin_->CreateTopic(topic, 1));
  EXPECT_EQ(admin_->CreateTopic(topic, 1).code(), absl::StatusCode::kAlreadyExists);
  auto count = admin_->PartitionCount(topic);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1);
}

TEST_F(KafkaBroker, TheProjectTopicsExistWithInfiniteRetention) {
  for (const char* topic : {"pilotage.activity.v1", "pilotage.contract.v1"}) {
    auto count = admin_->PartitionCount(topic);
    ASSERT_OK(count) << topic;
    EXPECT_GE(*count, 4) << topic;
    auto retention = admin_->TopicConfig(topic, "retention.ms");
    ASSERT_OK(retention);
    EXPECT_EQ(*retention, "-1") << topic;
  }
}

// Decision 0026: the first producer writes two records in its transaction;
// a second with the same transactional.id initialises, which fences the
// first and aborts its transaction; the first's commit fails as fenced; the
// second commits one record. A read_committed consumer (ours) sees that one
// record only. The log holds 5 offsets: the first's 2 records, the abort
// marker, the second's record, its commit marker.
TEST_F(KafkaBroker, ANewerTransactionalProducerFencesTheOlderAndReadersSeeOnlyCommits) {
  const std::string topic = pilotage::testing::UniqueTopic("txn");
  ASSERT_OK(admin_->CreateTopic(topic, 1));
  const TransactionalProducerOptions options{.bootstrap = bootstrap_,
                                             .transactional_id = topic + ".sender"};
  auto first = TransactionalProducer::Create(options);
  ASSERT_OK(first);
  ASSERT_OK((*first)->InitTransactions());
  ASSERT_OK((*first)->BeginTransaction());
  const Record first_records[] = {{topic, "LOT-11", "first-0"}, {topic, "LOT-11", "first-1"}};
  ASSERT_OK((*first)->Send(first_records));
  auto written = admin_->QueryWatermarks({topic, 0});
  ASSERT_OK(written);
  // Written but not committed: the end offset a read_committed client sees
  // (the last stable offset) has not moved.
  EXPECT_EQ(written->high, 0);

  auto second = TransactionalProducer::Create(options);
  ASSERT_OK(second);
  ASSERT_OK((*second)->InitTransactions());

  absl::Status fenced = (*first)->CommitTransaction();
  EXPECT_TRUE(IsFenced(fenced)) << fenced;
  EXPECT_NE(fenced.message().find(options.transactional_id), std::string_view::npos) << fenced;

  const Record second_records[] = {{topic, "LOT-11", "second-0"}};
  absl::Status committed = (*second)->SendInTransaction(second_records);
  ASSERT_OK(committed);
  // The commit returns once the coordinator logged it; the markers reach the
  // partition just after: wait (bounded) for the stable end to get there.
  absl::StatusOr<Watermarks> marks;
  const auto committed_by = Clock::now() + 30s;
  do {
    marks = admin_->QueryWatermarks({topic, 0});
    ASSERT_OK(marks);
  } while (marks->high < 5 && Clock::now() < committed_by);
  ASSERT_EQ(marks->high, 5);  // the first's 2 records did reach the log

  FixedOffsets listener({{{topic, 0}, 0}});
  auto consumer = Consumer::Create(
      {.bootstrap = bootstrap_, .group_id = topic + ".group", .topics = {topic}}, &listener);
  ASSERT_OK(consumer);
  // Poll until the consumer is past the last marker: by then every record
  // it will ever hand over has been handed over.
  std::vector<Consumed> got;
  const auto deadline = Clock::now() + 60s;
  absl::StatusOr<int64_t> position = absl::NotFoundError("not polled");
  while (Clock::now() < deadline) {
    auto n = (*consumer)->Poll(100, 200ms, [&](const Message& m) {
      got.push_back({m.partition, m.offset, std::string(m.key), std::string(m.value)});
    });
    ASSERT_OK(n);
    position = (*consumer)->Position({topic, 0});
    if (position.ok() && *position >= marks->high) break;
  }
  ASSERT_OK(position);
  EXPECT_EQ(*position, 5);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, "second-0");
  EXPECT_EQ(got[0].offset, 3);
}

TEST_F(KafkaBroker, AnUnknownTopicIsNotFound) {
  auto count = admin_->PartitionCount(pilotage::testing::UniqueTopic("absent"));
  EXPECT_EQ(count.status().code(), absl::StatusCode::kNotFound) << count.status();
}

}  // namespace
}  // namespace pilotage::kafka
