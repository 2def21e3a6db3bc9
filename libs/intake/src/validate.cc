// Validation of decoded events against the catalogue and the sender's lots.
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/time_util.h>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/intake/intake.h"

namespace pilotage::intake {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::util::TimeUtil;
namespace v1 = pilotage::v1;

// Every string of the event, nested messages included: personal data, length.
// The refusal's field is relative to `m` ("profile.departement"); paths are
// built only when something is refused.
std::optional<Refusal> Guard(const Message& m, const Limits& limits) {
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const auto where = [&](int i) {
      return f->is_repeated() ? fmt::format("{}[{}]", f->name(), i) : f->name();
    };
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) {
        std::string scratch;
        const std::string& s = f->is_repeated() ? r->GetRepeatedStringReference(m, f, i, &scratch)
                                                : r->GetStringReference(m, f, &scratch);
        if (s.size() > limits.max_string_bytes) {
          return Refusal{
              RefusalCode::kStringTooLong, where(i),
              fmt::format("longer than the limit max_string_bytes={}", limits.max_string_bytes)};
        }
        if (auto kind = LooksPersonal(s)) {
          return Refusal{RefusalCode::kPersonalData, where(i),
                         fmt::format("looks like {}: personal data is never accepted, send a "
                                     "pseudonym or a band",
                                     *kind)};
        }
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) {
        const Message& sub =
            f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
        if (auto refusal = Guard(sub, limits)) {
          refusal->field = fmt::format("{}.{}", where(i), refusal->field);
          return refusal;
        }
      }
    }
  }
  return std::nullopt;
}

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

// Event and appointment ids: 1-64 characters of [A-Za-z0-9._:-].
bool IsValidId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IdChar(c)) return false;
  }
  return true;
}

// INSEE département codes: 01-19, 2A, 2B, 21-95, 971-976.
bool IsValidDepartement(std::string_view s) {
  if (s == "2A" || s == "2B") return true;
  if (s.size() == 2 && std::isdigit(static_cast<unsigned char>(s[0])) &&
      std::isdigit(static_cast<unsigned char>(s[1]))) {
    const int n = (s[0] - '0') * 10 + (s[1] - '0');
    return n >= 1 && n <= 95 && n != 20;
  }
  return s.size() == 3 && s[0] == '9' && s[1] == '7' && s[2] >= '1' && s[2] <= '6';
}

class Checker {
 public:
  Checker(std::string base) : base_(std::move(base)) {}

  std::optional<Refusal> refusal;

  void Required(bool present, std::string_view field) {
    if (!refusal && !present) {
      refusal = Refusal{RefusalCode::kMissingField, At(field), "required"};
    }
  }
  void Enum(int value, std::string_view field) {
    if (!refusal && value == 0) {
      refusal =
          Refusal{RefusalCode::kMissingField, At(field), "required (UNSPECIFIED is not a value)"};
    }
  }
  void Pseudonym(const std::string& value, std::string_view field) {
    Required(!value.empty(), field);
    if (!refusal && !IsValidPseudonym(value)) {
      refusal = Refusal{RefusalCode::kBadPseudonym, At(field),
                        "a pseudonym is 8 to 64 characters of A-Z a-z 0-9 _ - with at least "
                        "one letter"};
    }
  }
  void Id(const std::string& value, std::string_view field) {
    Required(!value.empty(), field);
    if (!refusal && !IsValidId(value)) {
      refusal = Refusal{RefusalCode::kBadFormat, At(field),
                        "an id is 1 to 64 characters of A-Z a-z 0-9 . _ : -"};
    }
  }
  void Departement(const std::string& value, std::string_view field) {
    Required(!value.empty(), field);
    if (!refusal && !IsValidDepartement(value)) {
      refusal = Refusal{RefusalCode::kBadFormat, At(field),
                        "expected an INSEE département code: 01-95, 2A, 2B or 971-976"};
    }
  }
  void Range(int64_t value, int64_t lo, int64_t hi, std::string_view field) {
    if (!refusal && (value < lo || value > hi)) {
      refusal = Refusal{RefusalCode::kOutOfRange, At(field),
                        fmt::format("must be between {} and {}", lo, hi)};
    }
  }
  std::string At(std::string_view field) const { return fmt::format("{}.{}", base_, field); }

 private:
  std::string base_;
};

