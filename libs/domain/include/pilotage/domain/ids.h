#pragma once
// Content-derived ids: one hash for every id computed from what it names
// (penalty ids, corrective action ids of the penalty job, the event ids of
// pilots' steering commands), so that the same content always gives the same
// id and a resend is deduplicated (decisions 0011, 0027).
//
// The hash is FNV-1a over 64 bits (prime 1099511628211) with two
// particularities that are part of the ids' VALUE and must never change:
// stored penalties, actions and events carry ids computed with them.
//  - the offset basis is 1469598103934665603, not FNV's 14695981039346656037
//    (a digit was lost when it was first written: it stays);
//  - after each part, the byte 0x1f (unit separator) is mixed in, so that
//    ("ab", "c") and ("a", "bc") differ.
// Pure; safe from any thread.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace pilotage::domain {

inline constexpr uint64_t kContentHashBasis = 1469598103934665603ULL;
inline constexpr uint64_t kContentHashPrime = 1099511628211ULL;

// The hash described above of `parts`, in order.
uint64_t ContentHash(std::initializer_list<std::string_view> parts);
uint64_t ContentHash(const std::vector<std::string>& parts);

// "<prefix>-" and the 16 lower-case hex digits of ContentHash(parts).
std::string ContentId(std::string_view prefix, std::initializer_list<std::string_view> parts);
std::string ContentId(std::string_view prefix, const std::vector<std::string>& parts);

}  // namespace pilotage::domain
