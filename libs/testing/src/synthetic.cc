#include "pilotage/testing/synthetic.h"

#include <atomic>
#include <random>
#include <vector>

#include "fmt/format.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/service/service.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::testing {
namespace {

constexpr const char* kLots[] = {"LOT-11", "LOT-24", "LOT-27", "LOT-28", "LOT-32",
                                 "LOT-44", "LOT-52", "LOT-53", "LOT-75", "LOT-76",
                                 "LOT-84", "LOT-93", "LOT-94", "LOT-04"};
constexpr int kDaysInMonth2024[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

absl::StatusOr<SyntheticTruth> GenerateSynthetic(const SyntheticOptions& options,
                                                 const SyntheticSink& sink) {
  std::mt19937_64 rng(options.seed);
  SyntheticTruth truth;
  auto send = [&](const std::string& key, const std::string& value) -> absl::Status {
    ++truth.sent;
    return sink(key, value);
  };
  std::vector<std::pair<std::string, std::string>> to_resend;
  service::Progress progress("produce", options.events);
  v1::Event event;
  for (int64_t i = 0; i < options.events; ++i) {
    event.Clear();
    const char* lot = kLots[rng() % std::size(kLots)];
    const unsigned month = 1 + rng() % 12;
    const unsigned day = 1 + rng() % kDaysInMonth2024[month - 1];
    event.set_event_id(fmt::format("syn-{}-{}", options.seed, i));
    event.set_lot_id(lot);
    event.set_operator_id("op-synthetic");
    event.mutable_occurred_at()->set_seconds(DaysFromCivil(2024, month, day) * 86400 + 12 * 3600);
    event.mutable_recorded_at()->set_seconds(DaysFromCivil(2024, month, day) * 86400 + 13 * 3600);
    const std::string beneficiary = fmt::format("b{}", rng() % 100000);
    std::string type;
    switch (rng() % 6) {
      case 0: {
        auto* b = event.mutable_request_received();
        b->set_beneficiary(beneficiary);
        b->set_channel(v1::Channel::PHONE);
        type = "request_received";
        break;
      }
      case 1:
      case 2: {
        auto* b = event.mutable_appointment_held();
        b->set_beneficiary(beneficiary);
        b->set_appointment_id(fmt::format("a{}", i));
        b->set_level(v1::Level::LEVEL_1_WELCOME);
        b->set_modality(v1::Modality::IN_PERSON);
        b->set_duration_minutes(90);
        type = "appointment_held";
        break;
      }
      case 3: {
        auto* b = event.mutable_deliverable_issued();
        b->set_beneficiary(beneficiary);
        b->set_type(v1::DeliverableType::ACTION_PLAN);
        type = "deliverable_issued";
        break;
      }
      case 4: {
        auto* b = event.mutable_journey_closed();
        b->set_beneficiary(beneficiary);
        b->set_outcome(v1::Outcome::PROJECT_DEFINED);
        type = "journey_closed";
        break;
      }
      default: {
        auto* b = event.mutable_survey_answered();
        b->set_beneficiary(beneficiary);
        b->set_wave(v1::SurveyWave::END_OF_SERVICE);
        b->set_satisfaction(8);
        type = "survey_answered";
        break;
      }
    }
    std::string value = event.SerializeAsString();
    if (absl::Status s = send(lot, value); !s.ok()) return s;
    ++truth.distinct;
    ++truth.counts[fmt::format("{}|2024-{:02}|{}", lot, month, type)];
    if (options.resend_share > 0 &&
        static_cast<double>(rng() % 1000000) < options.resend_share * 1000000) {
      to_resend.emplace_back(lot, std::move(value));
    }
    // Resends arrive later, interleaved with newer events.
    if (!to_resend.empty() && rng() % 4 == 0) {
      const size_t pick = rng() % to_resend.size();
      if (absl::Status s = send(to_resend[pick].first, to_resend[pick].second); !s.ok()) return s;
      ++truth.resends;
      to_resend[pick] = std::move(to_resend.back());
      to_resend.pop_back();
    }
    if (options.undecodable > 0 && truth.undecodable < options.undecodable &&
        rng() % static_cast<uint64_t>(std::max<int64_t>(1, options.events / options.undecodable)) ==
            0) {
      if (absl::Status s = send(lot, "\xff\xff not a protobuf event"); !s.ok()) return s;
      ++truth.undecodable;
    }
    if (options.progress) progress.Update(i + 1);
  }
  for (const auto& [key, value] : to_resend) {
    if (absl::Status s = send(key, value); !s.ok()) return s;
    ++truth.resends;
  }
  if (options.progress) progress.Finish(options.events);
  return truth;
}

absl::StatusOr<SyntheticTruth> ProduceSynthetic(const SyntheticOptions& options) {
  auto producer =
      kafka::Producer::Create({.bootstrap = options.bootstrap, .client_id = "pilotage-synthetic"});
  if (!producer.ok()) return producer.status();
  std::atomic<int64_t> failures{0};
  auto on_delivery = [&](const kafka::Delivery& d) {
    if (!d.status.ok()) ++failures;
  };
  auto truth = GenerateSynthetic(options, [&](const std::string& key, const std::string& value) {
    return (*producer)->Send({options.topic, key, value}, on_delivery);
  });
  if (!truth.ok()) return truth;
  if (absl::Status s = (*producer)->Flush(std::chrono::minutes(5)); !s.ok()) return s;
  if (failures > 0) {
    return absl::UnavailableError(
        fmt::format("{} synthetic events were not delivered", failures.load()));
  }
  return truth;
}

}  // namespace pilotage::testing
