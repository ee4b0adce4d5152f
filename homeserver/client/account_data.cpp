// Account data (modules/account_data.md) and filters (filter.yaml).
#include <mutex>

#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/sync/filter.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

void require_self(const http::Request& request) {
  if (request.path_params[0] != request.user_id) throw forbidden("Cannot access another user's data");
}

// Types the server manages itself and clients may not write directly.
void refuse_server_managed(const std::string& type) {
  if (type == "m.fully_read" || type == "m.push_rules")
    throw ApiError(405, "M_BAD_JSON", "Cannot set " + type + " through the account data API");
}

http::Response get_data(ClientServices& services, const http::Request& request, const std::string& room_id,
                        const std::string& type) {
  require_self(request);
  if (type == "m.push_rules" && room_id.empty())  // stored as the user's changes, read as the whole ruleset
    return http::Response::json(json::object{{"global", services.push_rules.ruleset(request.user_id)}});
  auto content = services.account_data.get(request.user_id, room_id, type);
  if (!content) throw not_found("Account data not found");
  return http::Response::json(*content);
}

http::Response put_data(ClientServices& services, const http::Request& request, const std::string& room_id,
                        const std::string& type) {
  require_self(request);
  auto content = request.json_body();
  if (type.empty() || type.size() > 255) throw invalid_param("Invalid account data type");
  refuse_server_managed(type);
  services.account_data.put(request.user_id, room_id, type, content,
                            [&notifier = services.notifier, user = request.user_id]() { notifier.wake_user(user); });
  return http::Response::json(json::object{});
}

}  // namespace

void register_account_data_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::get, "/user/{userId}/account_data/{type}", http::Auth::required,
                    [&services](http::Request& request) {
                      return get_data(services, request, "", request.path_params[1]);
                    });
  router.add_client(verb::put, "/user/{userId}/account_data/{type}", http::Auth::required,
                    [&services](http::Request& request) {
                      return put_data(services, request, "", request.path_params[1]);
                    });
  router.add_client(verb::get, "/user/{userId}/rooms/{roomId}/account_data/{type}", http::Auth::required,
                    [&services](http::Request& request) {
                      require_room(services, request.path_params[1]);
                      return get_data(services, request, request.path_params[1], request.path_params[2]);
                    });
  router.add_client(verb::put, "/user/{userId}/rooms/{roomId}/account_data/{type}", http::Auth::required,
                    [&services](http::Request& request) {
                      require_room(services, request.path_params[1]);
                      return put_data(services, request, request.path_params[1], request.path_params[2]);
                    });

  // Tags (modules/tags.md) live in the room's m.tag account data, which /sync carries.
  router.add_client(verb::get, "/user/{userId}/rooms/{roomId}/tags", http::Auth::required,
                    [&services](http::Request& request) {
                      require_self(request);
                      require_room(services, request.path_params[1]);
                      auto data = services.account_data.get(request.user_id, request.path_params[1], "m.tag");
                      json::object tags;
                      if (data)
                        if (const auto* stored = data->if_contains("tags"); stored && stored->is_object())
                          tags = stored->as_object();
                      return http::Response::json(json::object{{"tags", std::move(tags)}});
                    });
  auto change_tag = [&services](http::Request& request, bool add) {
    require_self(request);
    const auto& room_id = request.path_params[1];
    const auto& tag = request.path_params[2];
    if (tag.empty() || tag.size() > 255) throw invalid_param("Invalid tag");
    json::object tag_content;
    if (add) tag_content = request.json_body();
    require_room(services, room_id);
    if (const auto* order = tag_content.if_contains("order"); order && !order->is_number())
      throw invalid_param("order must be a number");
    static std::mutex tags_mutex;  // read-modify-write of the m.tag object
    std::lock_guard lock(tags_mutex);
    auto data = services.account_data.get(request.user_id, room_id, "m.tag").value_or(json::object{});
    auto& tags = data["tags"];
    if (!tags.is_object()) tags = json::object{};
    if (add) tags.as_object()[tag] = std::move(tag_content);
    else tags.as_object().erase(tag);
    services.account_data.put(request.user_id, room_id, "m.tag", data,
                              [&notifier = services.notifier, user = request.user_id]() { notifier.wake_user(user); });
    return http::Response::json(json::object{});
  };
  router.add_client(verb::put, "/user/{userId}/rooms/{roomId}/tags/{tag}", http::Auth::required,
                    [change_tag](http::Request& request) { return change_tag(request, true); });
  router.add_client(verb::delete_, "/user/{userId}/rooms/{roomId}/tags/{tag}", http::Auth::required,
                    [change_tag](http::Request& request) { return change_tag(request, false); });

  router.add_client(verb::post, "/user/{userId}/filter", http::Auth::required, [&services](http::Request& request) {
    require_self(request);
    auto body = request.json_body();
    parse_sync_filter(body);  // refuse a malformed filter now rather than at /sync
    auto next = services.filters.add(request.user_id, body);
    return http::Response::json(json::object{{"filter_id", std::to_string(next)}});
  });
  router.add_client(verb::get, "/user/{userId}/filter/{filterId}", http::Auth::required,
                    [&services](http::Request& request) {
                      require_self(request);
                      std::uint64_t id = 0;
                      try {
                        std::size_t used = 0;
                        id = std::stoull(request.path_params[1], &used);
                        if (used != request.path_params[1].size()) throw std::invalid_argument("trailing");
                      } catch (const std::exception&) {
                        throw not_found("Filter not found");
                      }
                      auto stored = services.filters.get(request.user_id, id);
                      if (!stored) throw not_found("Filter not found");
                      return http::Response::json(std::move(*stored));
                    });
}

}  // namespace domovoy