void CheckBody(const v1::Event& e, Checker& c) {
  switch (e.body_case()) {
    case v1::Event::kRequestReceived: {
      const auto& b = e.request_received();
      c.Pseudonym(b.beneficiary(), "request_received.beneficiary");
      c.Enum(b.channel(), "request_received.channel");
      c.Required(b.has_profile(), "request_received.profile");
      if (c.refusal) return;
      const auto& p = b.profile();
      c.Enum(p.age_band(), "request_received.profile.age_band");
      c.Enum(p.sex(), "request_received.profile.sex");
      c.Enum(p.qualification(), "request_received.profile.qualification");
      c.Enum(p.status(), "request_received.profile.status");
      c.Enum(p.company_size(), "request_received.profile.company_size");
      c.Departement(p.departement(), "request_received.profile.departement");
      return;
    }
    case v1::Event::kAppointmentHeld: {
      const auto& b = e.appointment_held();
      c.Pseudonym(b.beneficiary(), "appointment_held.beneficiary");
      c.Id(b.appointment_id(), "appointment_held.appointment_id");
      c.Enum(b.level(), "appointment_held.level");
      c.Enum(b.modality(), "appointment_held.modality");
      c.Enum(b.kind(), "appointment_held.kind");
      c.Range(b.duration_minutes(), 1, 480, "appointment_held.duration_minutes");
      c.Departement(b.departement(), "appointment_held.departement");
      return;
    }
    case v1::Event::kAppointmentMissed: {
      const auto& b = e.appointment_missed();
      c.Pseudonym(b.beneficiary(), "appointment_missed.beneficiary");
      c.Id(b.appointment_id(), "appointment_missed.appointment_id");
      c.Enum(b.reason(), "appointment_missed.reason");
      return;
    }
    case v1::Event::kDeliverableIssued: {
      const auto& b = e.deliverable_issued();
      c.Pseudonym(b.beneficiary(), "deliverable_issued.beneficiary");
      c.Enum(b.type(), "deliverable_issued.type");
      return;
    }
    case v1::Event::kJourneyClosed: {
      const auto& b = e.journey_closed();
      c.Pseudonym(b.beneficiary(), "journey_closed.beneficiary");
      c.Enum(b.outcome(), "journey_closed.outcome");
      c.Enum(b.referred_to(), "journey_closed.referred_to");
      return;
    }
    case v1::Event::kSurveyAnswered: {
      const auto& b = e.survey_answered();
      c.Pseudonym(b.beneficiary(), "survey_answered.beneficiary");
      c.Enum(b.wave(), "survey_answered.wave");
      c.Range(b.satisfaction(), 1, 10, "survey_answered.satisfaction");
      if (!c.refusal && b.wave() == v1::SurveyWave::END_OF_SERVICE && b.situation_improved()) {
        c.refusal = Refusal{RefusalCode::kBadFormat, c.At("survey_answered.situation_improved"),
                            "asked in the SIX_MONTHS wave only"};
      }
      return;
    }
    case v1::Event::BODY_NOT_SET:
      c.refusal = Refusal{RefusalCode::kMissingField, c.At("body"),
                          "an event needs one body: request_received, appointment_held, "
                          "appointment_missed, deliverable_issued, journey_closed or "
                          "survey_answered"};
      return;
    default:
      c.refusal = Refusal{RefusalCode::kEventTypeNotAllowed, c.At("body"),
                          "operators send activity events only; contract events are written by "
                          "pilots"};
      return;
  }
}

}  // namespace

absl::StatusOr<absl::Time> ContractStart(std::string_view date) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", std::string(date), domain::Paris(), &t, &error)) {
    return absl::InvalidArgumentError(
        fmt::format("contract start date '{}' is not YYYY-MM-DD", std::string(date)));
  }
  return t;
}

