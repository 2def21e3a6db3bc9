#include "steering_common.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/readmodel/reports.h"

namespace pilotage::pilotagectl {

std::string ContentEventId(std::string_view prefix, const std::vector<std::string>& parts) {
  uint64_t h = 1469598103934665603ULL;
  for (const auto& part : parts) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0x1f;
    h *= 1099511628211ULL;
  }
  return fmt::format("{}-{:016x}", prefix, h);
}

absl::StatusOr<LotState> LoadLot(const SteeringCommon& common, bool require_award) {
  if (auto s = Required("--lot", common.lot); !s.ok()) return s;
  auto view = readmodel::ReadStore::OpenReadOnly(common.data_dir);
  if (!view.ok()) return view.status();
  const store::Store& store = (*view)->store();
  LotState state;
  state.lot_id = common.lot;
  state.store_path = (*view)->location().path;
  state.input_offsets = readmodel::SourceOffsets((*view)->freshness());
  auto lot = readmodel::ReadLot(store, common.lot);
  if (!lot.ok()) return lot.status();
  state.lot = std::move(*lot);
  auto steering = readmodel::ReadSteering(store, common.lot);
  if (!steering.ok()) return steering.status();
  state.steering = std::move(*steering);
  state.history = readmodel::HistoryOf(state.lot.terms, &state.problems);
  if (state.lot.facts.award) {
    auto start = domain::ParseDay(state.lot.facts.award->start_date());
    if (start.ok()) {
      state.start = *start;
      state.awarded = true;
    }
  }
  if (require_award && !state.awarded) {
    return absl::NotFoundError(fmt::format(
        "--lot: lot inconnu '{}' : aucune attribution (LotAwarded) dans {} ; attribuez-le "
        "d'abord (pilotagectl lot award) et laissez le projecteur l'intégrer",
        common.lot, state.store_path.string()));
  }
  return state;
}

absl::StatusOr<std::vector<domain::PenaltyProcedure>> Procedures(
    const LotState& state, std::vector<std::string>* incomplete) {
  return readmodel::PenaltyProcedures(state.steering, state.history, incomplete);
}

absl::StatusOr<absl::CivilDay> OnDay(const SteeringCommon& common) {
  auto today = domain::ParisDay(absl::Now());
  if (!today.ok()) return today.status();
  if (common.on.empty()) return *today;
  return DayFlag("--on", common.on, &*today);
}

absl::StatusOr<absl::CivilDay> DayFlag(std::string_view flag, const std::string& text,
                                       const absl::CivilDay* not_after) {
  if (text.empty()) return absl::InvalidArgumentError(fmt::format("{}: missing", flag));
  auto day = domain::ParseDay(text);
  if (!day.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", flag, std::string(day.status().message())));
  }
  if (not_after && *day > *not_after) {
    return absl::InvalidArgumentError(fmt::format("{}: {} est dans le futur (après le {})", flag,
                                                  text, domain::FrenchDate(*not_after)));
  }
  return day;
}

absl::StatusOr<domain::Period> PeriodFlag(std::string_view flag, const std::string& text,
                                          const LotState& state) {
  if (text.empty()) return absl::InvalidArgumentError(fmt::format("{}: missing", flag));
  auto period =
      state.awarded ? domain::Period::Parse(text, state.start) : domain::Period::Parse(text);
  if (!period.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", flag, std::string(period.status().message())));
  }
  return period;
}

absl::Status Required(std::string_view flag, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(fmt::format("{}: missing", flag));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Author(const std::string& by, bool required) {
  const std::string principal = kafka::CurrentClientConfig().Principal();
  if (principal.empty()) {
    if (by.empty() && required) {
      return absl::InvalidArgumentError(
          "--by: missing (Kafka is not authenticated: no sasl.username in --kafka-config, so "
          "--by names who decides)");
    }
    return by;
  }
  if (!by.empty() && by != principal) {
    return absl::InvalidArgumentError(fmt::format(
        "--by: '{}' is not '{}', the Kafka principal this command authenticates as "
        "(--kafka-config): the decision is recorded under the principal; leave --by out",
        by, principal));
  }
  return principal;
}

absl::StatusOr<v1::Event> NewEvent(const SteeringCommon& common, std::string event_id,
                                   absl::CivilDay on) {
  v1::Event e;
  e.set_event_id(std::move(event_id));
  e.set_lot_id(common.lot);
  e.set_operator_id("france-competences");
  const absl::Time now = absl::Now();
  auto today = domain::ParisDay(now);
  if (!today.ok()) return today.status();
  absl::Time at = now;
  if (on != *today) {
    auto start = domain::ParisStartOfDay(on);
    if (!start.ok()) return start.status();
    at = *start + absl::Hours(12);
  }
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
  e.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(now));
  return e;
}

absl::Status Emit(const EmitOptions& options, const v1::Event& event, std::string_view what,
                  std::ostream& out) {
  if (readmodel::IsSteeringEvent(event)) {
    if (auto s = readmodel::CheckSteeringEvent(event); !s.ok()) return s;
  }
  if (options.dry_run) {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    print.add_whitespace = true;
    if (auto s = google::protobuf::util::MessageToJsonString(event, &json, print); !s.ok()) {
      return absl::InternalError(fmt::format("cannot print the event: {}", s.ToString()));
    }
    out << json;
    out << fmt::format("--dry-run : {} non envoyé(e).\n", what);
    return absl::OkStatus();
  }
  if (options.bootstrap.empty()) {
    return absl::InvalidArgumentError(
        "--bootstrap: missing (or set PILOTAGE_KAFKA_BOOTSTRAP); --dry-run prints the event "
        "instead");
  }
  auto producer = kafka::Producer::Create({.bootstrap = options.bootstrap});
  if (!producer.ok()) return producer.status();
  const std::string value = event.SerializeAsString();
  const kafka::Record record{.topic = options.topic, .key = event.lot_id(), .value = value};
  const auto deliveries = (*producer)->SendAll({&record, 1});
  if (deliveries.empty()) return absl::InternalError("no delivery outcome from the producer");
  if (!deliveries[0].status.ok()) return deliveries[0].status;
  out << fmt::format("Écrit : {} — événement {} dans {} (partition {}, offset {}, acks=all).\n",
                     what, event.event_id(), options.topic, deliveries[0].partition,
                     deliveries[0].offset);
  return absl::OkStatus();
}

}  // namespace pilotage::pilotagectl
