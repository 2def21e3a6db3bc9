#pragma once
// pilotage-simulator's engine: a realistic, deterministic stream of CEP
// activity events (pilotage.v1.Event with activity bodies) for the lots of a
// LotCatalogue, handed to an EventSink in the order a live system would
// receive them (recorded_at order).
//
// The model (volumes, seasonality, profiles, journeys, surveys, late reports,
// resends) and its figures are described in services/simulator/README.md.
//
// Determinism: the same catalogue and options give byte-identical events on
// every run. Each lot's requests and each beneficiary's journey draw from
// their own generator seeded from (seed, lot, beneficiary), so a lot's events
// do not change when other lots are left out with `only_lots`.
//
// Memory: requests of the whole window are planned up front (a few bytes
// each); a journey is planned when its request comes up and its events wait
// in a heap, compactly, until they are due. A national year peaks at a few
// hundred thousand waiting events (measured: 178,000, about 7 MB).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/simulator/lots.h"
#include "pilotage/simulator/summary.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::simulator {

struct SimulationOptions {
  // Seeds everything: event ids, pseudonyms and every random draw.
  // Default: 1.
  uint64_t seed = 1;

  // First day of the simulated window, "YYYY-MM-DD". Default: the contract
  // start, 2024-01-02.
  std::string start_date = "2024-01-02";

  // Length of the window in years, 1 to 10. Requests are generated in the
  // window; journeys run on, and every event that occurs before the window's
  // end is sent (late reports of those included). Default: 1.
  int years = 1;

  // Days past the window's end during which the journeys already started
  // run on and their events are sent, with no new request: the activity a
  // live system knows at the closing of the window's last quarter (its
  // first appointments, closures and surveys of early January), 0 to 366.
  // Default: 0.
  int run_on_days = 0;

  // New beneficiaries per year nationally, split between lots by working
  // population (docs/domain.md: about 190,000 in 2024). Default: 190,000.
  int64_t beneficiaries_per_year = 190'000;

  // Multiplies the volume, in (0, 10]: 0.05 for a quick test. Default: 1.
  double scale = 1.0;

  // Lots to generate (ids); empty means every lot of the catalogue.
  // Default: empty.
  std::vector<std::string> only_lots;

  // Share of events an operator reports late (recorded 2 to 20 days after
  // they occurred), in [0, 1]. LATE_REPORTING lots use at least 25%.
  // Default: 0.03.
  double late_rate = 0.03;

  // Share of events sent twice with the same event_id (as a client retrying
  // after a timeout would), in [0, 1]. Default: 0.01.
  double resend_rate = 0.01;
};

// kInvalidArgument naming the option at fault (e.g. "--scale must be in
// (0, 10], got 0") when an option is out of range or names an unknown lot.
[[nodiscard]] absl::Status ValidateOptions(const SimulationOptions& options,
                                           const LotCatalogue& lots);

// Where generated events go. Implementations: NdjsonSink, DiscardSink and
// KafkaSink in sinks.h. The gateway mode (HTTP with operator tokens, through
// the ingest service) will be one more implementation. Used by one thread.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Takes one event; events come in recorded_at order, and the Kafka key is
  // event.lot_id(). An error stops the simulation and is returned by Simulate.
  [[nodiscard]] virtual absl::Status Send(const v1::Event& event) = 0;
  // Called once by the owner after Simulate: flushes, and reports any failure
  // that happened after Send returned (e.g. a Kafka delivery that failed).
  [[nodiscard]] virtual absl::Status Finish() = 0;
};

struct Progress {
  int64_t messages = 0;  // handed to the sink so far
  int64_t beneficiaries_started = 0;
  int64_t beneficiaries_total = 0;
  bool done = false;

  // Rough share of the work done, in [0, 1].
  double Fraction() const;
};

// Told how far the simulation got: every few thousand messages and once at
// the end (done = true). Called on the simulating thread.
class ProgressListener {
 public:
  virtual ~ProgressListener() = default;
  virtual void OnProgress(const Progress& progress) = 0;
};

// Generates the events, hands them to `sink` and returns what was sent. The
// caller then calls sink.Finish() to learn whether everything arrived.
// Errors: ValidateOptions' errors, or the first error of sink.Send.
[[nodiscard]] absl::StatusOr<Summary> Simulate(const LotCatalogue& lots,
                                               const SimulationOptions& options, EventSink& sink,
                                               ProgressListener* progress = nullptr);

}  // namespace pilotage::simulator
