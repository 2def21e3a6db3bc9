#pragma once
// The contract terms of the penalty job's tests (its plan unit tests and its
// end-to-end test), built in one place so that both price the same contract.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "pilotage/v1/event.pb.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::testing {

// Terms "2024.1", in force from 2024-01-02: one KPI, first appointment
// within 10 working days (first_appointment_delay), target 80 %, at least 4
// measured, a corrective action due 30 days after closing; one rule
// (first_appointment_shortfall, KPI_SHORTFALL) at `per_point_cents` per
// whole point below target; CCAG-FCS threshold (1 000 EUR) and cap (10 % of
// the annual amount); closing 15 days after the period's end, 15 days for
// observations. No unit price, no share of fees: callers add them.
pilotage::v1::ContractTerms FirstAppointmentTerms(int64_t per_point_cents = 100000);

// The award of `lot` (event id "award-<lot>", by france-competences,
// occurred and recorded at 1700000000, 14 November 2023): from
// 2024-01-02 to 2028-01-01, département 75, 1 000 000 EUR for contract
// year 1.
pilotage::v1::Event AwardOf(const std::string& lot);

// A phone request of beneficiary `who` on `requested` and the first-level,
// in-person, one-off appointment held for it on `held` (département 75),
// both at noon UTC (the same day in Paris); ids "req-<who>", "app-<who>",
// operator "op-<lot>".
std::vector<pilotage::v1::Event> RequestAndFirstAppointment(const std::string& lot,
                                                            const std::string& who,
                                                            absl::CivilDay requested,
                                                            absl::CivilDay held);

}  // namespace pilotage::testing
