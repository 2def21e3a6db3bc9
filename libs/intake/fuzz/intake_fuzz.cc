// libFuzzer target: the request-decoding and validation entry point
// (intake::Review) on arbitrary bytes. The first byte picks the format; a
// fourth choice reads the bytes as a CSV file of the historical import (first
// line the header, the type picked by the first byte too).
// Built with clang by scripts/fuzz (preset "fuzz").
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pilotage/intake/csv.h"
#include "pilotage/intake/intake.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pilotage::intake;
  if (size == 0) return 0;
  static const LotCalendar lots = [] {
    LotCalendar l;
    l.contract_start["LOT-11"] = *ContractStart("2024-01-02");
    return l;
  }();
  static const Sender sender{"op-cibc-idf", {"LOT-11"}};
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 4 == 3) {
    const auto& types = CsvEventTypes();
    const size_t eol = body.find('\n');
    auto made =
        CsvDecoder::Create(types[data[0] / 4 % types.size()], body.substr(0, eol), "op-cibc-idf");
    auto* decoder = std::get_if<CsvDecoder>(&made);
    if (!decoder || eol == std::string_view::npos) return 0;
    ValidationOptions options;
    options.keep_recorded_at = true;
    size_t pos = eol + 1;
    while (pos < body.size()) {
      size_t end = body.find('\n', pos);
      const bool last = end == std::string_view::npos;
      if (last) end = body.size();
      Item item = decoder->Decode(body.substr(pos, end - pos), last);
      if (!item.refusal) {
        if (auto r = ValidateEvent(item.event, 0, sender, lots, absl::FromUnixSeconds(1717236000),
                                   options)) {
          (void)decoder->ColumnFor(r->field);
        }
      }
      pos = end + 1;
    }
    return 0;
  }
  const Format format = data[0] % 3 == 0   ? Format::kJson
                        : data[0] % 3 == 1 ? Format::kNdjson
                                           : Format::kProtobuf;
  Limits limits;
  limits.max_body_bytes = 1 << 20;
  ValidationOptions options;
  options.limits = limits;
  Decoded d = Review(body, format, sender, lots, absl::FromUnixSeconds(1717236000), options);
  // Every accepted event must serialize and parse back.
  for (const auto& item : d.items) {
    if (item.refusal) continue;
    std::string bytes = item.event.SerializeAsString();
    pilotage::v1::Event back;
    if (!back.ParseFromString(bytes)) __builtin_trap();
  }
  for (const char* s : {"a@b.fr", "06 12 34 56 78"}) (void)LooksPersonal(s);
  (void)LooksPersonal(body);
  return 0;
}
