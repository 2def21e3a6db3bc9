#include "answer_cache.h"

#include "store_view.h"

namespace pilotage::query {

size_t AnswerCache::CostOf(const std::string& key, const Answer& answer) {
  return key.size() + answer.body.size() + answer.day.size() + kEntryOverhead;
}

std::shared_ptr<const Answer> AnswerCache::Get(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

std::shared_ptr<const Answer> AnswerCache::Peek(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : it->second->second;
}

bool AnswerCache::Put(const std::string& key, std::shared_ptr<const Answer> answer) {
  if (auto it = index_.find(key); it != index_.end()) Erase(it->second);
  const size_t cost = CostOf(key, *answer);
  if (cost > max_bytes_) return false;
  lru_.emplace_front(key, std::move(answer));
  index_.emplace(key, lru_.begin());
  bytes_ += cost;
  while (bytes_ > max_bytes_) {
    Erase(std::prev(lru_.end()));  // never the one just put: it fits alone
    ++evictions_;
  }
  return true;
}

AnswerCache AnswerCache::TakeAll() {
  AnswerCache taken(max_bytes_);
  taken.lru_.swap(lru_);  // iterators stay valid, now into taken.lru_
  taken.index_.swap(index_);
  taken.bytes_ = std::exchange(bytes_, 0);
  return taken;
}

void AnswerCache::Erase(std::list<Entry>::iterator it) {
  bytes_ -= CostOf(it->first, *it->second);
  index_.erase(it->first);
  lru_.erase(it);
}

}  // namespace pilotage::query
