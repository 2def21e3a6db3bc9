#include "pilotage/domain/french.h"

#include <cmath>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {
namespace {

constexpr std::string_view kNarrowNoBreakSpace = "\u202f";
constexpr std::string_view kNoBreakSpace = "\u00a0";

// |n| without overflow on INT64_MIN.
uint64_t Magnitude(int64_t n) {
  return n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
}

std::string Grouped(uint64_t n, std::string_view separator) {
  const std::string digits = fmt::format("{}", n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3 * separator.size());
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.append(separator);
    out.push_back(digits[i]);
  }
  return out;
}

std::string Euros(int64_t cents, std::string_view group, std::string_view sign) {
  const uint64_t abs = Magnitude(cents);
  return fmt::format("{}{},{:02d}{}", cents < 0 ? "-" : "", Grouped(abs / 100, group), abs % 100,
                     sign);
}

}  // namespace

std::string FrenchInteger(int64_t n) {
  return (n < 0 ? "-" : "") + Grouped(Magnitude(n), kNarrowNoBreakSpace);
}

std::string FrenchCount(double value) { return FrenchInteger(std::llround(value)); }

std::string FrenchEuros(int64_t cents) {
  return Euros(cents, kNarrowNoBreakSpace, fmt::format("{}€", kNoBreakSpace));
}

std::string FrenchPercent(double share, int decimals) {
  std::string s = fmt::format("{:.{}f}", share * 100.0, decimals);
  for (char& c : s) {
    if (c == '.') c = ',';
  }
  return fmt::format("{}{}%", s, kNoBreakSpace);
}

std::string FrenchDay(std::string_view iso_day) {
  auto day = ParseDay(iso_day);
  return day.ok() ? FrenchDate(*day) : std::string(iso_day);
}

std::string FrenchCapitalized(std::string_view text) {
  std::string out(text);
  if (out.empty()) return out;
  if (out[0] >= 'a' && out[0] <= 'z') {
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
  }
  // U+00E0..U+00FE is C3 A0..C3 BE in UTF-8; its capital is 0x20 lower,
  // except U+00F7 (the division sign), which has none.
  const auto second = out.size() > 1 ? static_cast<unsigned char>(out[1]) : 0;
  if (static_cast<unsigned char>(out[0]) == 0xC3 && second >= 0xA0 && second <= 0xBE &&
      second != 0xB7) {
    out[1] = static_cast<char>(second - 0x20);
  }
  return out;
}

std::string FormatEuros(int64_t cents) { return Euros(cents, " ", " EUR"); }

}  // namespace pilotage::domain
