#include "pilotage/domain/penalty_cap.h"
#include "pilotage/testing/status.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pilotage::domain {
namespace {

namespace sv1 = ::pilotage::store::v1;

sv1::PenaltyRecord Proposed(const std::string& id, const std::string& period, int64_t cents) {
  sv1::PenaltyRecord rec;
  rec.mutable_proposed()->set_penalty_id(id);
  rec.mutable_proposed()->set_period(period);
  rec.mutable_proposed()->set_amount_cents(cents);
  return rec;
}

Period P(const std::string& text) {
  auto p = Period::Parse(text);
  EXPECT_OK(p) << text;
  return *p;
}

TEST(PenaltyCap, CountsTheOtherPeriodsOfTheContractYearNotWaived) {
  std::vector<sv1::PenaltyRecord> ledger = {
      Proposed("PEN-Q1", "2024-Q1", 100000),     // counts
      Proposed("PEN-Q2", "2024-Q2", 50000),      // the period priced: not counted
      Proposed("PEN-Q3", "2024-Q3", 70000),      // waived below: not counted
      Proposed("PEN-Q4", "2024-Q4", 30000),      // a later period counts too
      Proposed("PEN-MAY", "2024-05", 2000),      // a month of the year counts
      Proposed("PEN-2025", "2025-Q1", 900000)};  // ends after CY1 (2025-01-01): not counted
  ledger[2].mutable_waived()->set_penalty_id("PEN-Q3");
  sv1::PenaltyRecord later_steps_only;  // no proposal folded yet
  later_steps_only.mutable_confirmed()->set_penalty_id("PEN-X");
  ledger.push_back(later_steps_only);

  std::vector<std::string> problems;
  // 1 000 + 300 + 20 euros.
  EXPECT_EQ(CapUsedByOtherPeriods(ledger, P("2024-Q2"), P("CY1@2024-01-02"), &problems), 132000);
  EXPECT_TRUE(problems.empty());
}

TEST(PenaltyCap, NamesAProposalWhosePeriodCannotBeRead) {
  const std::vector<sv1::PenaltyRecord> ledger = {Proposed("PEN-1", "2024-Q1", 100000),
                                                  Proposed("PEN-2", "2024-T3", 5000)};
  std::vector<std::string> problems;
  EXPECT_EQ(CapUsedByOtherPeriods(ledger, P("2024-Q2"), P("CY1@2024-01-02"), &problems), 100000);
  EXPECT_EQ(problems, std::vector<std::string>{"pénalité PEN-2 : période illisible '2024-T3'"});
  EXPECT_EQ(CapUsedByOtherPeriods(ledger, P("2024-Q2"), P("CY1@2024-01-02"), nullptr), 100000);
}

}  // namespace
}  // namespace pilotage::domain
