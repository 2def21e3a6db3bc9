// Dashboard sessions (decision 0031): one principal's logins are capped on
// their own, so a holder of any valid token cannot evict everyone else's
// sessions by opening many.
#include "sessions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pilotage/access/access.h"

namespace pilotage::query {
namespace {

access::Principal Pilot(const std::string& id) {
  return {.role = access::Principal::Role::kPilot, .id = id};
}

access::Principal Operator(const std::string& id) {
  return {.role = access::Principal::Role::kOperator, .id = id, .lots = {"LOT-11"}};
}

const absl::Time kT0 = absl::FromUnixSeconds(1750000000);

TEST(Sessions, APrincipalAtItsCapLosesItsOwnOldestSessionOnly) {
  Sessions sessions(absl::Hours(12), /*max_sessions=*/10000, /*max_per_principal=*/3);
  const std::string other = sessions.Open(Pilot("bob"), kT0);
  std::vector<std::string> alice;
  for (int i = 0; i < 3; ++i) {
    alice.push_back(sessions.Open(Pilot("alice"), kT0 + absl::Seconds(i + 1)));
  }
  const absl::Time later = kT0 + absl::Seconds(10);
  const std::string fourth = sessions.Open(Pilot("alice"), later);
  EXPECT_FALSE(sessions.Find(alice[0], later)) << "alice's oldest session goes";
  EXPECT_TRUE(sessions.Find(alice[1], later));
  EXPECT_TRUE(sessions.Find(alice[2], later));
  ASSERT_TRUE(sessions.Find(fourth, later));
  EXPECT_EQ(sessions.Find(fourth, later)->id, "alice");
  ASSERT_TRUE(sessions.Find(other, later));
  EXPECT_EQ(sessions.Find(other, later)->id, "bob");
  EXPECT_EQ(sessions.CountOf(Pilot("alice")), 3u);
  EXPECT_EQ(sessions.CountOf(Pilot("bob")), 1u);
}

TEST(Sessions, TenThousandLoginsWithOneTokenEvictNobodyElse) {
  Sessions sessions(absl::Hours(12), /*max_sessions=*/100, /*max_per_principal=*/4);
  const std::string pilot = sessions.Open(Pilot("bob"), kT0);
  const std::string op = sessions.Open(Operator("op-cibc-idf"), kT0);
  // The same id under another role is another principal.
  const std::string same_name = sessions.Open(Operator("mallory"), kT0);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_FALSE(sessions.Open(Pilot("mallory"), kT0 + absl::Seconds(1)).empty());
  }
  const absl::Time now = kT0 + absl::Seconds(2);
  EXPECT_TRUE(sessions.Find(pilot, now));
  EXPECT_TRUE(sessions.Find(op, now));
  EXPECT_TRUE(sessions.Find(same_name, now));
  EXPECT_EQ(sessions.CountOf(Pilot("mallory")), 4u);
  EXPECT_EQ(sessions.CountOf(Operator("mallory")), 1u);
}

TEST(Sessions, ExpiredSessionsOfThePrincipalGoBeforeALiveOne) {
  Sessions sessions(absl::Hours(12), /*max_sessions=*/10000, /*max_per_principal=*/2);
  const std::string expired = sessions.Open(Pilot("alice"), kT0);
  const absl::Time next_day = kT0 + absl::Hours(13);
  const std::string live = sessions.Open(Pilot("alice"), next_day);
  EXPECT_EQ(sessions.CountOf(Pilot("alice")), 1u) << "the expired one is forgotten";
  const std::string newest = sessions.Open(Pilot("alice"), next_day + absl::Seconds(1));
  EXPECT_FALSE(sessions.Find(expired, next_day));
  EXPECT_TRUE(sessions.Find(live, next_day + absl::Seconds(1)));
  EXPECT_TRUE(sessions.Find(newest, next_day + absl::Seconds(1)));
}

TEST(Sessions, TheOverallCapStillHolds) {
  Sessions sessions(absl::Hours(12), /*max_sessions=*/3, /*max_per_principal=*/32);
  const std::string first = sessions.Open(Pilot("a"), kT0);
  sessions.Open(Pilot("b"), kT0 + absl::Seconds(1));
  sessions.Open(Pilot("c"), kT0 + absl::Seconds(2));
  const std::string fourth = sessions.Open(Pilot("d"), kT0 + absl::Seconds(3));
  const absl::Time now = kT0 + absl::Seconds(4);
  EXPECT_FALSE(sessions.Find(first, now)) << "the one closest to expiry goes";
  EXPECT_TRUE(sessions.Find(fourth, now));
}

}  // namespace
}  // namespace pilotage::query
