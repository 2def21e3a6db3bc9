#pragma once
// What every pilotage program shares at its edge: exit codes, stop signals,
// logging setup, progress display. Nothing here knows the CEP.

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "pilotage/service/logging.h"  // SetupLogging, AddLoggingOptions

namespace pilotage::service {

// Exit codes of every pilotage command, from the status that ended it:
//   0 ok; 1 other errors; 2 bad usage or input (kInvalidArgument);
//   3 a precondition is not met, fix state first (kFailedPrecondition,
//     e.g. a period not closed, a store to rebuild); 4 a dependency is
//     unavailable, retry later (kUnavailable: Kafka down);
//   5 not found (kNotFound); 6 already exists (kAlreadyExists);
//   11 (kExitRefusedByBroker) for kPermissionDenied and kUnauthenticated.
int ExitCodeFor(const absl::Status& status);

// A sender was fenced: another instance with the same Kafka transactional.id
// took over, and this one sent nothing (kafka::IsFenced). Programs that send
// in transactions return it instead of ExitCodeFor's code. (8 is the
// projector's retention refusal.)
inline constexpr int kExitFencedOut = 9;

// The store read cannot be trusted for a decision: it misses partitions of
// the log, is behind its end, or lacks what a decision needs (e.g. the terms
// of an awarded lot); readmodel::IsStoreNotTrusted. Programs that decide
// (the penalty job, `pilotagectl statement --issue`) return it instead of
// ExitCodeFor's code; nothing was decided or sent.
inline constexpr int kExitStoreNotTrusted = 10;

// Kafka refused this program's principal: authentication failed, or an ACL
// does not allow what it tried (kPermissionDenied, kUnauthenticated). A
// configuration to fix (credentials, deploy/kafka/acls.sh), not a moment to
// wait out: units do not restart on it.
inline constexpr int kExitRefusedByBroker = 11;

// Prints "<program>: <message>" on stderr and returns ExitCodeFor(status).
int Fail(std::string_view program, const absl::Status& status);

// Bounds glibc's malloc arenas to the number of cores (at least 2), unless
// MALLOC_ARENA_MAX is set in the environment (then glibc's reading of it
// stands). glibc gives each contending thread an arena of its own, up to 8 per
// core, and keeps what a thread freed in that arena: a service whose many
// handler threads each compute large, short-lived answers otherwise keeps
// hundreds of MiB it no longer uses (docs/performance.md, "What the readers
// hold"). Call it first in main(), before threads allocate. No effect under a
// sanitizer's allocator.
void BoundMallocArenas();

// Turns SIGINT and SIGTERM into a flag and a callback, handled on a thread of
// its own (not in a signal handler). Construct it in main() before any other
// thread starts, so that every thread inherits the blocked signals.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Called once, on the signal thread, when the first signal arrives; at once
  // if it has already arrived. OnStop(nullptr) removes the callback and waits
  // for a call in progress to end: do it before destroying what the callback
  // stops.
  void OnStop(std::function<void()> callback);
  const std::atomic<bool>& stopped() const { return stopped_; }

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;  // guards callback_ and the call
  std::function<void()> callback_;
  std::thread thread_;
};

// Turns SIGHUP into a callback ("reload your certificate"), run on a thread
// of its own (not in a signal handler). Construct it in main() before any
// other thread starts, so that every thread inherits the blocked signal; a
// program with a ReloadSignal is no longer ended by SIGHUP. Independent of
// StopSignal (either may exist without the other).
class ReloadSignal {
 public:
  ReloadSignal();
  ~ReloadSignal();
  ReloadSignal(const ReloadSignal&) = delete;
  ReloadSignal& operator=(const ReloadSignal&) = delete;

  // Called on the signal thread for each SIGHUP, one call at a time; a
  // SIGHUP with no callback set is logged and dropped (signals that come
  // during a call may be merged into one more call). OnReload(nullptr)
  // removes the callback and waits for a call in progress to end: do it
  // before destroying what the callback reloads.
  void OnReload(std::function<void()> callback);

 private:
  std::mutex mutex_;  // guards callback_, done_ and the call
  std::function<void()> callback_;
  bool done_ = false;
  std::thread thread_;
};

// A ReloadSignal callback: runs `reload` and logs the outcome, "<what>
// reloaded" (info) or the error and that the previous state stays (error).
std::function<void()> LoggedReload(std::string what, std::function<absl::Status()> reload);

// Serves `server` with the program's signals wired to it, the same way in
// every service that serves HTTP (the ingest gateway, the query service):
//   - SIGINT or SIGTERM calls server.Stop(), once, on `stop`'s thread (at
//     once, on the calling thread, if one arrived before);
//   - when `reload_tls`, each SIGHUP calls server.ReloadTls() on `reload`'s
//     thread and logs the outcome (LoggedReload, "TLS certificate and key (for
//     new connections)"); otherwise a SIGHUP is logged and dropped.
// `ready`, if set, runs on the calling thread once both are wired and before
// Serve(): a signal sent after what it does is seen (e.g. the port file it
// writes) reaches the server. Returns what server.Serve() returns, after both
// callbacks are removed and a call in progress has ended, so the server may be
// destroyed as soon as it returns. Stop() and ReloadTls() must be safe to call
// from another thread while Serve() runs (http::Server's are).
template <typename Server>
requires requires(Server& s) {
  s.Stop();
  { s.ReloadTls() } -> std::convertible_to<absl::Status>;
  { s.Serve() } -> std::convertible_to<absl::Status>;
}
[[nodiscard]] absl::Status ServeUntilStopped(Server& server, StopSignal& stop, ReloadSignal& reload,
                                             bool reload_tls,
                                             const std::function<void()>& ready = nullptr) {
  stop.OnStop([&server] { server.Stop(); });
  if (reload_tls) {
    reload.OnReload(LoggedReload("TLS certificate and key (for new connections)",
                                 [&server] { return server.ReloadTls(); }));
  }
  if (ready) ready();
  absl::Status result = server.Serve();
  stop.OnStop(nullptr);  // a stop in progress ends before the server may go
  reload.OnReload(nullptr);
  return result;
}

// Progress of long work: a bar redrawn in place on a terminal, otherwise an
// info log event every `line_interval` (a JSON line when logging is JSON).
// Thread-compatible (one updater).
class Progress {
 public:
  // `total` 0 means unknown (no percent or ETA). `unit` names what is
  // counted in the plain lines ("events", "bytes").
  Progress(std::string label, int64_t total,
           std::chrono::seconds line_interval = std::chrono::seconds(5),
           std::string unit = "events");
  void Update(int64_t done);
  void SetTotal(int64_t total) { total_ = total; }
  // Final line with the average rate.
  void Finish(int64_t done);

 private:
  void Draw(int64_t done, bool final);
  std::string label_;
  std::string unit_;
  int64_t total_;
  bool tty_;
  std::chrono::seconds line_interval_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace pilotage::service
