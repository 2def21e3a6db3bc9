#pragma once
// What several answers of the query API read first: the period parameter,
// the lots a principal may read, a lot's period, the quarters offered, and
// a lot's steering inputs, from one Generation of the store view. Errors
// follow api_common.h's StatusToHttp (messages name the parameter or the
// lot). Thread-safety: that of the Generation (its reads are).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "api_common.h"
#include "pilotage/access/access.h"
#include "pilotage/domain/period.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/reports.h"
#include "pilotage/readmodel/steering.h"
#include "store_view.h"

namespace pilotage::query {

// The `period` parameter, checked before any lot is read (kInvalidArgument
// when missing or malformed): "CYn" (a contract year) needs each lot's
// award and is checked per lot (LotPeriod).
absl::StatusOr<std::string> PeriodParam(const Params& params);

// OK when `who` may read `lot` (else kPermissionDenied) and the store has
// it (else kNotFound).
absl::Status CheckLot(Generation& view, const access::Principal& who, const std::string& lot);

// The lots of the store `who` may read, sorted.
absl::StatusOr<std::vector<std::string>> ReadableLots(Generation& view,
                                                      const access::Principal& who);

// `text` (PeriodParam's) as a period of the lot whose facts are `facts`:
// kInvalidArgument when malformed, kFailedPrecondition when the lot cannot
// have it (e.g. a contract year without award); messages start "period: ".
absl::StatusOr<domain::Period> LotPeriod(const std::string& text, const domain::LotFacts& facts);

// The quarters of `lots` as they stand on `today` (readmodel::QuartersOfSpans,
// each lot's span from its KPI cells).
absl::StatusOr<readmodel::QuarterCalendar> Quarters(Generation& view,
                                                    const std::vector<std::string>& lots,
                                                    absl::CivilDay today);

// The quarter pages open on: the last closed quarter with activity
// (readmodel::QuarterCalendar::landing), if any, on `clock`'s day.
absl::StatusOr<std::optional<domain::Period>> DefaultPeriod(Generation& view,
                                                            const std::vector<std::string>& lots,
                                                            const Clock& clock);

// What steering reports need of a lot, read from one view and kept alive;
// statements and fund usage count from the view's KPI cells (`cells`).
struct SteeringInputs {
  std::shared_ptr<const readmodel::LotReadModel> lot;
  std::shared_ptr<const readmodel::SteeringReadModel> steering;
  domain::TermsHistory history;
  const store::Store* cells = nullptr;
  readmodel::LotSteering View(const std::string& lot_id) const {
    return {.lot_id = lot_id,
            .lot = lot.get(),
            .steering = steering.get(),
            .history = &history,
            .cells = cells};
  }
};

// A lot's steering inputs (no access check: see CheckLot).
absl::StatusOr<SteeringInputs> ReadSteeringInputs(Generation& view, const std::string& lot_id);

}  // namespace pilotage::query
