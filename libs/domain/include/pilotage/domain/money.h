#pragma once
// Arithmetic on money, in integer euro cents (int64), checked for overflow:
// the penalty and statement computations use these instead of bare * and +,
// so that absurd terms or amounts are refused rather than wrapped around.
//
// Errors: kOutOfRange "amount overflows: A x B" (MulCents) or
// "amount overflows: A + B" (AddCents) when the exact result does not fit in
// int64. No rounding: the results are exact.

#include <cstdint>

#include "absl/status/statusor.h"

namespace pilotage::domain {

// a x b, exact.
[[nodiscard]] absl::StatusOr<int64_t> MulCents(int64_t a, int64_t b);

// a + b, exact.
[[nodiscard]] absl::StatusOr<int64_t> AddCents(int64_t a, int64_t b);

}  // namespace pilotage::domain
