// Events as an operator posts them (include/pilotage/testing/posted_event.h).
#include "pilotage/testing/posted_event.h"

namespace pilotage::testing {

nlohmann::json PostedRequest(const std::string& event_id, const std::string& lot_id,
                             const std::string& beneficiary, const std::string& departement) {
  return {{"event_id", event_id},
          {"lot_id", lot_id},
          {"occurred_at", "2024-05-31T09:15:00+02:00"},
          {"request_received",
           {{"beneficiary", beneficiary},
            {"channel", "PHONE"},
            {"profile",
             {{"age_band", "AGE_26_44"},
              {"sex", "FEMALE"},
              {"qualification", "BAC"},
              {"status", "EMPLOYEE"},
              {"company_size", "FROM_11_TO_49"},
              {"departement", departement}}}}}};
}

}  // namespace pilotage::testing
