// Decoding of request bodies: JSON (canonical protobuf mapping), NDJSON and
// binary EventBatch, into one item per event.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/time_util.h>

#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "fmt/format.h"
#include "pilotage/intake/intake.h"

namespace pilotage::intake {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Field names that say the sender is about to send personal data.
bool PersonalFieldName(std::string_view name) {
  static const char* const kNames[] = {"name",
                                       "nom",
                                       "prenom",
                                       "firstname",
                                       "first_name",
                                       "lastname",
                                       "last_name",
                                       "email",
                                       "e_mail",
                                       "mail",
                                       "courriel",
                                       "phone",
                                       "telephone",
                                       "tel",
                                       "mobile",
                                       "nir",
                                       "ssn",
                                       "secu",
                                       "social_security_number",
                                       "birth_date",
                                       "birthdate",
                                       "date_of_birth",
                                       "address",
                                       "adresse",
                                       "employer",
                                       "employeur"};
  const std::string lower = Lower(name);
  for (const char* n : kNames) {
    if (lower == n) return true;
  }
  return false;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

// Deepest nesting of a JSON text, strings skipped; -1 when brackets do not balance.
int JsonDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return -1;
    }
  }
  return deepest;
}

// A key written twice in one object is the event's sender saying two things;
// nlohmann keeps the last copy silently, other parsers the first. Refused:
// an operator's record must mean one thing. Found while parsing (a callback
// that sees every key), with the path of the first duplicate of each event.
class DuplicateKeys {
 public:
  // The callback for json::parse. Top-level: an event object (events[0]) or
  // an array of events; `first_index` numbers them (an NDJSON line's index).
  explicit DuplicateKeys(size_t first_index) : first_index_(first_index) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        stack_.push_back({.object = event == json::parse_event_t::object_start});
        break;
      case json::parse_event_t::key: {
        Frame& frame = stack_.back();
        frame.key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.key).second) Found();
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack_.pop_back();
        if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
        break;
      case json::parse_event_t::value:
        if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
        break;
    }
    return true;
  }

  // Event index -> the duplicated key's path, e.g. "events[2].request_received.channel".
  const std::map<size_t, std::string>& found() const { return found_; }

 private:
  struct Frame {
    bool object = false;
    std::set<std::string> keys;
    std::string key;   // in an object: the key being read
    size_t index = 0;  // in an array: the element being read
  };

  static std::string_view Shown(const std::string& key) {
    // The name only, and only if printable as is (never a value).
    return ValidUtf8(key) && key.size() <= 64 ? std::string_view(key) : "?";
  }

  void Found() {
    // The root is the event (an object) or the batch (an array of events).
    const bool batch = !stack_.front().object;
    if (batch && stack_.size() < 2) return;  // not reached: arrays have no keys
    const size_t event = first_index_ + (batch ? stack_.front().index : 0);
    if (found_.contains(event)) return;
    std::string path = fmt::format("events[{}]", event);
    for (size_t i = batch ? 1 : 0; i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.object) {
        path += '.';
        path += Shown(f.key);
      } else if (i + 1 < stack_.size()) {
        path += fmt::format("[{}]", f.index);
      }
    }
    found_.emplace(event, std::move(path));
  }

  size_t first_index_;
  std::vector<Frame> stack_;
  std::map<size_t, std::string> found_;
};

Refusal DuplicateKeyRefusal(std::string path) {
  return Refusal{RefusalCode::kDuplicateKey, std::move(path),
                 "this key appears twice in one object: send each key once (which copy "
                 "would count is ambiguous)"};
}

// RFC 8259 8.1: a JSON text is not sent with a byte order mark; nlohmann
// would skip it silently.
bool StartsWithBom(std::string_view text) { return text.starts_with("\xEF\xBB\xBF"); }

constexpr char kBomMessage[] =
    "the body starts with a byte order mark (U+FEFF): send UTF-8 JSON without one";

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : fmt::format("{}.{}", path, name);
}

const char* JsonType(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_float:
      return "a decimal number";
    default:
      return "a number";
  }
}

