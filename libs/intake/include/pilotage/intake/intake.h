#pragma once
// pilotage::intake — how an operator's events enter pilotage: decoding of a
// request body (JSON, NDJSON, protobuf EventBatch), validation of each event
// against the v1 catalogue and the operator's lots, and the personal-data
// guard. Pure: no HTTP, no Kafka, no clock (the caller passes `now`), so that
// the ingest gateway and the historical import (pilotagectl) refuse exactly
// the same things with exactly the same codes.
//
// Must never include: httplib, librdkafka, RocksDB.
//
// Refusal codes are stable machine strings (refusal.h, docs/api/ingest.openapi.yaml).
// A refusal never carries the refused value: its message names the field and
// the rule, so that it can be logged and written to pilotage.rejected.v1.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pilotage/intake/refusal.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::intake {

enum class Format {
  kJson,      // application/json: one event object, or an array of them
  kNdjson,    // application/x-ndjson: one event object per line
  kProtobuf,  // application/x-protobuf: a binary pilotage.v1.EventBatch
};

// The format named by a Content-Type header value (a "charset" parameter
// must say utf-8, other parameters are ignored). kInvalidArgument, with a
// message for the sender, for a missing or other media type (multipart named
// as such) or another charset.
[[nodiscard]] absl::StatusOr<Format> FormatFromContentType(std::string_view content_type);

struct Limits {
  // Largest body accepted, in bytes. Default 8 MiB.
  size_t max_body_bytes = 8 * 1024 * 1024;
  // Most events in one request. Default 1000.
  size_t max_events = 1000;
  // Longest string value in an event, in bytes. Default 128.
  size_t max_string_bytes = 128;
  // Deepest JSON nesting accepted (the catalogue needs 4). Default 16.
  int max_json_depth = 16;
};

// Why something was refused: a stable code, the field at fault as a JSON path
// with proto field names (e.g. "events[3].request_received.profile.age_band";
// empty for the whole request) and an English sentence without the value.
struct Refusal {
  RefusalCode code;
  std::string field;
  std::string message;
};

// One event of a request, as decoded: `event` is meaningful only when
// `refusal` is empty.
struct Item {
  pilotage::v1::Event event;
  std::optional<Refusal> refusal;
  // Set by Review (RefuseConflictingRepeats) on an accepted event that
  // repeats an earlier one of the same request, same id and same content:
  // that earlier item's index. It is not to be written again.
  std::optional<size_t> repeat_of;
};

// A decoded body: either a whole-request refusal, or one item per event.
struct Decoded {
  std::optional<Refusal> request_refusal;
  std::vector<Item> items;
};

// Decodes a body. Never throws, whatever the bytes. A body that cannot be
// split into events (not JSON, not an EventBatch, too large, too many events)
// is a request refusal; an event that cannot be read is an item refusal, and
// the other events of the body are still decoded. JSON is protobuf's canonical
// mapping of pilotage.v1.Event (proto or lowerCamel field names, enum names or
// numbers, RFC 3339 timestamps with an offset); unknown fields are refused.
Decoded DecodeBody(std::string_view body, Format format, const Limits& limits = {});

// Decodes one event written as a JSON object (one NDJSON line), exactly as
// DecodeBody reads each event of a body; refusals are named "events[<index>]…".
Item DecodeEventJson(std::string_view text, size_t index, const Limits& limits = {});

// Lots known to pilotage and when each contract starts.
struct LotCalendar {
  // lot id -> first instant of the contract (00:00 Europe/Paris of its start date).
  std::map<std::string, absl::Time, std::less<>> contract_start;
};

// Who sends, and what they may send.
struct Sender {
  std::string operator_id;
  std::set<std::string, std::less<>> lots;
};

struct ValidationOptions {
  // How far in the future occurred_at may be (clocks differ). Default 5 min.
  absl::Duration max_clock_skew = absl::Minutes(5);
  Limits limits;
  // Historical import: keep the recorded_at the event carries (when the
  // operator recorded it) instead of overwriting it with `now`; it must not
  // be in the future (FUTURE_TIMESTAMP). It may precede occurred_at (a
  // cancellation recorded before the appointment's day): the reporting delay
  // is then 0. An event without one still gets `now`. The gateway leaves this
  // false: live senders are never trusted with it.
  bool keep_recorded_at = false;
};

// Validates one decoded event sent by `sender` at `now`, and completes it:
// sets operator_id when empty and recorded_at to `now` (whatever was sent,
// unless options.keep_recorded_at), and clears `imported` (pilotage's mark of
// a historical import, never the sender's to set).
// Returns the first refusal found, the personal-data guard first. `index`
// names the event in field paths ("events[<index>]").
std::optional<Refusal> ValidateEvent(pilotage::v1::Event& event, size_t index, const Sender& sender,
                                     const LotCalendar& lots, absl::Time now,
                                     const ValidationOptions& options = {});

// One event id several times in one request (items as validated, `items[i]`
// being "events[i]"):
// - the same content every time (the same validated event): the first is
//   kept, the others get `repeat_of` = the first's index (harmless resends,
//   written once);
// - different content, or one copy refused and another not: every copy not
//   already refused is refused CONFLICTING_EVENT_ID at events[i].event_id
//   (nothing of that id is written: which version is right is the sender's
//   call, and the event store keeps the first one it sees).
// Copies refused for another reason keep that reason. Items without an
// event_id are left alone.
void RefuseConflictingRepeats(std::vector<Item>& items);

// Decodes and validates a whole body: request refusal, or one item per event
// whose refusal is set or whose event is ready to be written (repeated ids
// judged by RefuseConflictingRepeats).
Decoded Review(std::string_view body, Format format, const Sender& sender, const LotCalendar& lots,
               absl::Time now, const ValidationOptions& options = {});

// Whether a field or column name says personal data ("nom", "email", "nir",
// "telephone", "adresse", "employeur", … compared case-insensitively).
bool IsPersonalFieldName(std::string_view name);

// Whether `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// The pseudonym rule: 8 to 64 characters of [A-Za-z0-9_-], at least one
// letter, and nothing the personal-data guard flags.
bool IsValidPseudonym(std::string_view value);

// The personal-data guard for one string value: the kind of personal data it
// looks like ("an e-mail address", "a NIR (social security number)",
// "a phone number"), or nullopt. See README.md for the exact rules.
std::optional<std::string_view> LooksPersonal(std::string_view value);

// The first instant of a contract starting on `date` ("YYYY-MM-DD"), at
// 00:00 Europe/Paris. kInvalidArgument for a malformed date.
[[nodiscard]] absl::StatusOr<absl::Time> ContractStart(std::string_view date);

}  // namespace pilotage::intake
