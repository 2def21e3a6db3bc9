#include "pilotage/domain/funnel.h"

#include <algorithm>

#include "pilotage/domain/calendar.h"

namespace pilotage::domain {

namespace v1 = ::pilotage::v1;

JourneyFunnel CountFunnel(const LotFacts& facts, const Period& period) {
  JourneyFunnel out;
  for (const auto& j : facts.journeys) AddToFunnel(j, period, out);
  return out;
}

void AddToFunnel(const pilotage::store::v1::Journey& j, const Period& period, JourneyFunnel& out) {
  if (j.requests().empty()) return;
  auto day = ParseDay(j.requests(0).day());
  if (!day.ok() || !period.Contains(*day)) return;
  ++out.requests;
  bool l1 = false, l2 = false;
  for (const auto& a : j.appointments()) {
    l1 |= a.level() == v1::Level::LEVEL_1_WELCOME;
    l2 |= a.level() == v1::Level::LEVEL_2_SUPPORT;
  }
  out.level_1 += l1;
  out.level_2 += l2;
  out.action_plan +=
      std::any_of(j.deliverables().begin(), j.deliverables().end(),
                  [](const auto& d) { return d.type() == v1::DeliverableType::ACTION_PLAN; });
  out.closure += !j.closures().empty();
}

}  // namespace pilotage::domain
