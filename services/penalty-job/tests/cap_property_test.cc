// The contract-year cap under any sequence of runs, reruns, waivers,
// confirmations and action closings (issue 16 point 2, decision 0027): the
// job's planning (PlanLot, EventsToEmit) on what the cep projection folded,
// its events folded back through the engine's batch step
// (testing::ProjectionDriver: real RocksDB, no Kafka), again and again.
//
// The lot, worked out by hand:
//  - LOT-94, awarded from 2024-01-02, contract year 1 (2024-01-02 to
//    2025-01-01) with 300 000 EUR: cap 10 % (1000 bp) = 30 000 EUR
//    (3 000 000 cents), computed below from the award and the terms, not by
//    the code under test;
//  - each quarter of 2024: 10 new beneficiaries, 5 seen the next working day,
//    5 far beyond 10 working days: first appointment 50 % for a target of
//    80 %, 30 points below: 30 x 600 EUR = 18 000 EUR;
//  - the job opens an action for each breach, due 30 days after closing; an
//    action still open at a later closing is priced V x R / 1000 with
//    V = 50 000 EUR (e.g. Q1's, due 15 May, open at Q2's closing on 15 July:
//    61 days, 3 050 EUR).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pilotage/domain/calendar.h"
#include "pilotage/domain/period.h"
#include "pilotage/penalty_job/plan.h"
#include "pilotage/projector/cep.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/testing/penalty_scenario.h"
#include "pilotage/testing/projection_driver.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::penalty_job {
namespace {

namespace v1 = ::pilotage::v1;

constexpr char kLot[] = "LOT-94";
constexpr char kContractTopic[] = "pilotage.contract.v1";
constexpr int64_t kAnnualCents = 30000000;  // 300 000 EUR

absl::CivilDay D(std::string_view text) { return *domain::ParseDay(text); }

int64_t Noon(absl::CivilDay day) {
  // 12:00 UTC is the same day in Paris.
  return absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())) + 12 * 3600;
}

v1::Event Envelope(const std::string& id, absl::CivilDay day) {
  v1::Event e;
  e.set_event_id(id);
  e.set_lot_id(kLot);
  e.set_operator_id("op-94");
  e.mutable_occurred_at()->set_seconds(Noon(day));
  e.mutable_recorded_at()->set_seconds(Noon(day));
  return e;
}

v1::ContractTerms Terms() {
  v1::ContractTerms terms = testing::FirstAppointmentTerms(/*per_point_cents=*/60000);
  auto* overdue = terms.add_penalty_rules();
  overdue->set_id("action_overdue");
  overdue->set_label("Action corrective en retard");
  overdue->set_trigger(v1::PenaltyTrigger::CORRECTIVE_ACTION_OVERDUE);
  overdue->set_late_base_value_cents(5000000);
  return terms;
}

// The cap, from the award and the terms: annual x bp / 10000.
int64_t CapCents() {
  return kAnnualCents * Terms().penalty_limits().cap_share_of_annual_bp() / 10000;
}

// The award, the terms, and each quarter's activity (first day of the
// quarter's second day as the requests' day).
std::vector<v1::Event> ContractSetup() {
  v1::Event award = Envelope("award-94", D("2024-01-02"));
  auto* a = award.mutable_lot_awarded();
  a->set_region("Bretagne");
  a->set_operator_id("op-94");
  a->set_start_date("2024-01-02");
  a->set_end_date("2027-01-01");
  auto* b = a->add_budget();
  b->set_contract_year(1);
  b->set_amount_cents(kAnnualCents);
  v1::Event terms = Envelope("terms-94", D("2024-01-02"));
  *terms.mutable_terms_published()->mutable_terms() = Terms();
  return {award, terms};
}

