#include "pilotage/testing/penalty_scenario.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "absl/time/time.h"

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

namespace {

pilotage::v1::Event At(const std::string& lot, const std::string& id, absl::CivilDay day) {
  pilotage::v1::Event e;
  e.set_event_id(id);
  e.set_lot_id(lot);
  e.set_operator_id("op-" + lot);
  const int64_t noon = absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())) + 12 * 3600;
  e.mutable_occurred_at()->set_seconds(noon);
  e.mutable_recorded_at()->set_seconds(noon);
  return e;
}

}  // namespace

pilotage::v1::Event AwardOf(const std::string& lot) {
  pilotage::v1::Event award = At(lot, "award-" + lot, absl::CivilDay(2023, 11, 14));
  award.set_operator_id("france-competences");
  award.mutable_occurred_at()->set_seconds(1700000000);  // 2023-11-14T22:13:20Z
  award.mutable_recorded_at()->set_seconds(1700000000);
  auto* a = award.mutable_lot_awarded();
  a->set_region("Île-de-France");
  a->set_start_date("2024-01-02");
  a->set_end_date("2028-01-01");
  a->add_departements("75");
  auto* budget = a->add_budget();
  budget->set_contract_year(1);
  budget->set_amount_cents(100000000);
  return award;
}

std::vector<pilotage::v1::Event> RequestAndFirstAppointment(const std::string& lot,
                                                            const std::string& who,
                                                            absl::CivilDay requested,
                                                            absl::CivilDay held) {
  pilotage::v1::Event request = At(lot, "req-" + who, requested);
  request.mutable_request_received()->set_beneficiary(who);
  request.mutable_request_received()->set_channel(pilotage::v1::Channel::PHONE);
  pilotage::v1::Event seen = At(lot, "app-" + who, held);
  auto* a = seen.mutable_appointment_held();
  a->set_beneficiary(who);
  a->set_appointment_id("rdv-" + who);
  a->set_level(pilotage::v1::Level::LEVEL_1_WELCOME);
  a->set_modality(pilotage::v1::Modality::IN_PERSON);
  a->set_kind(pilotage::v1::SupportKind::ONE_OFF);
  a->set_departement("75");
  return {request, seen};
}

}  // namespace pilotage::testing
