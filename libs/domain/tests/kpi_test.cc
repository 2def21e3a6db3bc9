#include "pilotage/domain/kpi.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "pilotage/domain/period.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

v1::KpiDefinition Kpi(const std::string& text) {
  v1::KpiDefinition kpi;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &kpi)) << text;
  return kpi;
}

Period P(std::string_view text) { return *Period::Parse(text); }

const v1::KpiDefinition kFirstAppointment = Kpi(R"pb(
  id: "first_appointment_delay"
  label: "Premier rendez-vous sous 10 jours ouvrés"
  formula: FIRST_APPOINTMENT_WITHIN_DELAY
  direction: AT_LEAST
  target: 0.80
  lot_targets { lot_id: "LOT-94" target: 0.70 }
  at_risk_margin: 0.05
  min_sample: 30
  delay_working_days: 10
)pb");

const v1::KpiDefinition kFirstAppointmentNoMargin = Kpi(R"pb(
  id: "first_appointment_delay"
  formula: FIRST_APPOINTMENT_WITHIN_DELAY
  direction: AT_LEAST
  target: 0.80
  delay_working_days: 10
)pb");

// A hypothetical ceiling: at most 30 % of appointments by phone or video.
const v1::KpiDefinition kRemoteCeiling = Kpi(R"pb(
  id: "remote_ceiling"
  formula: REMOTE_SHARE
  direction: AT_MOST
  target: 0.30
  at_risk_margin: 0.05
  min_sample: 10
)pb");

const v1::KpiDefinition kRemoteCeilingNoMargin =
    Kpi(R"pb(
      id: "remote_ceiling" formula: REMOTE_SHARE direction: AT_MOST target: 0.30
    )pb");

const v1::KpiDefinition kRemoteShareInformational = Kpi(R"pb(
  id: "remote_share"
  label: "Part des rendez-vous à distance"
  formula: REMOTE_SHARE
  informational: true
  min_sample: 30
)pb");

const v1::KpiDefinition kNewBeneficiaries = Kpi(R"pb(
  id: "new_beneficiaries"
  label: "Nouveaux bénéficiaires"
  formula: NEW_BENEFICIARIES
  direction: AT_LEAST
  target: 13500
  lot_targets { lot_id: "LOT-11" target: 25000 }
  at_risk_margin: 500
  min_sample: 30
)pb");