std::vector<v1::Event> Activity() {
  // Requests on a Tuesday, 5 seen on the Wednesday, 5 about 10 weeks later.
  struct Quarter {
    const char* request;
    const char* soon;
    const char* late;
  };
  const Quarter quarters[] = {{"2024-01-09", "2024-01-10", "2024-03-12"},
                              {"2024-04-02", "2024-04-03", "2024-05-30"},
                              {"2024-07-02", "2024-07-03", "2024-09-10"},
                              {"2024-10-01", "2024-10-02", "2024-12-10"}};
  std::vector<v1::Event> out;
  int q = 0;
  for (const auto& quarter : quarters) {
    ++q;
    for (int i = 0; i < 10; ++i) {
      const std::string who = "q" + std::to_string(q) + "-b" + std::to_string(i);
      v1::Event request = Envelope("req-" + who, D(quarter.request));
      request.mutable_request_received()->set_beneficiary(who);
      out.push_back(request);
      v1::Event seen = Envelope("app-" + who, D(i < 5 ? quarter.soon : quarter.late));
      auto* h = seen.mutable_appointment_held();
      h->set_beneficiary(who);
      h->set_appointment_id("a-" + who);
      h->set_level(v1::Level::LEVEL_1_WELCOME);
      h->set_modality(v1::Modality::IN_PERSON);
      out.push_back(seen);
    }
  }
  return out;
}

// A projector's store of LOT-94 and the job run against it.
class Ledger {
 public:
  Ledger() {
    auto cep = projector::CepProjection::Create();
    EXPECT_OK(cep);
    cep_ = std::move(*cep);
    auto driver = testing::ProjectionDriver::Create(cep_.get(), dir_.path());
    EXPECT_OK(driver);
    driver_ = std::move(*driver);
    EXPECT_OK(driver_->Pipe(Activity()));
    Contract(ContractSetup());
  }

  void Contract(const std::vector<v1::Event>& events) {
    std::vector<std::string> payloads;
    for (const auto& e : events) payloads.push_back(e.SerializeAsString());
    absl::Status s = driver_->PipePayloads(payloads, kContractTopic);
    EXPECT_OK(s);
  }

  // The job for `period` on `today`: plans from the store, sends (folds) its
  // events; returns them.
  std::vector<v1::Event> Run(const std::string& period, absl::CivilDay today) {
    auto model = readmodel::ReadLot(driver_->store(), kLot);
    EXPECT_OK(model);
    auto steering = readmodel::ReadSteering(driver_->store(), kLot);
    EXPECT_OK(steering);
    if (!model.ok() || !steering.ok()) return {};
    const LotSnapshot lot{.lot_id = kLot,
                          .facts = std::move(model->facts),
                          .terms = std::move(model->terms),
                          .steering = std::move(*steering)};
    auto plan = PlanLot(lot, {.period = *domain::Period::Parse(period), .today = today});
    EXPECT_OK(plan);
    if (!plan.ok()) return {};
    // What the job does: the same plan from the KPI cells, without journeys.
    LotSnapshot lean = lot;
    lean.facts.journeys.clear();
    lean.cells = [this](const domain::Period& p, absl::CivilDay closing_day) {
      return readmodel::ReadKnownCells(driver_->store(), kLot, p, closing_day);
    };
    auto from_cells = PlanLot(lean, {.period = *domain::Period::Parse(period), .today = today});
    EXPECT_TRUE(from_cells.ok()) << from_cells.status().ToString();
    if (!from_cells.ok()) return {};
    EXPECT_EQ(plan->total_cents(), from_cells->total_cents());
    EXPECT_EQ(plan->breaches.size(), from_cells->breaches.size());
    EXPECT_EQ(plan->proposals.size(), from_cells->proposals.size());
    EXPECT_TRUE(plan->skipped.empty()) << plan->skipped;
    last_plan_ = *plan;
    auto events = EventsToEmit({*plan});
    EXPECT_OK(events);
    if (!events.ok()) return {};
    Contract(*events);
    return *events;
  }

  readmodel::SteeringReadModel Steering() const {
    auto steering = readmodel::ReadSteering(driver_->store(), kLot);
    EXPECT_OK(steering);
    return steering.ok() ? *steering : readmodel::SteeringReadModel{};
  }

  // The contract year's proposals not waived, from the ledger.
  int64_t NotWaivedCents() const {
    int64_t total = 0;
    for (const auto& p : Steering().penalties) {
      if (p.proposed().penalty_id().empty() || !p.waived().penalty_id().empty()) continue;
      total += p.proposed().amount_cents();
    }
    return total;
  }

