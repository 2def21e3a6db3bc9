#include "pilotage/domain/period.h"

#include <array>
#include <string>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {
namespace {

constexpr std::array<std::string_view, 12> kFrenchMonths = {
    "janvier", "février", "mars",      "avril",   "mai",      "juin",
    "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};

// Contract years beyond this are refused by Parse: a contract lasts four.
constexpr int kMaxContractYear = 999;

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int ParseDigits(std::string_view text) {
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

absl::Status Invalid(std::string_view text, std::string_view reason, bool with_lot_start) {
  return absl::InvalidArgumentError(fmt::format(
      "invalid period '{}': {}; accepted forms: 2024-01 (month), 2024-Q1 (quarter), 2024 "
      "(calendar year), CY1@2024-01-02 (contract year 1 of a lot starting on 2024-01-02){}",
      text, reason, with_lot_start ? ", CY1 (contract year 1 of this lot)" : ""));
}

// Parses "CYn" or "CYn@YYYY-MM-DD" (the caller checked the "CY" prefix).
absl::StatusOr<Period> ParseContractYear(std::string_view text,
                                         std::optional<absl::CivilDay> lot_start) {
  const bool with_lot_start = lot_start.has_value();
  std::string_view rest = text.substr(2);
  const std::size_t at = rest.find('@');
  const std::string_view index_text = rest.substr(0, at);
  if (!IsDigits(index_text) || index_text.size() > 3) {
    return Invalid(text, "a contract year is CY followed by its number (1 for the first)",
                   with_lot_start);
  }
  const int index = ParseDigits(index_text);
  if (index < 1 || index > kMaxContractYear) {
    return Invalid(text, "contract years are numbered from CY1", with_lot_start);
  }
  if (at == std::string_view::npos) {
    if (!lot_start.has_value()) {
      return Invalid(text, "a contract year needs the lot's start date, as in CY1@2024-01-02",
                     with_lot_start);
    }
    return Period::ContractYear(*lot_start, index);
  }
  absl::StatusOr<absl::CivilDay> start = ParseDay(rest.substr(at + 1));
  if (!start.ok()) {
    return Invalid(text, "the lot's start date after '@' must be YYYY-MM-DD", with_lot_start);
  }
  if (lot_start.has_value() && *start != *lot_start) {
    return Invalid(
        text, fmt::format("the lot starts on {}, not {}", FormatDay(*lot_start), FormatDay(*start)),
        with_lot_start);
  }
  return Period::ContractYear(*start, index);
}

absl::StatusOr<Period> ParsePeriod(std::string_view text, std::optional<absl::CivilDay> lot_start) {
  const bool with_lot_start = lot_start.has_value();
  if (text.substr(0, 2) == "CY") return ParseContractYear(text, lot_start);
  if (text.size() < 4 || !IsDigits(text.substr(0, 4))) {
    return Invalid(text, "expected a four-digit year first", with_lot_start);
  }
  const int year = ParseDigits(text.substr(0, 4));
  if (year < 1) return Invalid(text, "the year must be 0001 or later", with_lot_start);
  if (text.size() == 4) return Period::YearOf(absl::CivilDay(year, 1, 1));
  if (text.size() == 7 && text[4] == '-' && text[5] == 'Q' && IsDigits(text.substr(6))) {
    const int quarter = ParseDigits(text.substr(6));
    if (quarter < 1 || quarter > 4) {
      return Invalid(text, "the quarter must be Q1, Q2, Q3 or Q4", with_lot_start);
    }
    return Period::QuarterOf(absl::CivilDay(year, 3 * (quarter - 1) + 1, 1));
  }
  if (text.size() == 7 && text[4] == '-' && IsDigits(text.substr(5))) {
    const int month = ParseDigits(text.substr(5));
    if (month < 1 || month > 12) {
      return Invalid(text, "the month must be 01 to 12", with_lot_start);
    }
    return Period::MonthOf(absl::CivilDay(year, month, 1));
  }
  return Invalid(text, "unrecognised form", with_lot_start);
}

}  // namespace

Period Period::MonthOf(absl::CivilDay day) {
  const absl::CivilMonth month(day);
  return Period(PeriodKind::kMonth, absl::CivilDay(month), absl::CivilDay(month + 1) - 1,
                absl::CivilDay(), 0);
}

Period Period::QuarterOf(absl::CivilDay day) {
  const absl::CivilMonth first(day.year(), (day.month() - 1) / 3 * 3 + 1);
  return Period(PeriodKind::kQuarter, absl::CivilDay(first), absl::CivilDay(first + 3) - 1,
                absl::CivilDay(), 0);
}

Period Period::YearOf(absl::CivilDay day) {
  const absl::CivilYear year(day);
  return Period(PeriodKind::kYear, absl::CivilDay(year), absl::CivilDay(year + 1) - 1,
                absl::CivilDay(), 0);
}

Period Period::MakeContractYear(absl::CivilDay lot_start, int index) {
  auto anniversary = [&](int years) {
    return absl::CivilDay(lot_start.year() + years, lot_start.month(), lot_start.day());
  };
  return Period(PeriodKind::kContractYear, anniversary(index - 1), anniversary(index) - 1,
                lot_start, index);
}

absl::StatusOr<Period> Period::ContractYear(absl::CivilDay lot_start, int index) {
  if (index < 1) {
    return absl::InvalidArgumentError(
        fmt::format("invalid contract year {}: contract years are numbered from 1", index));
  }
  return MakeContractYear(lot_start, index);
}

std::optional<Period> Period::ContractYearOf(absl::CivilDay lot_start, absl::CivilDay day) {
  if (day < lot_start) return std::nullopt;
  Period period = MakeContractYear(lot_start, static_cast<int>(day.year() - lot_start.year()) + 1);
  // The year difference is one too many when `day` is before this year's anniversary.
  if (!period.Contains(day)) period = MakeContractYear(lot_start, period.contract_year_ - 1);
  return period;
}

absl::StatusOr<Period> Period::Parse(std::string_view text) {
  return ParsePeriod(text, std::nullopt);
}

absl::StatusOr<Period> Period::Parse(std::string_view text, absl::CivilDay lot_start) {
  return ParsePeriod(text, lot_start);
}

std::string Period::ToString() const {
  switch (kind_) {
    case PeriodKind::kMonth:
      return fmt::format("{:04}-{:02}", first_.year(), first_.month());
    case PeriodKind::kQuarter:
      return fmt::format("{:04}-Q{}", first_.year(), (first_.month() - 1) / 3 + 1);
    case PeriodKind::kYear:
      return fmt::format("{:04}", first_.year());
    case PeriodKind::kContractYear:
      return fmt::format("CY{}@{}", contract_year_, FormatDay(lot_start_));
  }
  return "";
}

std::string Period::FrenchLabel() const {
  switch (kind_) {
    case PeriodKind::kMonth:
      return fmt::format("{} {:04}", kFrenchMonths[first_.month() - 1], first_.year());
    case PeriodKind::kQuarter:
      return fmt::format("T{} {:04}", (first_.month() - 1) / 3 + 1, first_.year());
    case PeriodKind::kYear:
      return fmt::format("{:04}", first_.year());
    case PeriodKind::kContractYear:
      return fmt::format("année contractuelle {} (du {} au {})", contract_year_, FrenchDate(first_),
                         FrenchDate(last_));
  }
  return "";
}

std::optional<int> Period::ContractYearIndex() const {
  if (kind_ != PeriodKind::kContractYear) return std::nullopt;
  return contract_year_;
}

std::optional<absl::CivilDay> Period::LotStart() const {
  if (kind_ != PeriodKind::kContractYear) return std::nullopt;
  return lot_start_;
}

std::vector<Period> Period::Months() const {
  std::vector<Period> months;
  for (absl::CivilMonth month(first_); month <= absl::CivilMonth(last_); ++month) {
    months.push_back(MonthOf(absl::CivilDay(month)));
  }
  return months;
}

Period Period::Next() const {
  switch (kind_) {
    case PeriodKind::kMonth:
      return MonthOf(last_ + 1);
    case PeriodKind::kQuarter:
      return QuarterOf(last_ + 1);
    case PeriodKind::kYear:
      return YearOf(last_ + 1);
    case PeriodKind::kContractYear:
      return MakeContractYear(lot_start_, contract_year_ + 1);
  }
  return *this;
}

std::optional<Period> Period::Previous() const {
  switch (kind_) {
    case PeriodKind::kMonth:
      return MonthOf(first_ - 1);
    case PeriodKind::kQuarter:
      return QuarterOf(first_ - 1);
    case PeriodKind::kYear:
      return YearOf(first_ - 1);
    case PeriodKind::kContractYear:
      if (contract_year_ == 1) return std::nullopt;
      return MakeContractYear(lot_start_, contract_year_ - 1);
  }
  return std::nullopt;
}

double Period::FractionOfYear() const {
  if (kind_ == PeriodKind::kContractYear) return 1.0;
  const absl::CivilYear year(first_);
  const auto days_in_year = absl::CivilDay(year + 1) - absl::CivilDay(year);
  return static_cast<double>(Days()) / static_cast<double>(days_in_year);
}

std::strong_ordering operator<=>(const Period& a, const Period& b) {
  if (a.first_ != b.first_) {
    return a.first_ < b.first_ ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  if (auto by_kind = a.kind_ <=> b.kind_; by_kind != 0) return by_kind;
  if (a.lot_start_ != b.lot_start_) {
    return a.lot_start_ < b.lot_start_ ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  return std::strong_ordering::equal;
}

}  // namespace pilotage::domain
