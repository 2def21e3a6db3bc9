// The decoding of one CSV line against a layout (csv_layout.h holds the
// layouts and the French aliases).
#include "pilotage/intake/csv.h"

#include <google/protobuf/descriptor.h>
#include <xxhash.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "csv_layout.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::intake {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
namespace v1 = pilotage::v1;
using csv_layout::ColumnDef;
using csv_layout::EnumAliases;
using csv_layout::LayoutDef;
using csv_layout::Layouts;
using csv_layout::Target;

// ---------------------------------------------------------------------------
// Normalisation of names and values

// "É" -> "e" and friends: the accented letters of French, folded to ASCII.
constexpr std::pair<std::string_view, char> kFolds[] = {
    {"é", 'e'}, {"è", 'e'}, {"ê", 'e'}, {"ë", 'e'}, {"à", 'a'}, {"â", 'a'}, {"ä", 'a'}, {"î", 'i'},
    {"ï", 'i'}, {"ô", 'o'}, {"ö", 'o'}, {"ù", 'u'}, {"û", 'u'}, {"ü", 'u'}, {"ç", 'c'}, {"É", 'e'},
    {"È", 'e'}, {"Ê", 'e'}, {"À", 'a'}, {"Â", 'a'}, {"Î", 'i'}, {"Ô", 'o'}, {"Û", 'u'}, {"Ç", 'c'}};

// Lowercase ASCII, accents folded, every run of separators (space - ' + / .)
// one '_', no '_' at either end: "Date RDV" -> "date_rdv".
std::string Normalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool sep = false;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    char ch = 0;
    if (c >= 0x80) {
      for (const auto& [from, to] : kFolds) {
        if (s.substr(i, from.size()) == from) {
          ch = to;
          i += from.size();
          break;
        }
      }
      if (ch == 0) {
        out.push_back(static_cast<char>(c));  // kept as is: never matches a name
        ++i;
        continue;
      }
    } else {
      ch = static_cast<char>(std::tolower(c));
      ++i;
    }
    if (ch == ' ' || ch == '-' || ch == '\'' || ch == '+' || ch == '/' || ch == '.' || ch == '_' ||
        ch == '\t') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out.push_back('_');
    sep = false;
    out.push_back(ch);
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The number of `cell` in `e`, or 0 when it names no value.
int ParseEnum(const EnumDescriptor* e, std::string_view cell) {
  const std::string norm = Normalize(cell);
  if (const auto* v = e->FindValueByName(Upper(norm)); v && v->number() != 0) return v->number();
  auto aliases = EnumAliases().find(e->full_name());
  if (aliases != EnumAliases().end()) {
    auto a = aliases->second.find(norm);
    if (a != aliases->second.end()) return e->FindValueByName(a->second)->number();
  }
  return 0;
}

std::string EnumChoices(const EnumDescriptor* e) {
  std::string out;
  for (int i = 1; i < e->value_count(); ++i) {
    if (!out.empty()) out += ", ";
    out += e->value(i)->name();
  }
  return out;
}

std::optional<bool> ParseBool(std::string_view cell) {
  const std::string n = Normalize(cell);
  if (n == "true" || n == "1" || n == "oui" || n == "o" || n == "vrai" || n == "yes") return true;
  if (n == "false" || n == "0" || n == "non" || n == "n" || n == "faux" || n == "no") return false;
  return std::nullopt;
}

std::optional<int64_t> ParseInt(std::string_view cell) {
  if (cell.empty() || cell.size() > 9) return std::nullopt;
  int64_t v = 0;
  for (char c : cell) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// ---------------------------------------------------------------------------
// Times

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<absl::Time> ParseCsvTime(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    if (!Digits(s, pos + 1, 2, &h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &mi)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &sec)) return std::nullopt;
      pos += 3;
    }
  }
  const absl::CivilSecond civil(y, mo, d, h, mi, sec);
  if (civil.year() != y || civil.month() != mo || civil.day() != d || civil.hour() != h ||
      civil.minute() != mi || civil.second() != sec || sec > 59) {
    return std::nullopt;  // 2024-02-30, 25:00 and the like
  }
  if (pos == s.size()) return absl::FromCivil(civil, domain::Paris());
  if (s.size() == 10) return std::nullopt;
  const std::string_view zone = s.substr(pos);
  if (zone == "Z" || zone == "z") return absl::FromCivil(civil, absl::UTCTimeZone());
  int oh, om;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !Digits(zone, 1, 2, &oh) ||
      zone[3] != ':' || !Digits(zone, 4, 2, &om) || oh > 23 || om > 59) {
    return std::nullopt;
  }
  const absl::Duration offset = absl::Hours(oh) + absl::Minutes(om);
  const absl::Time utc = absl::FromCivil(civil, absl::UTCTimeZone());
  return zone[0] == '+' ? utc - offset : utc + offset;
}

