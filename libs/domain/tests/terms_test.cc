#include "pilotage/domain/terms.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/period.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;
using absl::CivilDay;

const std::string kTermsDir = PILOTAGE_TERMS_DIR;

// Small but complete terms, valid as they are; each validation case breaks
// one thing.
constexpr char kValidTerms[] = R"pb(
  version: "2024.1"
  effective_from: "2024-01-02"
  kpis {
    id: "new_beneficiaries"
    label: "Nouveaux bénéficiaires"
    formula: NEW_BENEFICIARIES
    direction: AT_LEAST
    target: 13500
    lot_targets { lot_id: "LOT-11" target: 25000 }
  }
  kpis {
    id: "first_appointment_delay"
    label: "Premier rendez-vous sous 10 jours ouvrés"
    formula: FIRST_APPOINTMENT_WITHIN_DELAY
    direction: AT_LEAST
    target: 0.8
    lot_targets { lot_id: "LOT-11" target: 0.75 }
    at_risk_margin: 0.05
    min_sample: 30
    delay_working_days: 10
  }
  kpis {
    id: "end_of_service_satisfaction"
    label: "Satisfaction en fin de service"
    formula: END_OF_SERVICE_SATISFACTION
    direction: AT_LEAST
    target: 0.85
    min_score: 7
  }
  kpis {
    id: "priority_publics"
    label: "Publics prioritaires"
    formula: PRIORITY_PUBLICS_SHARE
    direction: AT_LEAST
    target: 0.4
    priority_publics { qualification_in: [ NONE, CAP_BEP ] }
  }
  kpis {
    id: "reporting_timeliness"
    label: "Activité saisie sous 5 jours"
    formula: REPORTING_TIMELINESS
    direction: AT_LEAST
    target: 0.95
    reporting_delay_days: 5
  }
  kpis {
    id: "referral_cpf"
    label: "Orientations vers le CPF"
    formula: REFERRAL_SHARE
    referral: CPF
    informational: true
  }
  kpis { id: "remote_share" label: "Part à distance" formula: REMOTE_SHARE informational: true }
  unit_prices { level: LEVEL_1_WELCOME modality: IN_PERSON amount_cents: 8000 }
  unit_prices { level: LEVEL_2_SUPPORT amount_cents: 20000 }
  bonus_rules {
    id: "satisfaction_bonus"
    kpi_id: "end_of_service_satisfaction"
    threshold: 0.9
    share_of_fees_bp: 200
  }
  penalty_rules {
    id: "first_appointment_shortfall"
    trigger: KPI_SHORTFALL
    kpi_id: "first_appointment_delay"
    amount_per_point_cents: 50000
  }
  penalty_rules {
    id: "corrective_action_overdue"
    trigger: CORRECTIVE_ACTION_OVERDUE
    late_base_value_cents: 500000
  }
  penalty_rules {
    id: "late_reporting"
    trigger: LATE_REPORTING
    kpi_id: "reporting_timeliness"
    amount_per_point_cents: 20000
  }
  penalty_limits { cap_share_of_annual_bp: 1000 threshold_cents: 100000 }
  delays { closing_grace_days: 15 observation_days: 15 }
)pb";

v1::ContractTerms ValidTerms() {
  v1::ContractTerms terms;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kValidTerms, &terms));
  return terms;
}

v1::ContractTerms LoadOrDie(const std::string& file) {
  absl::StatusOr<v1::ContractTerms> terms = LoadTermsFile(kTermsDir + "/" + file);
  EXPECT_OK(terms);
  return terms.ok() ? *terms : v1::ContractTerms();
}

v1::ContractTerms WithVersion(v1::ContractTerms terms, std::string version,
                              std::string effective_from, std::vector<std::string> lots = {}) {
  terms.set_version(std::move(version));
  terms.set_effective_from(std::move(effective_from));
  terms.clear_lot_ids();
  for (std::string& lot : lots) terms.add_lot_ids(std::move(lot));
  return terms;
}

