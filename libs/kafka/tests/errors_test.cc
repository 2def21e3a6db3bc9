// Unit tests of libs/kafka that need no broker.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "errors.h"
#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/status.h"

namespace pilotage::kafka {
namespace {

using namespace std::chrono_literals;

struct ErrorCase {
  rd_kafka_resp_err_t err;
  absl::StatusCode code;
};

TEST(KafkaErrors, CarryRetryAdviceInTheirCode) {
  const ErrorCase cases[] = {
      {RD_KAFKA_RESP_ERR__TRANSPORT, absl::StatusCode::kUnavailable},
      {RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, absl::StatusCode::kUnavailable},
      {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, absl::StatusCode::kUnavailable},
      {RD_KAFKA_RESP_ERR__QUEUE_FULL, absl::StatusCode::kUnavailable},
      {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, absl::StatusCode::kUnavailable},
      {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, absl::StatusCode::kNotFound},
      {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, absl::StatusCode::kInvalidArgument},
      {RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, absl::StatusCode::kAlreadyExists},
      {RD_KAFKA_RESP_ERR__FATAL, absl::StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    absl::Status s = FromKafkaError(c.err, "produce to t/1");
    EXPECT_EQ(s.code(), c.code) << rd_kafka_err2name(c.err);
    EXPECT_NE(s.message().find("produce to t/1"), std::string_view::npos) << s;
  }
  EXPECT_OK(FromKafkaError(RD_KAFKA_RESP_ERR_NO_ERROR, "x"));
}

TEST(KafkaTransactionErrors, FencingIsDistinctAndNamesTheTransactionalId) {
  // The broker's code, and librdkafka's fatal __FENCED behind another code.
  rd_kafka_error_t* by_code = rd_kafka_error_new(RD_KAFKA_RESP_ERR_PRODUCER_FENCED, "fenced");
  absl::Status a = FromTransactionError(by_code, RD_KAFKA_RESP_ERR_NO_ERROR, "commit transaction",
                                        "pilotage-penalty-job");
  rd_kafka_error_destroy(by_code);
  EXPECT_TRUE(IsFenced(a)) << a;
  EXPECT_EQ(a.code(), absl::StatusCode::kAborted);
  EXPECT_NE(a.message().find("another sender with transactional.id pilotage-penalty-job took over"),
            std::string_view::npos)
      << a;
  rd_kafka_error_t* fatal = rd_kafka_error_new(RD_KAFKA_RESP_ERR__FATAL, "fatal");
  absl::Status b = FromTransactionError(fatal, RD_KAFKA_RESP_ERR__FENCED, "send", "job-b");
  rd_kafka_error_destroy(fatal);
  EXPECT_TRUE(IsFenced(b)) << b;
  EXPECT_NE(b.message().find("job-b"), std::string_view::npos) << b;

  // Not fencing: an aborted store write is not a fenced sender.
  EXPECT_FALSE(IsFenced(absl::AbortedError("store busy")));
  rd_kafka_error_t* state = rd_kafka_error_new(RD_KAFKA_RESP_ERR__STATE, "no transaction");
  absl::Status c = FromTransactionError(state, RD_KAFKA_RESP_ERR_NO_ERROR, "commit", "x");
  rd_kafka_error_destroy(state);
  EXPECT_FALSE(IsFenced(c));
  EXPECT_EQ(c.code(), absl::StatusCode::kFailedPrecondition) << c;
  rd_kafka_error_t* timeout = rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "slow");
  absl::Status d = FromTransactionError(timeout, RD_KAFKA_RESP_ERR_NO_ERROR, "init", "x");
  rd_kafka_error_destroy(timeout);
  EXPECT_EQ(d.code(), absl::StatusCode::kUnavailable) << d;
  EXPECT_OK(FromTransactionError(nullptr, RD_KAFKA_RESP_ERR_NO_ERROR, "x", "x"));
}

TEST(KafkaTransactionalProducer, RefusesAnEmptyTransactionalId) {
  auto producer = TransactionalProducer::Create({.bootstrap = "127.0.0.1:9"});
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(producer.status().message().find("transactional.id"), std::string_view::npos);
}

TEST(KafkaProducer, RefusesAnUnknownSettingAndNamesIt) {
  ProducerOptions options;
  options.bootstrap = "127.0.0.1:9";
  options.extra = {{"no.such.setting", "1"}};
  auto producer = Producer::Create(options);
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(producer.status().message().find("no.such.setting"), std::string_view::npos)
      << producer.status();
}

TEST(KafkaProducer, RefusesAnEmptyBootstrap) {
  auto producer = Producer::Create(ProducerOptions{});
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KafkaProducer, ReportsBrokerDownAsRetryableDeliveryFailure) {
  // Port 9 (discard) on loopback has no Kafka broker: every delivery must
  // come back as kUnavailable once the delivery timeout has passed, never as
  // success and never silently dropped.
  ProducerOptions options;
  options.bootstrap = "127.0.0.1:9";
  options.delivery_timeout = 1500ms;
  auto producer = Producer::Create(options);
  ASSERT_OK(producer);
  const Record records[] = {{"pilotage.activity.v1", "LOT-11", "a"},
                            {"pilotage.activity.v1", "LOT-24", "b"}};
  std::vector<Delivery> deliveries = (*producer)->SendAll(records);
  ASSERT_EQ(deliveries.size(), 2u);
  for (const auto& d : deliveries) {
    EXPECT_EQ(d.status.code(), absl::StatusCode::kUnavailable) << d.status;
  }
}

TEST(KafkaConsumer, RefusesMissingGroupOrListener) {
  ConsumerOptions options;
  options.bootstrap = "127.0.0.1:9";
  options.topics = {"t"};
  auto consumer = Consumer::Create(options, nullptr);
  ASSERT_FALSE(consumer.ok());
  EXPECT_EQ(consumer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(consumer.status().message().find("group.id"), std::string_view::npos);
}

TEST(KafkaBootstrap, ReadsTheFileWrittenByTheBrokerScript) {
  auto dir =
      std::filesystem::path(::testing::TempDir()) / ("bootstrap-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "bootstrap";
  std::ofstream(file) << "127.0.0.1:41234\n";
  const char* saved = std::getenv("PILOTAGE_KAFKA_BOOTSTRAP");
  std::string saved_value = saved ? saved : "";
  ::unsetenv("PILOTAGE_KAFKA_BOOTSTRAP");
  ::setenv("PILOTAGE_KAFKA_BOOTSTRAP_FILE", file.c_str(), 1);
  auto bootstrap = BootstrapFromEnvironment();
  ASSERT_OK(bootstrap);
  EXPECT_EQ(*bootstrap, "127.0.0.1:41234");

  ::setenv("PILOTAGE_KAFKA_BOOTSTRAP_FILE", (dir / "missing").c_str(), 1);
  auto missing = BootstrapFromEnvironment();
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  if (saved) ::setenv("PILOTAGE_KAFKA_BOOTSTRAP", saved_value.c_str(), 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pilotage::kafka
