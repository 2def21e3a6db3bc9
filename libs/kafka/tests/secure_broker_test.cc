// Against the broker of `scripts/kafka start --secure` (SASL_SSL, SCRAM,
// StandardAuthorizer and deploy/kafka/acls.sh): each component's principal,
// with the --kafka-config file the script wrote for it, may do what its ACLs
// give and is refused the rest with a clear error.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/status.h"

namespace pilotage::kafka {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kDir = PILOTAGE_KAFKA_SECURE_DIR;

::testing::AssertionResult Mentions(const absl::Status& status, std::string_view part) {
  if (std::string(status.message()).find(part) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "'" << status.message() << "' lacks '" << part << "'";
}

class SecureBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(kDir / "bootstrap");
    ASSERT_TRUE(std::getline(in, bootstrap_) && !bootstrap_.empty())
        << "no " << (kDir / "bootstrap") << ": is the kafka_secure fixture running?";
  }

  // A producer acting as `user`, with the file the programs take as
  // --kafka-config (loaded and checked as they do).
  std::unique_ptr<Producer> ProducerAs(const std::string& user) {
    auto config = LoadClientConfig((kDir / "clients" / (user + ".properties")).string());
    EXPECT_OK(config);
    if (!config.ok()) return nullptr;
    EXPECT_EQ(config->Principal(), user);
    auto producer = Producer::Create({.bootstrap = bootstrap_,
                                      .client_id = "secure-test-" + user,
                                      .delivery_timeout = 60s,
                                      .extra = config->settings});
    EXPECT_OK(producer);
    return producer.ok() ? std::move(*producer) : nullptr;
  }

  static Delivery SendOne(Producer& producer, std::string_view topic) {
    const Record record{.topic = topic, .key = "LOT-11", .value = "secure-broker-test"};
    return producer.SendAll(std::span<const Record>(&record, 1)).at(0);
  }

  std::string bootstrap_;
};

TEST_F(SecureBroker, GatewayWritesActivityButIsRefusedTheContractTopic) {
  auto gateway = ProducerAs("gateway");
  ASSERT_NE(gateway, nullptr);

  const Delivery activity = SendOne(*gateway, "pilotage.activity.v1");
  EXPECT_OK(activity.status);
  EXPECT_GE(activity.offset, 0);

  const Delivery contract = SendOne(*gateway, "pilotage.contract.v1");
  ASSERT_FALSE(contract.status.ok());
  EXPECT_EQ(contract.status.code(), absl::StatusCode::kPermissionDenied) << contract.status;
  EXPECT_TRUE(Mentions(contract.status, "pilotage.contract.v1"));
  EXPECT_TRUE(Mentions(contract.status, "TOPIC_AUTHORIZATION_FAILED"));
}

TEST_F(SecureBroker, PilotWritesContractButIsRefusedActivity) {
  auto pilot = ProducerAs("pilot");
  ASSERT_NE(pilot, nullptr);
  const Delivery contract = SendOne(*pilot, "pilotage.contract.v1");
  EXPECT_OK(contract.status);

  const Delivery activity = SendOne(*pilot, "pilotage.activity.v1");
  ASSERT_FALSE(activity.status.ok());
  EXPECT_EQ(activity.status.code(), absl::StatusCode::kPermissionDenied) << activity.status;
  EXPECT_TRUE(Mentions(activity.status, "pilotage.activity.v1"));
}

TEST_F(SecureBroker, PenaltyJobSendsInATransactionUnderItsOwnIdOnly) {
  auto config = LoadClientConfig((kDir / "clients" / "penalty-job.properties").string());
  ASSERT_OK(config);
  const Record record{.topic = "pilotage.contract.v1", .key = "LOT-11", .value = "txn"};

  auto own = TransactionalProducer::Create({.bootstrap = bootstrap_,
                                            .transactional_id = "pilotage-penalty-job",
                                            .timeout = 60s,
                                            .extra = config->settings});
  ASSERT_OK(own);
  ASSERT_OK((*own)->InitTransactions());
  EXPECT_OK((*own)->SendInTransaction(std::span<const Record>(&record, 1)));

  auto other = TransactionalProducer::Create({.bootstrap = bootstrap_,
                                              .transactional_id = "someone-elses-id",
                                              .timeout = 60s,
                                              .extra = config->settings});
  ASSERT_OK(other);
  const absl::Status refused = (*other)->InitTransactions();
  ASSERT_FALSE(refused.ok());
  // A refusal of this principal (the programs exit 11), however librdkafka
  // classes it (it makes this one fatal).
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << refused;
  EXPECT_TRUE(Mentions(refused, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED")) << refused;
}

}  // namespace
}  // namespace pilotage::kafka
