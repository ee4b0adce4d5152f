#include "homeserver/client/user_interactive_auth.hpp"

#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy {

UserInteractiveAuth::UserInteractiveAuth(Options options, Clock clock)
    : options_(options), clock_(std::move(clock)) {
  options_.max_sessions = std::max<std::size_t>(1, options_.max_sessions);
}

std::size_t UserInteractiveAuth::size() const {
  std::lock_guard lock(mutex_);
  return by_age_.size();
}

void UserInteractiveAuth::drop_expired(std::chrono::steady_clock::time_point now) {
  // Every session has the same lifetime, so creation order is expiry order: each session is
  // popped at most once, O(1) amortised per call.
  while (!by_age_.empty() && now - by_age_.front().created >= options_.lifetime) {
    index_.erase(by_age_.front().id);
    by_age_.pop_front();
  }
}

UserInteractiveAuth::Session& UserInteractiveAuth::add(std::string id, std::string request_key,
                                                       std::set<std::string> completed,
                                                       std::chrono::steady_clock::time_point now) {
  while (by_age_.size() >= options_.max_sessions) {
    index_.erase(by_age_.front().id);
    by_age_.pop_front();
  }
  auto session = by_age_.insert(by_age_.end(), Session{std::move(id), std::move(request_key), std::move(completed), now});
  index_.emplace(session->id, session);
  return *session;
}

void UserInteractiveAuth::erase(std::string_view id) {
  auto found = index_.find(id);
  if (found == index_.end()) return;
  auto session = found->second;
  index_.erase(found);
  by_age_.erase(session);
}

void UserInteractiveAuth::require(const json::object& body, const std::vector<Flow>& flows,
                                  const std::string& request_key, const StageChecker& check, json::object params) {
  std::string session_id;
  std::set<std::string> completed;
  const json::object* auth = optional_object(body, "auth");
  {
    std::lock_guard lock(mutex_);
    drop_expired(clock_());
    if (auth) {
      if (auto given = optional_string(*auth, "session")) {
        auto it = index_.find(*given);
        if (it == index_.end() || it->second->request_key != request_key)
          throw ApiError(400, "M_UNKNOWN", "Unknown or mismatched UIA session");
        session_id = *given;
        completed = it->second->completed;
      }
    }
    if (session_id.empty()) session_id = add(random_token(18), request_key, {}, clock_()).id;
  }

  json::object failure;
  if (auth) {
    auto stage = optional_string(*auth, "type");
    if (stage) {
      bool offered = std::any_of(flows.begin(), flows.end(), [&](const Flow& flow) {
        return std::find(flow.begin(), flow.end(), *stage) != flow.end();
      });
      if (!offered) {
        failure = {{"errcode", "M_UNRECOGNIZED"}, {"error", "Stage " + *stage + " is not offered"}};
      } else {
        try {
          if (check(*stage, *auth)) completed.insert(*stage);
        } catch (const ApiError& error) {
          if (error.status() != 401 && error.status() != 403) throw;
          failure = {{"errcode", error.errcode()}, {"error", error.what()}};
        }
      }
    }
  }
  bool done = std::any_of(flows.begin(), flows.end(), [&](const Flow& flow) {
    return std::all_of(flow.begin(), flow.end(), [&](const std::string& stage) { return completed.count(stage) > 0; });
  });
  std::lock_guard lock(mutex_);
  if (done) {
    erase(session_id);
    return;
  }
  // The stage check ran unlocked; the session may have expired or been pushed out meanwhile.
  // Its stages were completed just now, so it comes back rather than as a blank session.
  if (auto it = index_.find(session_id); it != index_.end()) it->second->completed = completed;
  else add(session_id, request_key, completed, clock_());
  json::array flow_list;
  for (const auto& flow : flows) {
    json::array stages;
    for (const auto& stage : flow) stages.push_back(json::string(stage));
    flow_list.push_back(json::object{{"stages", std::move(stages)}});
  }
  json::array completed_list;
  for (const auto& stage : completed) completed_list.push_back(json::string(stage));
  json::object extra{{"flows", std::move(flow_list)},
                     {"params", std::move(params)},
                     {"session", session_id},
                     {"completed", std::move(completed_list)}};
  if (!failure.empty()) {
    std::string errcode(failure["errcode"].as_string());
    std::string message(failure["error"].as_string());
    throw ApiError(401, errcode, message, std::move(extra));
  }
  // The spec's 401 carries no errcode until a stage failed; the HTTP edge adds errcode/error, so
  // M_UNAUTHORIZED is the closest honest value (what Synapse also sends with a failed stage).
  throw ApiError(401, "M_UNAUTHORIZED", "User-interactive authentication required", std::move(extra));
}

}  // namespace domovoy
