#pragma once
// The contract-year cap of penalties (terms' penalty_limits.cap_share_of_annual_bp):
// what the proposals of the other periods of a contract year already use of it,
// read from the lot's steering ledger. The penalty job prices a period against
// what is left (ProposePenalties' PenaltyContext::cap_used_by_other_periods_cents).
//
// The rule: every proposal of another period whose last day falls in the
// contract year counts, later periods included (whatever the order of runs,
// the year's proposals stay within the cap), except the waived ones (a waived
// penalty uses no cap). The period being priced does not count: its own
// proposals are what is being decided. Entries without a proposal (only later
// steps folded) count nothing.
//
// Pure; safe from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "pilotage/domain/period.h"
#include "pilotage/store/v1/readmodel.pb.h"

namespace pilotage::domain {

// The cents the ledger's proposals of other periods of `contract_year` use of
// the cap when `period` is priced. A proposal whose period cannot be read is
// left out and named in `problems` (French, for the report; may be null).
int64_t CapUsedByOtherPeriods(const std::vector<pilotage::store::v1::PenaltyRecord>& ledger,
                              const Period& period, const Period& contract_year,
                              std::vector<std::string>* problems);

}  // namespace pilotage::domain
