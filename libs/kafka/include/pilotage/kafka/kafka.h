#pragma once
// pilotage::kafka — the only code in pilotage that talks to librdkafka.
//
// Four small pieces:
//   * Producer: idempotent (acks=all), each send reports its own delivery
//     outcome; a full local queue is handled by polling, never by dropping.
//   * TransactionalProducer: records sent in one Kafka transaction under a
//     stable transactional.id, visible to readers all at once or not at all;
//     a newer producer with the same id fences the older one (decision 0026).
//   * Consumer: joins a consumer group (cooperative-sticky) but starts every
//     partition it is assigned at the offset the caller supplies (from the
//     caller's own store), never at the group's committed offset. Offsets are
//     committed back to Kafka only so that lag shows in Kafka's tools. It
//     reads committed records only (isolation.level=read_committed): records
//     of an open or aborted transaction are never handed over.
//   * Admin: topic creation and end offsets, for tools, tests and benchmarks.
//
// Each piece has its header, which states its contract; this one includes
// them all. Errors: pilotage/kafka/common.h.

#include "pilotage/kafka/admin.h"          // IWYU pragma: export
#include "pilotage/kafka/client_config.h"  // IWYU pragma: export
#include "pilotage/kafka/common.h"         // IWYU pragma: export
#include "pilotage/kafka/consumer.h"       // IWYU pragma: export
#include "pilotage/kafka/producer.h"       // IWYU pragma: export
