// The gateway through real HTTP and a real broker: bad inputs get the right
// status and reason and never reach the activity topic; good ones are there.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "fmt/format.h"
#include "pilotage/ingest/gateway.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/posted_event.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::ingest {
namespace {

using nlohmann::json;

constexpr char kTokenA[] = "tok-a-3f9c2d7e1b";
constexpr char kTokenB[] = "tok-b-8e1d4a6c2f";
constexpr char kTokenRevoked[] = "tok-revoked-5a2b";
constexpr char kTokenSlow[] = "tok-slow-9d8c7b6a";

GatewayConfig TestConfig() {
  const json doc = {
      {"lots",
       {{{"lot_id", "LOT-11"}, {"start_date", "2024-01-02"}},
        {{"lot_id", "LOT-24"}, {"start_date", "2024-01-02"}}}},
      {"operators",
       {{{"operator_id", "op-a"}, {"lots", {"LOT-11"}}, {"token_sha256", {TokenHash(kTokenA)}}},
        {{"operator_id", "op-b"}, {"lots", {"LOT-24"}}, {"token_sha256", {TokenHash(kTokenB)}}},
        {{"operator_id", "op-gone"},
         {"lots", {"LOT-24"}},
         {"revoked", true},
         {"token_sha256", {TokenHash(kTokenRevoked)}}},
        {{"operator_id", "op-slow"},
         {"lots", {"LOT-11"}},
         {"rate_limit", {{"events_per_s", 0.001}, {"burst", 2}}},
         {"token_sha256", {TokenHash(kTokenSlow)}}}}}};
  auto config = ParseConfig(doc.dump(), "test", ".");
  EXPECT_OK(config);
  return *config;
}

json ValidEvent(const std::string& id) {
  return pilotage::testing::PostedRequest(id, "LOT-11", "ben-7f3a9c2d", "93");
}

json ValidAppointment(const std::string& id) {
  return {{"event_id", id},
          {"lot_id", "LOT-11"},
          {"occurred_at", "2024-05-31T09:15:00Z"},
          {"appointment_held",
           {{"beneficiary", "ben-7f3a9c2d"},
            {"appointment_id", "A-1"},
            {"level", "LEVEL_2_SUPPORT"},
            {"modality", "VIDEO"},
            {"kind", "LONG_TERM"},
            {"duration_minutes", 60},
            {"departement", "2A"}}}};
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = pilotage::testing::BrokerOrFail();
    auto admin = kafka::Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    admin_ = std::move(*admin);
    activity_ = pilotage::testing::UniqueTopic("ingest.activity");
    rejected_ = pilotage::testing::UniqueTopic("ingest.rejected");
    ASSERT_OK(admin_->CreateTopic(activity_, 4));
    ASSERT_OK(admin_->CreateTopic(rejected_, 1));
    GatewayOptions options;
    options.bootstrap = bootstrap_;
    options.port = 0;
    options.threads = 4;
    options.activity_topic = activity_;
    options.rejected_topic = rejected_;
    options.validation.limits.max_body_bytes = 256 * 1024;
    options.validation.limits.max_events = 100;
    options.replay_clock = replay_clock_;
    auto gateway = Gateway::Create(options, TestConfig());
    ASSERT_OK(gateway);
    gateway_ = std::move(*gateway);
    server_ = std::thread([this] { ASSERT_OK(gateway_->Serve()); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", gateway_->port());
    client_->set_read_timeout(60, 0);
  }

  void TearDown() override {
    if (gateway_) gateway_->Stop();
    if (server_.joinable()) server_.join();
  }

  int64_t Messages(const std::string& topic, int partitions) {
    int64_t total = 0;
    for (int p = 0; p < partitions; ++p) {
      auto w = admin_->QueryWatermarks({topic, p});
      EXPECT_OK(w);
      if (w.ok()) total += w->high - w->low;
    }
    return total;
  }

  httplib::Result Post(const std::string& token, const std::string& content_type,
                       const std::string& body) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", token);
    return client_->Post("/v1/events", headers, body, content_type.c_str());
  }

  int64_t RecordedAtOfFirst(const std::string& topic) {
    auto values = pilotage::testing::ReadTopic(bootstrap_, topic, 1);
    if (values.size() != 1) return -1;
    v1::Event event;
    EXPECT_TRUE(event.ParseFromString(values[0]));
    return event.recorded_at().seconds();
  }

  bool replay_clock_ = false;
  std::string bootstrap_, activity_, rejected_;
  std::unique_ptr<kafka::Admin> admin_;
  std::unique_ptr<Gateway> gateway_;
  std::thread server_;
  std::unique_ptr<httplib::Client> client_;
};

// One row of the gateway's table of hostile requests: the request, the status
// and code it gets; none writes anything to the activity topic.
struct HttpCase {
  std::string name;
  std::string authorization;  // the whole header value; empty: none
  std::string content_type;   // empty: no Content-Type
  std::string body;
  int status;
  std::string code;  // error.code, or events[0].error.code
  // Refusals written to the rejected topic (none for a 401: no operator known).
  int rejections = 1;
};

std::string With(json e, const std::string& pointer, json value) {
  e[json::json_pointer(pointer)] = std::move(value);
  return e.dump();
}

std::string Array(std::initializer_list<std::string> events) {
  json a = json::array();
  for (const auto& e : events) a.push_back(json::parse(e));
  return a.dump();
}

// `text` with its first `from` replaced by `to` (for bodies nlohmann would
// not write: duplicate keys, NaN, numbers beyond its types).
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::vector<HttpCase> Cases() {
  const std::string a = fmt::format("Bearer {}", kTokenA);
  const json e = ValidEvent("evt-bad-0001");
  const std::string ok = e.dump();
  const json appt = ValidAppointment("evt-bad-0002");
  const std::string js = "application/json";
  const std::string nd = "application/x-ndjson";
  const std::string multipart_body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"events\"; filename=\"e.json\"\r\n"
      "Content-Type: application/json\r\n\r\n" +
      ok + "\r\n--XyZ--\r\n";
  return {
      {"missing token", "", js, ok, 401, "UNAUTHENTICATED"},
      {"unknown token", "Bearer nope-nope-nope", js, ok, 401, "UNAUTHENTICATED"},
      {"basic auth", "Basic dXNlcjpwYXNz", js, ok, 401, "UNAUTHENTICATED"},
      {"revoked operator's token replayed", fmt::format("Bearer {}", kTokenRevoked), js,
       With(e, "/lot_id", "LOT-24"), 401, "UNAUTHENTICATED"},
      {"another operator's lot", a, js, With(e, "/lot_id", "LOT-24"), 403, "LOT_NOT_ALLOWED"},
      {"another operator's token for my lot", fmt::format("Bearer {}", kTokenB), js, ok, 403,
       "LOT_NOT_ALLOWED"},
      {"another operator id", a, js, With(e, "/operator_id", "op-b"), 403, "OPERATOR_MISMATCH"},
      {"contract event", a, js,
       json{{"event_id", "x-1"},
            {"lot_id", "LOT-11"},
            {"occurred_at", "2024-05-31T09:15:00Z"},
            {"penalty_waived", {{"penalty_id", "p1"}}}}
           .dump(),
       403, "EVENT_TYPE_NOT_ALLOWED"},
      {"text/plain", a, "text/plain", ok, 415, "UNSUPPORTED_MEDIA_TYPE"},
      {"malformed json", a, js, "{\"event_id\": ", 400, "MALFORMED_BODY"},
      {"empty body", a, js, "", 400, "MALFORMED_BODY"},
      {"empty array", a, js, "[]", 400, "EMPTY_BATCH"},
      {"number instead of event", a, js, "[42]", 400, "MALFORMED_EVENT"},
      {"garbage protobuf", a, "application/x-protobuf", std::string("\xff\xff\xff\xff", 4), 400,
       "MALFORMED_BODY"},
      {"ndjson bad line", a, "application/x-ndjson", "{nope\n", 400, "MALFORMED_EVENT"},
      {"unknown field", a, js, With(e, "/colour", "blue"), 400, "UNKNOWN_FIELD"},
      {"wrong type", a, js, With(e, "/lot_id", 11), 400, "WRONG_TYPE"},
      {"unknown enum", a, js, With(e, "/request_received/channel", "PIGEON"), 400, "UNKNOWN_ENUM"},
      {"unspecified enum", a, js, With(e, "/request_received/profile/sex", "UNSPECIFIED"), 400,
       "MISSING_FIELD"},
      {"bad timestamp", a, js, With(e, "/occurred_at", "31/05/2024"), 400, "BAD_TIMESTAMP"},
      {"future timestamp", a, js, With(e, "/occurred_at", "2099-01-01T00:00:00Z"), 400,
       "FUTURE_TIMESTAMP"},
      {"before contract start", a, js, With(e, "/occurred_at", "2023-06-01T00:00:00Z"), 400,
       "BEFORE_CONTRACT_START"},
      {"unknown lot", a, js, With(e, "/lot_id", "LOT-99"), 400, "UNKNOWN_LOT"},
      {"NIR in pseudonym", a, js, With(e, "/request_received/beneficiary", "1 85 05 75 123 456 78"),
       400, "PERSONAL_DATA"},
      {"e-mail in pseudonym", a, js,
       With(e, "/request_received/beneficiary", "marie.curie@example.org"), 400, "PERSONAL_DATA"},
      {"phone in event id", a, js, With(e, "/event_id", "06-12-34-56-78"), 400, "PERSONAL_DATA"},
      {"field named nom", a, js, With(e, "/request_received/nom", "Curie"), 400, "PERSONAL_DATA"},
      {"bad pseudonym", a, js, With(e, "/request_received/beneficiary", "x"), 400, "BAD_PSEUDONYM"},
      {"bad departement", a, js, With(e, "/request_received/profile/departement", "99"), 400,
       "BAD_FORMAT"},
      {"missing event id", a, js, With(e, "/event_id", ""), 400, "MISSING_FIELD"},
      {"no body", a, js, json{{"event_id", "x-2"}, {"lot_id", "LOT-11"}}.dump(), 400,
       "MISSING_FIELD"},
      {"batch too large", a, js, json(std::vector<json>(101, e)).dump(), 413, "BATCH_TOO_LARGE"},
      {"body too large", a, js, std::string(300 * 1024, ' '), 413, "BODY_TOO_LARGE"},
      // Personal data behind every separator an id may hold, and +33/0033 phones.
      {"NIR with underscores in pseudonym", a, js,
       With(e, "/request_received/beneficiary", "x1_85_05_78_006_084_36"), 400, "PERSONAL_DATA"},
      {"NIR with colons in appointment id", a, js,
       With(appt, "/appointment_held/appointment_id", "1:85:05:78:006:084:36"), 400,
       "PERSONAL_DATA"},
      {"Corsican NIR with colons in event id", a, js, With(e, "/event_id", "1:85:05:2A:006:084:36"),
       400, "PERSONAL_DATA"},
      {"NIR with dots in appointment id", a, js,
       With(appt, "/appointment_held/appointment_id", "1.85.05.78.006.084.36"), 400,
       "PERSONAL_DATA"},
      {"phone with underscores in pseudonym", a, js,
       With(e, "/request_received/beneficiary", "ben_06_12_34_56_78"), 400, "PERSONAL_DATA"},
      {"phone with colons in event id", a, js, With(e, "/event_id", "06:12:34:56:78"), 400,
       "PERSONAL_DATA"},
      {"phone with colons in appointment id", a, js,
       With(appt, "/appointment_held/appointment_id", "rdv:06:12:34:56:78"), 400, "PERSONAL_DATA"},
      {"phone behind a glued digit", a, js,
       With(e, "/request_received/beneficiary", "lot_3_06_12_34_56_78"), 400, "PERSONAL_DATA"},
      {"+33 phone in pseudonym", a, js, With(e, "/request_received/beneficiary", "ben+33612345678"),
       400, "PERSONAL_DATA"},
      {"+33 phone with underscores in event id", a, js,
       With(e, "/event_id", "evt_33_6_12_34_56_78"), 400, "PERSONAL_DATA"},
      {"0033 phone with underscores in appointment id", a, js,
       With(appt, "/appointment_held/appointment_id", "0033_6_12_34_56_78"), 400, "PERSONAL_DATA"},
      {"+33 (0) phone in pseudonym", a, js,
       With(e, "/request_received/beneficiary", "+33 (0)6 12 34 56 78"), 400, "PERSONAL_DATA"},
      // One event id twice in a request with different content: nothing of it written.
      {"same id, different content", a, js,
       Array({ok, With(e, "/occurred_at", "2024-05-31T09:16:00+02:00")}), 400,
       "CONFLICTING_EVENT_ID", 2},
      {"same id, different type", a, js, Array({ok, With(appt, "/event_id", "evt-bad-0001")}), 400,
       "CONFLICTING_EVENT_ID", 2},
      {"same id, different content, ndjson", a, nd,
       ok + "\n" + With(e, "/request_received/channel", "WEB") + "\n", 400, "CONFLICTING_EVENT_ID",
       2},
      {"same id, one copy refused", a, js, Array({ok, With(e, "/lot_id", "LOT-99")}), 400,
       "CONFLICTING_EVENT_ID", 2},
      {"same id three times, the third different", a, js,
       Array({ok, ok, With(e, "/request_received/profile/departement", "94")}), 400,
       "CONFLICTING_EVENT_ID", 3},
      // A batch larger than the operator's burst (2) could never pass.
      {"batch over the burst", fmt::format("Bearer {}", kTokenSlow), js,
       Array({With(e, "/event_id", "evt-b-1"), With(e, "/event_id", "evt-b-2"),
              With(e, "/event_id", "evt-b-3")}),
       413, "BATCH_OVER_BURST"},
      // Media types: only the three formats, in UTF-8.
      {"multipart form upload", a, "multipart/form-data; boundary=XyZ", multipart_body, 415,
       "UNSUPPORTED_MEDIA_TYPE"},
      {"multipart without boundary", a, "multipart/form-data", ok, 415, "UNSUPPORTED_MEDIA_TYPE"},
      {"multipart with a broken body", a, "multipart/form-data; boundary=XyZ", "--XyZ\r\nnope", 415,
       "UNSUPPORTED_MEDIA_TYPE"},
      {"multipart/mixed", a, "multipart/mixed; boundary=XyZ", multipart_body, 415,
       "UNSUPPORTED_MEDIA_TYPE"},
      {"form urlencoded", a, "application/x-www-form-urlencoded", "events=" + ok, 415,
       "UNSUPPORTED_MEDIA_TYPE"},
      {"no Content-Type", a, "", ok, 415, "UNSUPPORTED_MEDIA_TYPE"},
      {"json in UTF-16", a, "application/json; charset=utf-16", ok, 415, "UNSUPPORTED_MEDIA_TYPE"},
      {"a look-alike type", a, "application/jsonx", ok, 415, "UNSUPPORTED_MEDIA_TYPE"},
      {"two types", a, "application/json, text/plain", ok, 415, "UNSUPPORTED_MEDIA_TYPE"},
      // Personal data in any field, before any other rule.
      {"e-mail in appointment id", a, js,
       With(appt, "/appointment_held/appointment_id", "rdv-marie.curie@example.org"), 400,
       "PERSONAL_DATA"},
      {"phone in departement", a, js,
       With(e, "/request_received/profile/departement", "0612345678"), 400, "PERSONAL_DATA"},
      {"NIR in lot id", a, js, With(e, "/lot_id", "185057512345678"), 400, "PERSONAL_DATA"},
      {"NIR in operator id", a, js, With(e, "/operator_id", "1 85 05 75 123 456 78"), 400,
       "PERSONAL_DATA"},
      {"field named email", a, js, With(e, "/email", "x"), 400, "PERSONAL_DATA"},
      {"field named telephone in the profile", a, js,
       With(e, "/request_received/profile/telephone", "x"), 400, "PERSONAL_DATA"},
      // Shapes and sizes.
      {"string over 128 bytes", a, js,
       With(e, "/request_received/beneficiary", std::string(129, 'a')), 400, "STRING_TOO_LONG"},
      {"event id of 65 characters", a, js, With(e, "/event_id", std::string(65, 'e')), 400,
       "BAD_FORMAT"},
      {"event id with a space", a, js, With(e, "/event_id", "evt 1"), 400, "BAD_FORMAT"},
      {"event id with a slash", a, js, With(e, "/event_id", "evt/1"), 400, "BAD_FORMAT"},
      {"departement 20", a, js, With(e, "/request_received/profile/departement", "20"), 400,
       "BAD_FORMAT"},
      {"duration over 480 minutes", a, js, With(appt, "/appointment_held/duration_minutes", 481),
       400, "OUT_OF_RANGE"},
      {"negative duration", a, js, With(appt, "/appointment_held/duration_minutes", -5), 400,
       "OUT_OF_RANGE"},
      {"enum number out of range", a, js, With(e, "/request_received/channel", 99), 400,
       "UNKNOWN_ENUM"},
      {"timestamp without offset", a, js, With(e, "/occurred_at", "2024-05-31T09:15:00"), 400,
       "BAD_TIMESTAMP"},
      {"two bodies", a, js, With(e, "/appointment_held", appt["appointment_held"]), 400,
       "MULTIPLE_BODIES"},
      {"null event", a, js, "[null]", 400, "MALFORMED_EVENT"},
      {"array inside the array", a, js, "[" + json::array({e}).dump() + "]", 400,
       "MALFORMED_EVENT"},
      {"null body", a, js, "null", 400, "MALFORMED_BODY"},
      {"JSON nested too deep", a, js, std::string(40, '[') + std::string(40, ']'), 400,
       "MALFORMED_BODY"},
      {"invalid UTF-8 in a string", a, js,
       [&] {
         std::string body = ok;
         body.replace(body.find("evt-bad-0001"), 12, "evt-\xff\xfe");
         return body;
       }(),
       400, "MALFORMED_BODY"},
      {"ndjson over max_events", a, nd,
       [&] {
         std::string lines;
         for (int i = 0; i < 101; ++i)
           lines += With(e, "/event_id", fmt::format("nd-{}", i)) + "\n";
         return lines;
       }(),
       413, "BATCH_TOO_LARGE"},
      // Strict JSON (RFC 8259): nothing a parser would take silently or read
      // one way among several.
      {"a key twice in an event", a, js, "{\"lot_id\":\"LOT-24\"," + ok.substr(1), 400,
       "DUPLICATE_KEY"},
      {"a key twice in the profile", a, js,
       Replaced(ok, "\"profile\":{", "\"profile\":{\"sex\":\"MALE\","), 400, "DUPLICATE_KEY"},
      {"a key twice on an ndjson line", a, nd, "{\"event_id\":\"x\"," + ok.substr(1) + "\n", 400,
       "DUPLICATE_KEY"},
      {"a byte order mark", a, js, "\xEF\xBB\xBF" + ok, 400, "MALFORMED_BODY"},
      {"a byte order mark in ndjson", a, nd, "\xEF\xBB\xBF" + ok + "\n", 400, "MALFORMED_BODY"},
      {"NaN", a, js, Replaced(appt.dump(), "\"duration_minutes\":60", "\"duration_minutes\":NaN"),
       400, "MALFORMED_BODY"},
      {"Infinity", a, js,
       Replaced(appt.dump(), "\"duration_minutes\":60", "\"duration_minutes\":Infinity"), 400,
       "MALFORMED_BODY"},
      {"a number beyond a double", a, js,
       Replaced(appt.dump(), "\"duration_minutes\":60", "\"duration_minutes\":1e400"), 400,
       "MALFORMED_BODY"},
      {"an integer beyond uint64", a, js,
       Replaced(appt.dump(), "\"duration_minutes\":60",
                "\"duration_minutes\":18446744073709551616"),
       400, "WRONG_TYPE"},
      {"an integer beyond int64", a, js,
       Replaced(appt.dump(), "\"duration_minutes\":60", "\"duration_minutes\":9223372036854775808"),
       400, "OUT_OF_RANGE"},
      {"a whole number as a decimal", a, js, With(appt, "/appointment_held/duration_minutes", 60.0),
       400, "WRONG_TYPE"},
      {"a lone surrogate escape", a, js, Replaced(ok, "evt-bad-0001", "evt-\\ud800"), 400,
       "MALFORMED_BODY"},
      {"an overlong UTF-8 slash", a, js, Replaced(ok, "evt-bad-0001", "evt-\xC0\xAF"), 400,
       "MALFORMED_BODY"},
      {"objects nested 40 deep", a, js,
       [] {
         std::string deep;
         for (int i = 0; i < 40; ++i) deep += "{\"event_id\":";
         deep += "1";
         for (int i = 0; i < 40; ++i) deep += "}";
         return deep;
       }(),
       400, "MALFORMED_BODY"},
      {"trailing garbage", a, js, ok + " x", 400, "MALFORMED_BODY"},
      {"two documents", a, js, ok + ok, 400, "MALFORMED_BODY"},
      {"a top-level string", a, js, "\"events\"", 400, "MALFORMED_BODY"},
      {"a top-level number", a, js, "42", 400, "MALFORMED_BODY"},
      {"a string of 100 000 bytes", a, js,
       With(e, "/request_received/beneficiary", std::string(100000, 'b')), 400, "STRING_TOO_LONG"},
      {"token with trailing junk", fmt::format("Bearer {} x", kTokenA), js, ok, 401,
       "UNAUTHENTICATED"},
      {"token twice", fmt::format("Bearer {} Bearer {}", kTokenA, kTokenA), js, ok, 401,
       "UNAUTHENTICATED"},
  };
}

TEST_F(IngestTest, EachBadInputGetsItsStatusAndReasonAndNothingReachesTheActivityTopic) {
  int64_t event_refusals = 0;
  const auto cases = Cases();
  ASSERT_GE(cases.size(), 84u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto res = Post(c.authorization, c.content_type, c.body);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, c.status) << res->body;
    json body = json::parse(res->body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << res->body;
    std::string code;
    if (body.contains("error")) {
      code = body["error"]["code"];
    } else if (body.contains("events") && !body["events"].empty()) {
      const json& first = body["events"][0];
      EXPECT_EQ(body["accepted"], 0);
      EXPECT_EQ(first["status"], "refused");
      if (first.contains("error")) {
        code = first["error"]["code"];
        EXPECT_FALSE(first["error"]["field"].get<std::string>().empty());
      }
    }
    EXPECT_EQ(code, c.code) << res->body;
    if (c.status == 401) {
      EXPECT_TRUE(res->has_header("WWW-Authenticate"));
    }
    // Every refusal but 401 (no operator known) is written to the rejected topic.
    if (c.status != 401) event_refusals += c.rejections;
    // Nothing written: the gateway answers once Kafka acknowledged what it
    // wrote, so a written event would already be there.
    EXPECT_EQ(Messages(activity_, 4), 0);
  }
  EXPECT_EQ(Messages(activity_, 4), 0);
  // Each refusal is written, redacted, to the rejected topic (asynchronously).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Messages(rejected_, 1) < event_refusals && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Messages(rejected_, 1), event_refusals);

  // Read them back: a reason and a field each, and none of the refused values.
  std::vector<v1::Rejection> rejections;
  for (const auto& value :
       pilotage::testing::ReadTopic(bootstrap_, rejected_, static_cast<size_t>(event_refusals))) {
    for (const char* secret :
         {"marie.curie", "example.org", "123 456", "06-12-34", "Curie", "006_084", "006:084",
          "006.084", "06_12", "06:12", "612345678", "(0)6"}) {
      EXPECT_EQ(value.find(secret), std::string::npos) << secret;
    }
    ASSERT_TRUE(rejections.emplace_back().ParseFromString(value));
  }
  ASSERT_EQ(static_cast<int64_t>(rejections.size()), event_refusals);
  // A personal-data refusal names the event's lot when it is a lot of the
  // configuration (never a refused value): the quality page counts it there
  // (decision 0045). Never its event id.
  int personal_with_lot = 0;
  for (const auto& r : rejections) {
    if (r.reason() != "PERSONAL_DATA") continue;
    EXPECT_TRUE(r.lot_id().empty() || r.lot_id() == "LOT-11") << r.lot_id();
    EXPECT_TRUE(r.event_id().empty()) << r.event_id();
    personal_with_lot += r.lot_id() == "LOT-11";
  }
  EXPECT_GT(personal_with_lot, 0);
  for (const auto& r : rejections) {
    EXPECT_FALSE(r.reason().empty());
    EXPECT_TRUE(r.operator_id() == "op-a" || r.operator_id() == "op-b" ||
                r.operator_id() == "op-slow")
        << r.operator_id();
  }
}

TEST_F(IngestTest, RateLimitAnswers429WithRetryAfter) {
  const std::string slow = fmt::format("Bearer {}", kTokenSlow);
  json batch = json::array({ValidEvent("evt-rl-1"), ValidEvent("evt-rl-2")});
  auto first = Post(slow, "application/json", batch.dump());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  auto second = Post(slow, "application/json", ValidEvent("evt-rl-3").dump());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429) << second->body;
  EXPECT_TRUE(second->has_header("Retry-After"));
  EXPECT_EQ(Messages(activity_, 4), 2);
}

