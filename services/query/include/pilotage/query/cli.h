#pragma once
// The pilotage-query command line: main.cc is only a call to RunCli.
//
// `serve` loads the tokens file (--tokens), opens the projector's store
// (--data) and serves the API and the dashboard (query.h) until SIGTERM or
// SIGINT (SIGHUP reloads the TLS certificate and key); `hash-token` prints
// the SHA-256 of a token read on stdin. `--help` lists every option (also
// read from the environment and from a --config file). Errors are printed on
// stderr as "pilotage-query: <message>"; exit codes are
// service::ExitCodeFor's (0 done, 2 bad usage or an invalid option or
// tokens file, 4 the port taken or Kafka unavailable, ...).
// Call it once per process, from main() before any other thread starts: it
// installs the stop and reload signal handling (service::StopSignal,
// ReloadSignal) and the process-wide Kafka client settings (--kafka-config).

namespace pilotage::query {

[[nodiscard]] int RunCli(int argc, const char* const* argv);

}  // namespace pilotage::query
