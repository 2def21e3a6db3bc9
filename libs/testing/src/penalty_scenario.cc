#include "pilotage/testing/penalty_scenario.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

namespace pilotage::testing {

pilotage::v1::ContractTerms FirstAppointmentTerms(int64_t per_point_cents) {
  pilotage::v1::ContractTerms terms;
  constexpr char kText[] = R"pb(
    version: "2024.1"
    effective_from: "2024-01-02"
    kpis {
      id: "first_appointment_delay"
      label: "Premier rendez-vous sous 10 jours ouvrés"
      formula: FIRST_APPOINTMENT_WITHIN_DELAY
      direction: AT_LEAST
      target: 0.80
      min_sample: 4
      delay_working_days: 10
      corrective_action_due_days: 30
    }
    penalty_rules {
      id: "first_appointment_shortfall"
      label: "Délai de premier rendez-vous non tenu"
      trigger: KPI_SHORTFALL
      kpi_id: "first_appointment_delay"
    }
    penalty_limits { cap_share_of_annual_bp: 1000 threshold_cents: 100000 }
    delays { closing_grace_days: 15 observation_days: 15 }
  )pb";
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kText, &terms));
  terms.mutable_penalty_rules(0)->set_amount_per_point_cents(per_point_cents);
  return terms;
}

}  // namespace pilotage::testing
