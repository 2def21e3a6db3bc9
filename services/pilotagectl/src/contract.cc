#include "pilotage/pilotagectl/contract.h"

#include <chrono>
#include <ostream>

#include "fmt/format.h"
#include "pilotage/domain/lot_file.h"
#include "pilotage/domain/terms.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::pilotagectl {
namespace {

absl::StatusOr<std::vector<v1::ContractTerms>> LoadAll(
    const std::vector<std::filesystem::path>& files) {
  std::vector<v1::ContractTerms> out;
  for (const auto& file : files) {
    auto terms = domain::LoadTermsFile(file);
    if (!terms.ok()) return terms.status();
    if (auto s = domain::ValidateTerms(*terms); !s.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: {}", file.string(), std::string(s.message())));
    }
    out.push_back(std::move(*terms));
  }
  return out;
}

}  // namespace

absl::Status CheckTerms(const std::vector<std::filesystem::path>& files, std::ostream& out) {
  for (const auto& file : files) {
    auto terms = LoadAll({file});
    if (!terms.ok()) return terms.status();
    out << fmt::format("{}: version {} effective from {}, {} KPIs: valid\n", file.string(),
                       terms->front().version(), terms->front().effective_from(),
                       terms->front().kpis_size());
  }
  return absl::OkStatus();
}

absl::Status PublishContract(const PublishOptions& options, std::ostream& out) {
  auto terms = LoadAll(options.terms_files);
  if (!terms.ok()) return terms.status();
  domain::TermsHistory history;  // refuses overlapping versions before anything is sent
  for (const auto& t : *terms) {
    if (auto s = history.Add(t); !s.ok()) return s;
  }
  auto lots = domain::ReadLotFile(options.lots_file);
  if (!lots.ok()) {
    return absl::Status(lots.status().code(),
                        fmt::format("--lots: {}", std::string(lots.status().message())));
  }
  if (options.lots_multiplier != 1) {
    lots = domain::MultiplyLots(*lots, options.lots_multiplier);
    if (!lots.ok()) {
      return absl::Status(lots.status().code(), fmt::format("--lots-multiplier: {}",
                                                            std::string(lots.status().message())));
    }
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<v1::Event> events;
  for (const domain::LotFileEntry& lot : lots->lots) {
    const std::string& id = lot.lot_id;
    if (!options.lots.empty() &&
        std::find(options.lots.begin(), options.lots.end(), id) == options.lots.end()) {
      continue;
    }
    v1::Event award;
    award.set_event_id("award-" + id);
    award.set_lot_id(id);
    award.set_operator_id("france-competences");
    award.mutable_occurred_at()->set_seconds(now);
    award.mutable_recorded_at()->set_seconds(now);
    auto* a = award.mutable_lot_awarded();
    a->set_region(lot.region);
    a->set_region_code(lot.region_code);
    a->set_operator_id(lot.operator_id);
    a->set_operator_name(lot.operator_name);
    a->set_start_date(lot.start_date);
    a->set_end_date(lot.end_date);
    for (const auto& d : lot.departements) a->add_departements(d.code);
    for (int year = 1; year <= 4; ++year) {
      auto* b = a->add_budget();
      b->set_contract_year(year);
      b->set_amount_cents(lot.annual_budget_cents);
    }
    events.push_back(std::move(award));
    for (const auto& t : *terms) {
      if (!domain::GovernsLot(t, id)) continue;
      v1::Event e;
      e.set_event_id(fmt::format("terms-{}-{}", t.version(), id));
      e.set_lot_id(id);
      e.set_operator_id("france-competences");
      e.mutable_occurred_at()->set_seconds(now);
      e.mutable_recorded_at()->set_seconds(now);
      *e.mutable_terms_published()->mutable_terms() = t;
      events.push_back(std::move(e));
    }
  }
  if (events.empty()) return absl::NotFoundError("--lot: no such lot in the lot file");
  auto producer = kafka::Producer::Create({.bootstrap = options.bootstrap});
  if (!producer.ok()) return producer.status();
  std::vector<std::string> values;
  for (const auto& e : events) values.push_back(e.SerializeAsString());
  std::vector<kafka::Record> records;
  for (size_t i = 0; i < events.size(); ++i) {
    records.push_back({.topic = options.topic, .key = events[i].lot_id(), .value = values[i]});
  }
  for (const auto& d : (*producer)->SendAll(records)) {
    if (!d.status.ok()) return d.status;
  }
  out << fmt::format("published {} contract events to {}\n", events.size(), options.topic);
  return absl::OkStatus();
}

}  // namespace pilotage::pilotagectl
