#pragma once
// The pilotage-simulator command line (main.cc is only a call to RunCli).
// Run with --help for the options. Exit codes: 0 done; 1 the run failed
// (broker unreachable, failed deliveries, write error); 2 bad usage (unknown
// option, bad value, unreadable or invalid lot file).

namespace pilotage::simulator {

int RunCli(int argc, const char* const* argv);

}  // namespace pilotage::simulator
