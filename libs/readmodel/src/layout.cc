#include "pilotage/readmodel/layout.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::readmodel::layout {

std::vector<store::ColumnFamilyOptions> CepFamilies() {
  return {{.name = std::string(kJourneys)},
          {.name = std::string(kReporting)},
          {.name = std::string(kContract)},
          {.name = std::string(kQuality)},
          {.name = std::string(kRefusals)},
          {.name = std::string(kActivityCounts)},
          {.name = std::string(kKpiCells), .merge = store::MergeKind::kAddFixed64}};
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

void KpiCellKey(std::string& key, std::string_view lot, const domain::KpiCell& cell) {
  key.assign(lot.data(), lot.size());
  key.push_back('\0');
  key.push_back(static_cast<char>(cell.kind));
  key.push_back('\0');
  key.append(domain::FormatDay(cell.day));
  key.push_back('\0');
  key.append(domain::FormatDay(cell.known));
  key.push_back('\0');
  key.append(cell.dim);
}

std::string KpiCellPrefix(std::string_view lot, domain::CellKind kind,
                          std::string_view day_prefix) {
  const char k = static_cast<char>(kind);
  return Key({lot, std::string_view(&k, 1), day_prefix});
}

absl::StatusOr<domain::KpiCell> ParseKpiCellKey(std::string_view key) {
  const auto parts = Parts(key);
  std::optional<domain::CellKind> kind;
  if (parts.size() == 5 && parts[1].size() == 1) kind = domain::CellKindOf(parts[1][0]);
  auto day = parts.size() == 5 ? domain::ParseDay(parts[2]) : absl::InvalidArgumentError("");
  auto known = parts.size() == 5 ? domain::ParseDay(parts[3]) : absl::InvalidArgumentError("");
  if (!kind || !day.ok() || !known.ok()) {
    return absl::DataLossError(
        fmt::format("bad KPI cell key '{}' in {}",
                    absl::CHexEscape(absl::string_view(key.data(), key.size())), kKpiCells));
  }
  return domain::KpiCell{.kind = *kind, .day = *day, .known = *known, .dim = std::string(parts[4])};
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
