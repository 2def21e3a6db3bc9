#include "decisions.h"

#include "api_common.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/ids.h"

namespace pilotage::query {
namespace {

using nlohmann::json;

// The body's object (an empty body is an empty object).
absl::StatusOr<json> BodyOf(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError("corps de la requête : un objet JSON est attendu");
  }
  return body;
}

// A string field of the body, "" when absent.
absl::StatusOr<std::string> Text(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        fmt::format("{} : une chaîne de caractères est attendue", field));
  }
  return it->get<std::string>();
}

// A list of strings of the body, empty when absent.
absl::StatusOr<std::vector<std::string>> Texts(const json& body, const char* field) {
  std::vector<std::string> out;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return absl::InvalidArgumentError(fmt::format("{} : une liste de textes est attendue", field));
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return absl::InvalidArgumentError(
          fmt::format("{} : une liste de textes est attendue", field));
    }
    if (v.get<std::string>().find_first_not_of(" \t\r\n") != std::string::npos) {
      out.push_back(v.get<std::string>());
    }
  }
  return out;
}

absl::Status PilotsOnly(const access::Principal& who, std::string_view what) {
  if (who.role == access::Principal::Role::kPilot) return absl::OkStatus();
  return absl::PermissionDeniedError(fmt::format(
      "{} : réservé aux pilotes ; un opérateur ne peut qu'adresser des observations", what));
}

absl::StatusOr<steering::LotState> StateOf(Generation& view, const std::string& lot) {
  auto model = view.Lot(lot);
  if (!model.ok()) return model.status();
  auto steering_model = view.Steering(lot);
  if (!steering_model.ok()) return steering_model.status();
  return steering::StateOf(lot, **model, **steering_model);
}

// The decision slot of penalty `id` already holds `event_id`.
bool DecisionRecorded(const steering::LotState& state, const std::string& id,
                      const std::string& event_id) {
  for (const auto& r : state.steering.penalties) {
    if (r.proposed().penalty_id() == id) return r.decision_event_id() == event_id;
  }
  return false;
}

}  // namespace

std::string DecisionEndpoint(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kConfirm:
      return "/api/v1/lots/{lot}/penalties/{id}/confirm";
    case DecisionKind::kWaive:
      return "/api/v1/lots/{lot}/penalties/{id}/waive";
    case DecisionKind::kObservations:
      return "/api/v1/lots/{lot}/penalties/{id}/observations";
    case DecisionKind::kReview:
      return "/api/v1/lots/{lot}/reviews";
    case DecisionKind::kActionClose:
      return "/api/v1/lots/{lot}/actions/{id}/close";
  }
  return "decision";
}

int DecisionStatusToHttp(const absl::Status& status) {
  // The procedure refusing a step now is a conflict with the record's
  // state, not a malformed request: 409 where reads answer 400.
  if (status.code() == absl::StatusCode::kFailedPrecondition ||
      status.code() == absl::StatusCode::kAlreadyExists) {
    return 409;
  }
  return StatusToHttp(status);
}

