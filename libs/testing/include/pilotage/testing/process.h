#pragma once
// Running pilotage's own programs from tests, as an operator would.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace pilotage::testing {

// Starts `program` with `args`, stdout and stderr appended to `log`.
// Returns the pid (-1 and a test failure if it could not start).
pid_t Spawn(const std::string& program, const std::vector<std::string>& args,
            const std::filesystem::path& log);

// The same, but the process is held stopped (SIGSTOP) before it runs
// `program`: when this returns, it is stopped (waitpid says so). Release()
// lets it go. For tests that need two programs started before either can
// finish: spawn both held, then release both.
// Returns the pid (-1 and a test failure if it could not start or stop).
pid_t SpawnHeld(const std::string& program, const std::vector<std::string>& args,
                const std::filesystem::path& log);

// Lets a process held by SpawnHeld run (SIGCONT); false if it cannot.
[[nodiscard]] bool Release(pid_t pid);

// Waits for `pid`: its exit code, or 128 + signal if a signal ended it.
int WaitExit(pid_t pid);

// The same, waiting at most `limit` (0: only checks): -1 when `pid` still
// runs then (it is left running), or is not a child of this process.
int WaitExitWithin(pid_t pid, std::chrono::milliseconds limit);

struct RunResult {
  int code = -1;
  std::string output;  // stdout, and stderr too when asked
};

// Runs `program` to completion and captures its output.
RunResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     bool with_stderr = false);

// Runs `program` (its stdout only) and parses what it prints as JSON. Fails
// the calling test (EXPECT) when it exits non-zero or prints no JSON; the
// value is then discarded (is_discarded()).
nlohmann::json RunJson(const std::string& program, const std::vector<std::string>& args);

// What a command-line entry answered (CallCli).
struct CliOutcome {
  int code = -1;
  std::string out;
  std::string err;
};

// Calls a program's command-line entry (e.g. projector::RunCli) in this
// process, with `program` as argv[0] followed by `args`, and captures what it
// writes on stdout and stderr (gtest's capture: one call at a time, from the
// test's thread).
CliOutcome CallCli(int (*run_cli)(int, const char* const*), const std::string& program,
                   const std::vector<std::string>& args);

// The last `bytes` of a log file, for failure messages.
std::string TailOf(const std::filesystem::path& log, size_t bytes = 4000);

}  // namespace pilotage::testing
