// Who a steering decision is recorded under (decision 0032): the Kafka
// principal of --kafka-config, never a free text.
#include <string>

#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/status.h"
#include "steering_common.h"

namespace pilotage::pilotagectl {
namespace {

class Author : public ::testing::Test {
 protected:
  void TearDown() override { kafka::SetClientConfig({}); }
  static void AuthenticateAs(const std::string& user) {
    auto config = kafka::ParseClientConfig(
        "security.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=" + user +
            "\nsasl.password=secret\n",
        "pilot.properties");
    ASSERT_OK(config);
    kafka::SetClientConfig(*config);
  }
};

TEST_F(Author, IsThePrincipalWhenKafkaAuthenticates) {
  AuthenticateAs("alice");
  auto by = pilotagectl::Author("", /*required=*/true);
  ASSERT_OK(by);
  EXPECT_EQ(*by, "alice");
  // --by may repeat it.
  by = pilotagectl::Author("alice", /*required=*/true);
  ASSERT_OK(by);
  EXPECT_EQ(*by, "alice");
}

TEST_F(Author, AnyOtherByIsRefusedUnderAPrincipal) {
  AuthenticateAs("alice");
  auto by = pilotagectl::Author("bruno", /*required=*/false);
  ASSERT_FALSE(by.ok());
  EXPECT_EQ(by.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(by.status().message()).find("'bruno' is not 'alice'"), std::string::npos)
      << by.status();
}

TEST_F(Author, WithoutSaslByIsRecordedAsGivenAndRequiredForDecisions) {
  auto by = pilotagectl::Author("bruno", /*required=*/true);
  ASSERT_OK(by);
  EXPECT_EQ(*by, "bruno");
  auto missing = pilotagectl::Author("", /*required=*/true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(missing.status().message()).find("--by: missing"), std::string::npos);
  auto optional = pilotagectl::Author("", /*required=*/false);
  ASSERT_OK(optional);
  EXPECT_EQ(*optional, "");
}

}  // namespace
}  // namespace pilotage::pilotagectl
