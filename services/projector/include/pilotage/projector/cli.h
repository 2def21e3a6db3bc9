#pragma once
// The pilotage-projector command line: main.cc is only a call to RunCli.
//
// Subcommands: `run` (consume and fold until SIGTERM or SIGINT), `status`,
// `rebuild --into DIR`, `checkpoint --into DIR`, `restore --from BACKUP`,
// `digest` and `counts` (projector.h says what each does). `--help` lists
// every option (also read from the environment and from a --config file).
// Errors are printed on stderr as "pilotage-projector: <message>". Exit
// codes: service::ExitCodeFor's (0 done, 2 bad usage or input, 3 a failed
// precondition, 4 Kafka or the disk unavailable, ...), and
// kExitRetentionRefused (8) when a source topic does not keep its whole log.
// Call it once per process, from main() before any other thread starts: it
// installs the stop signal handling (service::StopSignal) and the
// process-wide Kafka client settings (--kafka-config).

namespace pilotage::projector {

[[nodiscard]] int RunCli(int argc, const char* const* argv);

}  // namespace pilotage::projector
