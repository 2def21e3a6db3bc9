#include "pilotage/domain/lot_period.h"

#include <string>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {

absl::StatusOr<Period> ParseLotPeriod(std::string_view text, const LotFacts& facts) {
  const std::string period(text);
  if (text.starts_with("CY") && text.find('@') == std::string_view::npos) {
    if (!facts.award) {
      return absl::FailedPreconditionError(
          fmt::format("period {}: lot '{}' has no award (LotAwarded) giving its start date; write "
                      "CYn@YYYY-MM-DD",
                      period, facts.lot_id));
    }
    auto start = ParseDay(facts.award->start_date());
    if (!start.ok()) return start.status();
    return Period::Parse(period, *start);
  }
  return Period::Parse(period);
}

}  // namespace pilotage::domain
