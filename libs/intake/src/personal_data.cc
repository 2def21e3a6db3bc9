// The personal-data guard and the pseudonym rule.
#include <cctype>
#include <string>

#include "pilotage/intake/intake.h"

namespace pilotage::intake {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSeparator(char c) { return c == ' ' || c == '.' || c == '-' || c == '/'; }

// A NIR written in one piece or in groups: 13 characters (15 with the key),
// first digit 1-8 (sex, or 7/8 for temporary numbers), the département in
// positions 6-7 may be 2A/2B (Corsica).
bool IsNirShaped(const std::string& d) {
  if (d.size() != 13 && d.size() != 15) return false;
  if (d[0] < '1' || d[0] > '8') return false;
  for (size_t i = 0; i < d.size(); ++i) {
    if (IsDigit(d[i])) continue;
    if (i == 6 && d[5] == '2' && (d[6] == 'A' || d[6] == 'B')) continue;
    return false;
  }
  return true;
}

bool AllDigits(const std::string& d) {
  for (char c : d) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// A French phone number: 0 then 9 digits (the first 1-9), or 33 then 9
// digits (+33 / 0033 written without the plus).
bool IsPhoneShaped(const std::string& d) {
  if (!AllDigits(d)) return false;
  if (d.size() == 10 && d[0] == '0' && d[1] != '0') return true;
  if (d.size() == 11 && d[0] == '3' && d[1] == '3' && d[2] != '0') return true;
  if (d.size() == 13 && d.compare(0, 4, "0033") == 0 && d[4] != '0') return true;
  return false;
}

std::optional<std::string_view> Judge(const std::string& digits) {
  if (IsPhoneShaped(digits)) return "a phone number";
  if (IsNirShaped(digits) || (AllDigits(digits) && digits.size() >= 13)) {
    return "a NIR (social security number)";
  }
  return std::nullopt;
}

// A canonical UUID, 8-4-4-4-12 hex digits: an id the sender drew at random,
// never personal, although its hex groups may hold a run of decimal digits
// shaped like a phone number (about 1 random UUID in 1,500).
bool IsUuid(std::string_view v) {
  if (v.size() != 36) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (v[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(v[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string_view> LooksPersonal(std::string_view v) {
  if (IsUuid(v)) return std::nullopt;
  // E-mail: something@something.something.
  if (auto at = v.find('@'); at != std::string_view::npos && at > 0) {
    auto dot = v.find('.', at + 2);
    if (dot != std::string_view::npos && dot + 1 < v.size()) return "an e-mail address";
  }
  // Numbers: maximal digit runs, joined across single separators when the
  // groups are short (as people write "06 12 34 56 78" or
  // "1 85 05 75 123 456 78"); a group longer than 3 characters stands alone,
  // so that the groups of a UUID are never joined into a long number.
  const size_t n = v.size();
  size_t i = 0;
  while (i < n) {
    if (!IsDigit(v[i])) {
      ++i;
      continue;
    }
    std::string joined;
    size_t j = i;
    while (true) {
      const size_t start = j;
      std::string group;
      // Corsica: "2A"/"2B" inside a number, not followed by another letter.
      while (j < n && (IsDigit(v[j]) ||
                       ((v[j] == 'A' || v[j] == 'B') && j > start && v[j - 1] == '2' &&
                        (j + 1 == n || !std::isalpha(static_cast<unsigned char>(v[j + 1])))))) {
        group.push_back(v[j]);
        ++j;
      }
      if (group.size() > 3) {
        if (auto kind = Judge(group)) return kind;
        break;
      }
      joined += group;
      if (j + 1 < n && IsSeparator(v[j]) && IsDigit(v[j + 1])) {
        ++j;
        continue;
      }
      break;
    }
    if (auto kind = Judge(joined)) return kind;
    i = j;
  }
  return std::nullopt;
}

bool IsValidPseudonym(std::string_view v) {
  if (v.size() < 8 || v.size() > 64) return false;
  bool letter = false;
  for (char c : v) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha;
    if (!alpha && !IsDigit(c) && c != '_' && c != '-') return false;
  }
  return letter && !LooksPersonal(v).has_value();
}

}  // namespace pilotage::intake
