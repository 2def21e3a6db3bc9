#pragma once
// Period: the span of days a KPI, a review or a penalty is about.
//
// Four kinds, each with a canonical text form (the one contract events use)
// and a French label for pilots:
//
//   kind            text              label
//   month           "2024-01"         "janvier 2024"
//   quarter         "2024-Q1"         "T1 2024"
//   calendar year   "2024"            "2024"
//   contract year   "CY1@2024-01-02"  "année contractuelle 1 (du 02/01/2024 au 01/01/2025)"
//
// A contract year is relative to a lot's start date (LotAwarded.start_date):
// CY1 runs from the start date to the day before its first anniversary, CYn
// from the (n-1)-th anniversary. The start date is part of the value, so a
// Period is self-contained; "CY2" alone is accepted by the Parse overload
// that is given the lot's start date. An anniversary that does not exist
// (a 29 February start) falls on 1 March.
//
// Days are Europe/Paris civil days (see calendar.h). A Period is a small
// immutable value: copy it freely. Every constructible Period is valid.
// Periods are ordered by first day, then kind (month < quarter < year <
// contract year), then lot start: sorting puts them in chronological order
// of their start. They hash with absl::Hash and std::hash.

#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace pilotage::domain {

enum class PeriodKind {
  kMonth,
  kQuarter,
  kYear,  // calendar year, 1 January to 31 December
  kContractYear,
};

class Period {
 public:
  // The month, quarter or calendar year containing `day`.
  static Period MonthOf(absl::CivilDay day);
  static Period QuarterOf(absl::CivilDay day);
  static Period YearOf(absl::CivilDay day);

  // Contract year `index` (1 = the first) of a lot starting on `lot_start`.
  // kInvalidArgument when index < 1.
  [[nodiscard]] static absl::StatusOr<Period> ContractYear(absl::CivilDay lot_start, int index);

  // The contract year of a lot starting on `lot_start` that contains `day`;
  // nullopt when `day` is before `lot_start`.
  static std::optional<Period> ContractYearOf(absl::CivilDay lot_start, absl::CivilDay day);

  // Parses the canonical text form (table above). Years have four digits.
  // kInvalidArgument naming the text and listing the accepted forms.
  [[nodiscard]] static absl::StatusOr<Period> Parse(std::string_view text);

  // As Parse, and also accepts "CYn" for a contract year of a lot starting
  // on `lot_start`. "CYn@date" is accepted only when date is `lot_start`.
  [[nodiscard]] static absl::StatusOr<Period> Parse(std::string_view text,
                                                    absl::CivilDay lot_start);

  PeriodKind kind() const { return kind_; }

  // The canonical text form; Parse(ToString()) gives the period back.
  std::string ToString() const;

  // What pilots read on screen, in French (table above).
  std::string FrenchLabel() const;

  absl::CivilDay FirstDay() const { return first_; }
  absl::CivilDay LastDay() const { return last_; }

  // Number of days, first and last included.
  int Days() const { return static_cast<int>(last_ - first_) + 1; }

  bool Contains(absl::CivilDay day) const { return first_ <= day && day <= last_; }

  // For a contract year: its index (1 for the first) and the lot's start
  // date. nullopt for the other kinds.
  std::optional<int> ContractYearIndex() const;
  std::optional<absl::CivilDay> LotStart() const;

  // Every calendar month that has at least one day in the period, in order.
  // A contract year starting on the 2nd of a month spans 13 months.
  std::vector<Period> Months() const;

  // The period of the same kind right after (before) this one. A contract
  // year has no previous when it is the first.
  Period Next() const;
  std::optional<Period> Previous() const;

  // The day the period closes: LastDay() + grace_days (calendar days, the
  // terms' delays.closing_grace_days). The period is closed ON and after
  // that day: January 2024 with 15 days of grace closes on 2024-02-15, and
  // is still open on 2024-02-14. With 0 days of grace a period closes on
  // its own last day. grace_days must be >= 0 (ValidateTerms checks it).
  absl::CivilDay ClosingDay(int grace_days) const { return last_ + grace_days; }
  bool IsClosedOn(absl::CivilDay today, int grace_days) const {
    return today >= ClosingDay(grace_days);
  }

  // The period's share of a year, to pro-rate yearly targets, by days:
  // Days() / the number of days of the calendar year of FirstDay() (365 or
  // 366) for months, quarters and calendar years, so the months of a year
  // add up to 1 (February 2024 is 29/366, Q1 2024 is 91/366); exactly 1 for
  // a contract year.
  double FractionOfYear() const;

  friend bool operator==(const Period& a, const Period& b) {
    return a.kind_ == b.kind_ && a.first_ == b.first_ && a.lot_start_ == b.lot_start_;
  }
  friend std::strong_ordering operator<=>(const Period& a, const Period& b);

  template <typename H>
  friend H AbslHashValue(H h, const Period& period) {
    return H::combine(std::move(h), period.kind_, period.first_, period.lot_start_);
  }

  friend std::ostream& operator<<(std::ostream& out, const Period& period) {
    return out << period.ToString();
  }

 private:
  Period(PeriodKind kind, absl::CivilDay first, absl::CivilDay last, absl::CivilDay lot_start,
         int contract_year)
      : kind_(kind),
        first_(first),
        last_(last),
        lot_start_(lot_start),
        contract_year_(contract_year) {}

  // Requires index >= 1.
  static Period MakeContractYear(absl::CivilDay lot_start, int index);

  PeriodKind kind_;
  absl::CivilDay first_;
  absl::CivilDay last_;
  // Contract years only; 1970-01-01 and 0 for the other kinds.
  absl::CivilDay lot_start_;
  int contract_year_;
};

}  // namespace pilotage::domain

template <>
struct std::hash<pilotage::domain::Period> {
  std::size_t operator()(const pilotage::domain::Period& period) const {
    return absl::Hash<pilotage::domain::Period>{}(period);
  }
};
