#include "pilotage/domain/period.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/hash/hash_testing.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

using absl::CivilDay;

Period ParseOrDie(std::string_view text) {
  absl::StatusOr<Period> period = Period::Parse(text);
  EXPECT_OK(period);
  return period.ok() ? *period : Period::MonthOf(CivilDay(1970, 1, 1));
}

TEST(PeriodParse, ReadsEveryKindAndWritesItBack) {
  struct Case {
    std::string text;
    PeriodKind kind;
    CivilDay first;
    CivilDay last;
    std::string label;
  };
  const std::vector<Case> cases = {
      {"2024-01", PeriodKind::kMonth, CivilDay(2024, 1, 1), CivilDay(2024, 1, 31), "janvier 2024"},
      {"2024-02", PeriodKind::kMonth, CivilDay(2024, 2, 1), CivilDay(2024, 2, 29), "février 2024"},
      {"2023-02", PeriodKind::kMonth, CivilDay(2023, 2, 1), CivilDay(2023, 2, 28), "février 2023"},
      {"2024-08", PeriodKind::kMonth, CivilDay(2024, 8, 1), CivilDay(2024, 8, 31), "août 2024"},
      {"2024-12", PeriodKind::kMonth, CivilDay(2024, 12, 1), CivilDay(2024, 12, 31),
       "décembre 2024"},
      {"2024-Q1", PeriodKind::kQuarter, CivilDay(2024, 1, 1), CivilDay(2024, 3, 31), "T1 2024"},
      {"2024-Q4", PeriodKind::kQuarter, CivilDay(2024, 10, 1), CivilDay(2024, 12, 31), "T4 2024"},
      {"2024", PeriodKind::kYear, CivilDay(2024, 1, 1), CivilDay(2024, 12, 31), "2024"},
      {"CY1@2024-01-02", PeriodKind::kContractYear, CivilDay(2024, 1, 2), CivilDay(2025, 1, 1),
       "année contractuelle 1 (du 02/01/2024 au 01/01/2025)"},
      {"CY4@2024-01-02", PeriodKind::kContractYear, CivilDay(2027, 1, 2), CivilDay(2028, 1, 1),
       "année contractuelle 4 (du 02/01/2027 au 01/01/2028)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<Period> period = Period::Parse(c.text);
    ASSERT_OK(period);
    EXPECT_EQ(period->kind(), c.kind);
    EXPECT_EQ(period->FirstDay(), c.first);
    EXPECT_EQ(period->LastDay(), c.last);
    EXPECT_EQ(period->ToString(), c.text);
    EXPECT_EQ(period->FrenchLabel(), c.label);
  }
}

TEST(PeriodParse, RefusesBadTextNamingItAndTheAcceptedForms) {
  const std::vector<std::string> cases = {
      "",        "2024-13", "2024-00",        "2024-Q5",        "2024-Q0",
      "2024-q1", "24-01",   "2024-1",         "2024-01-01",     "janvier 2024",
      " 2024",   "0000",    "CY0@2024-01-02", "CYx@2024-01-02", "CY1@2024-02-30",
      "CY1",     "CY1@",    "2024-T1",
  };
  for (const std::string& text : cases) {
    absl::StatusOr<Period> period = Period::Parse(text);
    ASSERT_FALSE(period.ok()) << "'" << text << "' parsed as " << *period;
    const std::string message = period.status().ToString();
    EXPECT_EQ(period.status().code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_NE(message.find("'" + text + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("accepted forms: 2024-01 (month), 2024-Q1 (quarter)"), std::string::npos)
        << message;
  }
}

TEST(PeriodParse, ReadsABareContractYearGivenTheLotStart) {
  const CivilDay lot_start(2024, 1, 2);
  absl::StatusOr<Period> second = Period::Parse("CY2", lot_start);
  ASSERT_OK(second);
  EXPECT_EQ(second->FirstDay(), CivilDay(2025, 1, 2));
  EXPECT_EQ(second->LastDay(), CivilDay(2026, 1, 1));
  EXPECT_EQ(second->ToString(), "CY2@2024-01-02");
  EXPECT_EQ(second->ContractYearIndex(), 2);
  EXPECT_EQ(second->LotStart(), lot_start);

  absl::StatusOr<Period> other_lot = Period::Parse("CY2@2024-01-03", lot_start);
  ASSERT_FALSE(other_lot.ok());
  EXPECT_NE(other_lot.status().ToString().find("the lot starts on 2024-01-02, not 2024-01-03"),
            std::string::npos)
      << other_lot.status().ToString();

  absl::StatusOr<Period> month = Period::Parse("2024-03", lot_start);
  ASSERT_OK(month);
  EXPECT_EQ(*month, Period::MonthOf(CivilDay(2024, 3, 1)));
}

TEST(ContractYear, StartsOnEachAnniversaryOfTheLotStart) {
  const CivilDay start(2024, 1, 2);
  EXPECT_EQ(Period::ContractYearOf(start, CivilDay(2024, 1, 1)), std::nullopt);
  EXPECT_EQ(Period::ContractYearOf(start, CivilDay(2024, 1, 2))->ContractYearIndex(), 1);
  EXPECT_EQ(Period::ContractYearOf(start, CivilDay(2025, 1, 1))->ContractYearIndex(), 1);
  EXPECT_EQ(Period::ContractYearOf(start, CivilDay(2025, 1, 2))->ContractYearIndex(), 2);
  EXPECT_EQ(Period::ContractYearOf(start, CivilDay(2027, 12, 31))->ContractYearIndex(), 4);
  EXPECT_EQ(Period::ContractYear(start, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ContractYear, OfALeapDayStartRunsToTheEndOfFebruary) {
  const CivilDay start(2024, 2, 29);
  std::optional<Period> first = Period::ContractYearOf(start, CivilDay(2025, 2, 28));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->FirstDay(), CivilDay(2024, 2, 29));
  EXPECT_EQ(first->LastDay(), CivilDay(2025, 2, 28));
  std::optional<Period> second = Period::ContractYearOf(start, CivilDay(2025, 3, 1));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->ContractYearIndex(), 2);
  EXPECT_EQ(second->FirstDay(), CivilDay(2025, 3, 1));
}

TEST(PeriodContains, IsTheFirstToTheLastDayInclusive) {
  const Period january = ParseOrDie("2024-01");
  EXPECT_FALSE(january.Contains(CivilDay(2023, 12, 31)));
  EXPECT_TRUE(january.Contains(CivilDay(2024, 1, 1)));
  EXPECT_TRUE(january.Contains(CivilDay(2024, 1, 31)));
  EXPECT_FALSE(january.Contains(CivilDay(2024, 2, 1)));
  EXPECT_EQ(january.Days(), 31);
}

TEST(PeriodClosingDay, IsTheLastDayPlusGraceAndClosesOnThatDay) {
  struct Case {
    std::string period;
    int grace_days;
    CivilDay closing;
  };
  const std::vector<Case> cases = {
      {"2024-01", 15, CivilDay(2024, 2, 15)}, {"2024-02", 15, CivilDay(2024, 3, 15)},
      {"2024-02", 0, CivilDay(2024, 2, 29)},  {"2024-12", 15, CivilDay(2025, 1, 15)},
      {"2024-Q1", 15, CivilDay(2024, 4, 15)}, {"2024", 31, CivilDay(2025, 1, 31)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.period + " + " + std::to_string(c.grace_days) + " days");
    const Period period = ParseOrDie(c.period);
    EXPECT_EQ(period.ClosingDay(c.grace_days), c.closing);
    EXPECT_FALSE(period.IsClosedOn(c.closing - 1, c.grace_days));
    EXPECT_TRUE(period.IsClosedOn(c.closing, c.grace_days));
  }
}

TEST(PeriodFractionOfYear, CountsDaysOfTheCalendarYear) {
  struct Case {
    std::string period;
    double fraction;
  };
  const std::vector<Case> cases = {
      {"2024-02", 29.0 / 366}, {"2023-02", 28.0 / 365}, {"2024-01", 31.0 / 366},
      {"2024-Q1", 91.0 / 366}, {"2023-Q1", 90.0 / 365}, {"2024", 1.0},
      {"2023", 1.0},           {"CY1@2024-01-02", 1.0},
  };
  for (const Case& c : cases) {
    EXPECT_DOUBLE_EQ(ParseOrDie(c.period).FractionOfYear(), c.fraction) << c.period;
  }
}

TEST(PeriodFractionOfYear, MonthsOfALeapYearAddUpToOne) {
  double sum = 0;
  for (const Period& month : ParseOrDie("2024").Months()) sum += month.FractionOfYear();
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST(PeriodMonths, ListsEveryCalendarMonthTouched) {
  auto months_of = [](std::string_view text) {
    std::vector<std::string> months;
    for (const Period& month : ParseOrDie(text).Months()) months.push_back(month.ToString());
    return months;
  };
  EXPECT_EQ(months_of("2024-05"), std::vector<std::string>({"2024-05"}));
  EXPECT_EQ(months_of("2024-Q2"), std::vector<std::string>({"2024-04", "2024-05", "2024-06"}));
  const std::vector<std::string> contract_year = months_of("CY1@2024-01-02");
  ASSERT_EQ(contract_year.size(), 13u);
  EXPECT_EQ(contract_year.front(), "2024-01");
  EXPECT_EQ(contract_year.back(), "2025-01");
}

TEST(PeriodNextAndPrevious, StepByOnePeriodOfTheSameKind) {
  struct Case {
    std::string period;
    std::string next;
    std::string previous;  // empty: none
  };
  const std::vector<Case> cases = {
      {"2024-01", "2024-02", "2023-12"},
      {"2024-12", "2025-01", "2024-11"},
      {"2024-Q1", "2024-Q2", "2023-Q4"},
      {"2024-Q4", "2025-Q1", "2024-Q3"},
      {"2024", "2025", "2023"},
      {"CY1@2024-01-02", "CY2@2024-01-02", ""},
      {"CY2@2024-01-02", "CY3@2024-01-02", "CY1@2024-01-02"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.period);
    const Period period = ParseOrDie(c.period);
    EXPECT_EQ(period.Next().ToString(), c.next);
    const std::optional<Period> previous = period.Previous();
    EXPECT_EQ(previous.has_value() ? previous->ToString() : "", c.previous);
  }
}

TEST(PeriodOrdering, SortsByFirstDayThenKind) {
  std::vector<Period> periods = {ParseOrDie("2024-02"),        ParseOrDie("2024-Q1"),
                                 ParseOrDie("CY1@2024-01-02"), ParseOrDie("2024"),
                                 ParseOrDie("2024-01"),        ParseOrDie("2023-12")};
  std::sort(periods.begin(), periods.end());
  std::vector<std::string> sorted;
  for (const Period& period : periods) sorted.push_back(period.ToString());
  EXPECT_EQ(sorted, std::vector<std::string>(
                        {"2023-12", "2024-01", "2024-Q1", "2024", "CY1@2024-01-02", "2024-02"}));
}

TEST(PeriodEquality, DependsOnTheSpanAndKindOnly) {
  EXPECT_EQ(ParseOrDie("2024-01"), Period::MonthOf(CivilDay(2024, 1, 17)));
  EXPECT_EQ(ParseOrDie("2024-Q3"), Period::QuarterOf(CivilDay(2024, 9, 30)));
  EXPECT_EQ(ParseOrDie("2024"), Period::YearOf(CivilDay(2024, 6, 1)));
  EXPECT_NE(ParseOrDie("2024-01"), ParseOrDie("2024-Q1"));
  EXPECT_NE(ParseOrDie("CY1@2024-01-02"), ParseOrDie("CY1@2024-01-03"));
}

TEST(PeriodHash, IsConsistentWithEquality) {
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly({
      ParseOrDie("2024-01"),
      ParseOrDie("2024-Q1"),
      ParseOrDie("2024"),
      ParseOrDie("CY1@2024-01-02"),
      ParseOrDie("CY1@2023-01-02"),
      ParseOrDie("2024-02"),
  }));
  std::unordered_set<Period> set = {ParseOrDie("2024-01"), Period::MonthOf(CivilDay(2024, 1, 9))};
  EXPECT_EQ(set.size(), 1u);
}

}  // namespace
}  // namespace pilotage::domain
