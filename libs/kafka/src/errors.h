#pragma once
// Translation of librdkafka errors into absl::Status, done once, here.

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "absl/status/status.h"

namespace pilotage::kafka {

// `context` says what was being done: "produce to pilotage.activity.v1/3".
absl::Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view context);

}  // namespace pilotage::kafka
