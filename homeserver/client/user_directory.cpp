// POST /user_directory/search (users.yaml): users who share a room with the searcher or are in a
// public room, by user id or display name. A building's residents find their neighbours; nobody
// finds residents of buildings they have nothing to do with.
#include <algorithm>
#include <set>

#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/case_fold.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::int64_t kDefaultLimit = 10;
constexpr std::int64_t kMaxLimit = 100;

std::string lower(const std::string& text) { return fold_word(text); }

json::object search(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  auto term = lower(required_string(body, "search_term"));
  auto limit = std::clamp<std::int64_t>(optional_int(body, "limit").value_or(kDefaultLimit), 0, kMaxLimit);
  std::set<std::string> candidates;
  for (auto& mate : services.room_mates(request.user_id)) candidates.insert(std::move(mate));
  for (const auto& room_id : services.directory.listed_rooms())
    for (auto& member : services.rooms.joined_members(room_id)) candidates.insert(std::move(member));
  json::array results;
  bool limited = false;
  for (const auto& user_id : candidates) {
    auto account = services.accounts.find(user_id);
    if (!account || account->deactivated) continue;
    if (lower(user_id).find(term) == std::string::npos && lower(account->displayname).find(term) == std::string::npos)
      continue;
    if (static_cast<std::int64_t>(results.size()) == limit) {
      limited = true;
      break;
    }
    json::object result{{"user_id", user_id}};
    if (!account->displayname.empty()) result["display_name"] = account->displayname;
    if (!account->avatar_url.empty()) result["avatar_url"] = account->avatar_url;
    results.push_back(std::move(result));
  }
  return {{"results", std::move(results)}, {"limited", limited}};
}
}  // namespace

void register_user_directory_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::post, "/user_directory/search", http::Auth::required,
                    [&services](http::Request& request) { return http::Response::json(search(services, request)); });
}

}  // namespace domovoy
