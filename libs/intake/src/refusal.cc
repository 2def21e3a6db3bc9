#include "pilotage/intake/refusal.h"

#include <ostream>

namespace pilotage::intake {

std::string_view CodeName(RefusalCode code) {
  switch (code) {
    case RefusalCode::kMalformedBody:
      return "MALFORMED_BODY";
    case RefusalCode::kUnsupportedMediaType:
      return "UNSUPPORTED_MEDIA_TYPE";
    case RefusalCode::kBodyTooLarge:
      return "BODY_TOO_LARGE";
    case RefusalCode::kBatchTooLarge:
      return "BATCH_TOO_LARGE";
    case RefusalCode::kEmptyBatch:
      return "EMPTY_BATCH";
    case RefusalCode::kMalformedEvent:
      return "MALFORMED_EVENT";
    case RefusalCode::kUnknownField:
      return "UNKNOWN_FIELD";
    case RefusalCode::kWrongType:
      return "WRONG_TYPE";
    case RefusalCode::kUnknownEnum:
      return "UNKNOWN_ENUM";
    case RefusalCode::kBadTimestamp:
      return "BAD_TIMESTAMP";
    case RefusalCode::kMultipleBodies:
      return "MULTIPLE_BODIES";
    case RefusalCode::kStringTooLong:
      return "STRING_TOO_LONG";
    case RefusalCode::kMissingField:
      return "MISSING_FIELD";
    case RefusalCode::kBadFormat:
      return "BAD_FORMAT";
    case RefusalCode::kBadPseudonym:
      return "BAD_PSEUDONYM";
    case RefusalCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case RefusalCode::kFutureTimestamp:
      return "FUTURE_TIMESTAMP";
    case RefusalCode::kBeforeContractStart:
      return "BEFORE_CONTRACT_START";
    case RefusalCode::kUnknownLot:
      return "UNKNOWN_LOT";
    case RefusalCode::kLotNotAllowed:
      return "LOT_NOT_ALLOWED";
    case RefusalCode::kOperatorMismatch:
      return "OPERATOR_MISMATCH";
    case RefusalCode::kEventTypeNotAllowed:
      return "EVENT_TYPE_NOT_ALLOWED";
    case RefusalCode::kPersonalData:
      return "PERSONAL_DATA";
    case RefusalCode::kDuplicateKey:
      return "DUPLICATE_KEY";
    case RefusalCode::kConflictingEventId:
      return "CONFLICTING_EVENT_ID";
    case RefusalCode::kDuplicateHeader:
      return "DUPLICATE_HEADER";
    case RefusalCode::kTruncatedLine:
      return "TRUNCATED_LINE";
    case RefusalCode::kNotUtf8:
      return "NOT_UTF8";
    case RefusalCode::kBadHeader:
      return "BAD_HEADER";
    case RefusalCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case RefusalCode::kBadReplayTime:
      return "BAD_REPLAY_TIME";
    case RefusalCode::kRateLimited:
      return "RATE_LIMITED";
    case RefusalCode::kBatchOverBurst:
      return "BATCH_OVER_BURST";
    case RefusalCode::kUnavailable:
      return "UNAVAILABLE";
    case RefusalCode::kNotFound:
      return "NOT_FOUND";
    case RefusalCode::kHttpError:
      return "HTTP_ERROR";
  }
  return "UNKNOWN_REFUSAL";  // not reached: the switch covers every code (-Wswitch)
}

std::ostream& operator<<(std::ostream& out, RefusalCode code) { return out << CodeName(code); }

}  // namespace pilotage::intake
