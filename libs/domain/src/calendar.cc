#include "pilotage/domain/calendar.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "time_zone.h"

namespace pilotage::domain {
namespace internal {

absl::StatusOr<absl::TimeZone> LoadNamedTimeZone(std::string_view name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::FailedPreconditionError(
        fmt::format("cannot load time zone '{}' from the system's time zone database "
                    "(/usr/share/zoneinfo or $TZDIR): install Debian's tzdata package "
                    "(scripts/bootstrap does)",
                    name));
  }
  return zone;
}

}  // namespace internal

namespace {

// Floor division and modulo, so that the calendar arithmetic is defined for
// every year, negative ones included.
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}
constexpr int64_t FloorMod(int64_t a, int64_t b) { return a - b * FloorDiv(a, b); }

// Protobuf's Timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

// Monday to Friday in (epoch, day] relative to a fixed Monday, as a
// cumulative count: the difference of two calls is the number of weekdays
// in between.
int64_t CumulativeWeekdays(absl::CivilDay day) {
  const int64_t n = day - absl::CivilDay(1970, 1, 5);  // a Monday
  const int64_t weeks = FloorDiv(n, 7);
  return 5 * weeks + std::min<int64_t>(FloorMod(n, 7) + 1, 5);
}

bool IsWeekend(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

bool IsTwoDigits(std::string_view text) {
  return text.size() == 2 && text[0] >= '0' && text[0] <= '9' && text[1] >= '0' && text[1] <= '9';
}

int ParseDigits(std::string_view text) {
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

absl::StatusOr<absl::TimeZone> ParisTimeZone() {
  static const absl::StatusOr<absl::TimeZone>* const kZone =
      new absl::StatusOr<absl::TimeZone>(internal::LoadNamedTimeZone(kParisTimeZoneName));
  return *kZone;
}

const absl::TimeZone& Paris() {
  static const absl::TimeZone kZone = [] {
    absl::StatusOr<absl::TimeZone> zone = ParisTimeZone();
    if (!zone.ok()) {
      std::fprintf(stderr, "pilotage: %s\n", std::string(zone.status().message()).c_str());
      std::abort();
    }
    return *zone;
  }();
  return kZone;
}

absl::StatusOr<absl::CivilDay> ParisDay(absl::Time instant) {
  absl::StatusOr<absl::TimeZone> zone = ParisTimeZone();
  if (!zone.ok()) return zone.status();
  return absl::ToCivilDay(instant, *zone);
}

absl::StatusOr<absl::CivilDay> ParisDay(const google::protobuf::Timestamp& instant) {
  if (instant.seconds() < kMinTimestampSeconds || instant.seconds() > kMaxTimestampSeconds ||
      instant.nanos() < 0 || instant.nanos() > 999999999) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid timestamp (seconds: {}, nanos: {}): seconds must be in [{}, {}] (years "
        "0001..9999) and nanos in [0, 999999999]",
        instant.seconds(), instant.nanos(), kMinTimestampSeconds, kMaxTimestampSeconds));
  }
  return ParisDay(absl::FromUnixSeconds(instant.seconds()) + absl::Nanoseconds(instant.nanos()));
}

absl::StatusOr<absl::Time> ParisStartOfDay(absl::CivilDay day) {
  absl::StatusOr<absl::TimeZone> zone = ParisTimeZone();
  if (!zone.ok()) return zone.status();
  return zone->At(absl::CivilSecond(day)).trans;
}

absl::StatusOr<absl::CivilDay> ParseDay(std::string_view text) {
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                      IsTwoDigits(text.substr(0, 2)) && IsTwoDigits(text.substr(2, 2)) &&
                      IsTwoDigits(text.substr(5, 2)) && IsTwoDigits(text.substr(8, 2));
  if (shaped) {
    const int year = ParseDigits(text.substr(0, 4));
    const int month = ParseDigits(text.substr(5, 2));
    const int day_of_month = ParseDigits(text.substr(8, 2));
    const absl::CivilDay day(year, month, day_of_month);
    // CivilDay normalises 2024-02-30 to 2024-03-01: a real day reads back unchanged.
    if (year >= 1 && day.year() == year && day.month() == month && day.day() == day_of_month) {
      return day;
    }
  }
  return absl::InvalidArgumentError(fmt::format(
      "invalid date '{}': expected YYYY-MM-DD, a real calendar day (e.g. 2024-01-02)", text));
}