absl::StatusOr<PreparedDecision> PrepareDecision(Generation& view, const access::Principal& who,
                                                 const DecisionCall& call, absl::CivilDay today,
                                                 absl::Time now) {
  if (!who.MayRead(call.lot)) {
    return absl::PermissionDeniedError(
        fmt::format("le lot {} n'est pas l'un de vos lots : aucune décision possible", call.lot));
  }
  auto body = BodyOf(call.body);
  if (!body.ok()) return body.status();
  constexpr auto kJson = steering::Naming::kJson;
  PreparedDecision out;
  switch (call.kind) {
    case DecisionKind::kConfirm:
    case DecisionKind::kWaive: {
      const bool confirm = call.kind == DecisionKind::kConfirm;
      if (auto s = PilotsOnly(who, confirm ? "confirmer une pénalité" : "abandonner une pénalité");
          !s.ok()) {
        return s;
      }
      auto reason = Text(*body, "reason");
      if (!reason.ok()) return reason.status();
      auto state = StateOf(view, call.lot);
      if (!state.ok()) return state.status();
      const std::string event_id = domain::ContentId(
          confirm ? "penalty-confirmed" : "penalty-waived", {call.lot, call.item});
      if (DecisionRecorded(*state, call.item, event_id)) {
        out.already_recorded = true;
        out.step.event.set_event_id(event_id);
        out.step.what = fmt::format("{} de la pénalité {} déjà enregistrée",
                                    confirm ? "confirmation" : "abandon", call.item);
        return out;
      }
      auto step = steering::PrepareDecision(
          *state, confirm ? domain::Decision::kConfirm : domain::Decision::kWaive,
          {.penalty_id = call.item, .author = who.id, .reason = *reason}, today, now, kJson);
      if (!step.ok()) return step.status();
      out.step = std::move(*step);
      return out;
    }
    case DecisionKind::kObservations: {
      auto text = Text(*body, "text");
      if (!text.ok()) return text.status();
      auto received_on = Text(*body, "received_on");
      if (!received_on.ok()) return received_on.status();
      const bool pilot = who.role == access::Principal::Role::kPilot;
      if (!pilot && !received_on->empty() && *received_on != domain::FormatDay(today)) {
        return absl::PermissionDeniedError(
            "received_on : un opérateur adresse ses observations le jour même ; seul un pilote "
            "enregistre des observations reçues un autre jour");
      }
      auto state = StateOf(view, call.lot);
      if (!state.ok()) return state.status();
      auto step = steering::PrepareObservations(
          *state, {.penalty_id = call.item, .text = *text, .received_on = *received_on}, today, now,
          kJson);
      if (!step.ok()) return step.status();
      if (!pilot && step->late) {
        return absl::FailedPreconditionError(fmt::format(
            "le délai d'observations de la pénalité {} a expiré le {} (décision 0019) : adressez-"
            "vous aux pilotes",
            call.item, domain::FrenchDate(step->deadline)));
      }
      out.step = std::move(step->step);
      return out;
    }
    case DecisionKind::kReview: {
      if (auto s = PilotsOnly(who, "enregistrer un bilan"); !s.ok()) return s;
      steering::ReviewRequest request;
      for (auto [field, target] :
           {std::pair{"period", &request.period}, std::pair{"held_on", &request.held_on}}) {
        auto value = Text(*body, field);
        if (!value.ok()) return value.status();
        *target = *value;
      }
      auto findings = Texts(*body, "findings");
      if (!findings.ok()) return findings.status();
      auto decisions = Texts(*body, "decisions");
      if (!decisions.ok()) return decisions.status();
      request.findings = std::move(*findings);
      request.decisions = std::move(*decisions);
      auto state = StateOf(view, call.lot);
      if (!state.ok()) return state.status();
      auto step = steering::PrepareReview(*state, request, today, now, kJson);
      if (!step.ok()) return step.status();
      out.step = std::move(*step);
      return out;
    }
    case DecisionKind::kActionClose: {
      if (auto s = PilotsOnly(who, "clôturer une action corrective"); !s.ok()) return s;
      auto evidence = Text(*body, "evidence");
      if (!evidence.ok()) return evidence.status();
      auto closed_on = Text(*body, "closed_on");
      if (!closed_on.ok()) return closed_on.status();
      auto state = StateOf(view, call.lot);
      if (!state.ok()) return state.status();
      auto step = steering::PrepareActionClose(
          *state,
          {.id = call.item, .closed_on = *closed_on, .evidence = *evidence, .author = who.id},
          today, now, kJson);
      if (!step.ok()) return step.status();
      out.step = std::move(*step);
      return out;
    }
  }
  return absl::InternalError("unknown decision");
}

}  // namespace pilotage::query
