#include "pilotage/intake/intake.h"

#include <gtest/gtest.h>

#include <set>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pilotage/testing/status.h"

namespace pilotage::intake {
namespace {

using nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1717236000);  // 2024-06-01T10:00:00Z

json ValidRequest() {
  return json::parse(R"({
    "event_id": "8a3f2c1e-5b7d-4e9a-9c0f-1d2e3f4a5b6c",
    "lot_id": "LOT-11",
    "occurred_at": "2024-05-31T09:15:00+02:00",
    "request_received": {
      "beneficiary": "ben-7f3a9c2d",
      "channel": "PHONE",
      "profile": {"age_band": "AGE_26_44", "sex": "FEMALE", "qualification": "BAC",
                  "status": "EMPLOYEE", "company_size": "FROM_11_TO_49", "departement": "93"}
    }
  })");
}

json ValidAppointment() {
  return json::parse(R"({
    "event_id": "apt-0001-abcdef",
    "lot_id": "LOT-11",
    "occurred_at": "2024-05-31T09:15:00Z",
    "appointment_held": {"beneficiary": "ben-7f3a9c2d", "appointment_id": "A-1",
      "level": "LEVEL_2_SUPPORT", "modality": "VIDEO", "kind": "LONG_TERM",
      "duration_minutes": 60, "departement": "2A"}
  })");
}

Sender Idf() { return Sender{"op-cibc-idf", {"LOT-11"}}; }

LotCalendar Lots() {
  LotCalendar lots;
  lots.contract_start["LOT-11"] = *ContractStart("2024-01-02");
  lots.contract_start["LOT-24"] = *ContractStart("2024-01-02");
  return lots;
}

Decoded ReviewJson(const std::string& body) {
  return Review(body, Format::kJson, Idf(), Lots(), kNow);
}

TEST(Intake, AcceptsAValidEventAndSetsRecordedAtAndOperator) {
  auto d = ReviewJson(ValidRequest().dump());
  ASSERT_FALSE(d.request_refusal);
  ASSERT_EQ(d.items.size(), 1u);
  ASSERT_FALSE(d.items[0].refusal) << d.items[0].refusal->code << " " << d.items[0].refusal->field;
  EXPECT_EQ(d.items[0].event.operator_id(), "op-cibc-idf");
  EXPECT_EQ(d.items[0].event.recorded_at().seconds(), 1717236000);
  EXPECT_EQ(d.items[0].event.request_received().profile().age_band(), v1::AgeBand::AGE_26_44);
}

TEST(Intake, SenderRecordedAtIsOverwritten) {
  json e = ValidRequest();
  e["recorded_at"] = "2030-01-01T00:00:00Z";
  auto d = ReviewJson(e.dump());
  ASSERT_FALSE(d.items[0].refusal);
  EXPECT_EQ(d.items[0].event.recorded_at().seconds(), 1717236000);
}

TEST(Intake, SenderCannotMarkAnEventAsImported) {
  json e = ValidRequest();
  e["imported"] = true;  // pilotage's own mark of a historical import
  auto d = ReviewJson(e.dump());
  ASSERT_FALSE(d.items[0].refusal);
  EXPECT_FALSE(d.items[0].event.imported());
}

TEST(Intake, AcceptsArraysNdjsonProtobufAndCamelCase) {
  json arr = json::array({ValidRequest(), ValidAppointment()});
  auto d = ReviewJson(arr.dump());
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_FALSE(d.items[0].refusal);
  EXPECT_FALSE(d.items[1].refusal) << d.items[1].refusal->code << d.items[1].refusal->field;

  std::string nd = ValidRequest().dump() + "\n\n" + ValidAppointment().dump() + "\r\n";
  auto n = Review(nd, Format::kNdjson, Idf(), Lots(), kNow);
  ASSERT_EQ(n.items.size(), 2u);
  EXPECT_FALSE(n.items[1].refusal);

  v1::EventBatch batch;
  *batch.add_events() = d.items[0].event;
  batch.mutable_events(0)->clear_recorded_at();
  auto p = Review(batch.SerializeAsString(), Format::kProtobuf, Idf(), Lots(), kNow);
  ASSERT_EQ(p.items.size(), 1u);
  EXPECT_FALSE(p.items[0].refusal);

  json camel = ValidAppointment();
  camel["eventId"] = camel["event_id"];
  camel.erase("event_id");
  EXPECT_FALSE(ReviewJson(camel.dump()).items[0].refusal);
}

