// Checked arithmetic on cents (money.h), with values worked out by hand.
#include "pilotage/domain/money.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace pilotage::domain {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();  // 9 223 372 036 854 775 807
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(MulCents, IsExactWithinRange) {
  // 1 000 EUR per point x 30 points = 30 000 EUR.
  EXPECT_EQ(*MulCents(100000, 30), 3000000);
  EXPECT_EQ(*MulCents(-2500, 4), -10000);
  EXPECT_EQ(*MulCents(0, kMax), 0);
  // 2^31 x 2^31 = 2^62 = 4 611 686 018 427 387 904 fits.
  EXPECT_EQ(*MulCents(int64_t{1} << 31, int64_t{1} << 31), int64_t{1} << 62);
}

TEST(MulCents, RefusesAnOverflowNamingTheOperands) {
  // 2^32 x 2^31 = 2^63 is one more than the largest int64.
  auto r = MulCents(int64_t{1} << 32, int64_t{1} << 31);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(r.status().message(), "amount overflows: 4294967296 x 2147483648");
  EXPECT_EQ(MulCents(kMin, -1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(AddCents, IsExactWithinRangeAndRefusesAnOverflow) {
  // 800 EUR of fees + 300 EUR of bonus = 1 100 EUR; minus a 30 080 EUR penalty.
  EXPECT_EQ(*AddCents(80000, 30000), 110000);
  EXPECT_EQ(*AddCents(110000, -3008000), -2898000);
  EXPECT_EQ(*AddCents(kMax, 0), kMax);
  auto r = AddCents(kMax, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(r.status().message(), "amount overflows: 9223372036854775807 + 1");
  EXPECT_EQ(AddCents(kMin, -1).status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace pilotage::domain
