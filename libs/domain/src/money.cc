#include "pilotage/domain/money.h"

#include "absl/status/status.h"
#include "fmt/format.h"

namespace pilotage::domain {

absl::StatusOr<int64_t> MulCents(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) {
    return absl::OutOfRangeError(fmt::format("amount overflows: {} x {}", a, b));
  }
  return out;
}

absl::StatusOr<int64_t> AddCents(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return absl::OutOfRangeError(fmt::format("amount overflows: {} + {}", a, b));
  }
  return out;
}

}  // namespace pilotage::domain
