#pragma once
// The names of pilotage's Kafka topics, in one place: every option struct
// that names a topic defaults to one of these, and the ACL and topic-creation
// scripts (deploy/kafka/acls.sh, scripts/kafka) spell the same strings. Key,
// writer, readers and retention of each are in docs/events.md.
//
// The ".v1" suffix is the version of the payloads' schema (proto/pilotage/v1):
// a change that readers of v1 cannot read goes to a new topic, never into
// these. Constants only: no state, safe from any thread.

namespace pilotage::topics {

// Activity events, keyed by lot id; written by the ingest gateway, the
// historical import and the simulator.
inline constexpr char kActivity[] = "pilotage.activity.v1";
// Contract events (terms, awards, steering decisions, penalty proposals,
// HistoryImported), keyed by lot id; written by pilotagectl and the penalty job.
inline constexpr char kContract[] = "pilotage.contract.v1";
// What the gateway refused (Rejection: the reason, never the payload), keyed
// by operator id.
inline constexpr char kRejected[] = "pilotage.rejected.v1";
// What the projector could not fold (DeadLetter), under the original key.
inline constexpr char kDeadLetter[] = "pilotage.deadletter.v1";

}  // namespace pilotage::topics
