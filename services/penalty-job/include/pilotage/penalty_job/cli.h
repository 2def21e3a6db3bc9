#pragma once
// The pilotage-penalty-job command line: main.cc is only a call to RunCli.
//
// Parses the options into JobOptions (job.h) and runs the job once, the
// report on stdout. `--help` lists every option (also read from the
// environment and from a --config file) and the exit codes. Errors are
// printed on stderr as "pilotage-penalty-job: <message>"; the exit code is
// ExitCode's (job.h): 0 done, 2 bad usage or input, 7 the period is not
// closed yet, 9 fenced, 10 the store cannot be trusted, ...
// Call it once per process: it installs the process-wide Kafka client
// settings (--kafka-config).

namespace pilotage::penalty_job {

[[nodiscard]] int RunCli(int argc, const char* const* argv);

}  // namespace pilotage::penalty_job
