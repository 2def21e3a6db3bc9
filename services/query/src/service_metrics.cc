// The query service's /metrics (service_impl.h).
#include <string>

#include "absl/time/clock.h"
#include "gauges.h"
#include "pilotage/metrics/metrics.h"
#include "service_impl.h"
#include "spdlog/spdlog.h"

namespace pilotage::query {

void QueryService::Impl::RegisterServiceMetrics() {
  requests_ = &prometheus::BuildCounter()
                   .Name("pilotage_query_requests_total")
                   .Help("HTTP requests answered, by endpoint and status code")
                   .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("pilotage_query_request_duration_seconds")
                  .Help("Time to answer a request, by endpoint")
                  .Register(*registry_);
  generation_ = &prometheus::BuildGauge()
                     .Name("pilotage_query_view_generation")
                     .Help("Changes of the store view seen by catch-ups since start")
                     .Register(*registry_)
                     .Add({});
  lag_ = &prometheus::BuildGauge()
              .Name("pilotage_query_projector_lag_events")
              .Help("Events in Kafka the served view does not show yet (-1: unknown)")
              .Register(*registry_)
              .Add({});
  cache_bytes_ = &prometheus::BuildGauge()
                      .Name("pilotage_query_answer_cache_bytes")
                      .Help("Bytes of remembered answers (bounded by --answer-cache-mib)")
                      .Register(*registry_)
                      .Add({});
  cache_entries_ = &prometheus::BuildGauge()
                        .Name("pilotage_query_answer_cache_entries")
                        .Help("Remembered answers")
                        .Register(*registry_)
                        .Add({});
  cache_evictions_ = &prometheus::BuildCounter()
                          .Name("pilotage_query_answer_cache_evictions_total")
                          .Help(
                              "Answers forgotten, least recently used first, to stay within "
                              "the bound")
                          .Register(*registry_)
                          .Add({});
  catch_up_age_ = &prometheus::BuildGauge()
                       .Name("pilotage_query_view_age_seconds")
                       .Help("Seconds since the view last caught up with the store")
                       .Register(*registry_)
                       .Add({});
}

void QueryService::Impl::Observe(const std::string& endpoint, int http, absl::Time start) {
  requests_->Add({{"endpoint", endpoint}, {"status", std::to_string(http)}}).Increment();
  latency_
      ->Add({{"endpoint", endpoint}},
            prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1, 0.25, 0.5, 1, 2.5})
      .Observe(absl::ToDoubleSeconds(absl::Now() - start));
}

std::string QueryService::Impl::MetricsText() {
  generation_->Set(static_cast<double>(view_->generation()));
  const AnswerCacheStats cache = view_->answer_cache();
  cache_bytes_->Set(static_cast<double>(cache.bytes));
  cache_entries_->Set(static_cast<double>(cache.entries));
  // Two scrapes at once each add only what the other has not counted.
  uint64_t before = counted_evictions_.load();
  while (cache.evictions > before &&
         !counted_evictions_.compare_exchange_weak(before, cache.evictions)) {
  }
  if (cache.evictions > before) {
    cache_evictions_->Increment(static_cast<double>(cache.evictions - before));
  }
  std::string business;
  auto s = view_->Read([&](Generation& g, const Freshness& f) {
    auto lag = f.LagEvents();
    lag_->Set(lag ? static_cast<double>(*lag) : -1);
    catch_up_age_->Set(absl::ToDoubleSeconds(absl::Now() - f.caught_up_at));
    auto gauges = ComputeBusinessGauges(g, clock_);
    if (!gauges.ok()) return gauges.status();
    business = BusinessMetricsText(*gauges);
    return absl::OkStatus();
  });
  if (!s.ok()) {
    spdlog::debug("query: business gauges: {}", s.ToString());
    business = BusinessMetricsText({});  // the families, without series
  }
  return metrics::Serialize(*registry_) + business;
}

}  // namespace pilotage::query
