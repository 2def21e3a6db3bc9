#pragma once
// Events as an operator posts them to the ingest gateway (the JSON of
// POST /v1/events), for the tests that post them.

#include <string>

#include "nlohmann/json.hpp"

namespace pilotage::testing {

// A request_received event the gateway accepts for `lot_id` (given a token of
// the lot's operator): `event_id`, `beneficiary` and the profile's
// `departement` as given; occurred at 2024-05-31T09:15:00+02:00, by phone, a
// profile AGE_26_44, FEMALE, BAC, EMPLOYEE, FROM_11_TO_49. The caller picks a
// departement of the lot's region. Thread-compatible, no I/O.
nlohmann::json PostedRequest(const std::string& event_id, const std::string& lot_id,
                             const std::string& beneficiary, const std::string& departement);

}  // namespace pilotage::testing
