#include "ids.h"

#include "fmt/format.h"
#include "random.h"

namespace pilotage::simulator {
namespace {

// 64 bits as 13 letters of a 32-letter alphabet (no digits, no l/o to read
// them aloud): 13 x 5 = 65 bits.
std::string Letters(uint64_t v) {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGH";
  std::string out(13, 'a');
  for (int i = 12; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kAlphabet[v & 31];
    v >>= 5;
  }
  return out;
}

}  // namespace

std::string EventId(uint64_t seed, uint64_t lot_hash, uint32_t beneficiary, uint8_t seq) {
  const uint64_t h = HashValues({seed, lot_hash, beneficiary, seq, 0x6576656e74ULL});
  uint64_t hi = Mix64(h ^ 0x1111111111111111ULL);
  uint64_t lo = Mix64(h ^ 0x2222222222222222ULL);
  hi = (hi & ~0xf000ULL) | 0x8000ULL;                         // version 8
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

std::string BeneficiaryToken(uint64_t seed, std::string_view lot_id, uint32_t beneficiary) {
  const std::string reference = fmt::format("b-{}-{}", lot_id, beneficiary);
  return "b-" + Letters(HashValues({seed, HashText(reference), 0x62656eULL}));
}

std::string AppointmentId(uint64_t seed, uint64_t lot_hash, uint32_t beneficiary,
                          uint8_t appointment) {
  return "apt-" + Letters(HashValues({seed, lot_hash, beneficiary, appointment, 0x617074ULL}));
}

}  // namespace pilotage::simulator
