#include "pilotage/domain/lot_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {
namespace {

using Json = nlohmann::json;

// Assigns the value of a StatusOr expression, or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr)           \
  do {                                        \
    auto assign_or_return_value = (expr);     \
    if (!assign_or_return_value.ok()) {       \
      return assign_or_return_value.status(); \
    }                                         \
    lhs = std::move(*assign_or_return_value); \
  } while (false)

// Reads the fields of one JSON object, naming the path of the one at fault.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string path, std::string_view origin)
      : object_(object), path_(std::move(path)), origin_(origin) {}

  absl::Status Error(std::string_view field, std::string_view what) const {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}{}{}: {}", origin_, path_, path_.empty() ? "" : ".", field, what));
  }

  // Refuses fields not in `known` (a misspelt optional field would otherwise
  // be silently ignored).
  absl::Status OnlyKnown(std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : object_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return Error(key, "unknown field");
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(std::string_view field, bool required = true) const {
    const auto it = object_.find(std::string(field));
    if (it == object_.end()) {
      if (required) return Error(field, "missing");
      return std::string();
    }
    if (!it->is_string()) return Error(field, "must be a string");
    std::string value = it->get<std::string>();
    if (required && value.empty()) return Error(field, "must not be empty");
    return value;
  }

  absl::StatusOr<double> Positive(std::string_view field) const {
    const auto it = object_.find(std::string(field));
    if (it == object_.end()) return Error(field, "missing");
    if (!it->is_number()) return Error(field, "must be a number");
    const double value = it->get<double>();
    if (!(value > 0)) return Error(field, fmt::format("must be positive, got {}", value));
    return value;
  }

  absl::StatusOr<int64_t> Cents(std::string_view field) const {
    const auto it = object_.find(std::string(field));
    if (it == object_.end()) return Error(field, "missing");
    if (!it->is_number_integer()) return Error(field, "must be an integer (euro cents)");
    const int64_t value = it->get<int64_t>();
    if (value < 0) return Error(field, fmt::format("must not be negative, got {}", value));
    return value;
  }

  const Json* Array(std::string_view field) const {
    const auto it = object_.find(std::string(field));
    return it == object_.end() || !it->is_array() ? nullptr : &*it;
  }

  bool Has(std::string_view field) const { return object_.contains(std::string(field)); }
  const std::string& path() const { return path_; }

 private:
  const Json& object_;
  std::string path_;
  std::string_view origin_;
};

bool IsDepartementCode(std::string_view code) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (code == "2A" || code == "2B") return true;
  if (code.size() == 2 && digit(code[0]) && digit(code[1])) {
    return code != "00" && code != "20" && code <= "95";
  }
  return code.size() == 3 && code.substr(0, 2) == "97" && code[2] >= '1' && code[2] <= '6';
}

bool IsOperatorId(std::string_view id) {
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return !id.empty();
}

