#pragma once
// Remembered answers of one namespace test (does this id match?): it runs for every event and
// every appservice, and a std::regex match costs microseconds where a hash look-up costs tens of
// nanoseconds.
//
// Memory is bounded: when the cache holds `max_entries` answers it is emptied and starts again.
// That is cheaper than least-recently-used book-keeping on every hit, and the ids that matter
// (the members of busy rooms) come back at once. Thread-safe; one mutex, held for a look-up only.
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace domovoy::appservice {

class MatchCache {
 public:
  explicit MatchCache(std::size_t max_entries) : max_entries_(max_entries) {}

  std::optional<bool> find(std::string_view value) const;
  void insert(std::string_view value, bool matches);
  std::size_t size() const;

 private:
  // Transparent, so that a look-up by string_view builds no string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bool, Hash, std::equal_to<>> answers_;
};

}  // namespace domovoy::appservice
