// The steering read model folded by the cep projection (libs/readmodel steering.h): the
// adversarial procedure and corrective actions merged slot by slot, the same
// state whatever the arrival order and batching, malformed events refused
// with the field named.
#include "pilotage/readmodel/steering.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/projector/cep.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/store/store.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::projector {
namespace {

using readmodel::ReadLot;
using readmodel::ReadSteering;
using readmodel::SteeringReadModel;

// 2024-07-01T10:00:00Z; steps are an hour apart from there.
constexpr int64_t kJuly1 = 1719828000;

v1::Event Contract(std::string id, std::string lot, int64_t at) {
  v1::Event e;
  e.set_event_id(std::move(id));
  e.set_lot_id(std::move(lot));
  e.set_operator_id("france-competences");
  e.mutable_occurred_at()->set_seconds(at);
  e.mutable_recorded_at()->set_seconds(at);
  return e;
}

v1::Event Proposed(std::string id, std::string lot, std::string penalty, int64_t at,
                   int64_t amount) {
  auto e = Contract(std::move(id), std::move(lot), at);
  auto* p = e.mutable_penalty_proposed();
  p->set_penalty_id(std::move(penalty));
  p->set_period("2024-Q2");
  p->set_rule_id("satisfaction_shortfall");
  p->set_terms_version("2024.1");
  p->set_computed_cents(amount);
  p->set_amount_cents(amount);
  p->set_observation_deadline("2024-07-16");
  return e;
}

v1::Event Observations(std::string id, std::string lot, std::string penalty, int64_t at,
                       std::string text) {
  auto e = Contract(std::move(id), std::move(lot), at);
  auto* o = e.mutable_observations_received();
  o->set_penalty_id(std::move(penalty));
  o->set_text(std::move(text));
  o->set_received_on("2024-07-05");
  return e;
}

v1::Event Confirmed(std::string id, std::string lot, std::string penalty, int64_t at) {
  auto e = Contract(std::move(id), std::move(lot), at);
  e.mutable_penalty_confirmed()->set_penalty_id(std::move(penalty));
  e.mutable_penalty_confirmed()->set_decided_by("pilote-1");
  return e;
}

v1::Event Waived(std::string id, std::string lot, std::string penalty, int64_t at) {
  auto e = Contract(std::move(id), std::move(lot), at);
  e.mutable_penalty_waived()->set_penalty_id(std::move(penalty));
  e.mutable_penalty_waived()->set_decided_by("pilote-2");
  e.mutable_penalty_waived()->set_reason("observations recevables");
  return e;
}

v1::Event Opened(std::string id, std::string lot, std::string action, int64_t at, std::string due) {
  auto e = Contract(std::move(id), std::move(lot), at);
  auto* a = e.mutable_corrective_action_opened();
  a->set_action_id(std::move(action));
  a->set_kpi_id("first_appointment_delay");
  a->set_period("2024-Q2");
  a->set_due_date(std::move(due));
  a->set_description("Renforcer l'accueil");
  return e;
}

v1::Event Closed(std::string id, std::string lot, std::string action, int64_t at) {
  auto e = Contract(std::move(id), std::move(lot), at);
  auto* a = e.mutable_corrective_action_closed();
  a->set_action_id(std::move(action));
  a->set_closed_on("2024-08-20");
  a->set_evidence("planning revu");
  return e;
}

v1::Event Review(std::string id, std::string lot, std::string review, int64_t at,
                 std::string finding) {
  auto e = Contract(std::move(id), std::move(lot), at);
  auto* r = e.mutable_review_held();
  r->set_review_id(std::move(review));
  r->set_period("2024-Q2");
  r->set_held_on("2024-07-10");
  r->add_findings(std::move(finding));
  return e;
}

v1::Event Statement(std::string id, std::string lot, std::string statement, int64_t at,
                    int64_t net) {
  auto e = Contract(std::move(id), std::move(lot), at);
  auto* s = e.mutable_payment_statement_issued();
  s->set_statement_id(std::move(statement));
  s->set_period("2024-Q2");
  s->set_fees_cents(net);
  s->set_net_amount_cents(net);
  return e;
}

// A cep store in a temporary directory, folded batch by batch.
class SteeringStore {
 public:
  SteeringStore() {
    auto cep = CepProjection::Create();
    EXPECT_OK(cep);
    cep_ = std::move(*cep);
    auto store =
        store::Store::Open(dir_.path().string(), {.column_families = cep_->StateColumnFamilies()});
    EXPECT_OK(store);
    store_ = std::move(*store);
    cep_->Bind(*store_);
    cep_->OnPenaltyConflict([this] { ++conflicts_; });
  }

