#include "steering_common.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/ids.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/readmodel/reports.h"

namespace pilotage::pilotagectl {

std::string ContentEventId(std::string_view prefix, const std::vector<std::string>& parts) {
  return domain::ContentId(prefix, parts);
}

absl::StatusOr<LotState> LoadLot(const SteeringCommon& common, bool require_award) {
  if (auto s = Required("--lot", common.lot); !s.ok()) return s;
  auto view = readmodel::ReadStore::OpenReadOnly(common.data_dir);
  if (!view.ok()) return view.status();
  return LoadLot(common, **view, require_award);
}

absl::StatusOr<LotState> LoadLot(const SteeringCommon& common, const readmodel::ReadStore& view,
                                 bool require_award) {
  if (auto s = Required("--lot", common.lot); !s.ok()) return s;
  const store::Store& store = view.store();
  // No steering command reads journeys: the statement's appointments and
  // KPIs come from the KPI cells of the same view (steering_reports.cc).
  auto lot = readmodel::ReadLot(store, common.lot, {.journeys = false});
  if (!lot.ok()) return lot.status();
  auto read = readmodel::ReadSteering(store, common.lot);
  if (!read.ok()) return read.status();
  LotState state = steering::StateOf(common.lot, std::move(*lot), std::move(*read),
                                     view.location().path.string());
  state.input_offsets = readmodel::SourceOffsets(view.freshness());
  if (require_award) {
    if (auto s = steering::RequireAward(state, steering::Naming::kFlags); !s.ok()) return s;
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
  return steering::DayField(steering::Naming::kFlags, flag, text, not_after);
}

absl::StatusOr<domain::Period> PeriodFlag(std::string_view flag, const std::string& text,
                                          const LotState& state) {
  return steering::PeriodField(steering::Naming::kFlags, flag, text, state);
}

absl::Status Required(std::string_view flag, const std::string& value) {
  return steering::Required(steering::Naming::kFlags, flag, value);
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
  return steering::NewEvent(common.lot, std::move(event_id), on, absl::Now());
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
