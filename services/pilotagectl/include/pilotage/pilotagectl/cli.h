#pragma once
// pilotagectl's command line: one subcommand per file under src/, registered
// here (the steering commands through src/steering_cli.cc). Returns the process exit code (0, 2 for
// bad usage, else service::ExitCodeFor the error).

#include <iosfwd>

namespace pilotage::pilotagectl {

int RunCli(int argc, char** argv, std::ostream& out);

}  // namespace pilotage::pilotagectl
