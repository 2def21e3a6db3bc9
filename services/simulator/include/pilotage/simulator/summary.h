#pragma once
// What a simulation sent, per lot and event type: the figures a test compares
// with what a projector folded.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pilotage::simulator {

// The activity bodies of pilotage.v1.Event, in field order.
enum class ActivityType : uint8_t {
  kRequestReceived,
  kAppointmentHeld,
  kAppointmentMissed,
  kDeliverableIssued,
  kJourneyClosed,
  kSurveyAnswered,
};
inline constexpr int kActivityTypeCount = 6;

// The body's field name in the v1 JSON mapping, e.g. "appointment_held".
std::string_view ActivityTypeName(ActivityType type);

using TypeCounts = std::array<int64_t, kActivityTypeCount>;

struct LotSummary {
  std::string lot_id;
  std::string operator_id;
  // Distinct beneficiaries whose first request was sent.
  int64_t beneficiaries = 0;
  // Distinct events sent, per type (an event sent twice counts once here).
  TypeCounts events{};
  // Extra copies sent, per type: the same event (same event_id) sent again.
  TypeCounts resends{};
  // Distinct events recorded 24 hours or more after they occurred.
  int64_t late = 0;

  int64_t TotalEvents() const;
  int64_t TotalResends() const;
  // Kafka messages (or NDJSON lines) written: events + resends.
  int64_t Messages() const { return TotalEvents() + TotalResends(); }
};

struct Summary {
  uint64_t seed = 0;
  int years = 0;
  double scale = 0;
  // The simulated window [window_start, window_end), "YYYY-MM-DD".
  std::string window_start;
  std::string window_end;
  // The lots generated, in lot-file order.
  std::vector<LotSummary> lots;

  // Every lot added up; lot_id "TOTAL".
  LotSummary Total() const;

  // {"seed": 1, "years": 1, "scale": 1.0, "window_start": "...", "window_end": "...",
  //  "total": {<lot summary>}, "lots": {"LOT-11": {<lot summary>}, ...}} where a lot summary
  // is {"operator_id", "beneficiaries", "events": {type: n}, "resends": {type: n},
  //     "late", "total_events", "total_resends", "messages"}. Pretty-printed.
  std::string ToJson() const;

  // A fixed-width table: one row per lot and a TOTAL row.
  std::string ToTable() const;
};

}  // namespace pilotage::simulator
