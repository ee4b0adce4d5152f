#include "homeserver/client/user_interactive_auth.hpp"

#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy {

void UserInteractiveAuth::require(const json::object& body, const std::vector<Flow>& flows,
                                  const std::string& request_key, const StageChecker& check, json::object params) {
  const auto now = std::chrono::steady_clock::now();
  std::string session_id;
  std::set<std::string> completed;
  const json::object* auth = optional_object(body, "auth");
  {
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [&](const auto& entry) { return now - entry.second.created > std::chrono::minutes(30); });
    if (auth) {
      if (auto given = optional_string(*auth, "session")) {
        auto it = sessions_.find(*given);
        if (it == sessions_.end() || it->second.request_key != request_key)
          throw ApiError(400, "M_UNKNOWN", "Unknown or mismatched UIA session");
        session_id = *given;
        completed = it->second.completed;
      }
    }
    if (session_id.empty()) {
      session_id = random_token(18);
      sessions_[session_id] = {request_key, {}, now};
    }
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
    sessions_.erase(session_id);
    return;
  }
  sessions_[session_id].completed = completed;
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
