#include "client.h"

#include "fmt/format.h"
#include "pilotage/kafka/client_config.h"
#include "pilotage/kafka/common.h"
#include "spdlog/spdlog.h"

namespace pilotage::kafka {
namespace internal {
namespace {

// librdkafka's own log lines go through spdlog (its default writes raw lines to
// stderr, which would break JSON-lines logs). Connection failures (facility
// FAIL) also reach LogClientError as errors: here they are debug, not repeated.
void LogClientLine(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
  const bool repeated = std::string_view(facility) == "FAIL";
  const auto spd_level = level <= 4 && !repeated   ? spdlog::level::warn
                         : level <= 6 && !repeated ? spdlog::level::info
                                                   : spdlog::level::debug;
  spdlog::log(spd_level, "kafka {}: {} {}", rd_kafka_name(rk), facility, line);
}

}  // namespace

absl::StatusOr<ConfHandle> MakeConf(const std::map<std::string, std::string>& settings) {
  ConfHandle conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogClientLine);
  char errstr[512];
  // The process's connection settings first (checked when loaded), so that a
  // client's own settings and `extra` win.
  const ClientConfig process = CurrentClientConfig();
  for (const auto& [name, value] : process.settings) {
    if (settings.contains(name)) continue;
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          fmt::format("kafka: setting {} from {}: {}", name, process.origin, errstr));
    }
  }
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          fmt::format("kafka: setting {}={}: {}", name, value, errstr));
    }
  }
  return conf;
}

absl::StatusOr<KafkaHandle> MakeClient(rd_kafka_type_t type, ConfHandle conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) {
    return absl::InvalidArgumentError(fmt::format("kafka: creating client: {}", errstr));
  }
  conf.release();  // owned by rk from now on
  return KafkaHandle(rk);
}

void LogClientError(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  spdlog::warn("kafka {}: {} ({})", rd_kafka_name(rk), reason,
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
}

rd_kafka_topic_t* TopicCache::Get(rd_kafka_t* rk, std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  std::string key(name);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, key.c_str(), nullptr);
  topics_.emplace(std::move(key), rkt);
  return rkt;
}

void TopicCache::Clear() {
  std::lock_guard lock(mu_);
  for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
  topics_.clear();
}

void PurgeAndServeReports(rd_kafka_t* rk, TopicCache& topics) {
  // rd_kafka_purge returns once the purged messages' reports are queued;
  // one poll serves them all.
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(rk, 0);
  topics.Clear();
}

absl::StatusOr<KafkaHandle> MakeProducer(std::map<std::string, std::string> settings,
                                         const std::map<std::string, std::string>& extra,
                                         DeliveryReport on_delivery) {
  for (const auto& [k, v] : extra) settings[k] = v;
  auto conf = MakeConf(settings);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), on_delivery);
  rd_kafka_conf_set_error_cb(conf->get(), &LogClientError);
  return MakeClient(RD_KAFKA_PRODUCER, std::move(*conf));
}

}  // namespace internal

std::string TopicPartition::ToString() const { return fmt::format("{}/{}", topic, partition); }

}  // namespace pilotage::kafka
