#include "homeserver/appservice/match_cache.hpp"

namespace domovoy::appservice {

std::optional<bool> MatchCache::find(std::string_view value) const {
  std::lock_guard lock(mutex_);
  auto found = answers_.find(value);
  if (found == answers_.end()) return std::nullopt;
  return found->second;
}

void MatchCache::insert(std::string_view value, bool matches) {
  if (max_entries_ == 0) return;
  std::lock_guard lock(mutex_);
  if (answers_.size() >= max_entries_) answers_.clear();
  answers_.emplace(value, matches);
}

std::size_t MatchCache::size() const {
  std::lock_guard lock(mutex_);
  return answers_.size();
}

}  // namespace domovoy::appservice