std::optional<Refusal> ValidateEvent(v1::Event& event, size_t index, const Sender& sender,
                                     const LotCalendar& lots, absl::Time now,
                                     const ValidationOptions& options) {
  const std::string base = fmt::format("events[{}]", index);
  if (auto refusal = Guard(event, options.limits)) {
    refusal->field = fmt::format("{}.{}", base, refusal->field);
    return refusal;
  }
  Checker c(base);
  c.Id(event.event_id(), "event_id");
  c.Required(!event.lot_id().empty(), "lot_id");
  if (c.refusal) return c.refusal;
  if (!event.operator_id().empty() && event.operator_id() != sender.operator_id) {
    return Refusal{RefusalCode::kOperatorMismatch, c.At("operator_id"),
                   "differs from the operator of the token (leave it empty or send your own)"};
  }
  auto start = lots.contract_start.find(event.lot_id());
  if (start == lots.contract_start.end()) {
    return Refusal{RefusalCode::kUnknownLot, c.At("lot_id"), "no such lot"};
  }
  if (!sender.lots.contains(event.lot_id())) {
    return Refusal{RefusalCode::kLotNotAllowed, c.At("lot_id"),
                   "this lot is not held by your operator"};
  }
  c.Required(event.has_occurred_at(), "occurred_at");
  if (c.refusal) return c.refusal;
  const absl::Time occurred = absl::FromUnixSeconds(event.occurred_at().seconds()) +
                              absl::Nanoseconds(event.occurred_at().nanos());
  if (occurred > now + options.max_clock_skew) {
    return Refusal{RefusalCode::kFutureTimestamp, c.At("occurred_at"),
                   fmt::format("in the future (more than {} ahead of the gateway's clock)",
                               absl::FormatDuration(options.max_clock_skew))};
  }
  if (occurred < start->second) {
    return Refusal{RefusalCode::kBeforeContractStart, c.At("occurred_at"),
                   "before the start of the lot's contract"};
  }
  CheckBody(event, c);
  if (c.refusal) return c.refusal;
  event.clear_imported();  // pilotage's own mark (pilotagectl import sets it after)
  if (options.keep_recorded_at && event.has_recorded_at()) {
    const absl::Time recorded = absl::FromUnixSeconds(event.recorded_at().seconds()) +
                                absl::Nanoseconds(event.recorded_at().nanos());
    if (recorded > now + options.max_clock_skew) {
      return Refusal{RefusalCode::kFutureTimestamp, c.At("recorded_at"),
                     "in the future (an event cannot have been recorded yet)"};
    }
    if (event.operator_id().empty()) event.set_operator_id(sender.operator_id);
    return std::nullopt;
  }
  if (event.operator_id().empty()) event.set_operator_id(sender.operator_id);
  auto* recorded = event.mutable_recorded_at();
  recorded->set_seconds(absl::ToUnixSeconds(now));
  recorded->set_nanos(static_cast<int32_t>((now - absl::FromUnixSeconds(absl::ToUnixSeconds(now))) /
                                           absl::Nanoseconds(1)));
  return std::nullopt;
}

void RefuseConflictingRepeats(std::vector<Item>& items) {
  // id -> index of its first copy; the keys point into the items' events,
  // which are not modified here.
  std::unordered_map<std::string_view, size_t> first;
  // index of a repeat -> index of the first copy
  std::vector<std::pair<size_t, size_t>> repeats;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& id = items[i].event.event_id();
    if (id.empty()) continue;
    auto [it, inserted] = first.emplace(id, i);
    if (!inserted) repeats.emplace_back(i, it->second);
  }
  if (repeats.empty()) return;
  // Whether each first copy's group holds different versions. Validation
  // depends on the content only, so one copy refused and another accepted
  // means different content; two accepted copies are compared as they would
  // be written (deterministic serialization: field order in the body does
  // not matter).
  std::map<size_t, bool> conflicting;
  std::map<size_t, std::string> bytes;
  const auto serialized = [&](size_t i) -> const std::string& {
    auto [it, inserted] = bytes.try_emplace(i);
    if (inserted) {
      google::protobuf::io::StringOutputStream raw(&it->second);
      google::protobuf::io::CodedOutputStream out(&raw);
      out.SetSerializationDeterministic(true);
      items[i].event.SerializeToCodedStream(&out);
    }
    return it->second;
  };
  for (auto [i, f] : repeats) {
    const bool refused_i = items[i].refusal.has_value();
    const bool refused_f = items[f].refusal.has_value();
    bool differs = refused_i != refused_f;
    if (!refused_i && !refused_f) differs = serialized(i) != serialized(f);
    conflicting[f] = conflicting[f] || differs;
  }
  const auto refuse = [&](size_t i, size_t other) {
    if (items[i].refusal) return;
    items[i].refusal = Refusal{
        RefusalCode::kConflictingEventId, fmt::format("events[{}].event_id", i),
        fmt::format("the same event_id as events[{}] with a different content: send one version "
                    "of an event per id (a correction needs an event id of its own)",
                    other)};
  };
  for (auto [i, f] : repeats) {
    if (conflicting[f]) {
      refuse(f, i);
      refuse(i, f);
    } else if (!items[i].refusal) {
      items[i].repeat_of = f;
    }
  }
}

Decoded Review(std::string_view body, Format format, const Sender& sender, const LotCalendar& lots,
               absl::Time now, const ValidationOptions& options) {
  Decoded decoded = DecodeBody(body, format, options.limits);
  for (size_t i = 0; i < decoded.items.size(); ++i) {
    auto& item = decoded.items[i];
    if (!item.refusal) item.refusal = ValidateEvent(item.event, i, sender, lots, now, options);
  }
  RefuseConflictingRepeats(decoded.items);
  return decoded;
}

}  // namespace pilotage::intake