std::string FormatDay(absl::CivilDay day) {
  const auto year = day.year();
  if (year < 0 || year > 9999) {
    return fmt::format("{:04}-{:02}-{:02}", year, day.month(), day.day());
  }
  // By hand: called for every folded event (the projector's hot path).
  const int y = static_cast<int>(year), m = day.month(), d = day.day();
  std::string out(10, '-');
  out[0] = static_cast<char>('0' + y / 1000);
  out[1] = static_cast<char>('0' + y / 100 % 10);
  out[2] = static_cast<char>('0' + y / 10 % 10);
  out[3] = static_cast<char>('0' + y % 10);
  out[5] = static_cast<char>('0' + m / 10);
  out[6] = static_cast<char>('0' + m % 10);
  out[8] = static_cast<char>('0' + d / 10);
  out[9] = static_cast<char>('0' + d % 10);
  return out;
}

std::string FrenchDate(absl::CivilDay day) {
  return fmt::format("{:02}/{:02}/{:04}", day.day(), day.month(), day.year());
}

absl::CivilDay EasterSunday(absl::civil_year_t year) {
  const int64_t a = FloorMod(year, 19);
  const int64_t b = FloorDiv(year, 100);
  const int64_t c = FloorMod(year, 100);
  const int64_t d = FloorDiv(b, 4);
  const int64_t e = FloorMod(b, 4);
  const int64_t f = FloorDiv(b + 8, 25);
  const int64_t g = FloorDiv(b - f + 1, 3);
  const int64_t h = FloorMod(19 * a + b - d - g + 15, 30);
  const int64_t i = FloorDiv(c, 4);
  const int64_t k = FloorMod(c, 4);
  const int64_t l = FloorMod(32 + 2 * e + 2 * i - h - k, 7);
  const int64_t m = FloorDiv(a + 11 * h + 22 * l, 451);
  const int64_t month = FloorDiv(h + l - 7 * m + 114, 31);
  const int64_t day = FloorMod(h + l - 7 * m + 114, 31) + 1;
  return absl::CivilDay(year, static_cast<int>(month), static_cast<int>(day));
}

std::vector<PublicHoliday> PublicHolidays(absl::civil_year_t year) {
  const absl::CivilDay easter = EasterSunday(year);
  std::vector<PublicHoliday> holidays = {
      {absl::CivilDay(year, 1, 1), "Jour de l'an"},
      {easter + 1, "Lundi de Pâques"},
      {absl::CivilDay(year, 5, 1), "Fête du Travail"},
      {absl::CivilDay(year, 5, 8), "Victoire 1945"},
      {easter + 39, "Ascension"},
      {easter + 50, "Lundi de Pentecôte"},
      {absl::CivilDay(year, 7, 14), "Fête nationale"},
      {absl::CivilDay(year, 8, 15), "Assomption"},
      {absl::CivilDay(year, 11, 1), "Toussaint"},
      {absl::CivilDay(year, 11, 11), "Armistice 1918"},
      {absl::CivilDay(year, 12, 25), "Noël"},
  };
  std::stable_sort(holidays.begin(), holidays.end(),
                   [](const PublicHoliday& x, const PublicHoliday& y) { return x.day < y.day; });
  return holidays;
}

bool IsPublicHoliday(absl::CivilDay day) {
  static constexpr std::array<std::pair<int, int>, 8> kFixed = {
      {{1, 1}, {5, 1}, {5, 8}, {7, 14}, {8, 15}, {11, 1}, {11, 11}, {12, 25}}};
  for (const auto& [month, day_of_month] : kFixed) {
    if (day.month() == month && day.day() == day_of_month) return true;
  }
  // Easter-based holidays fall between 23 March and 14 June.
  if (day.month() < 3 || day.month() > 6) return false;
  const int64_t after_easter = day - EasterSunday(day.year());
  return after_easter == 1 || after_easter == 39 || after_easter == 50;
}

bool IsWorkingDay(absl::CivilDay day) { return !IsWeekend(day) && !IsPublicHoliday(day); }

int64_t WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to) {
  if (to < from) return -WorkingDaysBetween(to, from);
  int64_t count = CumulativeWeekdays(to) - CumulativeWeekdays(from);
  for (absl::civil_year_t year = from.year(); year <= to.year(); ++year) {
    std::optional<absl::CivilDay> previous;  // a day holding two holidays counts once
    for (const PublicHoliday& holiday : PublicHolidays(year)) {
      if (holiday.day == previous) continue;
      previous = holiday.day;
      if (holiday.day > from && holiday.day <= to && !IsWeekend(holiday.day)) --count;
    }
  }
  return count;
}

absl::CivilDay AddWorkingDays(absl::CivilDay day, int n) {
  const int step = n >= 0 ? 1 : -1;
  for (int64_t remaining = n >= 0 ? int64_t{n} : -int64_t{n}; remaining > 0;) {
    day += step;
    if (IsWorkingDay(day)) --remaining;
  }
  return day;
}

}  // namespace pilotage::domain
