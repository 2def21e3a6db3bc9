#include "pilotage/testing/projection_driver.h"

#include <algorithm>
#include <utility>

#include "fmt/format.h"

namespace pilotage::testing {

absl::StatusOr<std::unique_ptr<ProjectionDriver>> ProjectionDriver::Create(
    projection::Projection* projection, const std::filesystem::path& dir,
    ProjectionDriverOptions options) {
  if (projection == nullptr) {
    return absl::InvalidArgumentError("projection driver: no projection given");
  }
  if (options.batch_events == 0) {
    return absl::InvalidArgumentError("projection driver: batch_events must be at least 1");
  }
  auto store = projection::OpenProjectionStore(dir.string(), *projection);
  if (!store.ok()) return store.status();
  return std::unique_ptr<ProjectionDriver>(
      new ProjectionDriver(projection, std::move(*store), std::move(options)));
}

ProjectionDriver::ProjectionDriver(projection::Projection* projection,
                                   std::unique_ptr<store::Store> store,
                                   ProjectionDriverOptions options)
    : projection_(projection),
      store_(std::move(store)),
      options_(std::move(options)),
      fold_(std::make_unique<projection::BatchFold>(projection_, store_.get(),
                                                    options_.seen_cache_ids)) {}

absl::Status ProjectionDriver::Pipe(const std::vector<v1::Event>& events, int32_t partition) {
  std::vector<std::string> payloads;
  payloads.reserve(events.size());
  for (const auto& event : events) payloads.push_back(event.SerializeAsString());
  return PipePayloads(payloads, options_.topic, partition);
}

absl::Status ProjectionDriver::PipePayloads(const std::vector<std::string>& payloads,
                                            const std::string& topic, int32_t partition) {
  if (!broken_.ok()) {
    return absl::FailedPreconditionError(fmt::format(
        "projection driver: a batch failed ({}); open a new driver on the store to replay",
        broken_.ToString()));
  }
  if (!next_offsets_.contains({topic, partition})) {
    auto next = fold_->Assign(topic, partition);
    if (!next.ok()) return broken_ = next.status();
    next_offsets_[{topic, partition}] = *next;
  }
  for (size_t begin = 0; begin < payloads.size(); begin += options_.batch_events) {
    const size_t end = std::min(payloads.size(), begin + options_.batch_events);
    if (absl::Status s = PipeBatch(payloads, begin, end, topic, partition); !s.ok()) {
      return broken_ = s;
    }
  }
  return absl::OkStatus();
}

absl::Status ProjectionDriver::PipeBatch(const std::vector<std::string>& payloads, size_t begin,
                                         size_t end, const std::string& topic, int32_t partition) {
  int64_t& offset = next_offsets_[{topic, partition}];
  std::string reason;
  for (size_t i = begin; i < end; ++i) {
    const projection::Origin origin{topic, partition, offset++};
    auto outcome = fold_->Add(origin, payloads[i], &reason);
    if (!outcome.ok()) return outcome.status();
    if (*outcome == projection::BatchFold::Outcome::kDeadLetter) {
      dead_letters_.push_back(projection::MakeDeadLetter(origin, payloads[i], reason));
    }
  }
  auto sealed = fold_->Seal();
  if (!sealed.ok()) return sealed.status();
  if (absl::Status s = store_->Write(sealed->batch); !s.ok()) return s;
  batches_.push_back(std::move(sealed->report));
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, projection::PartitionProgress>> ProjectionDriver::Progress()
    const {
  return projection::ReadProgress(*store_);
}

absl::StatusOr<std::string> ProjectionDriver::Digest() const {
  return projection::StateDigest(*store_, *projection_);
}

}  // namespace pilotage::testing
