#pragma once
// A period as a pilot names it for one lot: the calendar forms Period::Parse
// reads ("2024-01", "2024-Q1", "2024", "CYn@YYYY-MM-DD") and "CYn", the lot's
// n-th contract year counted from the start date of its award (LotAwarded).
// `pilotagectl kpis`, the query API and the read model all resolve "CY2" here.
//
// Pure; safe from any thread.

#include <string_view>

#include "absl/status/statusor.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"

namespace pilotage::domain {

// `text` as a period for the lot of `facts`. Errors: kFailedPrecondition for
// "CYn" when the lot has no award (the message says to write CYn@YYYY-MM-DD);
// kInvalidArgument for a malformed period (with the accepted forms) or an
// award whose start date is not a day.
[[nodiscard]] absl::StatusOr<Period> ParseLotPeriod(std::string_view text, const LotFacts& facts);

}  // namespace pilotage::domain
