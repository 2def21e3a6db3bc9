#include "pilotage/projector/cep.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "pilotage/domain/terms.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/testing/projection_driver.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::projector {
namespace {

v1::ContractTerms GoodTerms(std::string version, std::string effective_from) {
  v1::ContractTerms t;
  t.set_version(std::move(version));
  t.set_effective_from(std::move(effective_from));
  auto* kpi = t.add_kpis();
  kpi->set_id("first_appointment_delay");
  kpi->set_label("Premier rendez-vous sous 10 jours ouvrés");
  kpi->set_formula(v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY);
  kpi->set_direction(v1::Direction::AT_LEAST);
  kpi->set_target(0.8);
  kpi->set_delay_working_days(10);
  t.mutable_delays()->set_closing_grace_days(15);
  return t;
}

v1::Event Published(const v1::ContractTerms& terms, std::string lot = "LOT-11") {
  v1::Event e;
  e.set_event_id("terms-" + terms.version());
  e.set_lot_id(std::move(lot));
  e.mutable_occurred_at()->set_seconds(1700000000);
  e.mutable_recorded_at()->set_seconds(1700000000);
  *e.mutable_terms_published()->mutable_terms() = terms;
  return e;
}

struct BadTermsCase {
  const char* what;
  void (*spoil)(v1::ContractTerms&);
  const char* field;
};

TEST(CepProjection, RefusesBadTermsWithAMessageNamingTheField) {
  const BadTermsCase cases[] = {
      {"target outside its range", [](v1::ContractTerms& t) { t.mutable_kpis(0)->set_target(1.3); },
       "kpis[0].target"},
      {"unknown KPI",
       [](v1::ContractTerms& t) {
         auto* rule = t.add_penalty_rules();
         rule->set_id("p");
         rule->set_label("p");
         rule->set_trigger(v1::PenaltyTrigger::KPI_SHORTFALL);
         rule->set_kpi_id("no_such_kpi");
         rule->set_amount_per_point_cents(100);
       },
       "penalty_rules[0].kpi_id"},
      {"another lot", [](v1::ContractTerms& t) { t.add_lot_ids("LOT-84"); },
       "terms_published.terms.lot_ids"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto cep = CepProjection::Create();
    ASSERT_OK(cep);
    v1::ContractTerms terms = GoodTerms("2024.1", "2024-01-02");
    c.spoil(terms);
    const absl::Status s = (*cep)->Fold(Published(terms), {});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(c.field), std::string_view::npos) << s.ToString();
  }
}

TEST(CepProjection, AcceptsGoodTerms) {
  auto cep = CepProjection::Create();
  ASSERT_OK(cep);
  EXPECT_OK((*cep)->Fold(Published(GoodTerms("2024.1", "2024-01-02")), {}));
}

// A request received on LOT-11 on 3 June 2024, reported the same day.
v1::Event Received(std::string id, std::string beneficiary) {
  v1::Event e;
  e.set_event_id(std::move(id));
  e.set_lot_id("LOT-11");
  e.set_operator_id("op-cibc-idf");
  e.mutable_occurred_at()->set_seconds(1717405200);  // 2024-06-03T09:00:00Z
  e.mutable_recorded_at()->set_seconds(1717408800);
  e.mutable_request_received()->set_beneficiary(std::move(beneficiary));
  return e;
}

TEST(CepProjection, CountsConflictingResendsPerLotInTheQualityFamily) {
  auto cep = CepProjection::Create();
  ASSERT_OK(cep);
  pilotage::testing::TempDir dir;
  auto driver = pilotage::testing::ProjectionDriver::Create(cep->get(), dir.path());
  ASSERT_OK(driver);
  // e1 folded; resent as it was (a retry: another recorded_at), then twice
  // with another beneficiary, in a later batch; e2 new.
  v1::Event retry = Received("e1", "ben-aaaa1111");
  retry.mutable_recorded_at()->set_seconds(1717412400);
  ASSERT_OK((*driver)->Pipe({Received("e1", "ben-aaaa1111")}));
  ASSERT_OK((*driver)->Pipe({retry, Received("e1", "ben-bbbb2222"), Received("e2", "ben-cccc3333"),
                             Received("e1", "ben-dddd4444")}));
  ASSERT_EQ((*driver)->dead_letters().size(), 2u);
  for (const auto& letter : (*driver)->dead_letters()) {
    EXPECT_EQ(letter.reason(), "event_id already known with other content");
  }
  auto lot = readmodel::ReadLot((*driver)->store(), "LOT-11");
  ASSERT_OK(lot);
  EXPECT_EQ(lot->facts.conflicting_resends, 2);
  // Both copies occurred on 3 June 2024 (09:00 UTC, 11:00 in Paris).
  const std::map<absl::CivilDay, int64_t> by_day = {{absl::CivilDay(2024, 6, 3), 2}};
  EXPECT_EQ(lot->facts.conflicting_resends_by_day, by_day);
  EXPECT_EQ(lot->facts.refused, 0) << "a conflicting resend is not a refused event";
  // Two journeys (e1's first copy, e2): nothing of the conflicting copies.
  EXPECT_EQ(lot->facts.journeys.size(), 2u);
}

v1::Rejection Refusal(std::string lot, std::string reason, int64_t recorded_at) {
  v1::Rejection r;
  r.set_operator_id("op-cibc-idf");
  r.set_lot_id(std::move(lot));
  r.set_reason(std::move(reason));
  r.set_field("events[0]");
  r.set_message("refused");
  r.mutable_recorded_at()->set_seconds(recorded_at);
  return r;
}

TEST(CepProjection, CountsTheGatewaysRefusalsPerLotParisDayAndReason) {
  auto cep = CepProjection::Create("rejected");
  ASSERT_OK(cep);
  pilotage::testing::TempDir dir;
  auto driver = pilotage::testing::ProjectionDriver::Create(cep->get(), dir.path());
  ASSERT_OK(driver);
  // 2024-06-30T21:30:00Z is 23:30 in Paris (CEST): still 30 June;
  // 2024-06-30T22:30:00Z is 00:30 on 1 July there.
  const int64_t june30_late = 1719783000, july1_early = 1719786600;
  // Two partitions of the rejected topic (keyed by operator): both count
  // into the same keys; a refusal naming no lot counts under the empty lot.
  ASSERT_OK(
      (*driver)->PipePayloads({Refusal("LOT-11", "PERSONAL_DATA", june30_late).SerializeAsString(),
                               Refusal("LOT-11", "PERSONAL_DATA", june30_late).SerializeAsString(),
                               Refusal("LOT-11", "UNKNOWN_ENUM", july1_early).SerializeAsString(),
                               Refusal("", "MALFORMED_BODY", june30_late).SerializeAsString()},
                              "rejected", 0));
  ASSERT_OK((*driver)->PipePayloads(
      {Refusal("LOT-11", "PERSONAL_DATA", june30_late).SerializeAsString(),
       Refusal("", "MALFORMED_BODY", july1_early).SerializeAsString(), "\xff\xff not a rejection",
       Refusal("LOT-11", "", june30_late).SerializeAsString()},
      "rejected", 1));
  // The undecodable record and the one without a reason: dead letters.
  ASSERT_EQ((*driver)->dead_letters().size(), 2u);
  EXPECT_EQ((*driver)->dead_letters()[0].reason(),
            "payload does not decode as pilotage.v1.Rejection");
  EXPECT_EQ((*driver)->dead_letters()[1].reason(), "rejection has no reason");

  using Counts = std::map<absl::CivilDay, std::map<std::string, int64_t>>;
  auto lot = readmodel::ReadGatewayRefusals((*driver)->store(), "LOT-11");
  ASSERT_OK(lot);
  EXPECT_EQ(*lot, (Counts{{absl::CivilDay(2024, 6, 30), {{"PERSONAL_DATA", 3}}},
                          {absl::CivilDay(2024, 7, 1), {{"UNKNOWN_ENUM", 1}}}}));
  auto none = readmodel::ReadGatewayRefusals((*driver)->store(), "");
  ASSERT_OK(none);
  EXPECT_EQ(*none, (Counts{{absl::CivilDay(2024, 6, 30), {{"MALFORMED_BODY", 1}}},
                           {absl::CivilDay(2024, 7, 1), {{"MALFORMED_BODY", 1}}}}));
  // A lot only refusals name is not a lot of the store.
  auto lots = readmodel::ListLots((*driver)->store());
  ASSERT_OK(lots);
  EXPECT_TRUE(lots->empty());
  // ReadLot carries them, and the period's data quality keeps its days.
  auto model = readmodel::ReadLot((*driver)->store(), "LOT-11");
  ASSERT_OK(model);
  EXPECT_EQ(model->facts.gateway_refusals_by_day, *lot);
}

TEST(CepProjection, FoldsNoRefusalsWithoutARejectedTopic) {
  auto cep = CepProjection::Create("");
  ASSERT_OK(cep);
  EXPECT_FALSE((*cep)->FoldsRecords(""));
  EXPECT_FALSE((*cep)->FoldsRecords("pilotage.rejected.v1"));
  auto defaulted = CepProjection::Create();
  ASSERT_OK(defaulted);
  EXPECT_TRUE((*defaulted)->FoldsRecords("pilotage.rejected.v1"));
  EXPECT_FALSE((*defaulted)->FoldsRecords("pilotage.activity.v1"));
}

}  // namespace
}  // namespace pilotage::projector
