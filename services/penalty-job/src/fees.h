#pragma once
// Where the job gets a period's appointment fees: the statement computation
// of libs/domain once it exists there.

#include "pilotage/penalty_job/plan.h"

namespace pilotage::penalty_job {

// Empty when the fees cannot be computed yet (the proposals then say so).
FeesFunction PeriodFeesFunction();

}  // namespace pilotage::penalty_job
