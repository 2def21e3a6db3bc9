#pragma once
// The steering read model of a lot (issue #5): reviews, corrective actions,
// penalties with their adversarial procedure, payment statements. Folded by
// the `cep` projection from contract events into cep_contract:
//
//   "<lot>\0review\0<review_id>"        -> store.v1.ReviewRecord
//   "<lot>\0action\0<action_id>"        -> store.v1.ActionRecord
//   "<lot>\0penalty\0<penalty_id>"      -> store.v1.PenaltyRecord
//   "<lot>\0statement\0<statement_id>"  -> store.v1.StatementRecord
//
// Readers (pilotagectl, the penalty job, the query service) read it through
// ReadSteering only, from one store snapshot, never by key.
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pilotage/store/store.h"
#include "pilotage/store/v1/readmodel.pb.h"

namespace pilotage::projector {

struct SteeringReadModel {
  // Each list sorted by id.
  std::vector<store::v1::ReviewRecord> reviews;
  std::vector<store::v1::ActionRecord> actions;
  std::vector<store::v1::PenaltyRecord> penalties;
  std::vector<store::v1::StatementRecord> statements;
};

// Everything steering stored for `lot_id` (empty lists when none).
// kDataLoss when a stored record does not parse.
[[nodiscard]] absl::StatusOr<SteeringReadModel> ReadSteering(const store::Store& store,
                                                             std::string_view lot_id);

}  // namespace pilotage::projector
