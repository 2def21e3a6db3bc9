#pragma once
// Refusal codes: the stable machine strings an operator's program reads in
// the gateway's answers, in the import's report and in pilotage.rejected.v1
// (docs/api/ingest.openapi.yaml lists them all). One enum, one name each; a
// name, once published, keeps its meaning for good: a new rule gets a new code.

#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace pilotage::intake {

enum class RefusalCode : std::uint8_t {
  // A whole request (the gateway) or file (the import).
  kMalformedBody,
  kUnsupportedMediaType,
  kBodyTooLarge,
  kBatchTooLarge,
  kEmptyBatch,
  // One event.
  kMalformedEvent,
  kDuplicateKey,  // a key twice in one JSON object: which value counts is ambiguous
  kUnknownField,
  kWrongType,
  kUnknownEnum,
  kBadTimestamp,
  kMultipleBodies,
  kStringTooLong,
  kMissingField,
  kBadFormat,
  kBadPseudonym,
  kOutOfRange,
  kFutureTimestamp,
  kBeforeContractStart,
  kUnknownLot,
  kLotNotAllowed,
  kOperatorMismatch,
  kEventTypeNotAllowed,
  kPersonalData,
  kConflictingEventId,
  // A line of a CSV or NDJSON file (the import).
  kDuplicateHeader,  // a data line that repeats the header row
  kTruncatedLine,    // the file ends inside this line (fewer columns, open quote)
  kNotUtf8,          // the line is not valid UTF-8
  kBadHeader,        // the first line is not a header row of the layout
  // The gateway's own, before or around validation.
  kUnauthenticated,  // no or unknown bearer token
  kBadReplayTime,    // X-Pilotage-Replay-Time unreadable (demo clock)
  kRateLimited,      // over the operator's rate: retry after Retry-After
  kBatchOverBurst,   // more events in one request than the rate's burst
  kUnavailable,      // Kafka did not acknowledge in time: nothing of the batch counts
  kNotFound,         // no such path
  kHttpError,        // refused by the HTTP layer (limits, framing, method)
};

// The code's stable string, e.g. "MISSING_FIELD".
std::string_view CodeName(RefusalCode code);
// What the code means, in French, for the pilots' screens (the quality
// page's gateway refusals, decision 0045), e.g. "donnée personnelle
// détectée" for PERSONAL_DATA.
std::string_view FrenchLabel(RefusalCode code);
// For test failure messages and logs: the code's name.
std::ostream& operator<<(std::ostream& out, RefusalCode code);

// Every code libs/intake produces when it decodes and validates a request
// (the first two groups above).
inline constexpr RefusalCode kRequestAndEventCodes[] = {
    RefusalCode::kMalformedBody,       RefusalCode::kUnsupportedMediaType,
    RefusalCode::kBodyTooLarge,        RefusalCode::kBatchTooLarge,
    RefusalCode::kEmptyBatch,          RefusalCode::kMalformedEvent,
    RefusalCode::kDuplicateKey,        RefusalCode::kUnknownField,
    RefusalCode::kWrongType,           RefusalCode::kUnknownEnum,
    RefusalCode::kBadTimestamp,        RefusalCode::kMultipleBodies,
    RefusalCode::kStringTooLong,       RefusalCode::kMissingField,
    RefusalCode::kBadFormat,           RefusalCode::kBadPseudonym,
    RefusalCode::kOutOfRange,          RefusalCode::kFutureTimestamp,
    RefusalCode::kBeforeContractStart, RefusalCode::kUnknownLot,
    RefusalCode::kLotNotAllowed,       RefusalCode::kOperatorMismatch,
    RefusalCode::kEventTypeNotAllowed, RefusalCode::kPersonalData,
    RefusalCode::kConflictingEventId};
// The codes only a CSV or NDJSON file produces (the third group).
inline constexpr RefusalCode kFileLineCodes[] = {RefusalCode::kDuplicateHeader,
                                                 RefusalCode::kTruncatedLine, RefusalCode::kNotUtf8,
                                                 RefusalCode::kBadHeader};
// The gateway's own codes (the last group).
inline constexpr RefusalCode kGatewayCodes[] = {
    RefusalCode::kUnauthenticated, RefusalCode::kBadReplayTime, RefusalCode::kRateLimited,
    RefusalCode::kBatchOverBurst,  RefusalCode::kUnavailable,   RefusalCode::kNotFound,
    RefusalCode::kHttpError};

}  // namespace pilotage::intake
