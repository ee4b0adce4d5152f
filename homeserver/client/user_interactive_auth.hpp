#pragma once
// User-Interactive Authentication (client-server-api: "User-Interactive Authentication API").
// Sessions live in memory: a restart only makes a client start its flow again.
//
// Memory is bounded: a session lives `lifetime` from its creation and at most `max_sessions`
// exist (the oldest is dropped first). Sessions are kept in creation order, so expiry pops from
// the front: O(1) amortised per call instead of a sweep of every session.
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace domovoy {

class UserInteractiveAuth {
 public:
  using Flow = std::vector<std::string>;
  // Checks one stage's auth dict; returns true when the stage is completed.
  // Throws ApiError (e.g. 403 M_FORBIDDEN for a wrong password) to fail the request.
  using StageChecker = std::function<bool(const std::string& stage, const boost::json::object& auth)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Options {
    std::size_t max_sessions = 10000;
    std::chrono::steady_clock::duration lifetime = std::chrono::minutes(30);
  };

  UserInteractiveAuth() : UserInteractiveAuth(Options{}) {}
  explicit UserInteractiveAuth(Options options, Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Returns normally when one of `flows` is completed (the session is then consumed).
  // Otherwise throws ApiError 401 with the flows, params, session and completed stages.
  // `request_key` binds the session to the operation (e.g. "register", "delete_devices:@u:x").
  void require(const boost::json::object& body, const std::vector<Flow>& flows, const std::string& request_key,
               const StageChecker& check, boost::json::object params = {});

  // How many sessions are held (for tests and metrics).
  std::size_t size() const;

 private:
  struct Session {
    std::string id;
    std::string request_key;
    std::set<std::string> completed;
    std::chrono::steady_clock::time_point created;
  };

  // Callers hold mutex_.
  void drop_expired(std::chrono::steady_clock::time_point now);
  Session& add(std::string id, std::string request_key, std::set<std::string> completed,
               std::chrono::steady_clock::time_point now);
  void erase(std::string_view id);

  Options options_;
  Clock clock_;
  mutable std::mutex mutex_;
  // Oldest at the front; the index points into the list, whose nodes never move.
  std::list<Session> by_age_;
  std::unordered_map<std::string_view, std::list<Session>::iterator> index_;
};

}  // namespace domovoy
