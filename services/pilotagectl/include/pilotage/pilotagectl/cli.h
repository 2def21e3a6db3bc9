#pragma once
// pilotagectl's command line: one subcommand per file under src/, registered
// here (the steering commands through src/steering_cli.cc). Returns the process exit code (0, 2 for
// bad usage, else service::ExitCodeFor the error).

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pilotage::pilotagectl {

// An unknown subcommand is refused (exit 2) with the closest known one:
// "pilotagectl : sous-commande inconnue « ledgr » ; voulez-vous dire
// « ledger » ?" (issue 18 point 9), on stderr.
int RunCli(int argc, char** argv, std::ostream& out);

// The name of `candidates` closest to `word` by edit distance (insertions,
// deletions, substitutions, transpositions of two neighbours), when it is
// within max(2, size of word / 3); nullopt otherwise. Ties: the first.
std::optional<std::string> ClosestName(std::string_view word,
                                       const std::vector<std::string>& candidates);

}  // namespace pilotage::pilotagectl
