#include "pilotage/service/service.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace pilotage::service {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 2;
    case absl::StatusCode::kFailedPrecondition:
      return 3;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 4;
    case absl::StatusCode::kNotFound:
      return 5;
    case absl::StatusCode::kAlreadyExists:
      return 6;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitRefusedByBroker;
    default:
      return 1;
  }
}

int Fail(std::string_view program, const absl::Status& status) {
  std::cerr << program << ": " << status.message() << std::endl;
  return ExitCodeFor(status);
}

void BoundMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  const int arenas = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  mallopt(M_ARENA_MAX, arenas);
}

namespace {

// A thread that waits for signals with sigwait() must take no other: it is
// started with every signal blocked (a thread inherits its creator's mask).
// Otherwise a signal another helper waits for (SIGHUP for ReloadSignal,
// created after StopSignal) could be delivered here and take its default
// action: end the process.
std::thread SignalThread(std::function<void()> body) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  std::thread thread(std::move(body));
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return thread;
}

}  // namespace

StopSignal::StopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = SignalThread([this, set] {
    int signal = 0;
    sigwait(&set, &signal);
    std::lock_guard lock(mutex_);
    if (stopped_) return;  // the destructor's wake-up
    stopped_ = true;
    spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    if (callback_) callback_();
  });
}

StopSignal::~StopSignal() {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = !stopped_.exchange(true);
  }
  if (wake) pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void StopSignal::OnStop(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  callback_ = std::move(callback);
  if (stopped_ && callback_) callback_();
}

ReloadSignal::ReloadSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = SignalThread([this, set] {
    for (;;) {
      int signal = 0;
      sigwait(&set, &signal);
      std::lock_guard lock(mutex_);
      if (done_) return;  // the destructor's wake-up
      if (!callback_) {
        spdlog::info("received SIGHUP, nothing to reload yet");
        continue;
      }
      spdlog::info("received SIGHUP, reloading");
      callback_();
    }
  });
}

ReloadSignal::~ReloadSignal() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  pthread_kill(thread_.native_handle(), SIGHUP);
  thread_.join();
}

void ReloadSignal::OnReload(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  callback_ = std::move(callback);
}

std::function<void()> LoggedReload(std::string what, std::function<absl::Status()> reload) {
  return [what = std::move(what), reload = std::move(reload)] {
    if (const absl::Status s = reload(); s.ok()) {
      spdlog::info("{} reloaded", what);
    } else {
      spdlog::error("{}: reload failed, the previous one stays: {}", what, s.ToString());
    }
  };
}

Progress::Progress(std::string label, int64_t total, std::chrono::seconds line_interval,
                   std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      tty_(::isatty(STDERR_FILENO) == 1),
      line_interval_(line_interval),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::Update(int64_t done) {
  auto now = std::chrono::steady_clock::now();
  auto every = tty_ ? std::chrono::milliseconds(200)
                    : std::chrono::duration_cast<std::chrono::milliseconds>(line_interval_);
  if (now - last_draw_ < every) return;
  last_draw_ = now;
  Draw(done, false);
}

void Progress::Finish(int64_t done) { Draw(done, true); }

void Progress::Draw(int64_t done, bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? done / seconds : 0;
  std::string line = fmt::format("{}: {} {}, {:.0f}/s", label_, done, unit_, rate);
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / total_);
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    if (tty_) {
      const int width = 30, filled = static_cast<int>(fraction * width);
      line = fmt::format("{} [{}{}] {:5.1f}%  {}/{}  {:.0f}/s  ETA {:.0f}s", label_,
                         std::string(filled, '#'), std::string(width - filled, ' '), 100 * fraction,
                         done, total_, rate, final ? 0.0 : eta);
    } else {
      line = fmt::format("{}: {}/{} {} ({:.1f}%), {:.0f}/s, ETA {:.0f}s", label_, done, total_,
                         unit_, 100 * fraction, rate, final ? 0.0 : eta);
    }
  }
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    std::fflush(stderr);
  } else {
    spdlog::info("{}", line);  // a log event, in the format logging was set up with
  }
}

}  // namespace pilotage::service