  // PenaltyProposed refused as re-pricings so far.
  int conflicts() const { return conflicts_; }

  // Folds `events` as one batch; returns the statuses of the folds.
  std::vector<absl::Status> FoldBatch(const std::vector<v1::Event>& events) {
    std::vector<absl::Status> out;
    for (const auto& e : events) out.push_back(cep_->Fold(e, {}));
    auto batch = store_->NewWriteBatch();
    EXPECT_OK(cep_->Flush(*store_, batch));
    EXPECT_OK(store_->Write(batch));
    return out;
  }

  // Folds `events` as the engine does: while the batch flushed before is
  // still being written (it is written only once these are folded), then
  // flushes them as the batch the next call writes.
  std::vector<absl::Status> FoldWhileThePreviousIsWritten(const std::vector<v1::Event>& events) {
    std::vector<absl::Status> out;
    for (const auto& e : events) out.push_back(cep_->Fold(e, {}));
    WriteFlushed();
    flushed_ = store_->NewWriteBatch();
    EXPECT_OK(cep_->Flush(*store_, *flushed_));
    return out;
  }

  // Writes the batch FoldWhileThePreviousIsWritten flushed last, if any.
  void WriteFlushed() {
    if (flushed_.has_value()) {
      EXPECT_OK(store_->Write(*flushed_));
    }
    flushed_.reset();
  }

  // Every key and value of cep_contract, in key order.
  std::vector<std::pair<std::string, std::string>> Contents() const {
    std::vector<std::pair<std::string, std::string>> out;
    EXPECT_OK(
        store_->ForEach(CepProjection::kContract, "", [&](std::string_view k, std::string_view v) {
          out.emplace_back(std::string(k), std::string(v));
          return true;
        }));
    return out;
  }

  SteeringReadModel Read(std::string_view lot) const {
    auto model = ReadSteering(*store_, lot);
    EXPECT_OK(model);
    return model.ok() ? *model : SteeringReadModel{};
  }