TEST(Intake, ContentTypes) {
  EXPECT_EQ(*FormatFromContentType("application/json; charset=utf-8"), Format::kJson);
  EXPECT_EQ(*FormatFromContentType("application/x-ndjson"), Format::kNdjson);
  EXPECT_EQ(*FormatFromContentType("application/x-protobuf"), Format::kProtobuf);
  // The gateway answers 415 with this message, whatever the code.
  EXPECT_EQ(
      FormatFromContentType("text/plain").status().message(),
      "Content-Type must be application/json, application/x-ndjson or application/x-protobuf");
}

// One bad input: how the body is built, and the refusal expected.
struct BadCase {
  std::string name;
  std::function<std::string()> body;
  std::string code;
  std::string field;  // empty: whole request
};

std::string With(json e, const std::string& pointer, json value) {
  e[json::json_pointer(pointer)] = std::move(value);
  return e.dump();
}
std::string Without(json e, const std::string& pointer) {
  json::json_pointer p(pointer);
  e[p.parent_pointer()].erase(p.back());
  return e.dump();
}

const std::string kRr = "events[0].request_received";

std::vector<BadCase> BadCases() {
  const json r = ValidRequest();
  const json a = ValidAppointment();
  return {
      {"not json", [] { return std::string("{\"event_id\": "); }, "MALFORMED_BODY", ""},
      {"a string body", [] { return std::string("\"hello\""); }, "MALFORMED_BODY", ""},
      {"empty array", [] { return std::string("[]"); }, "EMPTY_BATCH", ""},
      {"deep nesting", [] { return std::string(5000, '[') + std::string(5000, ']'); },
       "MALFORMED_BODY", ""},
      {"array of numbers", [] { return std::string("[1]"); }, "MALFORMED_EVENT", "events[0]"},
      {"unknown field", [=] { return With(r, "/colour", "blue"); }, "UNKNOWN_FIELD",
       "events[0].colour"},
      {"field named email", [=] { return With(r, "/request_received/email", "x"); },
       "PERSONAL_DATA", kRr + ".email"},
      {"wrong type lot", [=] { return With(r, "/lot_id", 11); }, "WRONG_TYPE", "events[0].lot_id"},
      {"wrong type profile", [=] { return With(r, "/request_received/profile", "young"); },
       "WRONG_TYPE", kRr + ".profile"},
      {"unknown enum", [=] { return With(r, "/request_received/channel", "CARRIER_PIGEON"); },
       "UNKNOWN_ENUM", kRr + ".channel"},
      {"unknown enum number", [=] { return With(r, "/request_received/channel", 42); },
       "UNKNOWN_ENUM", kRr + ".channel"},
      {"catalogue spelling of an age band",
       [=] { return With(r, "/request_received/profile/age_band", "26_44"); }, "UNKNOWN_ENUM",
       kRr + ".profile.age_band"},
      {"unspecified enum", [=] { return With(r, "/request_received/channel", "UNSPECIFIED"); },
       "MISSING_FIELD", kRr + ".channel"},
      {"bad timestamp", [=] { return With(r, "/occurred_at", "yesterday"); }, "BAD_TIMESTAMP",
       "events[0].occurred_at"},
      {"timestamp without offset", [=] { return With(r, "/occurred_at", "2024-05-31T09:15:00"); },
       "BAD_TIMESTAMP", "events[0].occurred_at"},
      {"future timestamp", [=] { return With(r, "/occurred_at", "2024-06-01T11:00:00Z"); },
       "FUTURE_TIMESTAMP", "events[0].occurred_at"},
      {"before contract start", [=] { return With(r, "/occurred_at", "2023-12-31T12:00:00Z"); },
       "BEFORE_CONTRACT_START", "events[0].occurred_at"},
      {"missing occurred_at", [=] { return Without(r, "/occurred_at"); }, "MISSING_FIELD",
       "events[0].occurred_at"},
      {"missing event_id", [=] { return Without(r, "/event_id"); }, "MISSING_FIELD",
       "events[0].event_id"},
      {"bad event_id", [=] { return With(r, "/event_id", "id with spaces"); }, "BAD_FORMAT",
       "events[0].event_id"},
      {"missing body", [=] { return Without(r, "/request_received"); }, "MISSING_FIELD",
       "events[0].body"},
      {"two bodies",
       [=] {
         return With(r, "/deliverable_issued",
                     json{{"beneficiary", "ben-7f3a9c2d"}, {"type", "ACTION_PLAN"}});
       },
       "MULTIPLE_BODIES", kRr},
      {"contract event",
       [=] {
         return With(json::parse(Without(r, "/request_received")), "/review_held",
                     json::object({{"review_id", "r1"}}));
       },
       "EVENT_TYPE_NOT_ALLOWED", "events[0].body"},
      {"unknown lot", [=] { return With(r, "/lot_id", "LOT-99"); }, "UNKNOWN_LOT",
       "events[0].lot_id"},
      {"another operator's lot", [=] { return With(r, "/lot_id", "LOT-24"); }, "LOT_NOT_ALLOWED",
       "events[0].lot_id"},
      {"another operator's id", [=] { return With(r, "/operator_id", "op-other"); },
       "OPERATOR_MISMATCH", "events[0].operator_id"},
      {"NIR as pseudonym",
       [=] { return With(r, "/request_received/beneficiary", "185057512345678"); }, "PERSONAL_DATA",
       kRr + ".beneficiary"},
      {"NIR with spaces in an id",
       [=] { return With(a, "/appointment_held/appointment_id", "2 85 05 2A 123 456 78"); },
       "PERSONAL_DATA", "events[0].appointment_held.appointment_id"},
      {"e-mail as pseudonym",
       [=] { return With(r, "/request_received/beneficiary", "jean.dupont@example.fr"); },
       "PERSONAL_DATA", kRr + ".beneficiary"},
      {"phone as event id", [=] { return With(r, "/event_id", "06.12.34.56.78"); }, "PERSONAL_DATA",
       "events[0].event_id"},
      {"international phone in pseudonym",
       [=] { return With(r, "/request_received/beneficiary", "tel-33612345678"); }, "PERSONAL_DATA",
       kRr + ".beneficiary"},
      {"short pseudonym", [=] { return With(r, "/request_received/beneficiary", "abc"); },
       "BAD_PSEUDONYM", kRr + ".beneficiary"},
      {"pseudonym with punctuation",
       [=] { return With(r, "/request_received/beneficiary", "Jean Dupont"); }, "BAD_PSEUDONYM",
       kRr + ".beneficiary"},
      {"bad departement", [=] { return With(r, "/request_received/profile/departement", "20"); },
       "BAD_FORMAT", kRr + ".profile.departement"},
      {"missing profile", [=] { return Without(r, "/request_received/profile"); }, "MISSING_FIELD",
       kRr + ".profile"},
      {"duration out of range", [=] { return With(a, "/appointment_held/duration_minutes", 0); },
       "OUT_OF_RANGE", "events[0].appointment_held.duration_minutes"},
      {"int32 overflow", [=] { return With(a, "/appointment_held/duration_minutes", 99999999999); },
       "OUT_OF_RANGE", "events[0].appointment_held.duration_minutes"},
      {"integer string beyond int64",
       [=] { return With(a, "/appointment_held/duration_minutes", "9999999999999999999"); },
       "OUT_OF_RANGE", "events[0].appointment_held.duration_minutes"},
      {"duration as decimal", [=] { return With(a, "/appointment_held/duration_minutes", 1.5); },
       "WRONG_TYPE", "events[0].appointment_held.duration_minutes"},
      {"string too long", [=] { return With(r, "/event_id", std::string(500, 'a')); },
       "STRING_TOO_LONG", "events[0].event_id"},
      {"too many events", [=] { return json(std::vector<json>(1001, r)).dump(); },
       "BATCH_TOO_LARGE", ""},
      {"body too large", [=] { return std::string(9 * 1024 * 1024, ' '); }, "BODY_TOO_LARGE", ""},
  };
}

