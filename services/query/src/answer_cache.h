#pragma once
// The query service's remembered answers, bounded by bytes: when a new one
// would pass the bound, the least recently used ones are forgotten first
// (issue 17: a query string the service had never seen used to stay forever,
// so junk parameters grew it without end). A forgotten answer is simply
// computed again when asked.
//
// Cost of an entry: its key, its body and its day, plus kEntryOverhead for
// the bookkeeping (list and index nodes, the Answer, its control block). The
// view state answers share is not counted (one per generation, small).
//
// Not thread-safe: the StoreView's mutex guards it.

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace pilotage::query {

struct Answer;

class AnswerCache {
 public:
  static constexpr size_t kEntryOverhead = 256;

  // `max_bytes`: the bound; an answer costing more is never kept.
  explicit AnswerCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The answer remembered for `key`, now the most recently used; null if none.
  std::shared_ptr<const Answer> Get(const std::string& key);
  // The answer remembered for `key` without touching its recency; null if none.
  std::shared_ptr<const Answer> Peek(const std::string& key) const;
  // Remembers `answer` for `key` (replacing the one there) as the most
  // recently used, then forgets the least recently used others until the
  // total is within the bound. Returns false (and keeps nothing for `key`)
  // when the answer alone costs more than the bound.
  bool Put(const std::string& key, std::shared_ptr<const Answer> answer);
  // Forgets everything (not counted as evictions), handing it over to be
  // freed by the caller outside its lock.
  [[nodiscard]] AnswerCache TakeAll();

  size_t bytes() const { return bytes_; }
  size_t entries() const { return index_.size(); }
  size_t max_bytes() const { return max_bytes_; }
  // Answers forgotten to stay within the bound, since construction.
  uint64_t evictions() const { return evictions_; }

  static size_t CostOf(const std::string& key, const Answer& answer);

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const Answer>>;
  void Erase(std::list<Entry>::iterator it);

  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t evictions_ = 0;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace pilotage::query
