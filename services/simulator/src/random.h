#pragma once
// The simulator's own pseudo-random numbers and hashes. Everything here is
// specified bit for bit (no std:: distribution, whose output differs between
// standard libraries), so that a seed gives the same events everywhere.

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

namespace pilotage::simulator {

// SplitMix64's finaliser: a bijective 64-bit mix.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Combines values into one well-mixed 64-bit hash (order matters).
constexpr uint64_t HashValues(std::initializer_list<uint64_t> values) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (uint64_t v : values) h = Mix64(h ^ Mix64(v));
  return h;
}

// FNV-1a of the bytes, then mixed.
constexpr uint64_t HashText(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. Small, fast
// and fully specified; one generator per beneficiary keeps each journey
// independent of the order in which journeys are generated. Not thread-safe.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      s = Mix64(seed - 0x9e3779b97f4a7c15ULL);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [lo, hi] (inclusive), without modulo bias.
  int64_t Between(int64_t lo, int64_t hi) {
    const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
    if (range == 0) return static_cast<int64_t>(Next());  // the full 64-bit range
    const uint64_t limit = -range % range;                // 2^64 mod range
    uint64_t x;
    do {
      x = Next();
    } while (x < limit);
    return lo + static_cast<int64_t>(x % range);
  }

  bool Chance(double p) { return Uniform() < p; }

 private:
  static constexpr uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

// A discrete distribution over values of T, from (value, weight) pairs; the
// weights need not sum to anything in particular.
template <typename T>
class Weighted {
 public:
  Weighted(std::initializer_list<std::pair<T, double>> entries) {
    for (const auto& [value, weight] : entries) Add(value, weight);
  }
  Weighted() = default;

  void Add(T value, double weight) {
    total_ += weight;
    values_.push_back(value);
    cumulative_.push_back(total_);
  }

  T Sample(Rng& rng) const {
    const double u = rng.Uniform() * total_;
    size_t lo = 0, hi = cumulative_.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (u < cumulative_[mid]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return values_[lo];
  }

  double total() const { return total_; }
  size_t size() const { return values_.size(); }

 private:
  std::vector<T> values_;
  std::vector<double> cumulative_;
  double total_ = 0;
};

}  // namespace pilotage::simulator
