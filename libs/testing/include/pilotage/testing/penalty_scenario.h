#pragma once
// The contract terms of the penalty job's tests (its plan unit tests and its
// end-to-end test), built in one place so that both price the same contract.

#include <cstdint>

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

}  // namespace pilotage::testing