// Appends ".name" or "[i]" to a path for the lifetime of a scope: paths are
// built in one buffer, and copied only into a refusal.
class PathSegment {
 public:
  PathSegment(std::string& path, std::string_view name) : path_(path), mark_(path.size()) {
    path_ += '.';
    path_.append(name.data(), name.size());
  }
  PathSegment(std::string& path, size_t index) : path_(path), mark_(path.size()) {
    path_ += '[';
    path_ += std::to_string(index);
    path_ += ']';
  }
  ~PathSegment() { path_.resize(mark_); }
  PathSegment(const PathSegment&) = delete;
  PathSegment& operator=(const PathSegment&) = delete;

 private:
  std::string& path_;
  size_t mark_;
};

class JsonReader {
 public:
  explicit JsonReader(const Limits& limits) : limits_(limits) {}

  std::optional<Refusal> ReadMessage(const json& j, Message* m, std::string& path) {
    if (!j.is_object()) {
      return Refusal{RefusalCode::kWrongType, path,
                     fmt::format("expected an object, got {}", JsonType(j))};
    }
    const Descriptor* d = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    for (const auto& [key, value] : j.items()) {
      const FieldDescriptor* f = d->FindFieldByName(key);
      if (f == nullptr) f = d->FindFieldByCamelcaseName(key);
      if (f == nullptr) {
        // The name only: an unknown key's value is never echoed.
        const std::string at = Join(path, ValidUtf8(key) && key.size() <= 64 ? key : "?");
        if (PersonalFieldName(key)) {
          return Refusal{RefusalCode::kPersonalData, at,
                         "personal data is never accepted: this field looks like a direct "
                         "identifier"};
        }
        return Refusal{RefusalCode::kUnknownField, at, "no such field in pilotage.v1"};
      }
      if (value.is_null()) continue;  // canonical mapping: null is the default
      PathSegment segment(path, f->name());
      std::string& at = path;
      if (f->containing_oneof() != nullptr && r->HasOneof(*m, f->containing_oneof())) {
        return Refusal{
            RefusalCode::kMultipleBodies, at,
            fmt::format("only one field of '{}' may be set", f->containing_oneof()->name())};
      }
      if (f->is_repeated()) {
        if (!value.is_array()) {
          return Refusal{RefusalCode::kWrongType, at,
                         fmt::format("expected an array, got {}", JsonType(value))};
        }
        for (size_t i = 0; i < value.size(); ++i) {
          PathSegment element(at, i);
          if (auto refusal = ReadValue(value[i], m, f, at)) {
            return refusal;
          }
        }
      } else if (auto refusal = ReadValue(value, m, f, at)) {
        return refusal;
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<Refusal> ReadValue(const json& j, Message* m, const FieldDescriptor* f,
                                   std::string& at) {
    const Reflection* r = m->GetReflection();
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
          if (!j.is_string()) {
            return Refusal{
                RefusalCode::kWrongType, at,
                fmt::format("expected an RFC 3339 timestamp string, got {}", JsonType(j))};
          }
          google::protobuf::Timestamp ts;
          const auto& text = j.get_ref<const std::string&>();
          if (text.size() > 64 || !google::protobuf::util::TimeUtil::FromString(text, &ts)) {
            return Refusal{RefusalCode::kBadTimestamp, at,
                           "expected an RFC 3339 timestamp with an offset, e.g. "
                           "2024-03-05T14:30:00+01:00"};
          }
          Message* sub = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
          sub->CopyFrom(ts);
          return std::nullopt;
        }
        Message* sub = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
        return ReadMessage(j, sub, at);
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* e = f->enum_type();
        const google::protobuf::EnumValueDescriptor* v = nullptr;
        if (j.is_string()) {
          v = e->FindValueByName(j.get_ref<const std::string&>());
        } else if (j.is_number_integer()) {
          const auto n = j.get<int64_t>();
          if (n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max()) {
            v = e->FindValueByNumber(static_cast<int>(n));
          }
        } else {
          return Refusal{
              RefusalCode::kWrongType, at,
              fmt::format("expected one of the names of {}, got {}", e->full_name(), JsonType(j))};
        }
        if (v == nullptr) {
          std::string names;
          for (int i = 1; i < e->value_count(); ++i) {
            names += (i > 1 ? ", " : "") + e->value(i)->name();
          }
          return Refusal{RefusalCode::kUnknownEnum, at, fmt::format("expected one of: {}", names)};
        }
        rep ? r->AddEnumValue(m, f, v->number()) : r->SetEnumValue(m, f, v->number());
        return std::nullopt;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        if (!j.is_string()) {
          return Refusal{RefusalCode::kWrongType, at,
                         fmt::format("expected a string, got {}", JsonType(j))};
        }
        const auto& s = j.get_ref<const std::string&>();
        if (s.size() > limits_.max_string_bytes) {
          return Refusal{
              RefusalCode::kStringTooLong, at,
              fmt::format("longer than the limit max_string_bytes={}", limits_.max_string_bytes)};
        }
        if (!ValidUtf8(s)) return Refusal{RefusalCode::kBadFormat, at, "not valid UTF-8"};
        rep ? r->AddString(m, f, s) : r->SetString(m, f, s);
        return std::nullopt;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (!j.is_boolean()) {
          return Refusal{RefusalCode::kWrongType, at,
                         fmt::format("expected true or false, got {}", JsonType(j))};
        }
        rep ? r->AddBool(m, f, j.get<bool>()) : r->SetBool(m, f, j.get<bool>());
        return std::nullopt;
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        int64_t n = 0;
        if (j.is_number_integer()) {
          if (j.is_number_unsigned() &&
              j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return Refusal{RefusalCode::kOutOfRange, at, "integer too large"};
          }
          n = j.get<int64_t>();
        } else if (j.is_string()) {
          // The canonical mapping allows integers written as strings.
          const auto& s = j.get_ref<const std::string&>();
          if (s.empty() || s.size() > 19) {
            return Refusal{RefusalCode::kWrongType, at, "expected an integer"};
          }
          size_t k = s[0] == '-' ? 1 : 0;
          if (k == s.size()) return Refusal{RefusalCode::kWrongType, at, "expected an integer"};
          for (; k < s.size(); ++k) {
            if (!std::isdigit(static_cast<unsigned char>(s[k]))) {
              return Refusal{RefusalCode::kWrongType, at, "expected an integer"};
            }
          }
          if (std::from_chars(s.data(), s.data() + s.size(), n).ec != std::errc()) {
            return Refusal{RefusalCode::kOutOfRange, at, "integer too large"};
          }
        } else {
          return Refusal{RefusalCode::kWrongType, at,
                         fmt::format("expected an integer, got {}", JsonType(j))};
        }
        const bool is32 = f->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                          f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
        const bool is_unsigned = f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                                 f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
        if ((is32 && (n > std::numeric_limits<int32_t>::max() ||
                      n < std::numeric_limits<int32_t>::min())) ||
            (is_unsigned && n < 0)) {
          return Refusal{RefusalCode::kOutOfRange, at, "integer out of the field's range"};
        }
        switch (f->cpp_type()) {
          case FieldDescriptor::CPPTYPE_INT32:
            rep ? r->AddInt32(m, f, static_cast<int32_t>(n))
                : r->SetInt32(m, f, static_cast<int32_t>(n));
            break;
          case FieldDescriptor::CPPTYPE_INT64:
            rep ? r->AddInt64(m, f, n) : r->SetInt64(m, f, n);
            break;
          case FieldDescriptor::CPPTYPE_UINT32:
            rep ? r->AddUInt32(m, f, static_cast<uint32_t>(n))
                : r->SetUInt32(m, f, static_cast<uint32_t>(n));
            break;
          default:
            rep ? r->AddUInt64(m, f, static_cast<uint64_t>(n))
                : r->SetUInt64(m, f, static_cast<uint64_t>(n));
        }
        return std::nullopt;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        if (!j.is_number()) {
          return Refusal{RefusalCode::kWrongType, at,
                         fmt::format("expected a number, got {}", JsonType(j))};
        }
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          rep ? r->AddDouble(m, f, j.get<double>()) : r->SetDouble(m, f, j.get<double>());
        } else {
          rep ? r->AddFloat(m, f, j.get<float>()) : r->SetFloat(m, f, j.get<float>());
        }
        return std::nullopt;
    }
    return Refusal{RefusalCode::kWrongType, at, "unsupported field type"};
  }

