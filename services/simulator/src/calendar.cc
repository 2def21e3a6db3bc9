#include "calendar.h"

#include <charconv>

namespace pilotage::simulator {

namespace {

using std::chrono::days;
using std::chrono::year_month_day;

Day LastSunday(int year, unsigned month) {
  const Day last{std::chrono::year{year} / std::chrono::month{month} / std::chrono::last};
  const std::chrono::weekday wd{last};
  return last - (wd - std::chrono::Sunday);
}

}  // namespace

std::optional<Day> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  auto parse = [&](std::string_view part, auto& out) {
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && ptr == part.data() + part.size();
  };
  if (!parse(text.substr(0, 4), y) || !parse(text.substr(5, 2), m) ||
      !parse(text.substr(8, 2), d)) {
    return std::nullopt;
  }
  const year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return Day{ymd};
}

Day EasterSunday(int year) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const unsigned month = static_cast<unsigned>((h + l - 7 * m + 114) / 31);
  const unsigned day = static_cast<unsigned>((h + l - 7 * m + 114) % 31 + 1);
  return Day{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
}

bool IsPublicHoliday(Day day, TimeZone zone) {
  const year_month_day ymd{day};
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned d = static_cast<unsigned>(ymd.day());
  struct MonthDay {
    unsigned m, d;
  };
  static constexpr MonthDay kFixed[] = {{1, 1},  {5, 1},  {5, 8},   {7, 14},
                                        {8, 15}, {11, 1}, {11, 11}, {12, 25}};
  for (const auto& f : kFixed) {
    if (f.m == m && f.d == d) return true;
  }
  if (zone == TimeZone::kIndianReunion && m == 12 && d == 20) return true;
  const Day easter = EasterSunday(static_cast<int>(ymd.year()));
  return day == easter + days{1} || day == easter + days{39} || day == easter + days{50};
}

bool IsWorkingDay(Day day, TimeZone zone) {
  const std::chrono::weekday wd{day};
  if (wd == std::chrono::Saturday || wd == std::chrono::Sunday) return false;
  return !IsPublicHoliday(day, zone);
}

Day AddWorkingDays(Day day, int n, TimeZone zone) {
  while (n > 0) {
    day += days{1};
    if (IsWorkingDay(day, zone)) --n;
  }
  return day;
}

Day WorkingDayOnOrAfter(Day day, TimeZone zone) {
  while (!IsWorkingDay(day, zone)) day += days{1};
  return day;
}

int UtcOffsetMinutes(Day local_day, TimeZone zone) {
  if (zone == TimeZone::kIndianReunion) return 240;
  const int year = static_cast<int>(year_month_day{local_day}.year());
  const bool summer = local_day >= LastSunday(year, 3) && local_day < LastSunday(year, 10);
  return summer ? 120 : 60;
}

int64_t LocalToUtcMillis(Day local_day, int minute_of_day, TimeZone zone) {
  const int64_t epoch_day = local_day.time_since_epoch().count();
  return epoch_day * kMillisPerDay +
         (minute_of_day - UtcOffsetMinutes(local_day, zone)) * kMillisPerMinute;
}

Day LocalDayOf(int64_t utc_millis, TimeZone zone) {
  auto floor_div = [](int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
  };
  const Day utc_day{days{floor_div(utc_millis, kMillisPerDay)}};
  // The offset of the UTC day is right except within hours of a DST switch
  // at night, when the simulator places nothing.
  const int64_t local = utc_millis + UtcOffsetMinutes(utc_day, zone) * kMillisPerMinute;
  return Day{days{floor_div(local, kMillisPerDay)}};
}

}  // namespace pilotage::simulator