  int64_t CentsOf(const std::string& period, bool waived_too = false) const {
    int64_t total = 0;
    for (const auto& p : Steering().penalties) {
      if (p.proposed().period() != period) continue;
      if (!waived_too && !p.waived().penalty_id().empty()) continue;
      total += p.proposed().amount_cents();
    }
    return total;
  }

  void Decide(const std::string& penalty_id, bool waive, absl::CivilDay on, int n) {
    v1::Event e = Envelope(fmt_id(waive ? "waive" : "confirm", penalty_id, n), on);
    e.set_operator_id("france-competences");
    if (waive) {
      e.mutable_penalty_waived()->set_penalty_id(penalty_id);
      e.mutable_penalty_waived()->set_decided_by("pilote");
    } else {
      e.mutable_penalty_confirmed()->set_penalty_id(penalty_id);
      e.mutable_penalty_confirmed()->set_decided_by("pilote");
    }
    Contract({e});
  }

  void CloseAction(const std::string& action_id, absl::CivilDay on, int n) {
    v1::Event e = Envelope(fmt_id("close", action_id, n), on);
    e.set_operator_id("france-competences");
    e.mutable_corrective_action_closed()->set_action_id(action_id);
    e.mutable_corrective_action_closed()->set_closed_on(domain::FormatDay(on));
    Contract({e});
  }

  const testing::ProjectionDriver& driver() const { return *driver_; }
  const LotPlan& last_plan() const { return last_plan_; }

 private:
  static std::string fmt_id(const char* what, const std::string& id, int n) {
    return std::string(what) + "-" + id + "-" + std::to_string(n);
  }

  testing::TempDir dir_;
  std::unique_ptr<projector::CepProjection> cep_;
  std::unique_ptr<testing::ProjectionDriver> driver_;
  LotPlan last_plan_;
};

// The closing days of 2024's quarters (last day + 15 days of grace).
const std::map<std::string, absl::CivilDay>& Closings() {
  static const auto* closings =
      new std::map<std::string, absl::CivilDay>{{"2024-Q1", D("2024-04-15")},
                                                {"2024-Q2", D("2024-07-15")},
                                                {"2024-Q3", D("2024-10-15")},
                                                {"2024-Q4", D("2025-01-15")}};
  return *closings;
}

TEST(PenaltyJobCap, Lot94SequenceNeverExceedsTheCapNorRepricesQ2) {
  ASSERT_EQ(CapCents(), 3000000);
  Ledger ledger;
  // Q1: 18 000 EUR, under the cap. Its action, due 15 May, stays open.
  ledger.Run("2024-Q1", D("2024-04-15"));
  EXPECT_EQ(ledger.CentsOf("2024-Q1"), 1800000);
  std::string q1;
  for (const auto& p : ledger.Steering().penalties) {
    if (p.proposed().period() == "2024-Q1") q1 = p.proposed().penalty_id();
  }
  ASSERT_FALSE(q1.empty());
  // Q2: 18 000 EUR shortfall, room 30 000 - 18 000 = 12 000 EUR: cut to
  // 12 000; Q1's action overdue 61 days, 3 050 EUR, room 0: reported at 0,
  // not sent. Q1's action being open for the KPI, Q2's is not opened.
  ledger.Run("2024-Q2", D("2024-07-15"));
  EXPECT_EQ(ledger.CentsOf("2024-Q2"), 1200000);
  ASSERT_EQ(ledger.last_plan().proposals.size(), 2u);
  EXPECT_EQ(ledger.last_plan().proposals[1].proposal.computed_cents(), 305000);
  EXPECT_EQ(ledger.last_plan().proposals[1].proposal.amount_cents(), 0);
  // Q1's penalty waived: 18 000 EUR freed.
  ledger.Decide(q1, /*waive=*/true, D("2024-07-20"), 0);
  EXPECT_EQ(ledger.NotWaivedCents(), 1200000);
  // Q3 priced with the room freed: 30 000 - 12 000 (Q2, a later period
  // counts as much as an earlier one) = 18 000 EUR: its shortfall whole,
  // Q1's action overdue (92 days of Q3's window, 4 600 EUR) cut to 0.
  ledger.Run("2024-Q3", D("2024-10-15"));
  EXPECT_EQ(ledger.CentsOf("2024-Q3"), 1800000);
  EXPECT_EQ(ledger.NotWaivedCents(), 3000000);
  // Q2 rerun: priced already, it reports the ledger's 12 000 EUR (the
  // 3 050 EUR that had been cut to 0 is not priced again), sends nothing;
  // the year stays at the cap. (Before decision 0027 it recomputed Q2's room
  // from Q1 alone, waived, and sent the overdue action's 3 050 EUR: 33 050.)
  const auto rerun = ledger.Run("2024-Q2", D("2024-10-20"));
  EXPECT_TRUE(rerun.empty());
  EXPECT_TRUE(ledger.last_plan().already_priced);
  EXPECT_EQ(ledger.last_plan().total_cents(), 1200000);
  ASSERT_EQ(ledger.last_plan().proposals.size(), 1u);
  EXPECT_TRUE(ledger.last_plan().actions.empty());
  EXPECT_EQ(ledger.NotWaivedCents(), 3000000);
  EXPECT_LE(ledger.NotWaivedCents(), CapCents());
  EXPECT_TRUE(ledger.driver().dead_letters().empty());
}

