#include "pilotage/simulator/progress.h"

#include <string>

#include "fmt/format.h"

namespace pilotage::simulator {

namespace {

std::string Duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::FILE* out, bool terminal)
    : out_(out), terminal_(terminal), start_(Clock::now()), last_print_(start_) {}

void ProgressPrinter::OnProgress(const Progress& progress) {
  const Clock::time_point now = Clock::now();
  const auto every = terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (!progress.done && now - last_print_ < every) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = progress.Fraction();
  const double rate = elapsed > 0 ? static_cast<double>(progress.messages) / elapsed : 0;
  const std::string eta = progress.done     ? "done"
                          : fraction > 0.01 ? "ETA " + Duration(elapsed * (1 - fraction) / fraction)
                                            : "ETA ?";
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    fmt::print(out_, "\r[{}{}] {:5.1f}%  {} events  {:.0f} ev/s  {}   ", std::string(filled, '#'),
               std::string(kWidth - filled, '.'), fraction * 100, progress.messages, rate, eta);
    if (progress.done) fmt::print(out_, "\n");
  } else {
    fmt::print(out_, "progress: {:.1f}% {} events {:.0f} ev/s elapsed {} {}\n", fraction * 100,
               progress.messages, rate, Duration(elapsed), eta);
  }
  std::fflush(out_);
}

}  // namespace pilotage::simulator