absl::StatusOr<LotFileEntry> ParseLot(const Json& json, const std::string& path,
                                      std::string_view origin,
                                      std::set<std::string>* departements_seen) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}: must be an object", origin, path));
  }
  const FieldReader f(json, path, origin);
  if (absl::Status s =
          f.OnlyKnown({"lot_id", "region", "region_code", "operator_id", "operator_name",
                       "timezone", "working_population_k", "start_date", "end_date",
                       "annual_budget_cents", "departements", "profile"});
      !s.ok()) {
    return s;
  }
  LotFileEntry lot;
  ASSIGN_OR_RETURN(lot.lot_id, f.String("lot_id"));
  ASSIGN_OR_RETURN(lot.region, f.String("region"));
  ASSIGN_OR_RETURN(lot.region_code, f.String("region_code"));
  ASSIGN_OR_RETURN(lot.operator_id, f.String("operator_id"));
  ASSIGN_OR_RETURN(lot.operator_name, f.String("operator_name", /*required=*/false));
  ASSIGN_OR_RETURN(lot.working_population_k, f.Positive("working_population_k"));
  ASSIGN_OR_RETURN(lot.start_date, f.String("start_date"));
  ASSIGN_OR_RETURN(lot.end_date, f.String("end_date"));
  ASSIGN_OR_RETURN(lot.annual_budget_cents, f.Cents("annual_budget_cents"));
  std::string timezone;
  ASSIGN_OR_RETURN(timezone, f.String("timezone", /*required=*/false));

  if (lot.region_code.size() != 2 ||
      !std::isdigit(static_cast<unsigned char>(lot.region_code[0])) ||
      !std::isdigit(static_cast<unsigned char>(lot.region_code[1]))) {
    return f.Error("region_code",
                   fmt::format("must be a two-digit INSEE region code, got '{}'", lot.region_code));
  }
  if (lot.lot_id != "LOT-" + lot.region_code) {
    return f.Error("lot_id", fmt::format("must be 'LOT-{}' (LOT- and the region code), got '{}'",
                                         lot.region_code, lot.lot_id));
  }
  if (!IsOperatorId(lot.operator_id)) {
    return f.Error("operator_id",
                   fmt::format("must use a-z, 0-9 and '-' only, got '{}'", lot.operator_id));
  }
  if (!timezone.empty()) {
    if (timezone != "Europe/Paris" && timezone != "Indian/Reunion") {
      return f.Error("timezone",
                     fmt::format("must be Europe/Paris or Indian/Reunion, got '{}'", timezone));
    }
    lot.timezone = timezone;
  }
  const auto start = ParseDay(lot.start_date);
  if (!start.ok()) {
    return f.Error("start_date", fmt::format("must be YYYY-MM-DD, got '{}'", lot.start_date));
  }
  const auto end = ParseDay(lot.end_date);
  if (!end.ok()) {
    return f.Error("end_date", fmt::format("must be YYYY-MM-DD, got '{}'", lot.end_date));
  }
  if (*end < *start) {
    return f.Error("end_date",
                   fmt::format("{} is before start_date {}", lot.end_date, lot.start_date));
  }

  const Json* departements = f.Array("departements");
  if (departements == nullptr) {
    return f.Error("departements", f.Has("departements") ? "must be an array" : "missing");
  }
  if (departements->empty() || departements->size() > 255) {
    return f.Error("departements", "must list 1 to 255 départements");
  }
  for (size_t i = 0; i < departements->size(); ++i) {
    const Json& d = (*departements)[i];
    const std::string dpath = fmt::format("{}.departements[{}]", path, i);
    if (!d.is_object()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}: must be an object", origin, dpath));
    }
    const FieldReader df(d, dpath, origin);
    if (absl::Status s = df.OnlyKnown({"code", "population_k"}); !s.ok()) return s;
    LotFileDepartement dep;
    ASSIGN_OR_RETURN(dep.code, df.String("code"));
    if (!IsDepartementCode(dep.code)) {
      return df.Error("code", fmt::format("not an INSEE département code: '{}'", dep.code));
    }
    if (!departements_seen->insert(dep.code).second) {
      return df.Error("code", fmt::format("département {} belongs to two lots", dep.code));
    }
    ASSIGN_OR_RETURN(dep.population_k, df.Positive("population_k"));
    lot.departements.push_back(std::move(dep));
  }

  if (f.Has("profile")) {
    const Json* flags = f.Array("profile");
    if (flags == nullptr) return f.Error("profile", "must be an array of flag names");
    for (size_t i = 0; i < flags->size(); ++i) {
      const Json& flag = (*flags)[i];
      if (!flag.is_string()) return f.Error(fmt::format("profile[{}]", i), "must be a string");
      lot.profile.push_back(flag.get<std::string>());
    }
  }
  return lot;
}

}  // namespace

const LotFileEntry* LotFile::Find(std::string_view lot_id) const {
  for (const LotFileEntry& lot : lots) {
    if (lot.lot_id == lot_id) return &lot;
  }
  return nullptr;
}

absl::StatusOr<LotFile> ParseLotFile(std::string_view json_text, std::string_view origin) {
  Json json;
  try {
    json = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(fmt::format("{}: not valid JSON: {}", origin, e.what()));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(fmt::format("{}: must be a JSON object", origin));
  }
  const FieldReader top(json, "", origin);
  if (absl::Status s = top.OnlyKnown({"lots", "contract", "note"}); !s.ok()) return s;
  LotFile file;
  ASSIGN_OR_RETURN(file.contract, top.String("contract", /*required=*/false));
  ASSIGN_OR_RETURN(file.note, top.String("note", /*required=*/false));
  const Json* lots = top.Array("lots");
  if (lots == nullptr) return top.Error("lots", top.Has("lots") ? "must be an array" : "missing");
  if (lots->empty()) return top.Error("lots", "must list at least one lot");
  std::set<std::string> departements_seen;
  for (size_t i = 0; i < lots->size(); ++i) {
    auto lot = ParseLot((*lots)[i], fmt::format("lots[{}]", i), origin, &departements_seen);
    if (!lot.ok()) return lot.status();
    if (file.Find(lot->lot_id) != nullptr) {
      return absl::InvalidArgumentError(
          fmt::format("{}: lots[{}].lot_id: {} appears twice", origin, i, lot->lot_id));
    }
    file.lots.push_back(std::move(*lot));
  }
  return file;
}

absl::StatusOr<LotFile> ReadLotFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        fmt::format("lot file {}: cannot open it (missing or unreadable)", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseLotFile(text.str(), path.string());
}

absl::StatusOr<LotFile> MultiplyLots(const LotFile& file, int times) {
  if (times < 1 || times > 100) {
    return absl::InvalidArgumentError(
        fmt::format("lots multiplier must be in [1, 100], got {}", times));
  }
  LotFile out{.contract = file.contract, .note = file.note};
  out.lots.reserve(file.lots.size() * static_cast<size_t>(times));
  for (const LotFileEntry& lot : file.lots) {
    out.lots.push_back(lot);
    for (int k = 2; k <= times; ++k) {
      out.lots.push_back(lot);
      out.lots.back().lot_id = fmt::format("{}-{}", lot.lot_id, k);
    }
  }
  return out;
}

}  // namespace pilotage::domain
