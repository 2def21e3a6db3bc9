#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>

#include "pilotage/ingest/config.h"
#include "pilotage/testing/status.h"

namespace pilotage::ingest {
namespace {

// The example holds no token: used as it is, the gateway refuses to start and
// says why; with a token per operator it is a whole configuration.
TEST(GatewayConfig, ExampleFileHasNoTokenAndLoadsOnceTokensAreAdded) {
  auto as_is = LoadConfig(PILOTAGE_EXAMPLE_CONFIG);
  ASSERT_FALSE(as_is.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(as_is.status()));
  EXPECT_NE(as_is.status().message().find("no operator has a token"), absl::string_view::npos)
      << as_is.status();

  std::ifstream in(PILOTAGE_EXAMPLE_CONFIG);
  ASSERT_TRUE(in);
  nlohmann::json doc = nlohmann::json::parse(in);
  for (auto& op : doc["operators"]) {
    op["token_sha256"].push_back(TokenHash("t-" + op["operator_id"].get<std::string>()));
  }
  auto config = ParseConfig(doc.dump(), "example with tokens",
                            std::filesystem::path(PILOTAGE_EXAMPLE_CONFIG).parent_path().string());
  ASSERT_OK(config);
  EXPECT_EQ(config->lots.contract_start.size(), 14u);
  EXPECT_EQ(config->operators.size(), 14u);
  auto it = config->token_hashes.find(TokenHash("t-op-cibc-idf"));
  ASSERT_NE(it, config->token_hashes.end());
  EXPECT_EQ(it->second, "op-cibc-idf");
  EXPECT_TRUE(config->operators.at("op-cibc-idf").sender.lots.contains("LOT-11"));
}

TEST(GatewayConfig, ErrorsNameThePath) {
  auto config = ParseConfig(
      R"({"lots":[{"lot_id":"LOT-11","start_date":"2024-01-02"}],
          "operators":[{"operator_id":"a","lots":["LOT-11"],"token_sha256":["abc"]}]})",
      "cfg.json", ".");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("operators[0].token_sha256[0]"), absl::string_view::npos)
      << config.status().ToString();
  auto unknown_lot = ParseConfig(
      R"({"lots":[{"lot_id":"LOT-11","start_date":"2024-01-02"}],
          "operators":[{"operator_id":"a","lots":["LOT-12"],"token_sha256":[]}]})",
      "cfg.json", ".");
  ASSERT_FALSE(unknown_lot.ok());
  EXPECT_EQ(unknown_lot.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown_lot.status().message().find("operators[0].lots[0]"), absl::string_view::npos);
}

TEST(GatewayConfig, TokenHashIsLowercaseHexSha256) {
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The OpenAPI document describes what the gateway does: its paths, statuses
// and every refusal code the validation library can produce.
TEST(OpenApi, DocumentsEveryStatusAndRefusalCode) {
  std::ifstream in(PILOTAGE_OPENAPI);
  ASSERT_TRUE(in) << PILOTAGE_OPENAPI;
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  EXPECT_EQ(doc.rfind("openapi: 3.", 0), 0u);
  for (const char* needle :
       {"/v1/events:", "/healthz:", "/metrics:", "application/json:", "application/x-ndjson:",
        "application/x-protobuf:", "Retry-After", "scheme: bearer", "curl "}) {
    EXPECT_NE(doc.find(needle), std::string::npos) << needle;
  }
  for (const char* status : {"200", "207", "400", "401", "403", "413", "415", "429", "503"}) {
    EXPECT_NE(doc.find(std::string("\"") + status + "\":"), std::string::npos) << status;
  }
  for (const auto& group : {std::span<const intake::RefusalCode>(intake::kRequestAndEventCodes),
                            std::span<const intake::RefusalCode>(intake::kGatewayCodes)}) {
    for (intake::RefusalCode code : group) {
      EXPECT_NE(doc.find("- " + std::string(intake::CodeName(code)) + "\n"), std::string::npos)
          << code;
    }
  }
  EXPECT_EQ(doc.find('\t'), std::string::npos) << "YAML forbids tabs";
}

}  // namespace
}  // namespace pilotage::ingest
