#include "pilotage/domain/penalty_cap.h"

#include "fmt/format.h"

namespace pilotage::domain {

int64_t CapUsedByOtherPeriods(const std::vector<pilotage::store::v1::PenaltyRecord>& ledger,
                              const Period& period, const Period& contract_year,
                              std::vector<std::string>* problems) {
  const std::string period_text = period.ToString();
  int64_t used = 0;
  for (const auto& rec : ledger) {
    const auto& p = rec.proposed();
    if (p.penalty_id().empty() || p.period() == period_text) continue;
    if (!rec.waived().penalty_id().empty()) continue;
    auto other = Period::Parse(p.period());
    if (!other.ok()) {
      if (problems != nullptr) {
        problems->push_back(
            fmt::format("pénalité {} : période illisible '{}'", p.penalty_id(), p.period()));
      }
      continue;
    }
    if (contract_year.Contains(other->LastDay())) used += p.amount_cents();
  }
  return used;
}

}  // namespace pilotage::domain