  const store::Store& store() const { return *store_; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<CepProjection> cep_;
  std::unique_ptr<store::Store> store_;
  std::optional<store::WriteBatch> flushed_;
  int conflicts_ = 0;
};

TEST(SteeringFold, KeepsEveryStepOfAPenaltysProcedure) {
  SteeringStore s;
  s.FoldBatch({Proposed("e1", "LOT-11", "PEN-1", kJuly1, 250000)});
  s.FoldBatch({Observations("e2", "LOT-11", "PEN-1", kJuly1 + 3600, "Effectifs réduits"),
               Confirmed("e3", "LOT-11", "PEN-1", kJuly1 + 7200)});
  const auto model = s.Read("LOT-11");
  ASSERT_EQ(model.penalties.size(), 1u);
  const auto& p = model.penalties[0];
  EXPECT_EQ(p.proposed().penalty_id(), "PEN-1");
  EXPECT_EQ(p.proposed().amount_cents(), 250000);
  EXPECT_EQ(p.proposed_event_id(), "e1");
  EXPECT_EQ(p.observations().text(), "Effectifs réduits");
  EXPECT_EQ(p.observations_at(), kJuly1 + 3600);
  EXPECT_TRUE(p.has_confirmed());
  EXPECT_FALSE(p.has_waived());
  EXPECT_EQ(p.confirmed().decided_by(), "pilote-1");
  EXPECT_EQ(p.decision_event_id(), "e3");
}

TEST(SteeringFold, KeepsALaterStepFoldedBeforeItsProposal) {
  SteeringStore s;
  s.FoldBatch({Confirmed("e3", "LOT-11", "PEN-1", kJuly1 + 7200)});
  auto model = s.Read("LOT-11");
  ASSERT_EQ(model.penalties.size(), 1u);
  EXPECT_TRUE(model.penalties[0].proposed_event_id().empty());
  EXPECT_TRUE(model.penalties[0].has_confirmed());
  s.FoldBatch({Proposed("e1", "LOT-11", "PEN-1", kJuly1, 250000)});
  model = s.Read("LOT-11");
  ASSERT_EQ(model.penalties.size(), 1u);
  EXPECT_EQ(model.penalties[0].proposed().amount_cents(), 250000);
  EXPECT_TRUE(model.penalties[0].has_confirmed());
}

TEST(SteeringFold, TheLaterDecisionWinsWhicheverArrivesFirst) {
  // Waived an hour after a confirmation: waived, in both arrival orders.
  for (bool waiver_first : {false, true}) {
    SCOPED_TRACE(waiver_first ? "waiver arrives first" : "confirmation arrives first");
    SteeringStore s;
    auto confirm = Confirmed("e3", "LOT-11", "PEN-1", kJuly1 + 3600);
    auto waive = Waived("e4", "LOT-11", "PEN-1", kJuly1 + 7200);
    if (waiver_first) {
      s.FoldBatch({waive});
      s.FoldBatch({confirm});
    } else {
      s.FoldBatch({confirm, waive});
    }
    const auto model = s.Read("LOT-11");
    ASSERT_EQ(model.penalties.size(), 1u);
    EXPECT_TRUE(model.penalties[0].has_waived());
    EXPECT_FALSE(model.penalties[0].has_confirmed());
    EXPECT_EQ(model.penalties[0].decided_at(), kJuly1 + 7200);
    EXPECT_EQ(model.penalties[0].decision_event_id(), "e4");
  }
}

TEST(SteeringFold, SameInstantTieIsBrokenByTheLargerEventId) {
  for (bool reversed : {false, true}) {
    SteeringStore s;
    std::vector<v1::Event> events = {Confirmed("e-a", "LOT-11", "PEN-1", kJuly1),
                                     Waived("e-b", "LOT-11", "PEN-1", kJuly1)};
    if (reversed) std::reverse(events.begin(), events.end());
    s.FoldBatch(events);
    const auto model = s.Read("LOT-11");
    ASSERT_EQ(model.penalties.size(), 1u);
    EXPECT_TRUE(model.penalties[0].has_waived()) << "reversed=" << reversed;
  }
}

TEST(SteeringFold, ActionsKeepTheirOpeningAndClosing) {
  SteeringStore s;
  s.FoldBatch({Closed("c1", "LOT-11", "ACT-1", kJuly1 + 86400 * 50)});
  s.FoldBatch({Opened("o1", "LOT-11", "ACT-1", kJuly1, "2024-08-15"),
               Opened("o2", "LOT-11", "ACT-2", kJuly1, "2024-09-30")});
  const auto model = s.Read("LOT-11");
  ASSERT_EQ(model.actions.size(), 2u);
  EXPECT_EQ(model.actions[0].opened().action_id(), "ACT-1");
  EXPECT_EQ(model.actions[0].opened().due_date(), "2024-08-15");
  EXPECT_EQ(model.actions[0].closed().closed_on(), "2024-08-20");
  EXPECT_EQ(model.actions[1].opened().action_id(), "ACT-2");
  EXPECT_TRUE(model.actions[1].closed_event_id().empty());
}

TEST(SteeringFold, ReadSteeringReturnsOnlyTheLotAskedSortedById) {
  SteeringStore s;
  s.FoldBatch({Review("r2", "LOT-11", "REV-2", kJuly1, "b"),
               Review("r1", "LOT-11", "REV-1", kJuly1, "a"),
               Review("r3", "LOT-1", "REV-9", kJuly1, "autre lot"),
               Statement("s1", "LOT-11", "ST-2024-Q2", kJuly1, 1000),
               Proposed("p1", "LOT-110", "PEN-1", kJuly1, 5)});
  const auto model = s.Read("LOT-11");
  ASSERT_EQ(model.reviews.size(), 2u);
  EXPECT_EQ(model.reviews[0].review().review_id(), "REV-1");
  EXPECT_EQ(model.reviews[1].review().review_id(), "REV-2");
  ASSERT_EQ(model.statements.size(), 1u);
  EXPECT_EQ(model.statements[0].statement().net_amount_cents(), 1000);
  EXPECT_TRUE(model.penalties.empty());
  EXPECT_TRUE(model.actions.empty());
  EXPECT_EQ(s.Read("LOT-1").reviews.size(), 1u);
  EXPECT_TRUE(s.Read("LOT-99").reviews.empty());
}

TEST(SteeringFold, LeavesTheLotsAwardAndTermsReadable) {
  SteeringStore s;
  auto award = Contract("award-LOT-11", "LOT-11", kJuly1);
  award.mutable_lot_awarded()->set_start_date("2024-01-02");
  s.FoldBatch({award, Review("r1", "LOT-11", "REV-1", kJuly1, "a"),
               Proposed("p1", "LOT-11", "PEN-1", kJuly1, 5)});
  auto lot = ReadLot(s.store(), "LOT-11");
  ASSERT_OK(lot);
  ASSERT_TRUE(lot->facts.award.has_value());
  EXPECT_EQ(lot->facts.award->start_date(), "2024-01-02");
  EXPECT_TRUE(lot->terms.empty());
}

struct BadEventCase {
  const char* what;
  std::function<v1::Event()> make;
  const char* field;
};

TEST(SteeringFold, RefusesMalformedEventsNamingTheFieldAndStoresNothing) {
  const BadEventCase cases[] = {
      {"no event id",
       [] {
         auto e = Proposed("x", "LOT-11", "PEN-1", kJuly1, 5);
         e.clear_event_id();
         return e;
       },
       "event_id: missing"},
      {"no lot",
       [] {
         auto e = Proposed("x", "LOT-11", "PEN-1", kJuly1, 5);
         e.clear_lot_id();
         return e;
       },
       "lot_id: missing"},
      {"no penalty id", [] { return Proposed("x", "LOT-11", "", kJuly1, 5); },
       "penalty_proposed.penalty_id: missing"},
      {"no rule",
       [] {
         auto e = Proposed("x", "LOT-11", "PEN-1", kJuly1, 5);
         e.mutable_penalty_proposed()->clear_rule_id();
         return e;
       },
       "penalty_proposed.rule_id: missing"},
      {"bad period",
       [] {
         auto e = Proposed("x", "LOT-11", "PEN-1", kJuly1, 5);
         e.mutable_penalty_proposed()->set_period("2024-Q5");
         return e;
       },
       "penalty_proposed.period"},
      {"bad deadline",
       [] {
         auto e = Proposed("x", "LOT-11", "PEN-1", kJuly1, 5);
         e.mutable_penalty_proposed()->set_observation_deadline("16/07/2024");
         return e;
       },
       "penalty_proposed.observation_deadline"},
      {"bad notification day",
       [] {
         auto e = Proposed("x", "LOT-11", "PEN-1", kJuly1, 5);
         e.mutable_penalty_proposed()->set_notified_on("2024-02-30");
         return e;
       },
       "penalty_proposed.notified_on"},
      {"negative amount", [] { return Proposed("x", "LOT-11", "PEN-1", kJuly1, -5); },
       "penalty_proposed.computed_cents"},
      {"observations without a day",
       [] {
         auto e = Observations("x", "LOT-11", "PEN-1", kJuly1, "t");
         e.mutable_observations_received()->clear_received_on();
         return e;
       },
       "observations_received.received_on: missing"},
      {"confirmation without penalty", [] { return Confirmed("x", "LOT-11", "", kJuly1); },
       "penalty_confirmed.penalty_id: missing"},
      {"waiver without penalty", [] { return Waived("x", "LOT-11", "", kJuly1); },
       "penalty_waived.penalty_id: missing"},
      {"action without a real due date",
       [] { return Opened("x", "LOT-11", "ACT-1", kJuly1, "2024-02-30"); },
       "corrective_action_opened.due_date"},
      {"action without id", [] { return Opened("x", "LOT-11", "", kJuly1, "2024-08-15"); },
       "corrective_action_opened.action_id: missing"},
      {"closing without a day",
       [] {
         auto e = Closed("x", "LOT-11", "ACT-1", kJuly1);
         e.mutable_corrective_action_closed()->clear_closed_on();
         return e;
       },
       "corrective_action_closed.closed_on: missing"},
      {"review with a bad period",
       [] {
         auto e = Review("x", "LOT-11", "REV-1", kJuly1, "a");
         e.mutable_review_held()->set_period("T2 2024");
         return e;
       },
       "review_held.period"},
      {"review without id", [] { return Review("x", "LOT-11", "", kJuly1, "a"); },
       "review_held.review_id: missing"},
      {"statement without id", [] { return Statement("x", "LOT-11", "", kJuly1, 1); },
       "payment_statement_issued.statement_id: missing"},
      {"statement with negative fees", [] { return Statement("x", "LOT-11", "ST-1", kJuly1, -1); },
       "payment_statement_issued.fees_cents"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    SteeringStore s;
    const auto statuses = s.FoldBatch({c.make()});
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses[0].code(), absl::StatusCode::kInvalidArgument) << statuses[0].ToString();
    EXPECT_NE(statuses[0].message().find(c.field), std::string_view::npos)
        << statuses[0].ToString();
    EXPECT_TRUE(s.Contents().empty());
  }
}

// The property the projection relies on: every permutation of the same
// events, cut into batches anywhere, gives byte-identical stored records.
TEST(SteeringFold, RefusesAProposalRePricedInTheLedgerAndKeepsTheFirst) {
  SteeringStore s;
  ASSERT_OK(s.FoldBatch({Proposed("e1", "LOT-94", "PEN-1", kJuly1, 490000)})[0]);
  // A later batch: same penalty id, another amount (a stale run's 500 000).
  auto later = s.FoldBatch({Proposed("e2", "LOT-94", "PEN-1", kJuly1 + 60, 500000)});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_TRUE(absl::IsFailedPrecondition(later[0])) << later[0].ToString();
  EXPECT_NE(later[0].message().find("PEN-1"), std::string::npos) << later[0].ToString();
  EXPECT_NE(later[0].message().find("490000"), std::string::npos) << later[0].ToString();
  EXPECT_NE(later[0].message().find("never re-priced"), std::string::npos) << later[0].ToString();
  // Within one batch too; the same amount under another event id merges.
  auto same_batch = s.FoldBatch({Proposed("e3", "LOT-94", "PEN-2", kJuly1, 100),
                                 Proposed("e4", "LOT-94", "PEN-2", kJuly1 + 1, 200),
                                 Proposed("e5", "LOT-94", "PEN-1", kJuly1 + 2, 490000)});
  EXPECT_OK(same_batch[0]);
  EXPECT_TRUE(absl::IsFailedPrecondition(same_batch[1])) << same_batch[1].ToString();
  EXPECT_OK(same_batch[2]);
  EXPECT_EQ(s.conflicts(), 2);
  const auto model = s.Read("LOT-94");
  ASSERT_EQ(model.penalties.size(), 2u);
  EXPECT_EQ(model.penalties[0].proposed().amount_cents(), 490000);
  EXPECT_EQ(model.penalties[0].proposed_event_id(), "e5");
  EXPECT_EQ(model.penalties[1].proposed().amount_cents(), 100);
}

TEST(SteeringFold, RefusesARePricingFoldedWhileTheFirstPriceIsStillBeingWritten) {
  SteeringStore s;
  ASSERT_OK(
      s.FoldWhileThePreviousIsWritten({Proposed("e1", "LOT-94", "PEN-1", kJuly1, 490000)})[0]);
  auto later =
      s.FoldWhileThePreviousIsWritten({Proposed("e2", "LOT-94", "PEN-1", kJuly1 + 60, 500000)});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_TRUE(absl::IsFailedPrecondition(later[0])) << later[0].ToString();
  s.WriteFlushed();
  EXPECT_EQ(s.conflicts(), 1);
  const auto model = s.Read("LOT-94");
  ASSERT_EQ(model.penalties.size(), 1u);
  EXPECT_EQ(model.penalties[0].proposed().amount_cents(), 490000);
  EXPECT_EQ(model.penalties[0].proposed_event_id(), "e1");
}

TEST(SteeringFold, SameStateWhateverTheArrivalOrderAndBatching) {
  std::vector<v1::Event> events;
  for (const std::string lot : {"LOT-11", "LOT-84"}) {
    for (int p = 0; p < 4; ++p) {
      const std::string pen = "PEN-" + std::to_string(p);
      const int64_t t = kJuly1 + p * 60;
      events.push_back(Proposed(lot + pen + "-a", lot, pen, t, 100000 + p));
      // A second proposal of the same penalty later, same amount (another
      // amount would be refused: a decision is never re-priced).
      auto again = Proposed(lot + pen + "-b", lot, pen, t + 10, 100000 + p);
      again.mutable_penalty_proposed()->set_observation_deadline("2024-07-20");
      events.push_back(again);
      events.push_back(Observations(lot + pen + "-o1", lot, pen, t + 20, "premières"));
      events.push_back(Observations(lot + pen + "-o2", lot, pen, t + 30, "complétées"));
      if (p % 2 == 0) events.push_back(Confirmed(lot + pen + "-c", lot, pen, t + 40));
      if (p > 0) events.push_back(Waived(lot + pen + "-w", lot, pen, t + 40 + p * 5 - 10));
    }
    for (int a = 0; a < 3; ++a) {
      const std::string act = "ACT-" + std::to_string(a);
      events.push_back(Opened(lot + act + "-o", lot, act, kJuly1, "2024-08-15"));
      events.push_back(Opened(lot + act + "-o2", lot, act, kJuly1 + 5, "2024-08-31"));
      if (a != 1) events.push_back(Closed(lot + act + "-c", lot, act, kJuly1 + 100));
    }
    events.push_back(Review(lot + "-r1", lot, "REV-Q2", kJuly1, "premier"));
    events.push_back(Review(lot + "-r2", lot, "REV-Q2", kJuly1 + 1, "corrigé"));
    events.push_back(Statement(lot + "-s1", lot, "ST-Q2", kJuly1, 10));
    events.push_back(Statement(lot + "-s2", lot, "ST-Q2", kJuly1, 20));  // same instant
  }

  std::vector<std::pair<std::string, std::string>> reference;
  {
    SteeringStore s;
    for (const auto& status : s.FoldBatch(events)) ASSERT_OK(status);
    reference = s.Contents();
    // What the merge must give, worked out from the events above: the later
    // proposal, the later observations, and the later decision (penalty 1:
    // confirmed never, waived at +35; penalty 2: confirmed at +40, waived at
    // +40 with a larger id "…-w" > "…-c"; penalty 3: waived at +45).
    const auto model = s.Read("LOT-11");
    ASSERT_EQ(model.penalties.size(), 4u);
    EXPECT_EQ(model.penalties[0].proposed().amount_cents(), 100000);
    EXPECT_EQ(model.penalties[0].proposed().observation_deadline(), "2024-07-20");
    EXPECT_EQ(model.penalties[0].observations().text(), "complétées");
    EXPECT_TRUE(model.penalties[0].has_confirmed());
    EXPECT_TRUE(model.penalties[1].has_waived());
    EXPECT_TRUE(model.penalties[2].has_waived());
    EXPECT_TRUE(model.penalties[3].has_waived());
    ASSERT_EQ(model.actions.size(), 3u);
    EXPECT_EQ(model.actions[0].opened().due_date(), "2024-08-31");
    EXPECT_FALSE(model.actions[0].closed_event_id().empty());
    EXPECT_TRUE(model.actions[1].closed_event_id().empty());
    ASSERT_EQ(model.reviews.size(), 1u);
    EXPECT_EQ(model.reviews[0].review().findings(0), "corrigé");
    ASSERT_EQ(model.statements.size(), 1u);
    EXPECT_EQ(model.statements[0].statement().net_amount_cents(), 20);
  }
  std::mt19937 random(20240701);
  for (int run = 0; run < 25; ++run) {
    SCOPED_TRACE(run);
    auto shuffled = events;
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    SteeringStore s;
    size_t at = 0;
    while (at < shuffled.size()) {
      const size_t n = std::min<size_t>(shuffled.size() - at, 1 + random() % 7);
      std::vector<v1::Event> batch(shuffled.begin() + at, shuffled.begin() + at + n);
      for (const auto& status : s.FoldBatch(batch)) ASSERT_OK(status);
      at += n;
    }
    EXPECT_EQ(s.Contents(), reference);
  }
}

}  // namespace
}  // namespace pilotage::projector