TEST_F(IngestTest, ValidEventsAreDurableBeforeTheAnswerAndOutcomesAreListed) {
  const std::string a = fmt::format("Bearer {}", kTokenA);
  json batch = json::array({ValidEvent("evt-ok-1"), ValidEvent("evt-ok-2")});
  batch.push_back(json::parse(With(ValidEvent("evt-ok-3"), "/lot_id", "LOT-24")));
  auto res = Post(a, "application/json", batch.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 207) << res->body;
  json body = json::parse(res->body);
  EXPECT_EQ(body["accepted"], 2);
  EXPECT_EQ(body["refused"], 1);
  EXPECT_EQ(body["events"][0]["status"], "accepted");
  EXPECT_EQ(body["events"][0]["event_id"], "evt-ok-1");
  EXPECT_EQ(body["events"][2]["error"]["code"], "LOT_NOT_ALLOWED");
  EXPECT_EQ(body["events"][2]["error"]["field"], "events[2].lot_id");
  // Acknowledged by Kafka before the answer: already in the topic.
  EXPECT_EQ(Messages(activity_, 4), 2);

  std::string nd = ValidEvent("evt-ok-4").dump() + "\n" + ValidEvent("evt-ok-5").dump() + "\n";
  auto res2 = Post(a, "application/x-ndjson", nd);
  ASSERT_TRUE(res2);
  EXPECT_EQ(res2->status, 200) << res2->body;
  EXPECT_EQ(Messages(activity_, 4), 4);

  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("pilotage_ingest_refusals_total"), std::string::npos);
  // Two requests handled, both with events Kafka acknowledged, none in flight.
  EXPECT_NE(metrics->body.find("\npilotage_ingest_request_duration_seconds_count 2\n"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("\npilotage_ingest_kafka_delivery_duration_seconds_count 2\n"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("\npilotage_ingest_requests_in_flight 0\n"), std::string::npos);
  EXPECT_EQ(metrics->body.find(kTokenA), std::string::npos);
}

TEST_F(IngestTest, AnIdenticalRepeatInOneRequestIsAcceptedAndWrittenOnce) {
  const std::string a = fmt::format("Bearer {}", kTokenA);
  const json e = ValidEvent("evt-twice-1");
  // The same event three times (the third with its fields in another order),
  // and another event: four accepted, two records written.
  json reordered = json::object();
  for (auto it = e.rbegin(); it != e.rend(); ++it) reordered[it.key()] = it.value();
  json batch = json::array({e, ValidEvent("evt-twice-2"), e, reordered});
  auto res = Post(a, "application/json", batch.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  json body = json::parse(res->body);
  EXPECT_EQ(body["accepted"], 4);
  EXPECT_EQ(body["refused"], 0);
  EXPECT_FALSE(body["events"][0].contains("repeat_of"));
  EXPECT_FALSE(body["events"][1].contains("repeat_of"));
  EXPECT_EQ(body["events"][2]["status"], "accepted");
  EXPECT_EQ(body["events"][2]["repeat_of"], 0);
  EXPECT_EQ(body["events"][3]["status"], "accepted");
  EXPECT_EQ(body["events"][3]["repeat_of"], 0);
  EXPECT_EQ(Messages(activity_, 4), 2);

  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(
      metrics->body.find(R"(pilotage_ingest_events_total{operator="op-a",outcome="repeated"} 2)"),
      std::string::npos)
      << metrics->body;
  EXPECT_NE(
      metrics->body.find(R"(pilotage_ingest_events_total{operator="op-a",outcome="accepted"} 2)"),
      std::string::npos);
}

TEST_F(IngestTest, TheGatewayIgnoresAReplayTimeUnlessStartedWithTheReplayClock) {
  httplib::Headers headers{{"Authorization", fmt::format("Bearer {}", kTokenA)},
                           {"X-Pilotage-Replay-Time", "2024-06-03T08:00:00Z"}};
  const absl::Time before = absl::Now();
  auto res =
      client_->Post("/v1/events", headers, ValidEvent("evt-clock-1").dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_GE(RecordedAtOfFirst(activity_), absl::ToUnixSeconds(before));
}

class ReplayClockTest : public IngestTest {
 protected:
  ReplayClockTest() { replay_clock_ = true; }
};

TEST_F(ReplayClockTest, RecordedAtIsTheReplayTimeAndAMalformedOneIsRefused) {
  const std::string a = fmt::format("Bearer {}", kTokenA);
  auto bad =
      client_->Post("/v1/events", {{"Authorization", a}, {"X-Pilotage-Replay-Time", "3 juin 2024"}},
                    ValidEvent("evt-replay-0").dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_EQ(json::parse(bad->body)["error"]["code"], "BAD_REPLAY_TIME");
  EXPECT_EQ(Messages(activity_, 4), 0);

  // 2024-06-03T08:00:00Z, three days after the event occurred (31 May).
  auto ok = client_->Post(
      "/v1/events", {{"Authorization", a}, {"X-Pilotage-Replay-Time", "2024-06-03T08:00:00Z"}},
      ValidEvent("evt-replay-1").dump(), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(RecordedAtOfFirst(activity_), 1717401600);

  // The skew check runs against the replay time: 31 May is in the future of 30 May.
  auto future = client_->Post(
      "/v1/events", {{"Authorization", a}, {"X-Pilotage-Replay-Time", "2024-05-30T00:00:00Z"}},
      ValidEvent("evt-replay-2").dump(), "application/json");
  ASSERT_TRUE(future);
  EXPECT_EQ(future->status, 400) << future->body;
  EXPECT_EQ(json::parse(future->body)["events"][0]["error"]["code"], "FUTURE_TIMESTAMP");
  EXPECT_EQ(Messages(activity_, 4), 1);
}

// Sends `bytes` on a fresh loopback connection, ends it, and reads until the
// gateway closes: its status and JSON body.
std::pair<int, json> RawExchange(int port, const std::string& bytes) {
  const int fd = pilotage::testing::ConnectLoopback(port);
  std::string answer;
  if (fd >= 0) {
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<size_t>(n));
    ::close(fd);
  }
  const size_t end = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return {-1, json()};
  return {std::stoi(answer.substr(9, 3)),
          json::parse(answer.substr(end + 4), nullptr, /*allow_exceptions=*/false)};
}

TEST_F(IngestTest, HostileFramingIsRefusedWithAJsonErrorAndNothingIsWritten) {
  const std::string body = ValidEvent("evt-hostile-1").dump();
  const std::string head = fmt::format(
      "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Authorization: Bearer {}\r\n",
      kTokenA);
  const std::string length = fmt::format("Content-Length: {}\r\n", body.size());
  std::string many_fields;
  for (int i = 0; i < 150; ++i) many_fields += fmt::format("X-F{}: v\r\n", i);
  struct Case {
    std::string name, request;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"xchunked with a length", head + "Transfer-Encoding: xchunked\r\n" + length + "\r\n" + body,
       400, "HTTP_ERROR"},
      {"space before the colon", head + "Transfer-Encoding : chunked\r\n" + length + "\r\n" + body,
       400, "HTTP_ERROR"},
      {"unknown coding", head + "Transfer-Encoding: gzip\r\n\r\n" + body, 501, "HTTP_ERROR"},
      {"NUL after the token",
       fmt::format("POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                   "Authorization: Bearer {}",
                   kTokenA) +
           std::string("\0junk\r\n", 7) + length + "\r\n" + body,
       400, "HTTP_ERROR"},
      {"too many fields", head + many_fields + length + "\r\n" + body, 431, "HTTP_ERROR"},
      // The body is announced but never sent: without a known token the
      // gateway answers at once, without waiting for it.
      {"no token, body not read",
       "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
       "Content-Length: 200000\r\n\r\n",
       401, "UNAUTHENTICATED"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto [status, answer] = RawExchange(gateway_->port(), c.request);
    EXPECT_EQ(status, c.status) << answer;
    ASSERT_TRUE(answer.is_object()) << answer;
    EXPECT_EQ(answer["error"]["code"], c.code) << answer;
    EXPECT_FALSE(answer["error"]["message"].get<std::string>().empty());
  }
  EXPECT_EQ(Messages(activity_, 4), 0);
}

TEST(ReplayClockOptionTest, IsRefusedOnANonLoopbackAddress) {
  GatewayOptions options;
  options.bootstrap = "127.0.0.1:1";
  options.host = "0.0.0.0";
  options.replay_clock = true;
  auto gateway = Gateway::Create(options, GatewayConfig{});
  ASSERT_FALSE(gateway.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(gateway.status())) << gateway.status().ToString();
  EXPECT_NE(gateway.status().message().find("loopback"), std::string::npos);
}

}  // namespace
}  // namespace pilotage::ingest