TEST(Intake, RefusesEachBadInputWithItsCodeAndField) {
  for (const auto& c : BadCases()) {
    SCOPED_TRACE(c.name);
    auto d = ReviewJson(c.body());
    if (c.field.empty()) {
      ASSERT_TRUE(d.request_refusal.has_value());
      EXPECT_EQ(CodeName(d.request_refusal->code), c.code) << d.request_refusal->message;
      continue;
    }
    ASSERT_FALSE(d.request_refusal)
        << d.request_refusal->code << ": " << d.request_refusal->message;
    ASSERT_EQ(d.items.size(), 1u);
    ASSERT_TRUE(d.items[0].refusal.has_value());
    EXPECT_EQ(CodeName(d.items[0].refusal->code), c.code) << d.items[0].refusal->message;
    EXPECT_EQ(d.items[0].refusal->field, c.field);
  }
  EXPECT_GE(BadCases().size(), 30u);
}

// Strict JSON (RFC 8259): what nlohmann would otherwise take silently or
// read one way among several.
struct StrictCase {
  std::string name;
  std::string body;
  Format format;
  std::string code;
  std::string field;  // empty: the whole request is refused
};

std::vector<StrictCase> StrictCases() {
  const std::string r = ValidRequest().dump();  // keys sorted: {"event_id":...
  const std::string a = ValidAppointment().dump();
  auto replaced = [](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  const std::string duration = "\"duration_minutes\":60";
  return {
      {"a key twice", "{\"lot_id\":\"LOT-24\"," + r.substr(1), Format::kJson, "DUPLICATE_KEY",
       "events[0].lot_id"},
      {"a key twice with the same value", "{\"lot_id\":\"LOT-11\"," + r.substr(1), Format::kJson,
       "DUPLICATE_KEY", "events[0].lot_id"},
      {"a nested key twice", replaced(r, "\"profile\":{", "\"profile\":{\"sex\":\"MALE\","),
       Format::kJson, "DUPLICATE_KEY", "events[0].request_received.profile.sex"},
      {"a key twice in the second event of a batch",
       "[" + r + ",{\"event_id\":\"x\"," + a.substr(1) + "]", Format::kJson, "DUPLICATE_KEY",
       "events[1].event_id"},
      {"a key twice on an ndjson line", r + "\n{\"lot_id\":\"LOT-11\"," + a.substr(1) + "\n",
       Format::kNdjson, "DUPLICATE_KEY", "events[1].lot_id"},
      {"a byte order mark", "\xEF\xBB\xBF" + r, Format::kJson, "MALFORMED_BODY", ""},
      {"a byte order mark in ndjson", "\xEF\xBB\xBF" + r + "\n", Format::kNdjson, "MALFORMED_BODY",
       ""},
      {"a byte order mark on a later ndjson line", r + "\n\xEF\xBB\xBF" + a + "\n", Format::kNdjson,
       "MALFORMED_EVENT", "events[1]"},
      {"NaN", replaced(a, duration, "\"duration_minutes\":NaN"), Format::kJson, "MALFORMED_BODY",
       ""},
      {"Infinity", replaced(a, duration, "\"duration_minutes\":Infinity"), Format::kJson,
       "MALFORMED_BODY", ""},
      {"-Infinity", replaced(a, duration, "\"duration_minutes\":-Infinity"), Format::kJson,
       "MALFORMED_BODY", ""},
      {"a number beyond a double", replaced(a, duration, "\"duration_minutes\":1e400"),
       Format::kJson, "MALFORMED_BODY", ""},
      {"an integer beyond uint64 (read as a decimal)",
       replaced(a, duration, "\"duration_minutes\":18446744073709551616"), Format::kJson,
       "WRONG_TYPE", "events[0].appointment_held.duration_minutes"},
      {"an integer beyond int64", replaced(a, duration, "\"duration_minutes\":9223372036854775808"),
       Format::kJson, "OUT_OF_RANGE", "events[0].appointment_held.duration_minutes"},
      {"a whole number written as a decimal", replaced(a, duration, "\"duration_minutes\":60.0"),
       Format::kJson, "WRONG_TYPE", "events[0].appointment_held.duration_minutes"},
      {"an exponent where an integer goes", replaced(a, duration, "\"duration_minutes\":6e1"),
       Format::kJson, "WRONG_TYPE", "events[0].appointment_held.duration_minutes"},
      {"a lone surrogate escape", replaced(r, "\"ben-7f3a9c2d\"", "\"ben-\\ud800-7f3a9c2d\""),
       Format::kJson, "MALFORMED_BODY", ""},
      {"an overlong UTF-8 sequence", replaced(r, "\"ben-7f3a9c2d\"", "\"ben-\xC0\xAF-7f3a9c2d\""),
       Format::kJson, "MALFORMED_BODY", ""},
      {"objects nested 40 deep",
       [] {
         std::string deep;
         for (int i = 0; i < 40; ++i) deep += "{\"a\":";
         deep += "1";
         for (int i = 0; i < 40; ++i) deep += "}";
         return deep;
       }(),
       Format::kJson, "MALFORMED_BODY", ""},
      {"trailing garbage", r + " x", Format::kJson, "MALFORMED_BODY", ""},
      {"a second document", r + r, Format::kJson, "MALFORMED_BODY", ""},
      {"a closing bracket too many", "[" + r + "]]", Format::kJson, "MALFORMED_BODY", ""},
      {"a top-level string", "\"events\"", Format::kJson, "MALFORMED_BODY", ""},
      {"a top-level number", "42", Format::kJson, "MALFORMED_BODY", ""},
      {"a top-level true", "true", Format::kJson, "MALFORMED_BODY", ""},
      {"an empty array", "[]", Format::kJson, "EMPTY_BATCH", ""},
      {"a string of 100 000 bytes",
       replaced(r, "\"ben-7f3a9c2d\"", "\"" + std::string(100000, 'b') + "\""), Format::kJson,
       "STRING_TOO_LONG", "events[0].request_received.beneficiary"},
  };
}

TEST(Intake, StrictJsonRefusesWhatAParserWouldTakeSilently) {
  for (const auto& c : StrictCases()) {
    SCOPED_TRACE(c.name);
    auto d = Review(c.body, c.format, Idf(), Lots(), kNow);
    if (c.field.empty()) {
      ASSERT_TRUE(d.request_refusal.has_value());
      EXPECT_EQ(CodeName(d.request_refusal->code), c.code) << d.request_refusal->message;
      EXPECT_FALSE(d.request_refusal->message.empty());
      continue;
    }
    ASSERT_FALSE(d.request_refusal)
        << d.request_refusal->code << ": " << d.request_refusal->message;
    ASSERT_FALSE(d.items.empty());
    const auto& refused = d.items.back();
    ASSERT_TRUE(refused.refusal.has_value());
    EXPECT_EQ(CodeName(refused.refusal->code), c.code) << refused.refusal->message;
    EXPECT_EQ(refused.refusal->field, c.field);
    // Only the event at fault: the others of the request pass.
    for (size_t i = 0; i + 1 < d.items.size(); ++i) EXPECT_FALSE(d.items[i].refusal) << i;
  }
}

TEST(Intake, TheSameKeysInSeveralObjectsAreNotDuplicates) {
  // Events with the same keys: a key is unique within its own object only.
  json other = ValidAppointment();
  other["event_id"] = "apt-0002-abcdef";
  auto d = ReviewJson(json::array({ValidAppointment(), other, ValidRequest()}).dump());
  ASSERT_FALSE(d.request_refusal);
  ASSERT_EQ(d.items.size(), 3u);
  for (const auto& item : d.items) EXPECT_FALSE(item.refusal) << item.refusal->message;
}

TEST(Intake, RefusalsNeverEchoTheValue) {
  auto d =
      ReviewJson(With(ValidRequest(), "/request_received/beneficiary", "jean.dupont@example.fr"));
  ASSERT_TRUE(d.items[0].refusal);
  EXPECT_EQ(d.items[0].refusal->message.find("dupont"), std::string::npos);
}

TEST(Intake, OneBadEventDoesNotSpoilTheOthers) {
  json other_lot = json::parse(With(ValidRequest(), "/lot_id", "LOT-24"));
  other_lot["event_id"] = "evt-other-lot-1";
  json arr = json::array({ValidRequest(), other_lot, ValidAppointment()});
  auto d = ReviewJson(arr.dump());
  ASSERT_EQ(d.items.size(), 3u);
  EXPECT_FALSE(d.items[0].refusal);
  ASSERT_TRUE(d.items[1].refusal);
  EXPECT_EQ(d.items[1].refusal->field, "events[1].lot_id");
  EXPECT_FALSE(d.items[2].refusal);
}

TEST(Intake, NdjsonBadLineIsRefusedAlone) {
  std::string nd = ValidRequest().dump() + "\n{oops\n" + ValidAppointment().dump();
  auto d = Review(nd, Format::kNdjson, Idf(), Lots(), kNow);
  ASSERT_EQ(d.items.size(), 3u);
  EXPECT_FALSE(d.items[0].refusal);
  EXPECT_EQ(d.items[1].refusal->code, intake::RefusalCode::kMalformedEvent);
  EXPECT_FALSE(d.items[2].refusal);
}

TEST(Intake, GarbageProtobufIsRefused) {
  auto d = Review(std::string("\xff\xff\xff\x01", 4), Format::kProtobuf, Idf(), Lots(), kNow);
  ASSERT_TRUE(d.request_refusal);
  EXPECT_EQ(d.request_refusal->code, intake::RefusalCode::kMalformedBody);
}

// One row of the guard's table: a value and the kind it must be flagged as
// (empty: never flagged).
struct GuardCase {
  std::string_view value;
  std::string_view kind;
};

constexpr std::string_view kPhone = "a phone number";
constexpr std::string_view kNir = "a NIR (social security number)";
constexpr std::string_view kEmail = "an e-mail address";

TEST(PersonalData, FlagsPersonalDataWhateverTheSeparator) {
  const GuardCase cases[] = {
      {"a@b.fr", kEmail},
      // NIR: 15 digits with the key, 13 without, Corsica, groups.
      {"185057512345678", kNir},
      {"1850575123456", kNir},
      {"1 85 05 75 123 456 78", kNir},
      {"285052A12345678", kNir},
      {"2 85 05 2A 123 456 78", kNir},
      {"x1_85_05_78_006_084_36", kNir},
      {"1:85:05:78:006:084:36", kNir},
      {"1.85.05.78.006.084.36", kNir},
      {"1-85-05-78-006-084-36", kNir},
      {"1/85/05/78/006/084/36", kNir},
      {"ben_1_85_05_78_006_084", kNir},
      {"1__85__05__78__006__084__36", kNir},
      {"12345678901234", kNir},  // any 13 digits or more
      // Phones: national, every separator, a digit glued in front.
      {"0612345678", kPhone},
      {"06 12 34 56 78", kPhone},
      {"06.12.34.56.78", kPhone},
      {"06-12-34-56-78", kPhone},
      {"06/12/34/56/78", kPhone},
      {"06_12_34_56_78", kPhone},
      {"06:12:34:56:78", kPhone},
      {"06 - 12 - 34 - 56 - 78", kPhone},
      {"x-06-12-34-56-78", kPhone},
      {"ben_06_12_34_56_78", kPhone},
      {"lot_3_06_12_34_56_78", kPhone},
      {"01 23 45 67 89", kPhone},
      {"0612 34 56 78", kPhone},
      // Phones: +33 and 0033, with and without separators, trunk 0 dropped or kept.
      {"+33612345678", kPhone},
      {"33612345678", kPhone},
      {"+33 6 12 34 56 78", kPhone},
      {"+33_6_12_34_56_78", kPhone},
      {"+33:6:12:34:56:78", kPhone},
      {"+33.6.12.34.56.78", kPhone},
      {"+33 (0)6 12 34 56 78", kPhone},
      {"+33 0 6 12 34 56 78", kPhone},
      {"0033612345678", kPhone},
      {"0033 6 12 34 56 78", kPhone},
      {"0033_6_12_34_56_78", kPhone},
      {"0033-612-345-678", kPhone},
      {"0033 (0)6 12 34 56 78", kPhone},
      {"ben-0033-6-12-34-56-78", kPhone},
  };
  for (const GuardCase& c : cases) {
    const auto kind = LooksPersonal(c.value);
    EXPECT_EQ(kind.value_or("(not flagged)"), c.kind) << "value: " << c.value;
  }
}

TEST(PersonalData, LeavesIdsCodesAndUuidsAlone) {
  const std::string_view cases[] = {
      // Canonical UUIDs, alone or inside an id: random, never personal, even
      // when a hex group holds a phone-shaped digit run.
      "8a3f2c1e-5b7d-4e9a-9c0f-123456789012",
      "1cb82c72-bd53-8783-a98c-a0612345678b",
      "1CB82C72-BD53-8783-A98C-A0612345678B",
      "evt-1cb82c72-bd53-8783-a98c-a0612345678b",
      "evt_1cb82c72-bd53-8783-a98c-a0612345678b",
      "evt:1cb82c72-bd53-8783-a98c-a0612345678b:2",
      "06123456-7890-1234-5678-901234567890",
      "00000000-0000-0000-0000-000000000000",
      // Pseudonyms, lots, départements, ids with dates and sequence numbers.
      "ben-7f3a9c2d",
      "ben_2A_12",
      "LOT-11",
      "93",
      "971",
      "2A",
      "A-1",
      "2024-05-31",
      "2024-05-31T10:30:00",
      "apt-0001-abcdef",
      "12345",
      "LOT-11-2024-000123-0001",
      "evt:2024:000123",
      "ARA_2024_Q2_000123",
      "op-cibc-idf:2024-05-31:42",
      "appt_12_34_56",
      "beneficiaire_0001",
      "evt-20240531-103000-0001",
      // Too short, or not a French number.
      "06 12 34 56 7",
      "00 12 34 56 78",
      "x_1_2_3_4_5_6_7_8_9",
      "+33 6 12 34 56",
      "+44 20 7946 0958",
  };
  for (std::string_view v : cases) {
    EXPECT_EQ(LooksPersonal(v).value_or("(not flagged)"), "(not flagged)") << "value: " << v;
  }
}

// The issue's cases, through the validation an operator's event goes through:
// refused PERSONAL_DATA at the field that holds them.
TEST(PersonalData, RefusedInTheFieldThatHoldsThem) {
  struct FieldCase {
    std::string_view value;
    std::string_view pointer;  // JSON pointer into the event
    std::string_view field;    // the refusal's field
  };
  const FieldCase cases[] = {
      {"x1_85_05_78_006_084_36", "/appointment_held/beneficiary",
       "events[0].appointment_held.beneficiary"},
      {"1:85:05:78:006:084:36", "/appointment_held/appointment_id",
       "events[0].appointment_held.appointment_id"},
      {"ben_06_12_34_56_78", "/appointment_held/beneficiary",
       "events[0].appointment_held.beneficiary"},
      {"06:12:34:56:78", "/appointment_held/appointment_id",
       "events[0].appointment_held.appointment_id"},
      {"evt:+33:6:12:34:56:78", "/event_id", "events[0].event_id"},
      {"evt-0033_6_12_34_56_78", "/event_id", "events[0].event_id"},
  };
  for (const FieldCase& c : cases) {
    json e = ValidAppointment();
    e[json::json_pointer(std::string(c.pointer))] = c.value;
    auto d = ReviewJson(e.dump());
    ASSERT_EQ(d.items.size(), 1u) << c.value;
    ASSERT_TRUE(d.items[0].refusal) << "accepted: " << c.value << " in " << c.pointer;
    EXPECT_EQ(d.items[0].refusal->code, intake::RefusalCode::kPersonalData) << c.value;
    EXPECT_EQ(d.items[0].refusal->field, c.field) << c.value;
    EXPECT_EQ(d.items[0].refusal->message.find(c.value), std::string::npos) << c.value;
  }
}

TEST(Intake, RepeatedIdsSameContentAreMarkedDifferentContentRefused) {
  const json a = ValidRequest();
  json a_later = a;
  a_later["occurred_at"] = "2024-05-31T09:16:00+02:00";
  json b = ValidAppointment();
  json b_bad = b;
  b_bad["lot_id"] = "LOT-99";  // refused UNKNOWN_LOT
  json c = ValidAppointment();
  c["event_id"] = "apt-0002-abcdef";
  // 0: a, 1: b, 2: a again, 3: a changed, 4: b refused, 5: c, 6: c again
  auto d = ReviewJson(json::array({a, b, a, a_later, b_bad, c, c}).dump());
  ASSERT_EQ(d.items.size(), 7u);
  struct Expected {
    std::string_view code;  // empty: accepted
    std::optional<size_t> repeat_of;
  };
  const Expected expected[] = {{"CONFLICTING_EVENT_ID", {}},
                               {"CONFLICTING_EVENT_ID", {}},
                               {"CONFLICTING_EVENT_ID", {}},
                               {"CONFLICTING_EVENT_ID", {}},
                               {"UNKNOWN_LOT", {}},
                               {"", {}},
                               {"", 5}};
  for (size_t i = 0; i < 7; ++i) {
    const auto& item = d.items[i];
    EXPECT_EQ(item.refusal ? CodeName(item.refusal->code) : "", expected[i].code)
        << "events[" << i << "]";
    EXPECT_EQ(item.repeat_of, expected[i].repeat_of) << "events[" << i << "]";
  }
  EXPECT_EQ(d.items[0].refusal->field, "events[0].event_id");
  EXPECT_EQ(d.items[3].refusal->field, "events[3].event_id");
  EXPECT_NE(d.items[3].refusal->message.find("events[0]"), std::string::npos)
      << d.items[3].refusal->message;
}

TEST(Intake, MediaTypes) {
  struct Case {
    std::string_view content_type;
    std::optional<Format> format;  // nullopt: refused
  };
  const Case cases[] = {
      {"application/json", Format::kJson},
      {"Application/JSON; charset=UTF-8", Format::kJson},
      {"application/json;charset=\"utf-8\"", Format::kJson},
      {"application/x-ndjson", Format::kNdjson},
      {"application/x-protobuf", Format::kProtobuf},
      {"application/json; charset=utf-16", std::nullopt},
      {"application/json; charset=latin1", std::nullopt},
      {"multipart/form-data; boundary=x", std::nullopt},
      {"multipart/mixed", std::nullopt},
      {"application/x-www-form-urlencoded", std::nullopt},
      {"text/plain", std::nullopt},
      {"", std::nullopt},
      {"application/jsonx", std::nullopt},
      {"application/json, text/plain", std::nullopt},
  };
  for (const Case& c : cases) {
    auto format = FormatFromContentType(c.content_type);
    if (c.format) {
      ASSERT_OK(format) << c.content_type;
      EXPECT_EQ(*format, *c.format) << c.content_type;
    } else {
      EXPECT_FALSE(format.ok()) << c.content_type;
    }
  }
  EXPECT_NE(FormatFromContentType("multipart/form-data").status().message().find("multipart"),
            std::string_view::npos);
}

TEST(PersonalData, PseudonymRule) {
  EXPECT_TRUE(IsValidPseudonym("ben-7f3a9c2d"));
  EXPECT_FALSE(IsValidPseudonym("12345678"));  // no letter
  EXPECT_FALSE(IsValidPseudonym("short"));
  EXPECT_FALSE(IsValidPseudonym(std::string(65, 'a')));
}

// The quality page names refusals by these (decision 0045): each code has
// its own French label, none a copy of another's nor the code itself.
TEST(RefusalCode, EveryCodeHasItsOwnFrenchLabel) {
  std::set<std::string_view> labels;
  size_t codes = 0;
  for (const auto& group : {std::span<const RefusalCode>(kRequestAndEventCodes),
                            std::span<const RefusalCode>(kFileLineCodes),
                            std::span<const RefusalCode>(kGatewayCodes)}) {
    for (RefusalCode code : group) {
      ++codes;
      const std::string_view label = FrenchLabel(code);
      EXPECT_FALSE(label.empty()) << code;
      EXPECT_NE(label, CodeName(code));
      EXPECT_TRUE(labels.insert(label).second) << code << ": " << label;
    }
  }
  EXPECT_EQ(codes, 36u);
  EXPECT_EQ(FrenchLabel(RefusalCode::kPersonalData), "donnée personnelle détectée");
}

}  // namespace
}  // namespace pilotage::intake
