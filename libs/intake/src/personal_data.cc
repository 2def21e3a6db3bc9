// The personal-data guard and the pseudonym rule.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

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
bool IsNirShaped(std::string_view d) {
  if (d.size() != 13 && d.size() != 15) return false;
  if (d[0] < '1' || d[0] > '8') return false;
  for (size_t i = 0; i < d.size(); ++i) {
    if (IsDigit(d[i])) continue;
    if (i == 6 && d[5] == '2' && (d[6] == 'A' || d[6] == 'B')) continue;
    return false;
  }
  return true;
}

bool AllDigits(std::string_view d) {
  for (char c : d) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// A French phone number: 0 then 9 digits (the first 1-9); or the country code
// 33 (written +33, or 0033) then the 9 digits, with the trunk 0 dropped as it
// should be or kept as people write it ("+33 (0)6 ...").
bool IsPhoneShaped(std::string_view d) {
  if (!AllDigits(d)) return false;
  if (d.size() == 10 && d[0] == '0' && d[1] != '0') return true;
  for (std::string_view prefix : {"33", "330", "0033", "00330"}) {
    // The prefix, then 9 digits the first of which is 1-9.
    if (d.size() == prefix.size() + 9 && d.substr(0, prefix.size()) == prefix &&
        d[prefix.size()] != '0') {
      return true;
    }
  }
  return false;
}

std::optional<std::string_view> Judge(std::string_view digits) {
  if (IsPhoneShaped(digits)) return "a phone number";
  if (IsNirShaped(digits) || (AllDigits(digits) && digits.size() >= 13)) {
    return "a NIR (social security number)";
  }
  return std::nullopt;
}

// Whether a canonical UUID, 8-4-4-4-12 hex digits, starts at `at`.
bool UuidAt(std::string_view v, size_t at) {
  if (v.size() - at < 36) return false;
  // The dashes first: most positions fail there.
  if (v[at + 8] != '-' || v[at + 13] != '-' || v[at + 18] != '-' || v[at + 23] != '-') {
    return false;
  }
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    if (!IsHex(v[at + i])) return false;
  }
  return true;
}

// Whether a canonical UUID starting at `i` stands as a word of `v` (alone, or
// inside a longer id such as "evt-<uuid>", not glued to another letter or
// digit).
bool UuidWordAt(std::string_view v, size_t i) {
  return (i == 0 || !IsAlnum(v[i - 1])) && UuidAt(v, i) &&
         (i + 36 == v.size() || !IsAlnum(v[i + 36]));
}

// The group starting at `i` (a digit): a digit run, "2A"/"2B" inside it for
// Corsica (not followed by another letter). Returns one past its end.
size_t GroupEnd(std::string_view v, size_t i) {
  size_t j = i;
  const size_t n = v.size();
  while (j < n &&
         (IsDigit(v[j]) || ((v[j] == 'A' || v[j] == 'B') && j > i && v[j - 1] == '2' &&
                            (j + 1 == n || !std::isalpha(static_cast<unsigned char>(v[j + 1])))))) {
    ++j;
  }
  return j;
}

// Whether a group of 4 may start a written number: the country code "0033"
// or a phone number's first four digits ("0612 34 56 78").
bool OpensNumber(std::string_view g) { return g.size() == 4 && g[0] == '0' && AllDigits(g); }

// The groups of one chain (slices of the value), judged run by run. Left
// uninitialized until used: most values hold few digits or none.
class Chain {
 public:
  explicit Chain(std::string_view value) : value_(value) {}

  void Clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }

  // Adds the group at [at, at + length); when the chain is full, judges it
  // and keeps its last groups (a judged run spans at most 15 characters, so
  // at most 15 groups).
  std::optional<std::string_view> Add(size_t at, size_t length) {
    if (size_ == kMax) {
      if (auto kind = Judge()) return kind;
      std::copy(groups_ + kMax - kKeep, groups_ + kMax, groups_);
      size_ = kKeep;
    }
    groups_[size_++] = Slice{static_cast<uint32_t>(at), static_cast<uint32_t>(length)};
    return std::nullopt;
  }

  // Whether any run of consecutive groups, joined, is personal data.
  std::optional<std::string_view> Judge() const {
    char joined[32];
    for (size_t s = 0; s < size_; ++s) {
      size_t length = 0;
      for (size_t e = s; e < size_ && length + groups_[e].length <= sizeof(joined); ++e) {
        std::copy_n(value_.data() + groups_[e].at, groups_[e].length, joined + length);
        length += groups_[e].length;
        if (auto kind = pilotage::intake::Judge(std::string_view(joined, length))) return kind;
        if (length > 15) break;
      }
    }
    return std::nullopt;
  }

 private:
  struct Slice {
    uint32_t at;
    uint32_t length;
  };
  static constexpr size_t kMax = 64;
  static constexpr size_t kKeep = 15;
  std::string_view value_;
  Slice groups_[kMax];
  size_t size_ = 0;
};

}  // namespace

std::optional<std::string_view> LooksPersonal(std::string_view value) {
  // E-mail: something@something.something.
  if (auto at = value.find('@'); at != std::string_view::npos && at > 0) {
    auto dot = value.find('.', at + 2);
    if (dot != std::string_view::npos && dot + 1 < value.size()) return "an e-mail address";
  }
  // A canonical UUID, alone or inside an id, is an id the sender drew at
  // random, never personal, although its hex groups may hold a run of decimal
  // digits shaped like a phone number (about 1 random UUID in 1,500): its
  // characters are read as letters.
  if (value.size() == 36 && UuidAt(value, 0)) return std::nullopt;
  std::string masked;
  std::string_view v = value;
  for (size_t i = 0; i + 36 <= value.size(); ++i) {
    if (UuidWordAt(value, i)) {
      if (masked.empty()) masked.assign(value);
      masked.replace(i, 36, 36, 'u');
      v = masked;
      i += 35;
    }
  }
  // Numbers: maximal digit runs ("groups"), chained across runs of separators
  // when they are short, as people write "06 12 34 56 78" or
  // "1 85 05 75 123 456 78"; every run of consecutive groups of a chain is
  // judged, so that a digit glued in front ("lot_3_06_12_34_56_78") hides
  // nothing. A group longer than 3 characters is judged alone and never
  // joined to its neighbours (the groups of "LOT-11-2024-000123" are not one
  // number), except a first group "0033" or "0612" (a number's opening).
  const size_t n = v.size();
  size_t i = 0;
  Chain chain(v);
  while (i < n) {
    if (!IsDigit(v[i])) {
      ++i;
      continue;
    }
    chain.Clear();
    size_t j = i;
    while (true) {
      const size_t end = GroupEnd(v, j);
      const std::string_view group = v.substr(j, end - j);
      if (group.size() > 3) {
        // Read again as the first group of the next chain.
        if (!chain.empty()) break;
        if (auto kind = Judge(group)) return kind;
        if (!OpensNumber(group)) {
          j = end;
          break;
        }
      }
      if (auto kind = chain.Add(j, group.size())) return kind;
      j = end;
      size_t k = j;
      while (k < n && IsSeparator(v[k])) ++k;
      if (k == j || k == n || !IsDigit(v[k])) break;
      j = k;
    }
    if (auto kind = chain.Judge()) return kind;
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
