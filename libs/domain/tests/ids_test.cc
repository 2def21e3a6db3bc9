#include "pilotage/domain/ids.h"

#include "gtest/gtest.h"
#include "pilotage/domain/penalty.h"

namespace pilotage::domain {
namespace {

// Expected values computed apart (a few lines of Python over the UTF-8 bytes,
// with the documented basis, prime and 0x1f separator): stored ids depend on
// them, so they are pinned, not derived from the code under test.
TEST(ContentHash, KeepsTheValueStoredIdsWereComputedWith) {
  EXPECT_EQ(ContentHash({}), 0x14650fb0739d0383ULL);  // the basis itself
  EXPECT_EQ(ContentId("penalty-confirmed", {"LOT-11", "PEN-1"}),
            "penalty-confirmed-e0ef72e17135b64e");
  EXPECT_EQ(PenaltyId("LOT-11", "2024-Q2", "r", "T1"), "PEN-d8ae3323dd362d5b");
}

TEST(ContentHash, SeparatesPartsAndAgreesAcrossOverloads) {
  EXPECT_NE(ContentId("x", {"ab", "c"}), ContentId("x", {"a", "bc"}));
  EXPECT_EQ(ContentId("x", {"LOT-11", "PEN-1"}),
            ContentId("x", std::vector<std::string>{"LOT-11", "PEN-1"}));
}

}  // namespace
}  // namespace pilotage::domain
