// The personal-data guard and the pseudonym rule.
#include <cctype>
#include <string>
#include <vector>

#include "pilotage/intake/intake.h"

namespace pilotage::intake {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// What people (and ids) put between the groups of a number: "06 12 34 56 78",
// "06.12.34.56.78", "06-12-34-56-78", "06/12/34/56/78", "06_12_34_56_78",
// "06:12:34:56:78", "+33 (0)6 12 34 56 78". Any run of them joins two groups.
bool IsSeparator(char c) {
  switch (c) {
    case ' ':
    case '.':
    case '-':
    case '/':
    case '_':
    case ':':
    case '+':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}

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

// Whether `d` from `at` is 9 digits, the first 1-9: a French number without
// its trunk 0.
bool NationalNumberAt(const std::string& d, size_t at) {
  return d.size() == at + 9 && d[at] != '0';
}

// A French phone number: 0 then 9 digits (the first 1-9); or the country code
// 33 (written +33, or 0033) then the 9 digits, with the trunk 0 dropped as it
// should be or kept as people write it ("+33 (0)6 ...").
bool IsPhoneShaped(const std::string& d) {
  if (!AllDigits(d)) return false;
  if (d.size() == 10 && d[0] == '0' && d[1] != '0') return true;
  for (std::string_view prefix : {"33", "330", "0033", "00330"}) {
    if (d.compare(0, prefix.size(), prefix) == 0 && NationalNumberAt(d, prefix.size())) return true;
  }
  return false;
}

std::optional<std::string_view> Judge(const std::string& digits) {
  if (IsPhoneShaped(digits)) return "a phone number";
  if (IsNirShaped(digits) || (AllDigits(digits) && digits.size() >= 13)) {
    return "a NIR (social security number)";
  }
  return std::nullopt;
}

// Whether a canonical UUID, 8-4-4-4-12 hex digits, starts at `at`.
bool UuidAt(std::string_view v, size_t at) {
  if (v.size() - at < 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    const char c = v[at + i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!IsHex(c)) {
      return false;
    }
  }
  return true;
}

// The value with every canonical UUID in it (alone, or inside a longer id
// such as "evt-<uuid>", not glued to another letter or digit) replaced by
// letters: a UUID is an id the sender drew at random, never personal,
// although its hex groups may hold a run of decimal digits shaped like a
// phone number (about 1 random UUID in 1,500).
std::string WithoutUuids(std::string_view v) {
  std::string out(v);
  for (size_t i = 0; i + 36 <= v.size(); ++i) {
    if ((i == 0 || !IsAlnum(v[i - 1])) && UuidAt(v, i) &&
        (i + 36 == v.size() || !IsAlnum(v[i + 36]))) {
      out.replace(i, 36, 36, 'u');
      i += 35;
    }
  }
  return out;
}

// One group of a number: a digit run ("2A"/"2B" inside it for Corsica).
struct Group {
  std::string text;
  size_t end;  // one past its last character in the value
};

// The group starting at `i` (a digit).
Group ReadGroup(const std::string& v, size_t i) {
  Group g{"", i};
  size_t& j = g.end;
  const size_t n = v.size();
  // Corsica: "2A"/"2B" inside a number, not followed by another letter.
  while (j < n &&
         (IsDigit(v[j]) || ((v[j] == 'A' || v[j] == 'B') && j > i && v[j - 1] == '2' &&
                            (j + 1 == n || !std::isalpha(static_cast<unsigned char>(v[j + 1])))))) {
    g.text.push_back(v[j]);
    ++j;
  }
  return g;
}

// Whether a group of 4 may start a written number: the country code "0033"
// or a phone number's first four digits ("0612 34 56 78").
bool OpensNumber(const std::string& g) { return g.size() == 4 && g[0] == '0' && AllDigits(g); }

// Whether any run of consecutive groups, joined, is personal data; the whole
// chain is judged too (any 13 digits or more).
std::optional<std::string_view> JudgeChain(const std::vector<std::string>& chain) {
  for (size_t s = 0; s < chain.size(); ++s) {
    std::string joined;
    for (size_t e = s; e < chain.size() && joined.size() <= 15; ++e) {
      joined += chain[e];
      if (auto kind = Judge(joined)) return kind;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> LooksPersonal(std::string_view value) {
  // E-mail: something@something.something.
  if (auto at = value.find('@'); at != std::string_view::npos && at > 0) {
    auto dot = value.find('.', at + 2);
    if (dot != std::string_view::npos && dot + 1 < value.size()) return "an e-mail address";
  }
  const std::string v = WithoutUuids(value);
  // Numbers: maximal digit runs ("groups"), chained across runs of separators
  // when they are short, as people write "06 12 34 56 78" or
  // "1 85 05 75 123 456 78"; every run of consecutive groups of a chain is
  // judged, so that a digit glued in front ("lot_3_06_12_34_56_78") hides
  // nothing. A group longer than 3 characters is judged alone and never
  // joined to its neighbours (the groups of "LOT-11-2024-000123" are not one
  // number), except a first group "0033" or "0612" (a number's opening).
  const size_t n = v.size();
  size_t i = 0;
  while (i < n) {
    if (!IsDigit(v[i])) {
      ++i;
      continue;
    }
    std::vector<std::string> chain;
    size_t j = i;
    while (true) {
      Group g = ReadGroup(v, j);
      if (g.text.size() > 3) {
        // Read again as the first group of the next chain.
        if (!chain.empty()) break;
        if (auto kind = Judge(g.text)) return kind;
        if (!OpensNumber(g.text)) {
          j = g.end;
          break;
        }
      }
      j = g.end;
      chain.push_back(std::move(g.text));
      size_t k = j;
      while (k < n && IsSeparator(v[k])) ++k;
      if (k == j || k == n || !IsDigit(v[k])) break;
      j = k;
    }
    if (auto kind = JudgeChain(chain)) return kind;
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
