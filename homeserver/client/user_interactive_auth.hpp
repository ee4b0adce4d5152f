#pragma once
// User-Interactive Authentication (client-server-api: "User-Interactive Authentication API").
// Sessions live in memory: a restart only makes a client start its flow again.
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace domovoy {

class UserInteractiveAuth {
 public:
  using Flow = std::vector<std::string>;
  // Checks one stage's auth dict; returns true when the stage is completed.
  // Throws ApiError (e.g. 403 M_FORBIDDEN for a wrong password) to fail the request.
  using StageChecker = std::function<bool(const std::string& stage, const boost::json::object& auth)>;

  // Returns normally when one of `flows` is completed (the session is then consumed).
  // Otherwise throws ApiError 401 with the flows, params, session and completed stages.
  // `request_key` binds the session to the operation (e.g. "register", "delete_devices:@u:x").
  void require(const boost::json::object& body, const std::vector<Flow>& flows, const std::string& request_key,
               const StageChecker& check, boost::json::object params = {});

 private:
  struct Session {
    std::string request_key;
    std::set<std::string> completed;
    std::chrono::steady_clock::time_point created;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace domovoy