TEST(EvaluateKpi, GivesTheStatusOfEachCase) {
  struct Case {
    std::string name;
    const v1::KpiDefinition* kpi;
    std::string lot;
    std::string period;
    int64_t numerator;
    int64_t denominator;
    KpiStatus status;
    double value;
    double target;
  };
  const std::vector<Case> cases = {
      // AT_LEAST share, target 0.80, margin 0.05, min_sample 30.
      {"well above", &kFirstAppointment, "LOT-84", "2024-03", 90, 100, KpiStatus::kMet, 0.90, 0.80},
      {"exactly target + margin is met", &kFirstAppointment, "LOT-84", "2024-03", 85, 100,
       KpiStatus::kMet, 0.85, 0.80},
      {"just under target + margin", &kFirstAppointment, "LOT-84", "2024-03", 84, 100,
       KpiStatus::kAtRisk, 0.84, 0.80},
      {"exactly at target is at risk", &kFirstAppointment, "LOT-84", "2024-03", 40, 50,
       KpiStatus::kAtRisk, 0.80, 0.80},
      {"below target", &kFirstAppointment, "LOT-84", "2024-03", 39, 50, KpiStatus::kBreached, 0.78,
       0.80},
      {"none on time", &kFirstAppointment, "LOT-84", "2024-03", 0, 30, KpiStatus::kBreached, 0.0,
       0.80},
      {"sample of exactly min_sample", &kFirstAppointment, "LOT-84", "2024-03", 30, 30,
       KpiStatus::kMet, 1.0, 0.80},
      {"sample below min_sample", &kFirstAppointment, "LOT-84", "2024-03", 29, 29,
       KpiStatus::kNotEnoughData, 1.0, 0.80},
      {"small sample", &kFirstAppointment, "LOT-84", "2024-03", 17, 20, KpiStatus::kNotEnoughData,
       0.85, 0.80},
      // LOT-94's own target 0.70: at risk from 0.70 up to 0.75.
      {"lot target override, at risk", &kFirstAppointment, "LOT-94", "2024-03", 36, 50,
       KpiStatus::kAtRisk, 0.72, 0.70},
      {"lot target override, met", &kFirstAppointment, "LOT-94", "2024-03", 39, 50, KpiStatus::kMet,
       0.78, 0.70},
      {"lot target override, breached", &kFirstAppointment, "LOT-94", "2024-03", 34, 50,
       KpiStatus::kBreached, 0.68, 0.70},
      // AT_LEAST share without margin: at target is met.
      {"at target without margin", &kFirstAppointmentNoMargin, "LOT-84", "2024-03", 40, 50,
       KpiStatus::kMet, 0.80, 0.80},
      {"empty sample, no minimum", &kFirstAppointmentNoMargin, "LOT-84", "2024-03", 0, 0,
       KpiStatus::kNotEnoughData, 0.0, 0.80},
      // AT_MOST share, target 0.30, margin 0.05, min_sample 10.
      {"well below ceiling", &kRemoteCeiling, "LOT-84", "2024-03", 10, 100, KpiStatus::kMet, 0.10,
       0.30},
      {"exactly ceiling - margin is met", &kRemoteCeiling, "LOT-84", "2024-03", 25, 100,
       KpiStatus::kMet, 0.25, 0.30},
      {"just above ceiling - margin", &kRemoteCeiling, "LOT-84", "2024-03", 27, 100,
       KpiStatus::kAtRisk, 0.27, 0.30},
      {"exactly at ceiling is at risk", &kRemoteCeiling, "LOT-84", "2024-03", 30, 100,
       KpiStatus::kAtRisk, 0.30, 0.30},
      {"above ceiling", &kRemoteCeiling, "LOT-84", "2024-03", 31, 100, KpiStatus::kBreached, 0.31,
       0.30},
      {"ceiling, sample below min_sample", &kRemoteCeiling, "LOT-84", "2024-03", 9, 9,
       KpiStatus::kNotEnoughData, 1.0, 0.30},
      {"at ceiling without margin", &kRemoteCeilingNoMargin, "LOT-84", "2024-03", 30, 100,
       KpiStatus::kMet, 0.30, 0.30},
      // Informational whatever the sample.
      {"informational", &kRemoteShareInformational, "LOT-84", "2024-03", 5, 5,
       KpiStatus::kInformational, 1.0, 0.0},
      {"informational, no data", &kRemoteShareInformational, "LOT-84", "2024-03", 0, 0,
       KpiStatus::kInformational, 0.0, 0.0},
      // NEW_BENEFICIARIES, 13500 a year (margin 500), 25000 for LOT-11.
      // January 2024: 31/366 of the year -> target 1143.44, at risk below 1185.79.
      {"count below pro-rated target", &kNewBeneficiaries, "LOT-84", "2024-01", 1143, 0,
       KpiStatus::kBreached, 1143, 13500.0 * 31 / 366},
      {"count just over pro-rated target", &kNewBeneficiaries, "LOT-84", "2024-01", 1144, 0,
       KpiStatus::kAtRisk, 1144, 13500.0 * 31 / 366},
      {"count within pro-rated margin", &kNewBeneficiaries, "LOT-84", "2024-01", 1185, 0,
       KpiStatus::kAtRisk, 1185, 13500.0 * 31 / 366},
      {"count over pro-rated margin", &kNewBeneficiaries, "LOT-84", "2024-01", 1186, 0,
       KpiStatus::kMet, 1186, 13500.0 * 31 / 366},
      // Q1 2024 for LOT-11: 91/366 of 25000 = 6215.85, margin 124.32.
      {"lot count target, quarter", &kNewBeneficiaries, "LOT-11", "2024-Q1", 6215, 0,
       KpiStatus::kBreached, 6215, 25000.0 * 91 / 366},
      {"lot count target, quarter, at risk", &kNewBeneficiaries, "LOT-11", "2024-Q1", 6216, 0,
       KpiStatus::kAtRisk, 6216, 25000.0 * 91 / 366},
      {"lot count target, quarter, met", &kNewBeneficiaries, "LOT-11", "2024-Q1", 6341, 0,
       KpiStatus::kMet, 6341, 25000.0 * 91 / 366},
      {"count over a year, exactly target", &kNewBeneficiaries, "LOT-84", "2024", 13500, 0,
       KpiStatus::kAtRisk, 13500, 13500},
      {"count over a year, exactly target + margin", &kNewBeneficiaries, "LOT-84", "2024", 14000, 0,
       KpiStatus::kMet, 14000, 13500},
      {"count over a contract year", &kNewBeneficiaries, "LOT-84", "CY1@2024-01-02", 13499, 0,
       KpiStatus::kBreached, 13499, 13500},
      {"count has no minimum sample", &kNewBeneficiaries, "LOT-84", "2024-01", 0, 0,
       KpiStatus::kBreached, 0, 13500.0 * 31 / 366},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " (" + c.kpi->id() + ", " + c.lot + ", " + c.period + ", " +
                 std::to_string(c.numerator) + "/" + std::to_string(c.denominator) + ")");
    absl::StatusOr<KpiResult> result = EvaluateKpi(
        *c.kpi, c.lot, P(c.period), {.numerator = c.numerator, .denominator = c.denominator});
    ASSERT_OK(result);
    EXPECT_EQ(KpiStatusName(result->status), KpiStatusName(c.status));
    EXPECT_DOUBLE_EQ(result->value, c.value);
    EXPECT_DOUBLE_EQ(result->target, c.target);
  }
}

