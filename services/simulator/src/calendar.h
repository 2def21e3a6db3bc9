#pragma once
// Civil dates for the simulator: French public holidays, working days and
// local office hours written as UTC instants. A deliberately small local
// helper: the project's calendar belongs to libs/domain, which the simulator
// does not depend on. All functions are pure and thread-safe.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "pilotage/simulator/lots.h"

namespace pilotage::simulator {

using Day = std::chrono::sys_days;

// "YYYY-MM-DD" to a day; nullopt unless it is a valid date in that form.
std::optional<Day> ParseDate(std::string_view text);

// Easter Sunday of `year` (Gregorian computus).
Day EasterSunday(int year);

// French public holidays (jours fériés, Code du travail L.3133-1): 1 January,
// Easter Monday, 1 May, 8 May, Ascension, Whit Monday, 14 July, 15 August,
// 1 November, 11 November, 25 December; plus 20 December in La Réunion.
// Alsace-Moselle's two extra days are not modelled.
bool IsPublicHoliday(Day day, TimeZone zone);

// Monday to Friday and not a public holiday.
bool IsWorkingDay(Day day, TimeZone zone);

// The `n`-th working day after `day` (n >= 1); `day` itself need not be one.
Day AddWorkingDays(Day day, int n, TimeZone zone);

// `day` if it is a working day, else the next one.
Day WorkingDayOnOrAfter(Day day, TimeZone zone);

// Minutes to add to UTC to get local time on `local_day` (Europe/Paris:
// +60, +120 from the last Sunday of March to the day before the last Sunday of
// October; Indian/Reunion: +240). Exact for times after 03:00 local, which is
// all the simulator places.
int UtcOffsetMinutes(Day local_day, TimeZone zone);

// Milliseconds since the Unix epoch of `minute_of_day` (0..1439) local time.
int64_t LocalToUtcMillis(Day local_day, int minute_of_day, TimeZone zone);

// The local calendar day of a UTC instant.
Day LocalDayOf(int64_t utc_millis, TimeZone zone);

constexpr int64_t kMillisPerMinute = 60'000;
constexpr int64_t kMillisPerHour = 60 * kMillisPerMinute;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;

}  // namespace pilotage::simulator