TEST(ExampleTerms, ParseAndValidate) {
  for (const char* file : {"cep-2024-example.textproto", "cep-2024-amendment-example.textproto"}) {
    SCOPED_TRACE(file);
    const v1::ContractTerms terms = LoadOrDie(file);
    absl::Status valid = ValidateTerms(terms);
    EXPECT_OK(valid);
    EXPECT_EQ(terms.kpis_size(), 13);
    EXPECT_EQ(terms.penalty_limits().cap_share_of_annual_bp(), 1000);
    EXPECT_EQ(terms.penalty_limits().threshold_cents(), 100000);
    EXPECT_EQ(terms.delays().closing_grace_days(), 15);
    EXPECT_EQ(terms.delays().observation_days(), 15);
  }
  const v1::ContractTerms initial = LoadOrDie("cep-2024-example.textproto");
  EXPECT_EQ(initial.version(), "2024.1");
  EXPECT_EQ(initial.effective_from(), "2024-01-02");
  EXPECT_EQ(TargetFor(initial.kpis(0), "LOT-11"), 25000);
  EXPECT_EQ(TargetFor(initial.kpis(0), "LOT-27"), 13500);
}

TEST(ExampleTerms, AmendmentChangesOnlyTheFirstAppointmentTarget) {
  const v1::ContractTerms initial = LoadOrDie("cep-2024-example.textproto");
  v1::ContractTerms amendment = LoadOrDie("cep-2024-amendment-example.textproto");
  EXPECT_EQ(amendment.version(), "2024.2");
  EXPECT_EQ(amendment.effective_from(), "2024-07-01");
  ASSERT_EQ(amendment.kpis(1).id(), "first_appointment_delay");
  EXPECT_EQ(initial.kpis(1).target(), 0.80);
  EXPECT_EQ(amendment.kpis(1).target(), 0.85);

  amendment.set_version(initial.version());
  amendment.set_effective_from(initial.effective_from());
  amendment.set_description(initial.description());
  amendment.mutable_kpis(1)->set_target(initial.kpis(1).target());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(initial, amendment));
}