  const Limits& limits_;
};

std::string EventPath(size_t index) { return fmt::format("events[{}]", index); }

Item ReadEvent(const json& j, size_t index, const Limits& limits) {
  Item item;
  if (!j.is_object()) {
    item.refusal = Refusal{RefusalCode::kMalformedEvent, EventPath(index),
                           fmt::format("an event is a JSON object, got {}", JsonType(j))};
    return item;
  }
  JsonReader reader(limits);
  std::string path = EventPath(index);
  path.reserve(96);
  item.refusal = reader.ReadMessage(j, &item.event, path);
  return item;
}

Decoded RequestRefusal(RefusalCode code, std::string message) {
  Decoded d;
  d.request_refusal = Refusal{code, "", std::move(message)};
  return d;
}

Decoded TooMany(const Limits& limits) {
  return RequestRefusal(RefusalCode::kBatchTooLarge,
                        fmt::format("more events than the limit max_events={}", limits.max_events));
}

Decoded DecodeJson(std::string_view body, const Limits& limits) {
  const int depth = JsonDepth(body);
  if (depth < 0)
    return RequestRefusal(RefusalCode::kMalformedBody, "not valid JSON: brackets do not match");
  if (depth > limits.max_json_depth) {
    return RequestRefusal(RefusalCode::kMalformedBody,
                          fmt::format("JSON nested deeper than the limit "
                                      "max_json_depth={}",
                                      limits.max_json_depth));
  }
  if (StartsWithBom(body)) return RequestRefusal(RefusalCode::kMalformedBody, kBomMessage);
  DuplicateKeys duplicates(0);
  json doc =
      json::parse(body.begin(), body.end(), std::ref(duplicates), /*allow_exceptions=*/false);
  if (doc.is_discarded()) return RequestRefusal(RefusalCode::kMalformedBody, "not valid JSON");
  Decoded d;
  if (doc.is_object()) {
    d.items.push_back(ReadEvent(doc, 0, limits));
    if (auto it = duplicates.found().find(0); it != duplicates.found().end()) {
      d.items[0].refusal = DuplicateKeyRefusal(it->second);
    }
    return d;
  }
  if (!doc.is_array()) {
    return RequestRefusal(RefusalCode::kMalformedBody,
                          "expected an event object or an array of events");
  }
  if (doc.empty()) return RequestRefusal(RefusalCode::kEmptyBatch, "the batch holds no event");
  if (doc.size() > limits.max_events) return TooMany(limits);
  d.items.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) d.items.push_back(ReadEvent(doc[i], i, limits));
  for (const auto& [index, path] : duplicates.found()) {
    d.items[index].refusal = DuplicateKeyRefusal(path);
  }
  return d;
}

