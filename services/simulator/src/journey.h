#pragma once
// One beneficiary's journey through the CEP, planned as compact events. The
// simulator keeps only these (40 bytes each) while they wait for their
// turn to be sent, and builds the protobuf Event at the last moment.

#include <cstdint>
#include <vector>

#include "calendar.h"
#include "pilotage/simulator/lots.h"
#include "pilotage/simulator/summary.h"
#include "random.h"

namespace pilotage::simulator {

// Body fields hold the values of the pilotage.v1 enums.
struct RequestBody {
  uint8_t channel, age_band, sex, qualification, status, company_size;
};
struct HeldBody {
  uint8_t level, modality, kind;
  uint16_t duration_minutes;
};
struct MissedBody {
  uint8_t reason;
};
struct DeliverableBody {
  uint8_t type;
};
struct ClosedBody {
  uint8_t outcome, referred_to;
};
struct SurveyBody {
  uint8_t wave, satisfaction;
  bool useful, situation_improved;
};

struct PlannedEvent {
  int64_t occurred_ms = 0;  // Unix epoch, UTC
  int64_t recorded_ms = 0;
  uint32_t beneficiary = 0;  // number within the lot, from 1, in request order
  uint16_t lot = 0;          // index in the LotCatalogue
  uint8_t seq = 0;           // index within the journey: with the above, the event id
  ActivityType type = ActivityType::kRequestReceived;
  bool resend = false;      // a second copy of event `seq`
  uint8_t appointment = 0;  // appointment number within the journey (held, missed)
  uint8_t departement = 0;  // index in Lot::departements (request: residence; held: venue)
  union {
    RequestBody request;
    HeldBody held;
    MissedBody missed;
    DeliverableBody deliverable;
    ClosedBody closed;
    SurveyBody survey;
  } body{};
};

struct JourneyInput {
  uint64_t seed = 0;
  const Lot* lot = nullptr;
  uint16_t lot_index = 0;
  uint64_t lot_hash = 0;  // HashText(lot_id)
  uint32_t beneficiary = 0;
  // The request, local day and minute (from the request schedule) and UTC.
  Day request_day;
  int request_minute = 0;
  int64_t request_ms = 0;
  // Events that occur at or after this instant are not planned.
  int64_t cutoff_ms = 0;
  // Probabilities per event (the lot's profile may raise the late rate).
  double late_rate = 0;
  double resend_rate = 0;
  // Residence, over indices of lot->entry.departements.
  const Weighted<uint8_t>* residence = nullptr;
};

// Appends the journey's events to `out`, in event-time order (strictly
// increasing occurred_ms), followed by the resent copies; recorded_ms is set.
// Depends only on the input (its own Rng is seeded from seed, lot and
// beneficiary), never on other journeys.
void PlanJourney(const JourneyInput& input, std::vector<PlannedEvent>* out);

}  // namespace pilotage::simulator
