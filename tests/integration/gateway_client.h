#pragma once
// The ingest gateway and a client of it for the integration tests that take
// Kafka away under it (ingest_outage_test, cluster_test). Header-only, tests
// only.

#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/status/statusor.h"
#include "fmt/format.h"
#include "pilotage/ingest/gateway.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pilotage::testing {

// A gateway (pilotage::ingest) serving on a thread of its own, on a free
// loopback port, until destroyed (Stop, then join; a failed Serve() fails the
// calling test).
class ServedGateway {
 public:
  // `config_json`: the gateway's configuration (lots, operators). Errors:
  // those of ingest::ParseConfig and ingest::Gateway::Create.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ServedGateway>> Start(
      ingest::GatewayOptions options, const std::string& config_json) {
    auto config = ingest::ParseConfig(config_json, "test", ".");
    if (!config.ok()) return config.status();
    options.port = 0;
    auto gateway = ingest::Gateway::Create(std::move(options), std::move(*config));
    if (!gateway.ok()) return gateway.status();
    return std::unique_ptr<ServedGateway>(new ServedGateway(std::move(*gateway)));
  }
  ~ServedGateway() {
    gateway_->Stop();
    server_.join();
    EXPECT_TRUE(served_ok_) << "the gateway's Serve() failed";
  }
  ServedGateway(const ServedGateway&) = delete;
  ServedGateway& operator=(const ServedGateway&) = delete;

  int port() const { return gateway_->port(); }

 private:
  explicit ServedGateway(std::unique_ptr<ingest::Gateway> gateway)
      : gateway_(std::move(gateway)), server_([this] { served_ok_ = gateway_->Serve().ok(); }) {}

  std::unique_ptr<ingest::Gateway> gateway_;
  std::atomic<bool> served_ok_{true};
  std::thread server_;
};

// Sends batches of events to POST /v1/events and resends those answered
// "unavailable" (same event ids, after a pause, as Retry-After advises) until
// each is accepted; records which ids the gateway acknowledged.

struct ResendingClientOptions {
  int port = 0;       // the gateway on 127.0.0.1
  std::string token;  // an operator's bearer token
  int batches = 0;
  int batch_size = 0;
  // The JSON object of event `i` of batch `batch` (its id must be stable).
  std::function<std::string(int batch, int i)> event_json;
};

// Sends on a thread of its own from construction until every batch is
// accepted, an answer breaks the gateway's contract (failed(); error() says
// how), or Stop(). Contract checked on every answer: an event list as long as
// the request, each event "accepted" or "unavailable", the "accepted" count
// equal to the events listed accepted, 200 when all were, else 503 with
// Retry-After. A request without an answer is counted and sent again.
// Thread-safe: the accessors may be called while it runs; the destructor
// stops and joins the thread.
class ResendingClient {
 public:
  explicit ResendingClient(ResendingClientOptions options)
      : options_(std::move(options)), thread_([this] { Run(); }) {}
  ~ResendingClient() { Stop(); }
  ResendingClient(const ResendingClient&) = delete;
  ResendingClient& operator=(const ResendingClient&) = delete;

  // Stops after the request in flight and joins the thread. Idempotent.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  int batches_done() const { return batches_done_; }
  bool done() const { return batches_done_ >= options_.batches; }
  // Answers that left events unacknowledged, and requests without an answer.
  int error_answers() const { return error_answers_; }
  bool failed() const { return failed_; }
  std::string error() const {
    std::lock_guard lock(mu_);
    return error_;
  }
  // The ids answered "accepted" (at least once).
  std::set<std::string> accepted() const {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  // From this call on, slowest_answer_ms() is the longest request answered
  // after it (the one in flight included).
  void Mark() { marked_ = true; }
  int64_t slowest_answer_ms() const { return slowest_ms_; }

 private:
  using Clock = std::chrono::steady_clock;

  void Fail(std::string why) {
    std::lock_guard lock(mu_);
    if (error_.empty()) error_ = std::move(why);
    failed_ = true;
  }

  void Run() {
    httplib::Client http("127.0.0.1", options_.port);
    http.set_read_timeout(60, 0);
    const httplib::Headers headers{{"Authorization", fmt::format("Bearer {}", options_.token)}};
    for (int b = 0; b < options_.batches && !stop_ && !failed_; ++b) {
      std::vector<int> pending;
      for (int i = 0; i < options_.batch_size; ++i) pending.push_back(i);
      while (!pending.empty() && !stop_ && !failed_) {
        std::string body = "[";
        for (size_t k = 0; k < pending.size(); ++k) {
          body += (k ? "," : "") + options_.event_json(b, pending[k]);
        }
        body += "]";
        const auto sent = Clock::now();
        auto res = http.Post("/v1/events", headers, body, "application/json");
        if (marked_) {
          const int64_t ms =
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent).count();
          slowest_ms_ = std::max<int64_t>(slowest_ms_, ms);
        }
        if (!res) {
          ++error_answers_;
          continue;
        }
        pending = Outcome(*res, pending);
        if (!pending.empty()) {
          ++error_answers_;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
      }
      if (pending.empty()) ++batches_done_;
    }
  }

  // What of `pending` must be sent again, after checking the answer.
  std::vector<int> Outcome(const httplib::Response& res, const std::vector<int>& pending) {
    using nlohmann::json;
    const json answer = json::parse(res.body, nullptr, false);
    if (answer.is_discarded() || !answer.contains("events") || !answer["events"].is_array() ||
        answer["events"].size() != pending.size()) {
      Fail(fmt::format("answer without the request's events: {} {}", res.status, res.body));
      return {};
    }
    std::vector<int> still;
    int listed_accepted = 0;
    for (size_t k = 0; k < pending.size(); ++k) {
      const json& outcome = answer["events"][k];
      if (outcome.value("status", "") == "accepted") {
        ++listed_accepted;
        std::lock_guard lock(mu_);
        accepted_.insert(outcome.value("event_id", ""));
      } else if (outcome.value("status", "") == "unavailable") {
        still.push_back(pending[k]);
      } else {
        Fail(fmt::format("unexpected outcome {}", outcome.dump()));
      }
    }
    // The count is the events listed accepted, never more; 200 only when all were.
    if (answer.value("accepted", -1) != listed_accepted || (res.status == 200) != still.empty() ||
        (!still.empty() && (res.status != 503 || !res.has_header("Retry-After")))) {
      Fail(fmt::format("inconsistent answer {} {}", res.status, res.body));
    }
    return still;
  }

  const ResendingClientOptions options_;
  mutable std::mutex mu_;
  std::set<std::string> accepted_;  // guarded by mu_
  std::string error_;               // guarded by mu_
  std::atomic<int> batches_done_{0}, error_answers_{0};
  std::atomic<bool> stop_{false}, failed_{false}, marked_{false};
  std::atomic<int64_t> slowest_ms_{0};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace pilotage::testing
