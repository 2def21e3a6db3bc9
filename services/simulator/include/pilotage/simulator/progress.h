#pragma once
// Shows a simulation's progress on a stream: a bar redrawn in place on a
// terminal (percent, events/s, ETA), plain lines every few seconds otherwise
// (logs, CI).

#include <chrono>
#include <cstdio>

#include "pilotage/simulator/simulator.h"

namespace pilotage::simulator {

class ProgressPrinter : public ProgressListener {
 public:
  // `out` must outlive the printer. `terminal`: redraw a bar in place
  // (usually isatty(fileno(out))).
  ProgressPrinter(std::FILE* out, bool terminal);
  void OnProgress(const Progress& progress) override;

 private:
  using Clock = std::chrono::steady_clock;
  std::FILE* out_;
  bool terminal_;
  Clock::time_point start_;
  Clock::time_point last_print_;
};

}  // namespace pilotage::simulator
