#include "pilotage/domain/ids.h"

#include "fmt/format.h"

namespace pilotage::domain {
namespace {

void Mix(uint64_t& h, std::string_view part) {
  for (unsigned char c : part) {
    h ^= c;
    h *= kContentHashPrime;
  }
  h ^= 0x1f;  // part separator
  h *= kContentHashPrime;
}

}  // namespace

uint64_t ContentHash(std::initializer_list<std::string_view> parts) {
  uint64_t h = kContentHashBasis;
  for (std::string_view part : parts) Mix(h, part);
  return h;
}

uint64_t ContentHash(const std::vector<std::string>& parts) {
  uint64_t h = kContentHashBasis;
  for (const auto& part : parts) Mix(h, part);
  return h;
}

std::string ContentId(std::string_view prefix, std::initializer_list<std::string_view> parts) {
  return fmt::format("{}-{:016x}", prefix, ContentHash(parts));
}

std::string ContentId(std::string_view prefix, const std::vector<std::string>& parts) {
  return fmt::format("{}-{:016x}", prefix, ContentHash(parts));
}

}  // namespace pilotage::domain
