#pragma once
// The contract's calendar: Europe/Paris civil days, French public holidays
// (jours fériés) and working days (jours ouvrés).
//
// A day is an absl::CivilDay: a date with no time zone. Instants (event
// times) become days through ParisDay, which uses the Europe/Paris zone and
// its daylight-saving rules: 2024-03-31T22:30:00Z is 2024-04-01 in Paris.
// The zone is read once, on first use, from the system's time zone database
// (Debian's tzdata, /usr/share/zoneinfo, or $TZDIR); when it cannot be read,
// the functions that need it return kFailedPrecondition saying so. Nothing
// else here touches the system.
//
// Public holidays are those of metropolitan France (Code du travail
// L.3133-1), computed for any year of the Gregorian calendar:
//   fixed:        1 Jan (Jour de l'an), 1 May (Fête du Travail),
//                 8 May (Victoire 1945), 14 Jul (Fête nationale),
//                 15 Aug (Assomption), 1 Nov (Toussaint),
//                 11 Nov (Armistice 1918), 25 Dec (Noël);
//   Easter-based: Easter Monday (Easter + 1), Ascension Thursday
//                 (Easter + 39), Whit Monday (Easter + 50, kept although
//                 many employers make it the "journée de solidarité").
// Not included: the two extra days of Alsace-Moselle (Good Friday, 26 Dec)
// and the overseas abolition-of-slavery days; the overseas lot has no
// operator. Rules are today's, applied to every year (8 May was not a
// holiday in 1960; this calendar says it was).
//
// A working day is Monday to Friday and not a public holiday.
//
// Every function is thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace pilotage::domain {

// The IANA name of the contract's time zone.
inline constexpr std::string_view kParisTimeZoneName = "Europe/Paris";

// The Europe/Paris zone, loaded once. kFailedPrecondition (naming the zone
// and the tzdata package) when the time zone database cannot be read.
[[nodiscard]] absl::StatusOr<absl::TimeZone> ParisTimeZone();

// The same zone, for code that cannot carry an error (parsing a local time,
// formatting a day). Without a time zone database it prints ParisTimeZone()'s
// message and aborts: a contract's days are never counted in another zone.
// Programs call ParisTimeZone() when they start, to exit with a code instead.
const absl::TimeZone& Paris();

// The Paris civil day an instant falls on.
// Errors: kFailedPrecondition (no time zone database); for a Timestamp,
// kInvalidArgument when it is outside protobuf's valid range (years
// 0001..9999, nanos in [0, 999999999]).
[[nodiscard]] absl::StatusOr<absl::CivilDay> ParisDay(absl::Time instant);
[[nodiscard]] absl::StatusOr<absl::CivilDay> ParisDay(const google::protobuf::Timestamp& instant);

// The first instant of a Paris civil day (midnight, or the first instant
// after a skipped midnight). kFailedPrecondition without a time zone
// database.
[[nodiscard]] absl::StatusOr<absl::Time> ParisStartOfDay(absl::CivilDay day);

// Parses an ISO 8601 calendar date "YYYY-MM-DD" (exactly four-digit year,
// two-digit month and day), the form of every date in contract events and
// terms. kInvalidArgument naming the text when it is not that form or not a
// real day ("2024-02-30").
[[nodiscard]] absl::StatusOr<absl::CivilDay> ParseDay(std::string_view text);

// "YYYY-MM-DD"; the inverse of ParseDay for years 0001..9999.
std::string FormatDay(absl::CivilDay day);

// "DD/MM/YYYY", the way French readers write a date.
std::string FrenchDate(absl::CivilDay day);

// Easter Sunday of `year` in the Gregorian calendar, by the anonymous
// Gregorian algorithm (Meeus/Jones/Butcher). Meaningful from 1583; the
// arithmetic is defined for every year.
absl::CivilDay EasterSunday(absl::civil_year_t year);

// One public holiday: its day and its French name ("Lundi de Pâques").
struct PublicHoliday {
  absl::CivilDay day;
  std::string_view name;  // static storage
};

// The eleven public holidays of `year`, ordered by day. Two may share a day
// (Ascension fell on 1 May in 2008), so a year has 10 or 11 distinct days.
std::vector<PublicHoliday> PublicHolidays(absl::civil_year_t year);

// Whether `day` is a public holiday (whatever its weekday).
bool IsPublicHoliday(absl::CivilDay day);

// Monday to Friday and not a public holiday.
bool IsWorkingDay(absl::CivilDay day);

// The number of working days in (from, to]: the days AFTER `from` up to and
// including `to`. The request day never counts; the appointment day counts
// when it is a working day. So a request on Tuesday 2024-05-07 and an
// appointment on Friday 2024-05-10 are 1 working day apart (8 May and 9 May,
// Ascension, are holidays), and an appointment the same day is 0.
// When `to` is before `from` the result is minus the count of (to, from].
//
// The KPI "first appointment within N working days" holds when
// WorkingDaysBetween(request_day, appointment_day) <= N. A weekend or
// holiday right after the Nth working day is therefore still on time: no
// further working day has passed.
int64_t WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to);

// For n > 0, the n-th working day after `day` (the earliest day d with
// WorkingDaysBetween(day, d) == n; always a working day). For n < 0, the
// |n|-th working day before `day`. For n == 0, `day` itself, working or not.
// Runs in O(|n|) days.
absl::CivilDay AddWorkingDays(absl::CivilDay day, int n);

}  // namespace pilotage::domain
