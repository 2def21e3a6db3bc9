#pragma once
// What the steering commands share: the lot's state read from the
// projector's store, the `--on` day, flag parsing with the flag named in
// errors, and writing one event (or printing it with --dry-run).

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/domain/terms.h"
#include "pilotage/pilotagectl/steering.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/steering/steering.h"
#include "pilotage/store/store.h"
#include "pilotage/v1/event.pb.h"
#include "table_text.h"

namespace pilotage::pilotagectl {

// One lot as the projector's store holds it, read at one point in time
// (libs/steering: the checks pilotagectl and the query service share).
using LotState = steering::LotState;

// Reads `common.lot` from the store under `common.data_dir`, without its
// journeys (state.lot.facts.journeys is empty: what a statement counts is
// read from the KPI cells of the same view, readmodel::LotSteering::cells).
// kNotFound when the store is missing, or (when `require_award`) when the
// lot has no LotAwarded: "--lot: lot inconnu".
[[nodiscard]] absl::StatusOr<LotState> LoadLot(const SteeringCommon& common, bool require_award);
// The same from the snapshot `view` already open (e.g. the one
// readmodel::OpenTrusted checked): what is decided is what was checked.
[[nodiscard]] absl::StatusOr<LotState> LoadLot(const SteeringCommon& common,
                                               const readmodel::ReadStore& view,
                                               bool require_award);

// Every penalty of the lot with its procedure; `incomplete` (may be null)
// receives the ids of records holding steps without their proposal.
[[nodiscard]] absl::StatusOr<std::vector<domain::PenaltyProcedure>> Procedures(
    const LotState& state, std::vector<std::string>* incomplete);

// The `--on` day: today in Europe/Paris when empty; kInvalidArgument for a
// bad day or one in the future.
[[nodiscard]] absl::StatusOr<absl::CivilDay> OnDay(const SteeringCommon& common);

// A day given by `flag`: kInvalidArgument naming the flag when it is not
// "YYYY-MM-DD", or (when `not_after`) later than *not_after.
[[nodiscard]] absl::StatusOr<absl::CivilDay> DayFlag(std::string_view flag, const std::string& text,
                                                     const absl::CivilDay* not_after = nullptr);

// A period given by `flag` ("CYn" relative to the lot's start).
[[nodiscard]] absl::StatusOr<domain::Period> PeriodFlag(std::string_view flag,
                                                        const std::string& text,
                                                        const LotState& state);

// kInvalidArgument "<flag>: missing" when `value` is empty.
[[nodiscard]] absl::Status Required(std::string_view flag, const std::string& value);

// Who a steering decision is recorded under (decision 0032): the Kafka
// principal this command authenticates as (`sasl.username` of
// --kafka-config), never a free text. `by` (--by) may repeat the principal;
// any other --by is kInvalidArgument. Without SASL (the demo's PLAINTEXT
// broker) nobody is authenticated: --by is recorded as given, and must be
// given when `required` (decisions on penalties, statements).
[[nodiscard]] absl::StatusOr<std::string> Author(const std::string& by, bool required);

// An event of the lot, with `event_id`, operator "france-competences" and
// occurred_at on `on` (now when `on` is today, noon in Paris otherwise).
[[nodiscard]] absl::StatusOr<v1::Event> NewEvent(const SteeringCommon& common, std::string event_id,
                                                 absl::CivilDay on);

// Checks `event` (readmodel::CheckSteeringEvent for steering bodies), then
// sends it with acks=all, or prints it as JSON with dry_run. `what` says in
// French what was recorded ("confirmation de la pénalité PEN-…").
[[nodiscard]] absl::Status Emit(const EmitOptions& options, const v1::Event& event,
                                std::string_view what, std::ostream& out);

}  // namespace pilotage::pilotagectl
