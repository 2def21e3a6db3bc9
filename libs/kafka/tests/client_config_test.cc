// --kafka-config files: what is accepted, and how a bad line is reported.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/status.h"

namespace pilotage::kafka {
namespace {

::testing::AssertionResult Mentions(const absl::Status& status, std::string_view part) {
  if (std::string(status.message()).find(part) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "'" << status.message() << "' lacks '" << part << "'";
}

TEST(ClientConfig, ReadsKeyValueLinesSkippingCommentsAndBlanks) {
  auto config = ParseClientConfig(
      "# gateway's principal\n"
      "\n"
      "security.protocol = SASL_SSL\n"
      "sasl.mechanisms=SCRAM-SHA-512\n"
      "  sasl.username=gateway  \n"
      "sasl.password=s3cr=t\n"
      "ssl.ca.location=/etc/pilotage/kafka-ca.pem\n",
      "gw.properties");
  ASSERT_OK(config);
  EXPECT_EQ(config->settings.size(), 5u);
  EXPECT_EQ(config->settings.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config->settings.at("sasl.password"), "s3cr=t");  // only the first '=' splits
  EXPECT_EQ(config->Principal(), "gateway");
  EXPECT_EQ(config->origin, "gw.properties");
}

TEST(ClientConfig, NoSaslMeansNoPrincipal) {
  auto config = ParseClientConfig("security.protocol=SSL\n", "f");
  ASSERT_OK(config);
  EXPECT_EQ(config->Principal(), "");
}

struct BadLine {
  const char* text;
  const char* where;  // "FILE:LINE"
  const char* what;
};

TEST(ClientConfig, BadLinesSayFileLineAndWhat) {
  const BadLine cases[] = {
      {"security.protocol=SASL_SSL\nsasl.username\n", "f:2", "'sasl.username' is not key=value"},
      {"=SASL_SSL\n", "f:1", "empty key"},
      {"\n\nsasl.username=\n", "f:3", "sasl.username has an empty value"},
      {"bootstrap.servers=h:1\n", "f:1", "bootstrap.servers is not a connection setting"},
      {"enable.idempotence=false\n", "f:1", "enable.idempotence is not a connection setting"},
      {"security.protocol=SSL\n#\nsecurity.protocol=SASL_SSL\n", "f:3",
       "security.protocol already given on line 1"},
      {"security.protocol=TLS_PLEASE\n", "f:1", "security.protocol=TLS_PLEASE"},
      {"ssl.no.such.thing=1\n", "f:1", "ssl.no.such.thing: "},
      {"sasl.mechanism=PLAIN\nsasl.mechanisms=PLAIN\n", "f", "lines 1 and 2"},
  };
  for (const auto& c : cases) {
    auto config = ParseClientConfig(c.text, "f");
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_TRUE(Mentions(config.status(), std::string(c.where) + ":")) << c.text;
    EXPECT_TRUE(Mentions(config.status(), c.what)) << c.text;
  }
}

TEST(ClientConfig, SaslNeedsBothUserAndPassword) {
  auto no_password = ParseClientConfig("sasl.username=gateway\n", "f");
  ASSERT_FALSE(no_password.ok());
  EXPECT_EQ(no_password.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(no_password.status(), "sasl.username without sasl.password"));
  auto no_user = ParseClientConfig("sasl.mechanisms=SCRAM-SHA-512\n", "f");
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(no_user.status(), "needs sasl.username"));
  // librdkafka's other name for the same setting.
  auto alias = ParseClientConfig("sasl.mechanism=SCRAM-SHA-512\n", "f");
  ASSERT_FALSE(alias.ok());
  EXPECT_EQ(alias.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(alias.status(), "sasl.mechanism=SCRAM-SHA-512 needs sasl.username"));
}

TEST(ClientConfig, ADirectoryIsNoConfigurationRatherThanAnEmptyOne) {
  auto config = LoadClientConfig(::testing::TempDir());
  ASSERT_FALSE(config.ok()) << "a directory would read as no setting at all: PLAINTEXT";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(config.status(), "not a regular file"));
}

TEST(ClientConfig, AMissingFileIsNotFoundAndNamed) {
  auto config = LoadClientConfig("/nonexistent/pilotage/kafka.properties");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Mentions(config.status(), "/nonexistent/pilotage/kafka.properties"));
}

TEST(ClientConfig, InstalledSettingsReachEveryClientAndExtraWins) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "bad-ssl.properties";
  {
    std::ofstream out(path);
    // A CA file that does not exist: librdkafka accepts the name, but the
    // client refuses to start, which proves the setting reached it.
    out << "security.protocol=SSL\nssl.ca.location=/nonexistent/ca.pem\n";
  }
  ASSERT_OK(InstallClientConfig(path.string()));
  EXPECT_EQ(CurrentClientConfig().settings.at("security.protocol"), "SSL");
  auto admin = Admin::Create("127.0.0.1:9");
  ASSERT_FALSE(admin.ok());
  EXPECT_EQ(admin.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(admin.status(), "ssl.ca.location"));
  auto producer = Producer::Create({.bootstrap = "127.0.0.1:9"});
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(producer.status(), "ssl.ca.location"));
  // A client's own extra settings win over the process's.
  auto plain =
      Producer::Create({.bootstrap = "127.0.0.1:9", .extra = {{"security.protocol", "plaintext"}}});
  EXPECT_OK(plain);
  plain->reset();
  SetClientConfig({});
  EXPECT_TRUE(CurrentClientConfig().settings.empty());
  EXPECT_OK(InstallClientConfig(""));  // no file: unchanged
  EXPECT_TRUE(CurrentClientConfig().settings.empty());
}

}  // namespace
}  // namespace pilotage::kafka
