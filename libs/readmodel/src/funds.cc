#include "pilotage/readmodel/funds.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/domain/money.h"
#include "pilotage/domain/statement.h"
#include "pilotage/readmodel/kpis.h"

namespace pilotage::readmodel {

namespace v1 = ::pilotage::v1;

absl::StatusOr<FundUsage> ComputeFundUsage(const LotSteering& lot, absl::CivilDay day,
                                           absl::CivilDay today) {
  if (!lot.lot->facts.award) {
    return absl::FailedPreconditionError(fmt::format(
        "lot '{}' has no award (LotAwarded): its fund usage needs its start date and budget",
        lot.lot_id));
  }
  const v1::LotAwarded& award = *lot.lot->facts.award;
  auto start = domain::ParseDay(award.start_date());
  if (!start.ok()) {
    return absl::FailedPreconditionError(fmt::format("lot_awarded.start_date of {}: {}", lot.lot_id,
                                                     std::string(start.status().message())));
  }
  auto year = domain::Period::ContractYearOf(*start, day);
  if (!year) {
    return absl::InvalidArgumentError(fmt::format("{} is before the lot {} starts ({})",
                                                  domain::FormatDay(day), lot.lot_id,
                                                  award.start_date()));
  }
  if (today < year->FirstDay()) {
    return absl::InvalidArgumentError(fmt::format("the contract year of {} has not started on {}",
                                                  domain::FormatDay(day),
                                                  domain::FormatDay(today)));
  }
  FundUsage out;
  out.contract_year = *year;
  out.contract_year_index = year->ContractYearIndex().value_or(0);
  for (const auto& b : award.budget()) {
    if (b.contract_year() == out.contract_year_index) out.envelope_cents = b.amount_cents();
  }
  out.as_of = std::min(day, today);
  out.year_days = year->Days();
  out.elapsed_days = static_cast<int>(out.as_of - year->FirstDay()) + 1;

  for (auto q = domain::Period::QuarterOf(year->FirstDay()); q.FirstDay() <= out.as_of;
       q = domain::Period::QuarterOf(q.LastDay() + 1)) {
    out.quarters.push_back({.quarter = q});
  }
  // Terms are looked up once per quarter; several versions may govern a year.
  std::map<absl::CivilDay, const v1::ContractTerms*> terms_of_quarter;
  auto terms_for = [&](const domain::Period& quarter) -> const v1::ContractTerms* {
    auto [it, added] = terms_of_quarter.try_emplace(quarter.FirstDay(), nullptr);
    if (added) {
      auto terms = lot.history->TermsFor(lot.lot_id, quarter);
      if (terms.ok()) it->second = *terms;
    }
    return it->second;
  };
  // Adds `n` appointments of (level, modality, kind) held in `quarter`.
  auto earn = [&](QuarterEarned& quarter, v1::Level::Value level, v1::Modality::Value modality,
                  v1::SupportKind::Value kind, int64_t n) -> absl::Status {
    quarter.appointments += n;
    out.appointments += n;
    const v1::ContractTerms* terms = terms_for(quarter.quarter);
    const auto price = terms ? domain::UnitPriceFor(*terms, level, modality, kind) : std::nullopt;
    if (!price) {
      out.unpriced_appointments += n;
      return absl::OkStatus();
    }
    auto amount = domain::MulCents(n, *price);
    if (!amount.ok()) return amount.status();
    auto sum = domain::AddCents(quarter.earned_cents, *amount);
    if (!sum.ok()) return sum.status();
    quarter.earned_cents = *sum;
    sum = domain::AddCents(out.earned_cents, *amount);
    if (!sum.ok()) return sum.status();
    out.earned_cents = *sum;
    return absl::OkStatus();
  };
  if (lot.cells) {
    // The kPriced cells of the year (every one recorded so far), counted up
    // to as_of, quarter by quarter.
    auto cells = ReadKnownCells(*lot.cells, lot.lot_id, *year, domain::kEverything);
    if (!cells.ok()) return cells.status();
    std::erase_if(cells->counts, [&](const auto& c) { return std::get<1>(c.first) > out.as_of; });
    for (auto& q : out.quarters) {
      for (const auto& c : domain::CountAppointmentsCells(*cells, q.quarter).counts) {
        if (auto s = earn(q, c.level, c.modality, c.kind, c.appointments); !s.ok()) return s;
      }
    }
  } else {
    std::set<std::string> seen_ids;
    for (const auto& j : lot.lot->facts.journeys) {
      for (const auto& a : j.appointments()) {
        auto held = domain::ParseDay(a.day());
        if (!held.ok() || *held < year->FirstDay() || *held > out.as_of) continue;
        if (!a.appointment_id().empty() && !seen_ids.insert(a.appointment_id()).second) continue;
        for (auto& q : out.quarters) {
          if (!q.quarter.Contains(*held)) continue;
          if (auto s = earn(q, a.level(), a.modality(), a.kind(), 1); !s.ok()) return s;
        }
      }
    }
  }
  const __int128 projected =
      static_cast<__int128>(out.earned_cents) * out.year_days / out.elapsed_days;
  if (projected > INT64_MAX || projected < INT64_MIN) {
    return absl::OutOfRangeError("projected fund usage overflows");
  }
  out.projected_cents = static_cast<int64_t>(projected);

  for (const auto& record : lot.steering->statements) {
    const v1::PaymentStatementIssued& s = record.statement();
    auto period = domain::Period::Parse(s.period(), *start);
    if (!period.ok() || !year->Contains(period->LastDay())) continue;
    out.issued.push_back(s);
    auto sum = domain::AddCents(out.issued_net_cents, s.net_amount_cents());
    if (!sum.ok()) return sum.status();
    out.issued_net_cents = *sum;
    for (auto& q : out.quarters) {
      if (q.quarter.ToString() == s.period()) q.issued = s;
    }
  }
  std::sort(out.issued.begin(), out.issued.end(),
            [](const auto& a, const auto& b) { return a.period() < b.period(); });
  return out;
}

}  // namespace pilotage::readmodel
