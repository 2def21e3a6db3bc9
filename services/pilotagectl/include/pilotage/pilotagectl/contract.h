#pragma once
// `pilotagectl contract publish`: publishes the contract to the contract
// topic, keyed by lot: for every lot of a lot file, its LotAwarded (region,
// operator, départements, dates, budget) and each terms version that governs
// it. A terms version governing several lots is published once per lot, so
// that every lot's partition holds its own terms (decision 0007).
//
// Terms are validated first (domain::ValidateTerms): nothing is published if
// one is invalid, and the error names the field. Event ids are deterministic
// ("award-LOT", "terms-VERSION-LOT"): publishing again is harmless.

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "pilotage/topics/topics.h"

namespace pilotage::pilotagectl {

struct PublishOptions {
  std::string bootstrap;
  std::string topic = pilotage::topics::kContract;
  // The lot file (deploy/lots/cep-2024-lots.json).
  std::filesystem::path lots_file;
  // Only these lots of the file; empty: every lot.
  std::vector<std::string> lots;
  // > 1: a contract that many times larger, for simulated load
  // (domain::MultiplyLots; pilotage-simulator --lots-multiplier).
  int lots_multiplier = 1;
  // Terms files (text format), e.g. deploy/terms/cep-2024-example.textproto.
  std::vector<std::filesystem::path> terms_files;
};

[[nodiscard]] absl::Status PublishContract(const PublishOptions& options, std::ostream& out);

// Parses and validates terms files, printing one line per file; the first
// error (with the file and the field) is returned.
[[nodiscard]] absl::Status CheckTerms(const std::vector<std::filesystem::path>& files,
                                      std::ostream& out);

}  // namespace pilotage::pilotagectl
