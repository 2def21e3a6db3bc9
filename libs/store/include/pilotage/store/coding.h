#pragma once
// Fixed-width encoding of integers in stored values: 8 bytes, little-endian,
// the same on every machine. Header-only; no RocksDB.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pilotage::store {

inline void AppendFixed64(std::string& out, int64_t value) {
  const auto u = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

inline std::string EncodeFixed64(int64_t value) {
  std::string out;
  out.reserve(8);
  AppendFixed64(out, value);
  return out;
}

// Reads 8 bytes at `p` (the caller checked there are 8).
inline int64_t ReadFixed64(const char* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i)
    u |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return static_cast<int64_t>(u);
}

// kDataLoss, naming `what`, when `bytes` is not exactly 8 bytes.
[[nodiscard]] inline absl::StatusOr<int64_t> DecodeFixed64(std::string_view bytes,
                                                           std::string_view what) {
  if (bytes.size() != 8) {
    return absl::DataLossError(std::string(what) + " is not 8 bytes but " +
                               std::to_string(bytes.size()));
  }
  return ReadFixed64(bytes.data());
}

}  // namespace pilotage::store