// Random sequences: whatever happens, the year's proposals not waived stay
// within the cap, a period priced is never priced again (its rerun sends
// nothing and its amounts never change), and the fold never has to refuse
// a re-priced proposal.
TEST(PenaltyJobCap, RandomSequencesNeverExceedTheCap) {
  const std::vector<std::string> quarters = {"2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"};
  constexpr int kIterations = 60;
  constexpr int kSteps = 14;
  std::mt19937 random(16'2'2024);
  int runs = 0, reruns = 0, decisions = 0, closings = 0, capped = 0;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    SCOPED_TRACE(iteration);
    Ledger ledger;
    std::map<std::string, int64_t> priced;  // period -> its amounts when first priced
    for (int step = 0; step < kSteps; ++step) {
      SCOPED_TRACE(step);
      const int op = static_cast<int>(random() % 10);
      if (op < 5) {  // a run or rerun of a quarter, some days after its closing
        const std::string& q = quarters[random() % quarters.size()];
        const absl::CivilDay today = Closings().at(q) + static_cast<int>(random() % 60);
        const bool was_priced = priced.count(q) > 0;
        const auto sent = ledger.Run(q, today);
        ++(was_priced ? reruns : runs);
        if (was_priced) {
          EXPECT_TRUE(sent.empty()) << q << " re-priced";
          EXPECT_EQ(ledger.CentsOf(q, /*waived_too=*/true), priced[q]);
        }
        bool proposed = false;
        for (const auto& e : sent) proposed |= e.has_penalty_proposed();
        if (proposed) priced[q] = ledger.CentsOf(q, /*waived_too=*/true);
        for (const auto& p : ledger.last_plan().proposals) {
          capped += p.proposal.amount_cents() < p.proposal.computed_cents();
        }
      } else if (op < 8) {  // a decision on an undecided penalty (pilotagectl's rule)
        std::vector<std::string> open;
        for (const auto& p : ledger.Steering().penalties) {
          if (!p.proposed().penalty_id().empty() && p.confirmed().penalty_id().empty() &&
              p.waived().penalty_id().empty()) {
            open.push_back(p.proposed().penalty_id());
          }
        }
        if (open.empty()) continue;
        ledger.Decide(open[random() % open.size()], /*waive=*/random() % 2 == 0,
                      D("2025-02-01") + static_cast<int>(random() % 30), step);
        ++decisions;
      } else {  // an action closed by its operator
        std::vector<std::string> open;
        for (const auto& a : ledger.Steering().actions) {
          if (a.closed().action_id().empty()) open.push_back(a.opened().action_id());
        }
        if (open.empty()) continue;
        ledger.CloseAction(open[random() % open.size()],
                           D("2024-05-01") + static_cast<int>(random() % 240), step);
        ++closings;
      }
      ASSERT_LE(ledger.NotWaivedCents(), CapCents());
    }
    EXPECT_TRUE(ledger.driver().dead_letters().empty());
  }
  // The sequences did exercise what matters.
  EXPECT_GT(runs, 0);
  EXPECT_GT(reruns, 0);
  EXPECT_GT(decisions, 0);
  EXPECT_GT(closings, 0);
  EXPECT_GT(capped, 0);
}

}  // namespace
}  // namespace pilotage::penalty_job