// One NDJSON line, not blank.
Item DecodeLine(std::string_view line, size_t index, const Limits& limits) {
  const int depth = JsonDepth(line);
  if (depth < 0 || depth > limits.max_json_depth) {
    return Item{{},
                Refusal{RefusalCode::kMalformedEvent, EventPath(index),
                        fmt::format("line {} is not a JSON object (or is nested "
                                    "deeper than max_json_depth={})",
                                    index + 1, limits.max_json_depth)}};
  }
  if (StartsWithBom(line)) {
    return Item{{},
                Refusal{RefusalCode::kMalformedEvent, EventPath(index),
                        fmt::format("line {} starts with a byte order mark (U+FEFF)", index + 1)}};
  }
  DuplicateKeys duplicates(index);
  json doc = json::parse(line.begin(), line.end(), std::ref(duplicates), false);
  if (doc.is_discarded()) {
    return Item{
        {}, Refusal{RefusalCode::kMalformedEvent, EventPath(index), "this line is not valid JSON"}};
  }
  Item item = ReadEvent(doc, index, limits);
  // A line is one event: a duplicate found inside is this event's.
  if (doc.is_object() && !duplicates.found().empty()) {
    item.refusal = DuplicateKeyRefusal(duplicates.found().begin()->second);
  }
  return item;
}