TEST(ParseTermsText, SaysLineAndColumnOfAnError) {
  absl::StatusOr<v1::ContractTerms> terms = ParseTermsText(
      "version: \"2024.1\"\n"
      "kpis {\n"
      "  id: \"a\"\n"
      "  target: \"high\"\n"
      "}\n",
      "bad.textproto");
  ASSERT_EQ(terms.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message = terms.status().ToString();
  EXPECT_NE(message.find("bad.textproto: line 4, column 11:"), std::string::npos) << message;
}

TEST(ParseTermsText, RefusesUnknownFields) {
  absl::StatusOr<v1::ContractTerms> terms = ParseTermsText("versoin: \"2024.1\"\n");
  ASSERT_EQ(terms.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message = terms.status().ToString();
  // Protobuf points just after the unknown name, at the ':'.
  EXPECT_NE(message.find("line 1, column 8:"), std::string::npos) << message;
  EXPECT_NE(message.find("versoin"), std::string::npos) << message;
}

TEST(LoadTermsFile, NamesAMissingFile) {
  const std::string path = kTermsDir + "/no-such-terms.textproto";
  absl::StatusOr<v1::ContractTerms> terms = LoadTermsFile(path);
  ASSERT_EQ(terms.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(terms.status().ToString().find(path), std::string::npos) << terms.status().ToString();
}

TEST(ValidateTerms, AcceptsTheTestBase) {
  absl::Status valid = ValidateTerms(ValidTerms());
  EXPECT_OK(valid);
}

TEST(ValidateTerms, RefusesEachBrokenRuleNamingTheField) {
  struct Case {
    std::string name;
    std::function<void(v1::ContractTerms&)> mutate;
    std::string expected;  // a substring of the message
  };
  const std::vector<Case> cases = {
      {"empty version", [](auto& t) { t.clear_version(); }, "version: must not be empty"},
      {"bad effective_from", [](auto& t) { t.set_effective_from("2024-13-01"); },
       "effective_from: '2024-13-01' is not a date YYYY-MM-DD"},
      {"missing effective_from", [](auto& t) { t.clear_effective_from(); },
       "effective_from: '' is not a date"},
      {"duplicate lot",
       [](auto& t) {
         t.add_lot_ids("LOT-11");
         t.add_lot_ids("LOT-11");
       },
       "lot_ids[1]: 'LOT-11' is listed twice"},
      {"empty KPI id", [](auto& t) { t.mutable_kpis(0)->clear_id(); },
       "kpis[0].id: must not be empty"},
      {"duplicate KPI id", [](auto& t) { t.mutable_kpis(2)->set_id("first_appointment_delay"); },
       "kpis[2].id: 'first_appointment_delay' is already the id of kpis[1]"},
      {"empty label", [](auto& t) { t.mutable_kpis(3)->clear_label(); },
       "kpis[3].label: must not be empty"},
      {"no formula", [](auto& t) { t.mutable_kpis(2)->clear_formula(); },
       "kpis[2].formula: must be set"},
      {"no direction", [](auto& t) { t.mutable_kpis(1)->clear_direction(); },
       "kpis[1].direction: must be AT_LEAST or AT_MOST"},
      {"share target above 1", [](auto& t) { t.mutable_kpis(2)->set_target(1.3); },
       "kpis[2].target: 1.3 is outside [0, 1] for a share"},
      {"negative share target", [](auto& t) { t.mutable_kpis(2)->set_target(-0.1); },
       "kpis[2].target: -0.1 is outside [0, 1] for a share"},
      {"negative count target", [](auto& t) { t.mutable_kpis(0)->set_target(-1); },
       "kpis[0].target: -1 is not a count >= 0"},
      {"lot target above 1",
       [](auto& t) { t.mutable_kpis(1)->mutable_lot_targets(0)->set_target(1.5); },
       "kpis[1].lot_targets[0].target: 1.5 is outside [0, 1] for a share"},
      {"lot target without lot",
       [](auto& t) { t.mutable_kpis(1)->mutable_lot_targets(0)->clear_lot_id(); },
       "kpis[1].lot_targets[0].lot_id: must not be empty"},
      {"negative margin", [](auto& t) { t.mutable_kpis(1)->set_at_risk_margin(-0.01); },
       "kpis[1].at_risk_margin: -0.01 must be >= 0"},
      {"negative min_sample", [](auto& t) { t.mutable_kpis(1)->set_min_sample(-1); },
       "kpis[1].min_sample: -1 is negative"},
      {"no delay", [](auto& t) { t.mutable_kpis(1)->set_delay_working_days(0); },
       "kpis[1].delay_working_days: 0 must be > 0"},
      {"score 0", [](auto& t) { t.mutable_kpis(2)->set_min_score(0); },
       "kpis[2].min_score: 0 is outside 1..10"},
      {"score 11", [](auto& t) { t.mutable_kpis(2)->set_min_score(11); },
       "kpis[2].min_score: 11 is outside 1..10"},
      {"no reporting delay", [](auto& t) { t.mutable_kpis(4)->set_reporting_delay_days(0); },
       "kpis[4].reporting_delay_days: 0 must be > 0"},
      {"no priority publics", [](auto& t) { t.mutable_kpis(3)->clear_priority_publics(); },
       "kpis[3].priority_publics: must list at least one predicate"},
      {"predicate matching everyone",
       [](auto& t) { t.mutable_kpis(3)->mutable_priority_publics(0)->clear_qualification_in(); },
       "kpis[3].priority_publics[0]: matches every beneficiary"},
      {"UNSPECIFIED band",
       [](auto& t) {
         t.mutable_kpis(3)->mutable_priority_publics(0)->add_age_band_in(v1::AgeBand::UNSPECIFIED);
       },
       "kpis[3].priority_publics[0].age_band_in[0]: 0 is not a band"},
      {"no referral", [](auto& t) { t.mutable_kpis(5)->clear_referral(); },
       "kpis[5].referral: must name the referral"},
      {"negative due days", [](auto& t) { t.mutable_kpis(1)->set_corrective_action_due_days(-3); },
       "kpis[1].corrective_action_due_days: -3 is negative"},
      {"negative price", [](auto& t) { t.mutable_unit_prices(0)->set_amount_cents(-1); },
       "unit_prices[0].amount_cents: -1 is negative"},
      {"price without level", [](auto& t) { t.mutable_unit_prices(1)->clear_level(); },
       "unit_prices[1].level: must be LEVEL_1_WELCOME or LEVEL_2_SUPPORT"},
      {"duplicate price", [](auto& t) { *t.add_unit_prices() = t.unit_prices(0); },
       "unit_prices[2]: same (level, modality, kind) as unit_prices[0]: (LEVEL_1_WELCOME, "
       "IN_PERSON, UNSPECIFIED)"},
      {"bonus on unknown KPI", [](auto& t) { t.mutable_bonus_rules(0)->set_kpi_id("nope"); },
       "bonus_rules[0].kpi_id: 'nope' names no KPI"},
      {"bonus on informational KPI",
       [](auto& t) { t.mutable_bonus_rules(0)->set_kpi_id("remote_share"); },
       "bonus_rules[0].kpi_id: 'remote_share' is informational"},
      {"bonus without KPI", [](auto& t) { t.mutable_bonus_rules(0)->clear_kpi_id(); },
       "bonus_rules[0].kpi_id: must name a KPI"},
      {"bonus threshold above 1", [](auto& t) { t.mutable_bonus_rules(0)->set_threshold(1.2); },
       "bonus_rules[0].threshold: 1.2 is outside [0, 1] for a share"},
      {"negative bonus share", [](auto& t) { t.mutable_bonus_rules(0)->set_share_of_fees_bp(-1); },
       "bonus_rules[0].share_of_fees_bp: -1 is outside [0, 10000]"},
      {"negative bonus amount",
       [](auto& t) { t.mutable_bonus_rules(0)->set_fixed_amount_cents(-100); },
       "bonus_rules[0].fixed_amount_cents: -100 is negative"},
      {"bonus paying nothing", [](auto& t) { t.mutable_bonus_rules(0)->clear_share_of_fees_bp(); },
       "bonus_rules[0]: pays nothing"},
      {"duplicate penalty id",
       [](auto& t) { t.mutable_penalty_rules(2)->set_id("first_appointment_shortfall"); },
       "penalty_rules[2].id: 'first_appointment_shortfall' is already the id of penalty_rules[0]"},
      {"penalty without trigger", [](auto& t) { t.mutable_penalty_rules(0)->clear_trigger(); },
       "penalty_rules[0].trigger: must be"},
      {"shortfall without KPI", [](auto& t) { t.mutable_penalty_rules(0)->clear_kpi_id(); },
       "penalty_rules[0].kpi_id: must name a KPI"},
      {"shortfall on informational KPI",
       [](auto& t) { t.mutable_penalty_rules(0)->set_kpi_id("referral_cpf"); },
       "penalty_rules[0].kpi_id: 'referral_cpf' is informational"},
      {"negative amount per point",
       [](auto& t) { t.mutable_penalty_rules(0)->set_amount_per_point_cents(-50000); },
       "penalty_rules[0].amount_per_point_cents: -50000 is negative"},
      {"penalty share above 100 %",
       [](auto& t) { t.mutable_penalty_rules(0)->set_share_of_fees_bp(10001); },
       "penalty_rules[0].share_of_fees_bp: 10001 is outside [0, 10000]"},
      {"shortfall pricing nothing",
       [](auto& t) { t.mutable_penalty_rules(0)->clear_amount_per_point_cents(); },
       "penalty_rules[0]: prices nothing"},
      {"late reporting on another KPI",
       [](auto& t) { t.mutable_penalty_rules(2)->set_kpi_id("first_appointment_delay"); },
       "penalty_rules[2].kpi_id: 'first_appointment_delay' is not a REPORTING_TIMELINESS KPI"},
      {"overdue action without V",
       [](auto& t) { t.mutable_penalty_rules(1)->clear_late_base_value_cents(); },
       "penalty_rules[1].late_base_value_cents: must be > 0"},
      {"overdue action on unknown KPI",
       [](auto& t) { t.mutable_penalty_rules(1)->set_kpi_id("nope"); },
       "penalty_rules[1].kpi_id: 'nope' names no KPI"},
      {"cap above 100 %",
       [](auto& t) { t.mutable_penalty_limits()->set_cap_share_of_annual_bp(12000); },
       "penalty_limits.cap_share_of_annual_bp: 12000 is outside [0, 10000]"},
      {"negative cap", [](auto& t) { t.mutable_penalty_limits()->set_cap_share_of_annual_bp(-1); },
       "penalty_limits.cap_share_of_annual_bp: -1 is outside [0, 10000]"},
      {"negative threshold", [](auto& t) { t.mutable_penalty_limits()->set_threshold_cents(-1); },
       "penalty_limits.threshold_cents: -1 is negative"},
      {"negative grace", [](auto& t) { t.mutable_delays()->set_closing_grace_days(-1); },
       "delays.closing_grace_days: -1 is negative"},
      {"negative observation", [](auto& t) { t.mutable_delays()->set_observation_days(-1); },
       "delays.observation_days: -1 is negative"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ContractTerms terms = ValidTerms();
    c.mutate(terms);
    absl::Status valid = ValidateTerms(terms);
    ASSERT_EQ(valid.code(), absl::StatusCode::kInvalidArgument) << valid.ToString();
    EXPECT_NE(valid.ToString().find(c.expected), std::string::npos)
        << "expected '" << c.expected << "' in: " << valid.ToString();
  }
}

TEST(ValidateTerms, ReportsEveryProblemAtOnce) {
  v1::ContractTerms terms = ValidTerms();
  terms.mutable_kpis(2)->set_target(1.3);
  terms.mutable_delays()->set_observation_days(-1);
  absl::Status valid = ValidateTerms(terms);
  EXPECT_EQ(std::string(valid.message()),
            "invalid contract terms '2024.1': kpis[2].target: 1.3 is outside [0, 1] for a share; "
            "delays.observation_days: -1 is negative; it must be >= 0");
}

TEST(ValidateTerms, LetsInformationalKpisGoWithoutDirection) {
  v1::ContractTerms terms = ValidTerms();
  ASSERT_EQ(terms.kpis(6).direction(), v1::Direction::UNSPECIFIED);
  ASSERT_TRUE(terms.kpis(6).informational());
  absl::Status valid = ValidateTerms(terms);
  EXPECT_OK(valid);
}

TEST(TermsHistory, ChoosesTheVersionInForceOnThePeriodsFirstDay) {
  TermsHistory history;
  ASSERT_OK(history.Add(LoadOrDie("cep-2024-example.textproto")));
  ASSERT_OK(history.Add(LoadOrDie("cep-2024-amendment-example.textproto")));
  struct Case {
    std::string period;
    std::string version;
  };
  const std::vector<Case> cases = {
      {"2024-01", "2024.1"},  // the contract starts on 2 January, inside the month
      {"2024-Q1", "2024.1"}, {"2024", "2024.1"},           {"2024-06", "2024.1"},
      {"2024-Q2", "2024.1"}, {"2024-07", "2024.2"},        {"2024-Q3", "2024.2"},
      {"2025", "2024.2"},    {"CY1@2024-01-02", "2024.1"}, {"CY2@2024-01-02", "2024.2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.period);
    absl::StatusOr<Period> period = Period::Parse(c.period);
    ASSERT_OK(period);
    absl::StatusOr<const v1::ContractTerms*> terms = history.TermsFor("LOT-84", *period);
    ASSERT_OK(terms);
    EXPECT_EQ((*terms)->version(), c.version);
  }
}

TEST(TermsHistory, SaysWhyNoVersionGovernsAPeriodBeforeTheContract) {
  TermsHistory history;
  ASSERT_OK(history.Add(LoadOrDie("cep-2024-example.textproto")));
  absl::StatusOr<const v1::ContractTerms*> terms =
      history.TermsFor("LOT-84", *Period::Parse("2023-12"));
  ASSERT_EQ(terms.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(terms.status().message()),
            "no contract terms govern lot 'LOT-84' for period 2023-12 (from 2023-12-01): its "
            "earliest version, '2024.1', takes effect on 2024-01-02");
}

TEST(TermsHistory, AppliesALotSpecificAmendmentToItsLotsOnly) {
  TermsHistory history;
  const v1::ContractTerms initial = LoadOrDie("cep-2024-example.textproto");
  ASSERT_OK(history.Add(initial));
  absl::Status added = history.Add(WithVersion(initial, "2024.3-IDF", "2024-09-01", {"LOT-11"}));
  ASSERT_OK(added);
  const Period september = *Period::Parse("2024-09");
  EXPECT_EQ((*history.TermsFor("LOT-11", september))->version(), "2024.3-IDF");
  EXPECT_EQ((*history.TermsFor("LOT-84", september))->version(), "2024.1");
  EXPECT_EQ((*history.TermsOn("LOT-11", CivilDay(2024, 8, 31)))->version(), "2024.1");
}

TEST(TermsHistory, GivesTheSameAnswersWhateverTheOrderOfAdding) {
  TermsHistory history;
  ASSERT_OK(history.Add(LoadOrDie("cep-2024-amendment-example.textproto")));
  ASSERT_OK(history.Add(LoadOrDie("cep-2024-example.textproto")));
  EXPECT_EQ((*history.TermsFor("LOT-11", *Period::Parse("2024-06")))->version(), "2024.1");
  EXPECT_EQ((*history.TermsFor("LOT-11", *Period::Parse("2024-07")))->version(), "2024.2");
  std::vector<std::string> versions;
  for (const v1::ContractTerms* terms : history.Versions()) versions.push_back(terms->version());
  EXPECT_EQ(versions, std::vector<std::string>({"2024.1", "2024.2"}));
}

TEST(TermsHistory, LooksUpRuleLabelsByVersionAndKpiLabelsInTheLatestVersion) {
  v1::ContractTerms initial = ValidTerms();
  initial.mutable_penalty_rules(0)->set_label("Retard au premier rendez-vous");
  v1::ContractTerms amended = WithVersion(ValidTerms(), "2024.2", "2024-07-01");
  amended.mutable_penalty_rules(0)->set_label("Premier rendez-vous tardif");
  amended.mutable_kpis(1)->set_label("Premier rendez-vous sous 8 jours ouvrés");
  amended.mutable_kpis()->erase(amended.mutable_kpis()->begin() + 6);  // "remote_share"
  TermsHistory history;
  ASSERT_OK(history.Add(amended));  // the later version first: order must not matter
  ASSERT_OK(history.Add(initial));

  EXPECT_EQ(history.RuleLabel("2024.1", "first_appointment_shortfall"),
            "Retard au premier rendez-vous");
  EXPECT_EQ(history.RuleLabel("2024.2", "first_appointment_shortfall"),
            "Premier rendez-vous tardif");
  EXPECT_EQ(history.RuleLabel("2024.9", "first_appointment_shortfall"), "");
  EXPECT_EQ(history.RuleLabel("2024.1", "no_such_rule"), "");

  EXPECT_EQ(history.KpiLabel("first_appointment_delay"), "Premier rendez-vous sous 8 jours ouvrés");
  EXPECT_EQ(history.KpiLabel("remote_share"), "Part à distance");  // only 2024.1 defines it
  EXPECT_EQ(history.KpiLabel("no_such_kpi"), "");
  EXPECT_EQ(history.KpiLabel(""), "");

  EXPECT_EQ(FindKpi(initial, "referral_cpf")->label(), "Orientations vers le CPF");
  EXPECT_EQ(FindKpi(initial, "nothing"), nullptr);
  EXPECT_EQ(FindPenaltyRule(initial, "late_reporting")->kpi_id(), "reporting_timeliness");
  EXPECT_EQ(FindPenaltyRule(initial, "nothing"), nullptr);
}

TEST(TermsHistory, RefusesOverlappingVersions) {
  TermsHistory history;
  const v1::ContractTerms initial = LoadOrDie("cep-2024-example.textproto");
  ASSERT_OK(history.Add(initial));
  ASSERT_OK(history.Add(WithVersion(initial, "2024.2", "2024-07-01")));
  ASSERT_OK(history.Add(WithVersion(initial, "2024.3-IDF", "2024-09-01", {"LOT-11"})));
  ASSERT_OK(history.Add(WithVersion(initial, "2024.3-ARA", "2024-09-01", {"LOT-84"})));

  struct Case {
    v1::ContractTerms terms;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {WithVersion(initial, "2024.2-bis", "2024-07-01"),
       "overlapping versions: '2024.2-bis' and '2024.2' both take effect on 2024-07-01 for every "
       "lot"},
      {WithVersion(initial, "2024.3-OCC", "2024-09-01", {"LOT-76", "LOT-84"}),
       "overlapping versions: '2024.3-OCC' and '2024.3-ARA' both take effect on 2024-09-01 for "
       "lot LOT-84"},
      {WithVersion(initial, "2024.2-IDF", "2024-07-01", {"LOT-11"}),
       "overlapping versions: '2024.2-IDF' and '2024.2' both take effect on 2024-07-01 for lot "
       "LOT-11"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.terms.version());
    absl::Status added = history.Add(c.terms);
    ASSERT_EQ(added.code(), absl::StatusCode::kInvalidArgument) << added.ToString();
    EXPECT_NE(added.ToString().find(c.expected), std::string::npos) << added.ToString();
  }
  EXPECT_EQ(history.size(), 4u);
}

TEST(TermsHistory, RefusesADuplicateVersion) {
  TermsHistory history;
  const v1::ContractTerms initial = LoadOrDie("cep-2024-example.textproto");
  ASSERT_OK(history.Add(initial));
  absl::Status added = history.Add(WithVersion(initial, "2024.1", "2025-01-01"));
  EXPECT_EQ(added.code(), absl::StatusCode::kAlreadyExists) << added.ToString();
  EXPECT_EQ(history.size(), 1u);
  EXPECT_NE(history.Find("2024.1"), nullptr);
  EXPECT_EQ(history.Find("2024.9"), nullptr);
}

TEST(TermsHistory, RefusesInvalidTerms) {
  TermsHistory history;
  v1::ContractTerms terms = ValidTerms();
  terms.mutable_kpis(2)->set_target(1.3);
  absl::Status added = history.Add(terms);
  EXPECT_EQ(added.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(added.ToString().find("kpis[2].target"), std::string::npos) << added.ToString();
  EXPECT_EQ(history.size(), 0u);
}

TEST(TermsHistory, SaysWhenNoVersionListsTheLot) {
  TermsHistory history;
  const Period january = *Period::Parse("2024-01");
  EXPECT_EQ(std::string(history.TermsFor("LOT-11", january).status().message()),
            "no contract terms govern lot 'LOT-11' for period 2024-01 (from 2024-01-01): no "
            "version has been published");
  ASSERT_OK(history.Add(WithVersion(ValidTerms(), "2024.1-IDF", "2024-01-02", {"LOT-11"})));
  absl::StatusOr<const v1::ContractTerms*> terms = history.TermsFor("LOT-84", january);
  EXPECT_EQ(terms.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(terms.status().message()),
            "no contract terms govern lot 'LOT-84' for period 2024-01 (from 2024-01-01): none of "
            "the 1 published version(s) lists it");
}

}  // namespace
}  // namespace pilotage::domain