const std::vector<std::string>& CsvEventTypes() {
  static const auto* kTypes =
      new std::vector<std::string>{"request_received",   "appointment_held", "appointment_missed",
                                   "deliverable_issued", "journey_closed",   "survey_answered"};
  return *kTypes;
}

const std::vector<CsvColumnSpec>* CsvLayout(std::string_view event_type) {
  auto it = Layouts().find(event_type);
  return it == Layouts().end() ? nullptr : &it->second.specs;
}

std::optional<std::vector<std::string>> SplitCsvRecord(std::string_view line, char separator) {
  std::vector<std::string> cells;
  std::string cell;
  size_t i = 0;
  while (true) {
    cell.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return std::nullopt;  // quote left open
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell.push_back(line[i++]);
      }
      // Anything between the closing quote and the separator is kept.
      while (i < line.size() && line[i] != separator) cell.push_back(line[i++]);
    } else {
      size_t end = line.find(separator, i);
      if (end == std::string_view::npos) end = line.size();
      cell.assign(line.substr(i, end - i));
      i = end;
    }
    cells.push_back(cell);
    if (i >= line.size()) return cells;
    ++i;  // the separator
  }
}

class CsvDecoder::Impl {
 public:
  struct Bound {
    const ColumnDef* def;
    std::string header;                        // as written
    std::vector<const FieldDescriptor*> path;  // under the body
    // Enum cells already parsed (spelling -> number, 0 for unknown).
    mutable std::map<std::string, int, std::less<>> enum_memo;
  };
  std::string type;
  std::string operator_id;
  const FieldDescriptor* body = nullptr;
  char separator = ',';
  std::vector<Bound> columns;
  std::vector<std::string> normalized_header;
  // Proto path under the event ("appointment_held.level", "occurred_at") -> header.
  std::map<std::string, std::string, std::less<>> column_of;
  bool has_recorded_at = false;
};

CsvDecoder::CsvDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CsvDecoder::CsvDecoder(CsvDecoder&&) noexcept = default;
CsvDecoder& CsvDecoder::operator=(CsvDecoder&&) noexcept = default;
CsvDecoder::~CsvDecoder() = default;

bool CsvDecoder::HasRecordedAt() const { return impl_->has_recorded_at; }