Decoded DecodeNdjson(std::string_view body, const Limits& limits) {
  if (StartsWithBom(body)) return RequestRefusal(RefusalCode::kMalformedBody, kBomMessage);
  Decoded d;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool blank = true;
    for (char c : line) blank = blank && (c == ' ' || c == '\t');
    if (blank) continue;
    if (d.items.size() == limits.max_events) return TooMany(limits);
    const size_t index = d.items.size();
    d.items.push_back(DecodeLine(line, index, limits));
  }
  if (d.items.empty()) return RequestRefusal(RefusalCode::kEmptyBatch, "the batch holds no event");
  return d;
}

Decoded DecodeProtobuf(std::string_view body, const Limits& limits) {
  pilotage::v1::EventBatch batch;
  if (!batch.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return RequestRefusal(RefusalCode::kMalformedBody, "not a binary pilotage.v1.EventBatch");
  }
  if (batch.events_size() == 0)
    return RequestRefusal(RefusalCode::kEmptyBatch, "the batch holds no event");
  if (static_cast<size_t>(batch.events_size()) > limits.max_events) return TooMany(limits);
  Decoded d;
  d.items.resize(batch.events_size());
  for (int i = 0; i < batch.events_size(); ++i) {
    auto& event = d.items[i].event;
    event.Swap(batch.mutable_events(i));
    if (!event.GetReflection()->GetUnknownFields(event).empty()) {
      d.items[i].refusal =
          Refusal{RefusalCode::kUnknownField, EventPath(i), "fields unknown to pilotage.v1.Event"};
    }
  }
  return d;
}

}  // namespace

namespace {

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Whether the parameters after the media type ("; charset=utf-8") say
// nothing but UTF-8: every text format is UTF-8, and a body in another
// charset would be refused event by event for what is a whole-request fault.
bool ParametersAllowed(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view param = Trimmed(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trimmed(param.substr(0, eq))) != "charset") continue;
    std::string_view value = Trimmed(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const std::string charset = Lower(value);
    if (charset != "utf-8" && charset != "utf8") return false;
  }
  return true;
}

constexpr char kAcceptedTypes[] =
    "application/json, application/x-ndjson or application/x-protobuf";

}  // namespace

absl::StatusOr<Format> FormatFromContentType(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  const std::string lower = Lower(Trimmed(content_type.substr(0, semi)));
  std::optional<Format> format;
  if (lower == "application/json") format = Format::kJson;
  if (lower == "application/x-ndjson" || lower == "application/ndjson") format = Format::kNdjson;
  if (lower == "application/x-protobuf" || lower == "application/protobuf") {
    format = Format::kProtobuf;
  }
  if (format) {
    if (semi == std::string_view::npos || ParametersAllowed(content_type.substr(semi + 1))) {
      return *format;
    }
    return absl::InvalidArgumentError("the only charset accepted is utf-8");
  }
  if (lower.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("Content-Type missing: it must be {}", kAcceptedTypes));
  }
  if (lower.rfind("multipart/", 0) == 0) {
    return absl::InvalidArgumentError(
        fmt::format("multipart bodies (form uploads) are not accepted: send the events "
                    "themselves as the body, with Content-Type {}",
                    kAcceptedTypes));
  }
  return absl::InvalidArgumentError(fmt::format("Content-Type must be {}", kAcceptedTypes));
}

Item DecodeEventJson(std::string_view text, size_t index, const Limits& limits) {
  return DecodeLine(text, index, limits);
}

bool IsPersonalFieldName(std::string_view name) { return PersonalFieldName(name); }

bool IsValidUtf8(std::string_view s) { return ValidUtf8(s); }

Decoded DecodeBody(std::string_view body, Format format, const Limits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return RequestRefusal(RefusalCode::kBodyTooLarge, fmt::format("body larger than the limit "
                                                                  "max_body_bytes={}",
                                                                  limits.max_body_bytes));
  }
  switch (format) {
    case Format::kJson:
      return DecodeJson(body, limits);
    case Format::kNdjson:
      return DecodeNdjson(body, limits);
    case Format::kProtobuf:
      return DecodeProtobuf(body, limits);
  }
  return RequestRefusal(RefusalCode::kUnsupportedMediaType, "unknown format");
}

}  // namespace pilotage::intake