TEST(EvaluateKpi, ShowsEveryInput) {
  absl::StatusOr<KpiResult> result =
      EvaluateKpi(kNewBeneficiaries, "LOT-11", P("2024-02"), {.numerator = 2021});
  ASSERT_OK(result);
  EXPECT_EQ(result->kpi_id, "new_beneficiaries");
  EXPECT_EQ(result->label, "Nouveaux bénéficiaires");
  EXPECT_EQ(result->formula, v1::KpiFormula::NEW_BENEFICIARIES);
  EXPECT_EQ(result->direction, v1::Direction::AT_LEAST);
  EXPECT_EQ(result->numerator, 2021);
  EXPECT_EQ(result->sample, 2021);
  EXPECT_DOUBLE_EQ(result->target, 25000.0 * 29 / 366);
  EXPECT_DOUBLE_EQ(result->at_risk_margin, 500.0 * 29 / 366);
  EXPECT_FALSE(result->informational);
  EXPECT_EQ(result->status, KpiStatus::kMet);  // 2021 >= 1980.87 + 39.62 = 2020.49

  result = EvaluateKpi(kRemoteShareInformational, "LOT-11", P("2024-02"),
                       {.numerator = 12, .denominator = 40});
  ASSERT_OK(result);
  EXPECT_TRUE(result->informational);
  EXPECT_EQ(result->numerator, 12);
  EXPECT_EQ(result->sample, 40);
  EXPECT_DOUBLE_EQ(result->value, 0.3);
}

TEST(EvaluateKpi, RefusesImpossibleObservations) {
  struct Case {
    std::string name;
    const v1::KpiDefinition* kpi;
    int64_t numerator;
    int64_t denominator;
  };
  const std::vector<Case> cases = {
      {"more on time than measured", &kFirstAppointment, 31, 30},
      {"negative numerator", &kFirstAppointment, -1, 30},
      {"negative denominator", &kFirstAppointment, 0, -1},
      {"negative count", &kNewBeneficiaries, -5, 0},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KpiResult> result = EvaluateKpi(
        *c.kpi, "LOT-84", P("2024-03"), {.numerator = c.numerator, .denominator = c.denominator});
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
  }
}

TEST(EvaluateKpi, RefusesAKpiWithoutFormulaOrDirection) {
  v1::KpiDefinition no_formula = kFirstAppointment;
  no_formula.clear_formula();
  EXPECT_EQ(EvaluateKpi(no_formula, "LOT-84", P("2024-03"), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::KpiDefinition no_direction = kFirstAppointment;
  no_direction.clear_direction();
  EXPECT_EQ(EvaluateKpi(no_direction, "LOT-84", P("2024-03"), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KpiStatus, HasNamesForScreensAndForPilots) {
  EXPECT_EQ(KpiStatusName(KpiStatus::kAtRisk), "AT_RISK");
  EXPECT_EQ(KpiStatusFrenchLabel(KpiStatus::kAtRisk), "à risque");
  EXPECT_EQ(KpiStatusName(KpiStatus::kNotEnoughData), "NOT_ENOUGH_DATA");
  EXPECT_EQ(KpiStatusFrenchLabel(KpiStatus::kBreached), "non atteint");
}

}  // namespace
}  // namespace pilotage::domain
