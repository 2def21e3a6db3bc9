#include "fees.h"

namespace pilotage::penalty_job {

FeesFunction PeriodFeesFunction() { return {}; }

}  // namespace pilotage::penalty_job
