#pragma once
// The pilotage-ingest command line: main.cc is only a call to RunCli.
//
// `serve` loads the gateway configuration (--config), starts the gateway and serves
// POST /v1/events until SIGTERM or SIGINT (SIGHUP reloads the TLS certificate and key);
// `hash-token` prints the SHA-256 of a token read on stdin. `--help` lists every option
// (also read from the environment and from a --settings file).
// Exit codes: service::ExitCodeFor's (0 done, 2 bad usage or an invalid configuration,
// 4 Kafka unavailable, ...), printed on stderr as "pilotage-ingest: <message>".
// Call it once per process, from main() before any other thread starts: it installs the
// stop and reload signal handling (service::StopSignal, ReloadSignal) and the process-wide
// Kafka client settings (--kafka-config).

namespace pilotage::ingest {

[[nodiscard]] int RunCli(int argc, char** argv);

}  // namespace pilotage::ingest
