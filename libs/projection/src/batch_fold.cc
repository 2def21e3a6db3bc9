#include "pilotage/projection/batch_fold.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/time_util.h>
#include <xxhash.h>

#include <utility>

#include "fmt/format.h"

namespace pilotage::projection {
namespace {

bool RefusedByProjection(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kFailedPrecondition;
}

}  // namespace

v1::DeadLetter MakeDeadLetter(const Origin& origin, std::string_view payload,
                              std::string_view reason) {
  v1::DeadLetter letter;
  letter.set_origin_topic(std::string(origin.topic));
  letter.set_origin_partition(origin.partition);
  letter.set_origin_offset(origin.offset);
  letter.set_reason(std::string(reason));
  letter.set_payload(std::string(payload));
  *letter.mutable_recorded_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  return letter;
}

uint64_t ContentFingerprint(v1::Event& event, std::string& scratch) {
  // Set by the gateway each time the event is sent: a resend through it
  // differs there only.
  std::string operator_id = std::move(*event.mutable_operator_id());
  event.clear_operator_id();
  google::protobuf::Timestamp* recorded_at =
      event.has_recorded_at() ? event.release_recorded_at() : nullptr;
  scratch.clear();
  {
    google::protobuf::io::StringOutputStream raw(&scratch);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    if (!event.SerializeToCodedStream(&out)) scratch.clear();
  }
  *event.mutable_operator_id() = std::move(operator_id);
  if (recorded_at != nullptr) event.set_allocated_recorded_at(recorded_at);
  const uint64_t fingerprint = XXH3_64bits(scratch.data(), scratch.size());
  return fingerprint == 0 ? 1 : fingerprint;
}

absl::StatusOr<int64_t> BatchFold::Assign(std::string_view topic, int32_t partition) {
  PartitionState state{
      std::string(topic), partition, fmt::format("{}/{}", topic, partition), {}, false};
  auto stored = store_->Get(kProgressFamily, state.key);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) {
    auto progress = DecodeProgress(**stored);
    if (!progress.ok()) return progress.status();
    state.progress = *progress;
  }
  Revoke(topic, partition);
  partitions_.push_back(std::move(state));
  return partitions_.back().progress.next_offset;
}

void BatchFold::Revoke(std::string_view topic, int32_t partition) {
  std::erase_if(partitions_, [&](const PartitionState& p) {
    return p.partition == partition && p.topic == topic;
  });
}

PartitionState& BatchFold::StateOf(std::string_view topic, int32_t partition) {
  for (auto& p : partitions_) {
    if (p.partition == partition && p.topic == topic) return p;
  }
  // An event of a partition not (or no longer) assigned: librdkafka does not
  // hand those over, but keep going safely if it ever did.
  std::string t(topic);
  partitions_.push_back({t, partition, fmt::format("{}/{}", t, partition), {}, false});
  return partitions_.back();
}

bool BatchFold::SkipTo(std::string_view topic, int32_t partition, int64_t next_offset) {
  for (auto& p : partitions_) {
    if (p.partition != partition || p.topic != topic) continue;
    if (next_offset <= p.progress.next_offset) return false;
    p.progress.next_offset = next_offset;
    p.dirty = true;
    skipped_ = true;
    return true;
  }
  return false;
}

absl::Status BatchFold::Lost(absl::Status s) {
  projection_->Discard();
  return s;
}

absl::StatusOr<BatchFold::Outcome> BatchFold::Add(const Origin& origin, std::string_view payload,
                                                  std::string* reason) {
  PartitionState& part = StateOf(origin.topic, origin.partition);
  part.progress.next_offset = origin.offset + 1;
  part.dirty = true;
  ++events_;
  auto dead = [&](std::string why) {
    *reason = std::move(why);
    ++part.progress.dead_letters;
    ++report_.dead_letters;
    return Outcome::kDeadLetter;
  };
  if (projection_->FoldsRecords(origin.topic)) {
    absl::Status s = projection_->FoldRecord(payload, origin);
    if (RefusedByProjection(s)) return dead(std::string(s.message()));
    if (!s.ok()) return Lost(s);
    ++part.progress.folded;
    ++report_.folded;
    return Outcome::kFolded;
  }
  event_.Clear();
  if (!event_.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return dead("payload does not decode as pilotage.v1.Event");
  }
  if (event_.event_id().empty()) return dead("event has no event_id");
  if (event_.lot_id().empty()) return dead("event has no lot_id");
  if (event_.body_case() == v1::Event::BODY_NOT_SET) {
    return dead("event has no body (unknown event type?)");
  }
  auto entry =
      seen_.Check(event_.lot_id(), event_.occurred_at().seconds(), event_.event_id(),
                  projection_->ComparesContent(event_) ? ContentFingerprint(event_, scratch_) : 0);
  if (!entry.ok()) return Lost(entry.status());
  if (entry->conflicting()) {
    if (absl::Status s = projection_->OnConflictingResend(event_, origin); !s.ok()) {
      return Lost(s);
    }
    ++report_.conflicting_resends[event_.lot_id()];
    return dead(std::string(kConflictingResendReason));
  }
  if (entry->seen) {
    ++part.progress.duplicates;
    ++report_.duplicates;
    return Outcome::kDuplicate;
  }
  absl::Status s = projection_->Fold(event_, origin);
  if (RefusedByProjection(s)) return dead(std::string(s.message()));
  if (!s.ok()) return Lost(s);
  seen_.Add(*entry);
  ++part.progress.folded;
  ++report_.folded;
  return Outcome::kFolded;
}

absl::StatusOr<SealedBatch> BatchFold::Seal() {
  SealedBatch sealed{store_->NewWriteBatch(), {}};
  if (absl::Status s = projection_->Flush(*store_, sealed.batch); !s.ok()) return Lost(s);
  // One append per seen group the batch added to, with the ids it folded.
  seen_.CloseBatch(sealed.batch);
  for (auto& p : partitions_) {
    if (!p.dirty) continue;
    sealed.batch.Put(kProgressFamily, p.key, EncodeProgress(p.progress));
    sealed.report.next_offsets[{p.topic, p.partition}] = p.progress.next_offset;
    p.dirty = false;
  }
  sealed.report.folded = report_.folded;
  sealed.report.duplicates = report_.duplicates;
  sealed.report.dead_letters = report_.dead_letters;
  sealed.report.conflicting_resends = std::move(report_.conflicting_resends);
  sealed.report.events = report_.folded + report_.duplicates + report_.dead_letters;
  report_ = {};
  events_ = 0;
  skipped_ = false;
  return sealed;
}

}  // namespace pilotage::projection
