#include "pilotage/domain/calendar.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "pilotage/testing/status.h"
#include "time_zone.h"

namespace pilotage::domain {
namespace {

using absl::CivilDay;

// An instant written in UTC, as operators' RFC 3339 "Z" timestamps are.
absl::Time Utc(int year, int month, int day, int hour, int minute, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

TEST(EasterSunday, MatchesPublishedDates) {
  struct Case {
    int year;
    CivilDay easter;
  };
  // Published Easter dates, including the earliest (22 March) and latest
  // (25 April) possible ones.
  const std::vector<Case> cases = {
      {2024, CivilDay(2024, 3, 31)}, {2025, CivilDay(2025, 4, 20)}, {2026, CivilDay(2026, 4, 5)},
      {2038, CivilDay(2038, 4, 25)}, {2000, CivilDay(2000, 4, 23)}, {2008, CivilDay(2008, 3, 23)},
      {2011, CivilDay(2011, 4, 24)}, {2019, CivilDay(2019, 4, 21)}, {1943, CivilDay(1943, 4, 25)},
      {1818, CivilDay(1818, 3, 22)}, {2285, CivilDay(2285, 3, 22)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EasterSunday(c.year), c.easter) << "year " << c.year;
  }
}

TEST(PublicHolidays, Of2024AreTheElevenFrenchHolidaysInOrder) {
  const std::vector<PublicHoliday> holidays = PublicHolidays(2024);
  const std::vector<std::pair<CivilDay, std::string>> expected = {
      {CivilDay(2024, 1, 1), "Jour de l'an"},    {CivilDay(2024, 4, 1), "Lundi de Pâques"},
      {CivilDay(2024, 5, 1), "Fête du Travail"}, {CivilDay(2024, 5, 8), "Victoire 1945"},
      {CivilDay(2024, 5, 9), "Ascension"},       {CivilDay(2024, 5, 20), "Lundi de Pentecôte"},
      {CivilDay(2024, 7, 14), "Fête nationale"}, {CivilDay(2024, 8, 15), "Assomption"},
      {CivilDay(2024, 11, 1), "Toussaint"},      {CivilDay(2024, 11, 11), "Armistice 1918"},
      {CivilDay(2024, 12, 25), "Noël"},
  };
  ASSERT_EQ(holidays.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(holidays[i].day, expected[i].first) << "holiday #" << i;
    EXPECT_EQ(holidays[i].name, expected[i].second) << "holiday #" << i;
    EXPECT_TRUE(IsPublicHoliday(expected[i].first)) << expected[i].first;
  }
}

TEST(PublicHolidays, AscensionOnLabourDay2008IsOneDayOff) {
  // Easter 2008 was 23 March, so Ascension fell on Thursday 1 May.
  EXPECT_TRUE(IsPublicHoliday(CivilDay(2008, 5, 1)));
  // (Wed 30 Apr, Fri 2 May]: Thursday is off, Friday works.
  EXPECT_EQ(WorkingDaysBetween(CivilDay(2008, 4, 30), CivilDay(2008, 5, 2)), 1);
}

TEST(IsWorkingDay, IsMondayToFridayOutsidePublicHolidays) {
  struct Case {
    CivilDay day;
    bool working;
    const char* why;
  };
  const std::vector<Case> cases = {
      {CivilDay(2024, 5, 7), true, "Tuesday"},
      {CivilDay(2024, 5, 8), false, "Wednesday, Victoire 1945"},
      {CivilDay(2024, 5, 9), false, "Thursday, Ascension"},
      {CivilDay(2024, 5, 10), true, "Friday between a holiday and a weekend"},
      {CivilDay(2024, 5, 11), false, "Saturday"},
      {CivilDay(2024, 5, 12), false, "Sunday"},
      {CivilDay(2024, 5, 20), false, "Whit Monday"},
      {CivilDay(2024, 3, 29), true, "Good Friday (a holiday in Alsace-Moselle only)"},
      {CivilDay(2024, 4, 1), false, "Easter Monday"},
      {CivilDay(2024, 7, 15), true, "Monday after 14 July on a Sunday (no carry-over)"},
      {CivilDay(2024, 12, 25), false, "Christmas"},
      {CivilDay(2024, 12, 26), true, "26 December (a holiday in Alsace-Moselle only)"},
      {CivilDay(2025, 6, 9), false, "Whit Monday 2025"},
      {CivilDay(2025, 5, 29), false, "Ascension 2025"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsWorkingDay(c.day), c.working) << c.day << " (" << c.why << ")";
  }
}

TEST(WorkingDaysBetween, CountsDaysAfterTheRequestUpToTheAppointment) {
  struct Case {
    CivilDay from;
    CivilDay to;
    int64_t expected;
    const char* why;
  };
  const std::vector<Case> cases = {
      {CivilDay(2024, 5, 7), CivilDay(2024, 5, 7), 0, "same day"},
      {CivilDay(2024, 5, 7), CivilDay(2024, 5, 9), 0, "8 and 9 May are holidays"},
      {CivilDay(2024, 5, 7), CivilDay(2024, 5, 10), 1, "Friday is the first working day"},
      {CivilDay(2024, 5, 7), CivilDay(2024, 5, 12), 1, "the weekend adds nothing"},
      {CivilDay(2024, 5, 7), CivilDay(2024, 5, 13), 2, "Monday"},
      {CivilDay(2024, 5, 7), CivilDay(2024, 5, 24), 10, "Whit Monday 20 May skipped too"},
      {CivilDay(2024, 5, 7), CivilDay(2024, 5, 27), 11, "one past the delay"},
      {CivilDay(2024, 6, 3), CivilDay(2024, 6, 17), 10, "two plain weeks"},
      {CivilDay(2024, 6, 8), CivilDay(2024, 6, 10), 1, "request on a Saturday"},
      {CivilDay(2024, 12, 24), CivilDay(2025, 1, 2), 5, "across Christmas and New Year"},
      {CivilDay(2023, 12, 31), CivilDay(2024, 12, 31), 252, "the whole of 2024"},
      {CivilDay(2024, 5, 24), CivilDay(2024, 5, 7), -10, "reversed bounds"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(WorkingDaysBetween(c.from, c.to), c.expected)
        << "(" << c.from << ", " << c.to << "]: " << c.why;
  }
}

TEST(AddWorkingDays, FindsTheNthWorkingDayAfterOrBefore) {
  struct Case {
    CivilDay day;
    int n;
    CivilDay expected;
  };
  const std::vector<Case> cases = {
      {CivilDay(2024, 5, 7), 10, CivilDay(2024, 5, 24)},
      {CivilDay(2024, 5, 7), 1, CivilDay(2024, 5, 10)},
      {CivilDay(2024, 5, 7), 0, CivilDay(2024, 5, 7)},
      {CivilDay(2024, 5, 11), 0, CivilDay(2024, 5, 11)},
      {CivilDay(2024, 5, 11), 1, CivilDay(2024, 5, 13)},
      {CivilDay(2024, 12, 24), 1, CivilDay(2024, 12, 26)},
      {CivilDay(2024, 5, 10), -1, CivilDay(2024, 5, 7)},
      {CivilDay(2024, 5, 13), -1, CivilDay(2024, 5, 10)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AddWorkingDays(c.day, c.n), c.expected) << c.day << " + " << c.n;
  }
}

TEST(AddWorkingDays, IsTheEarliestDayThatManyWorkingDaysAway) {
  for (CivilDay day = CivilDay(2024, 4, 25); day <= CivilDay(2024, 5, 25); ++day) {
    for (int n = 1; n <= 12; ++n) {
      const CivilDay reached = AddWorkingDays(day, n);
      EXPECT_EQ(WorkingDaysBetween(day, reached), n) << day << " + " << n;
      EXPECT_EQ(WorkingDaysBetween(day, reached - 1), n - 1) << day << " + " << n;
    }
  }
}

TEST(ParisDay, FollowsParisDaylightSavingTime) {
  struct Case {
    absl::Time instant;
    CivilDay expected;
    const char* why;
  };
  const std::vector<Case> cases = {
      {Utc(2024, 3, 31, 22, 30), CivilDay(2024, 4, 1), "00:30 CEST after the spring change"},
      {Utc(2024, 3, 30, 22, 30), CivilDay(2024, 3, 30), "23:30 CET before the change"},
      {Utc(2024, 3, 30, 23, 0), CivilDay(2024, 3, 31), "midnight CET"},
      {Utc(2024, 10, 26, 22, 30), CivilDay(2024, 10, 27), "00:30 CEST on the autumn change"},
      {Utc(2024, 10, 27, 22, 30), CivilDay(2024, 10, 27), "23:30 CET after the change"},
      {Utc(2024, 10, 27, 23, 0), CivilDay(2024, 10, 28), "midnight CET"},
      {Utc(2024, 7, 14, 21, 59, 59), CivilDay(2024, 7, 14), "23:59:59 CEST"},
      {Utc(2024, 7, 14, 22, 0), CivilDay(2024, 7, 15), "midnight CEST"},
      {Utc(2023, 12, 31, 23, 0), CivilDay(2024, 1, 1), "New Year in Paris, not yet in UTC"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CivilDay> day = ParisDay(c.instant);
    ASSERT_OK(day);
    EXPECT_EQ(*day, c.expected) << absl::FormatTime(c.instant, absl::UTCTimeZone()) << ": "
                                << c.why;
  }
}

TEST(ParisDay, ReadsProtobufTimestamps) {
  google::protobuf::Timestamp instant;
  instant.set_seconds(absl::ToUnixSeconds(Utc(2024, 3, 31, 21, 59, 59)));
  instant.set_nanos(999999999);
  absl::StatusOr<CivilDay> day = ParisDay(instant);
  ASSERT_OK(day);
  EXPECT_EQ(*day, CivilDay(2024, 3, 31));  // 23:59:59.999999999 CEST

  instant.set_seconds(instant.seconds() + 1);
  instant.set_nanos(0);
  day = ParisDay(instant);
  ASSERT_OK(day);
  EXPECT_EQ(*day, CivilDay(2024, 4, 1));
}

TEST(ParisDay, RefusesTimestampsOutsideProtobufRange) {
  google::protobuf::Timestamp negative_nanos;
  negative_nanos.set_nanos(-1);
  google::protobuf::Timestamp year_10000;
  year_10000.set_seconds(253402300800);
  for (const google::protobuf::Timestamp& instant : {negative_nanos, year_10000}) {
    absl::StatusOr<CivilDay> day = ParisDay(instant);
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument) << instant.DebugString();
  }
}

TEST(ParisStartOfDay, IsParisMidnightInUtc) {
  ASSERT_OK_AND_ASSIGN(const absl::Time spring, ParisStartOfDay(CivilDay(2024, 3, 31)));
  EXPECT_EQ(spring, Utc(2024, 3, 30, 23, 0));  // still CET at midnight
  ASSERT_OK_AND_ASSIGN(const absl::Time summer, ParisStartOfDay(CivilDay(2024, 4, 1)));
  EXPECT_EQ(summer, Utc(2024, 3, 31, 22, 0));
}

TEST(ParisTimeZone, SaysHowToFixAMissingZone) {
  absl::StatusOr<absl::TimeZone> zone = internal::LoadNamedTimeZone("Europe/Atlantis");
  ASSERT_EQ(zone.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message = zone.status().ToString();
  EXPECT_NE(message.find("Europe/Atlantis"), std::string::npos) << message;
  EXPECT_NE(message.find("tzdata"), std::string::npos) << message;
}

TEST(ParseDay, AcceptsOnlyRealIsoDates) {
  struct Case {
    std::string text;
    bool ok;
    CivilDay day;
  };
  const std::vector<Case> cases = {
      {"2024-01-02", true, CivilDay(2024, 1, 2)},
      {"2024-02-29", true, CivilDay(2024, 2, 29)},
      {"2023-02-29", false, {}},
      {"2024-13-01", false, {}},
      {"2024-04-31", false, {}},
      {"2024-1-2", false, {}},
      {"2024/01/02", false, {}},
      {"02/01/2024", false, {}},
      {"2024-01-02T00:00", false, {}},
      {" 2024-01-02", false, {}},
      {"0000-01-01", false, {}},
      {"", false, {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CivilDay> day = ParseDay(c.text);
    EXPECT_EQ(day.ok(), c.ok) << "'" << c.text << "': " << day.status().ToString();
    if (c.ok && day.ok()) {
      EXPECT_EQ(*day, c.day) << "'" << c.text << "'";
    }
    if (!c.ok) {
      EXPECT_NE(day.status().ToString().find("'" + c.text + "'"), std::string::npos)
          << day.status().ToString();
    }
  }
}

TEST(FormatDay, WritesIsoAndFrenchDates) {
  EXPECT_EQ(FormatDay(CivilDay(2024, 1, 2)), "2024-01-02");
  EXPECT_EQ(FrenchDate(CivilDay(2024, 1, 2)), "02/01/2024");
}

}  // namespace
}  // namespace pilotage::domain
