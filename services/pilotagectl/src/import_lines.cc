#include "import_lines.h"

#include <utility>
#include <variant>

#include "absl/time/civil_time.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::pilotagectl {

bool Blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

std::string TypeOf(const v1::Event& e) {
  if (e.body_case() == v1::Event::BODY_NOT_SET) return "unknown";
  return v1::Event::descriptor()->FindFieldByNumber(e.body_case())->name();
}

std::string WithoutIndex(const std::string& field) {
  if (field.rfind("events[", 0) == 0) {
    const size_t dot = field.find("].");
    if (dot != std::string::npos) return field.substr(dot + 2);
    const size_t close = field.find(']');
    if (close != std::string::npos && close + 1 == field.size()) return "";
  }
  return field;
}

std::string ParisDay(int64_t seconds) {
  return absl::FormatCivilTime(absl::ToCivilDay(absl::FromUnixSeconds(seconds), domain::Paris()));
}

Checked LineChecker::Check(std::string_view line, int64_t number, bool at_end) {
  Checked c;
  if (Blank(line)) return c;
  if (csv_ && !decoder_ && !header_refusal) {
    auto created = intake::CsvDecoder::Create(options_.type, line, options_.operator_id);
    if (auto* r = std::get_if<intake::Refusal>(&created)) {
      header_refusal = *r;
    } else {
      decoder_.emplace(std::move(std::get<intake::CsvDecoder>(created)));
    }
    return c;  // the header is not data
  }
  c.data = true;
  if (header_refusal) return c;  // the file as a whole is refused
  intake::Item item;
  if (csv_) {
    item = decoder_->Decode(line, at_end);
    c.type = options_.type;
  } else {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!intake::IsValidUtf8(line)) {
      c.refusal = intake::Refusal{intake::RefusalCode::kNotUtf8, "",
                                  "not valid UTF-8 (export the file in UTF-8)"};
      return c;
    }
    item = intake::DecodeEventJson(line, 0, validation_.limits);
    if (item.refusal && at_end && item.refusal->code == intake::RefusalCode::kMalformedEvent) {
      item.refusal = intake::Refusal{intake::RefusalCode::kTruncatedLine, "",
                                     "the file ends inside this line (not a whole JSON "
                                     "object): the export was cut"};
    }
    c.type = TypeOf(item.event);
  }
  if (!item.refusal) {
    c.recorded_from_file = item.event.has_recorded_at();
    item.refusal = intake::ValidateEvent(item.event, 0, sender_, lots_, now_, validation_);
  }
  if (item.refusal) {
    item.refusal->field =
        csv_ ? decoder_->ColumnFor(item.refusal->field) : WithoutIndex(item.refusal->field);
    c.refusal = std::move(item.refusal);
    (void)number;
    return c;
  }
  c.event = std::move(item.event);
  c.event.set_imported(true);
  return c;
}

}  // namespace pilotage::pilotagectl
