// libFuzzer target: the request-decoding and validation entry point
// (intake::Review) on arbitrary bytes. The first byte picks the format.
// Built with clang by scripts/fuzz (preset "fuzz").
#include <cstddef>
#include <cstdint>
#include <string_view>

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
  const Format format = data[0] % 3 == 0   ? Format::kJson
                        : data[0] % 3 == 1 ? Format::kNdjson
                                           : Format::kProtobuf;
  Limits limits;
  limits.max_body_bytes = 1 << 20;
  ValidationOptions options;
  options.limits = limits;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
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
