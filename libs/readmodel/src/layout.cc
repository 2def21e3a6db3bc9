#include "pilotage/readmodel/layout.h"

#include <algorithm>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::readmodel::layout {

std::vector<store::ColumnFamilyOptions> CepFamilies() {
  return {{.name = std::string(kJourneys)}, {.name = std::string(kReporting)},
          {.name = std::string(kContract)}, {.name = std::string(kQuality)},
          {.name = std::string(kRefusals)}, {.name = std::string(kActivityCounts)}};
}

std::vector<store::ColumnFamilyOptions> ActivityCountsFamilies() {
  return {{.name = std::string(kActivityCounts)}};
}

std::string Key(std::initializer_list<std::string_view> parts) {
  std::string key;
  bool first = true;
  for (auto p : parts) {
    if (!first) key.push_back('\0');
    first = false;
    key.append(p.data(), p.size());
  }
  return key;
}

std::vector<std::string_view> Parts(std::string_view key) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = key.find('\0', start);
    if (end == std::string_view::npos) {
      out.push_back(key.substr(start));
      return out;
    }
    out.push_back(key.substr(start, end - start));
    start = end + 1;
  }
}

std::string_view LotOf(std::string_view key) { return key.substr(0, key.find('\0')); }

void JourneyKey(std::string& key, std::string_view lot, std::string_view pseudonym) {
  key.assign(lot.data(), lot.size());
  key.push_back('\0');
  key.append(pseudonym.data(), pseudonym.size());
}

void ReportingKey(std::string& key, std::string_view lot, absl::CivilDay day, int delay_days) {
  // Built by hand: the fold builds one per event.
  key.assign(lot.data(), lot.size());
  key.push_back('\0');
  key.append(domain::FormatDay(day));
  key.push_back('\0');
  const int capped = std::clamp(delay_days, 0, kMaxDelayDays);
  for (int unit : {1000, 100, 10, 1}) key.push_back(static_cast<char>('0' + capped / unit % 10));
}

void ActivityCountKey(std::string& key, std::string_view lot, absl::CivilMonth month,
                      std::string_view event_type) {
  key.assign(lot.data(), lot.size());
  key.push_back('\0');
  key.append(fmt::format("{:04}-{:02}", month.year(), month.month()));
  key.push_back('\0');
  key.append(event_type.data(), event_type.size());
}

}  // namespace pilotage::readmodel::layout