std::variant<CsvDecoder, Refusal> CsvDecoder::Create(std::string_view event_type,
                                                     std::string_view header,
                                                     std::string operator_id) {
  auto layout = Layouts().find(event_type);
  if (layout == Layouts().end()) {
    std::string types;
    for (const auto& t : CsvEventTypes()) types += (types.empty() ? "" : ", ") + t;
    return Refusal{RefusalCode::kBadFormat, "--type",
                   fmt::format("unknown event type; one of {}", types)};
  }
  if (header.substr(0, 3) == "\xEF\xBB\xBF") header.remove_prefix(3);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  if (!IsValidUtf8(header)) {
    return Refusal{RefusalCode::kNotUtf8, "",
                   "the header row is not valid UTF-8 (export the file in UTF-8)"};
  }
  auto impl = std::make_unique<Impl>();
  impl->type = std::string(event_type);
  impl->operator_id = std::move(operator_id);
  impl->body = v1::Event::descriptor()->FindFieldByName(impl->type);
  const size_t commas = std::count(header.begin(), header.end(), ',');
  const size_t semicolons = std::count(header.begin(), header.end(), ';');
  impl->separator = semicolons > commas ? ';' : ',';
  auto cells = SplitCsvRecord(header, impl->separator);
  if (!cells) return Refusal{RefusalCode::kBadHeader, "", "the header row leaves a quote open"};
  const auto find = [&](const std::string& norm) -> const ColumnDef* {
    for (const auto& def : layout->second.defs) {
      if (norm == def.spec.name) return &def;
      for (const auto& a : def.spec.aliases) {
        if (norm == a) return &def;
      }
    }
    return nullptr;
  };
  if (std::none_of(cells->begin(), cells->end(),
                   [&](const std::string& c) { return find(Normalize(Trim(c))) != nullptr; })) {
    return Refusal{RefusalCode::kBadHeader, "",
                   fmt::format("the first line must be the header row of the {} layout "
                               "(docs/import.md)",
                               impl->type)};
  }
  std::set<const ColumnDef*> seen;
  for (const auto& raw : *cells) {
    const std::string name(Trim(raw));
    const std::string norm = Normalize(name);
    const ColumnDef* found = find(norm);
    if (!found) {
      if (IsPersonalFieldName(norm) || IsPersonalFieldName(name)) {
        return Refusal{RefusalCode::kPersonalData, name,
                       "this column's name says personal data: remove it from the export, "
                       "nothing of it may enter pilotage"};
      }
      return Refusal{RefusalCode::kUnknownField, name,
                     fmt::format("not a column of the {} layout (docs/import.md)", impl->type)};
    }
    if (!seen.insert(found).second) {
      return Refusal{RefusalCode::kBadHeader, name,
                     fmt::format("column '{}' is named twice", found->spec.name)};
    }
    Impl::Bound bound{found, name, {}};
    std::string proto_path;
    switch (found->target) {
      case Target::kLot:
        proto_path = "lot_id";
        break;
      case Target::kOperator:
        proto_path = "operator_id";
        break;
      case Target::kOccurred:
        proto_path = "occurred_at";
        break;
      case Target::kRecorded:
        proto_path = "recorded_at";
        impl->has_recorded_at = true;
        break;
      case Target::kBody: {
        proto_path = impl->type + "." + found->path;
        const Descriptor* d = impl->body->message_type();
        size_t start = 0;
        while (true) {
          const size_t dot = found->path.find('.', start);
          const auto* f = d->FindFieldByName(found->path.substr(
              start, dot == std::string::npos ? std::string::npos : dot - start));
          bound.path.push_back(f);
          if (dot == std::string::npos) break;
          d = f->message_type();
          start = dot + 1;
        }
        break;
      }
    }
    impl->column_of[proto_path] = name;
    impl->columns.push_back(std::move(bound));
    impl->normalized_header.push_back(norm);
  }
  for (const auto& def : layout->second.defs) {
    if (def.spec.required && !seen.contains(&def)) {
      std::string aliases;
      for (const auto& a : def.spec.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
      return Refusal{RefusalCode::kMissingField, def.spec.name,
                     fmt::format("required column missing (also named: {})", aliases)};
    }
  }
  return CsvDecoder(std::move(impl));
}

Item CsvDecoder::Decode(std::string_view line, bool at_end_without_newline) const {
  Item item;
  const Impl& im = *impl_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!IsValidUtf8(line)) {
    item.refusal = Refusal{RefusalCode::kNotUtf8, "", "not valid UTF-8 (export the file in UTF-8)"};
    return item;
  }
  auto cells = SplitCsvRecord(line, im.separator);
  if (!cells) {
    item.refusal = at_end_without_newline
                       ? Refusal{RefusalCode::kTruncatedLine, "",
                                 "the file ends inside this line (a quote "
                                 "is left open): the export was cut"}
                       : Refusal{RefusalCode::kMalformedEvent, "",
                                 "a quote is left open (a cell never spans two lines)"};
    return item;
  }
  if (cells->size() == im.columns.size() &&
      Normalize(Trim(cells->front())) == im.normalized_header.front()) {
    bool header = true;
    for (size_t i = 1; i < cells->size() && header; ++i) {
      header = Normalize(Trim((*cells)[i])) == im.normalized_header[i];
    }
    if (header) {
      item.refusal = Refusal{RefusalCode::kDuplicateHeader, "",
                             "the header row again (two exports joined?): not an event"};
      return item;
    }
  }
  if (cells->size() != im.columns.size()) {
    item.refusal =
        at_end_without_newline && cells->size() < im.columns.size()
            ? Refusal{RefusalCode::kTruncatedLine, "",
                      fmt::format("the file ends inside this line ({} of {} columns): the export "
                                  "was cut",
                                  cells->size(), im.columns.size())}
            : Refusal{RefusalCode::kMalformedEvent, "",
                      fmt::format("{} cells where the header has {} columns", cells->size(),
                                  im.columns.size())};
    return item;
  }
  v1::Event& e = item.event;
  const auto* reflection = e.GetReflection();
  Message* body = reflection->MutableMessage(&e, im.body);
  if (e.has_request_received()) e.mutable_request_received()->mutable_profile();
  for (size_t i = 0; i < cells->size(); ++i) {
    const auto& col = im.columns[i];
    const std::string_view cell = Trim((*cells)[i]);
    if (cell.empty()) continue;  // a required value missing is refused by validation
    auto refuse = [&](RefusalCode code, std::string message) {
      item.refusal = Refusal{code, col.header, std::move(message)};
    };
    switch (col.def->target) {
      case Target::kLot:
        e.set_lot_id(std::string(cell));
        break;
      case Target::kOperator:
        e.set_operator_id(std::string(cell));
        break;
      case Target::kOccurred:
      case Target::kRecorded: {
        auto t = ParseCsvTime(cell);
        if (!t) {
          refuse(RefusalCode::kBadTimestamp,
                 "expected YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (Paris time) or RFC 3339 with an "
                 "offset (2024-04-02T10:00:00+02:00)");
          return item;
        }
        auto* ts = col.def->target == Target::kOccurred ? e.mutable_occurred_at()
                                                        : e.mutable_recorded_at();
        ts->set_seconds(absl::ToUnixSeconds(*t));
        ts->set_nanos(0);
        break;
      }
      case Target::kBody: {
        Message* m = body;
        for (size_t k = 0; k + 1 < col.path.size(); ++k) {
          m = m->GetReflection()->MutableMessage(m, col.path[k]);
        }
        const FieldDescriptor* f = col.path.back();
        const auto* r = m->GetReflection();
        switch (f->cpp_type()) {
          case FieldDescriptor::CPPTYPE_STRING:
            r->SetString(m, f, std::string(cell));
            break;
          case FieldDescriptor::CPPTYPE_ENUM: {
            // Few distinct spellings per column: remember them.
            auto& memo = col.enum_memo;
            auto hit = memo.find(cell);
            int v;
            if (hit != memo.end()) {
              v = hit->second;
            } else {
              v = ParseEnum(f->enum_type(), cell);
              if (memo.size() < 256) memo.emplace(std::string(cell), v);
            }
            if (v == 0) {
              refuse(RefusalCode::kUnknownEnum,
                     fmt::format("not a value of this column: one of {} (or "
                                 "their French names, docs/import.md)",
                                 EnumChoices(f->enum_type())));
              return item;
            }
            r->SetEnumValue(m, f, v);
            break;
          }
          case FieldDescriptor::CPPTYPE_INT32: {
            auto v = ParseInt(cell);
            if (!v) {
              refuse(RefusalCode::kWrongType, "expected a whole number written with digits only");
              return item;
            }
            r->SetInt32(m, f, static_cast<int32_t>(*v));
            break;
          }
          case FieldDescriptor::CPPTYPE_BOOL: {
            auto v = ParseBool(cell);
            if (!v) {
              refuse(RefusalCode::kWrongType, "expected oui/non (or true/false, 1/0)");
              return item;
            }
            r->SetBool(m, f, *v);
            break;
          }
          default:
            refuse(RefusalCode::kWrongType, "unsupported column type");
            return item;
        }
        break;
      }
    }
  }
  // The derived id: the operator, the type and what the line says.
  std::string material = im.operator_id;
  material.push_back('\0');
  material += im.type;
  material.push_back('\0');
  material += e.SerializeAsString();
  const XXH128_hash_t h = XXH3_128bits(material.data(), material.size());
  // Written with the letters a-p, one per 4 bits, never with digits: hex
  // digits can form runs the personal-data guard takes for a NIR or a phone
  // number (about 2 % of ids would be refused).
  std::string id = "csv-";
  for (uint64_t half : {h.high64, h.low64}) {
    for (int shift = 60; shift >= 0; shift -= 4)
      id.push_back(static_cast<char>('a' + ((half >> shift) & 0xf)));
  }
  e.set_event_id(std::move(id));
  return item;
}

std::string CsvDecoder::ColumnFor(std::string_view field) const {
  if (field.substr(0, 7) == "events[") {
    const size_t dot = field.find("].");
    if (dot != std::string_view::npos) field.remove_prefix(dot + 2);
  }
  auto it = impl_->column_of.find(field);
  return it == impl_->column_of.end() ? std::string(field) : it->second;
}

}  // namespace pilotage::intake
