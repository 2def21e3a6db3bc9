#include "errors.h"

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "pilotage/kafka/producer.h"

namespace pilotage::kafka {
namespace {

constexpr char kFencedPayload[] = "type.pilotage/kafka.Fenced";

// librdkafka names fencing differently by broker version and call: the
// broker's PRODUCER_FENCED (Kafka >= 2.7) or INVALID_PRODUCER_EPOCH, and its
// own normalised __FENCED.
bool IsFencingCode(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__FENCED || err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

absl::Status RefusedByBroker(std::string_view message) {
  return absl::PermissionDeniedError(fmt::format(
      "{}; the broker refuses this principal (its ACLs, or the credentials of --kafka-config)",
      message));
}

}  // namespace

bool IsFenced(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kFencedPayload).has_value();
}

absl::Status FromTransactionError(const rd_kafka_error_t* error, rd_kafka_resp_err_t fatal,
                                  std::string_view context, std::string_view transactional_id) {
  if (error == nullptr) return absl::OkStatus();
  const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  if (IsFencingCode(code) || IsFencingCode(fatal)) {
    absl::Status fenced = absl::AbortedError(fmt::format(
        "kafka: {}: another sender with transactional.id {} took over (fenced: {}); nothing of "
        "this sender's open transaction will be visible",
        context, transactional_id, rd_kafka_err2name(IsFencingCode(code) ? code : fatal)));
    fenced.SetPayload(kFencedPayload, absl::Cord(std::string(transactional_id)));
    return fenced;
  }
  const std::string message = fmt::format("kafka: {}: {} ({})", context,
                                          rd_kafka_error_string(error), rd_kafka_error_name(error));
  if (rd_kafka_error_is_retriable(error)) return absl::UnavailableError(message);
  // librdkafka makes a refused transactional.id fatal; it is still a refusal
  // of this principal (exit 11), not an internal error.
  if (absl::IsPermissionDenied(FromKafkaError(code, context))) return RefusedByBroker(message);
  if (rd_kafka_error_is_fatal(error)) return absl::InternalError(message);
  if (code == RD_KAFKA_RESP_ERR__STATE || code == RD_KAFKA_RESP_ERR__NOT_CONFIGURED ||
      code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
    return absl::FailedPreconditionError(message);
  }
  if (rd_kafka_error_txn_requires_abort(error)) return absl::UnavailableError(message);
  absl::Status mapped = FromKafkaError(code, context);
  return absl::Status(mapped.code(), message);
}

absl::Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view context) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  std::string message =
      fmt::format("kafka: {}: {} ({})", context, rd_kafka_err2str(err), rd_kafka_err2name(err));
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
      return absl::UnavailableError(message);
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::NotFoundError(message);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return RefusedByBroker(message);
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return absl::AlreadyExistsError(message);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
      return absl::InvalidArgumentError(message);
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
      return absl::InternalError(message);
    default:
      return absl::UnknownError(message);
  }
}

}  // namespace pilotage::kafka
