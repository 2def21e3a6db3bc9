#pragma once
// Translation of librdkafka errors into absl::Status, done once, here.

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "absl/status/status.h"

namespace pilotage::kafka {

// `context` says what was being done: "produce to pilotage.activity.v1/3".
absl::Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view context);

// An error of librdkafka's transactional API (not destroyed here). `fatal` is
// rd_kafka_fatal_error() of the client when the error is fatal, else
// RD_KAFKA_RESP_ERR_NO_ERROR. Fencing (by the error's code or the fatal one)
// gives kAborted with IsFenced() naming `transactional_id`; a retriable error
// kUnavailable; a refusal of this principal (an authorization code, even
// when librdkafka makes it fatal) kPermissionDenied; another fatal one
// kInternal; the rest as FromKafkaError.
absl::Status FromTransactionError(const rd_kafka_error_t* error, rd_kafka_resp_err_t fatal,
                                  std::string_view context, std::string_view transactional_id);

}  // namespace pilotage::kafka
