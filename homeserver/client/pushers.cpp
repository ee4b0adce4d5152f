// Pushers (pusher.yaml): GET /pushers and POST /pushers/set, which adds, replaces (or with
// `kind: null` removes) a pusher. Only http pushers: their `data.url` must be an http(s) URL
// ending in /_matrix/push/v1/notify (push-gateway-api); GatewayPusher delivers to them.
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::size_t kMaxPushersPerUser = 50;

std::string bounded(const json::object& body, const char* name, std::size_t limit, bool required) {
  auto value = required ? std::optional<std::string>(required_string(body, name)) : optional_string(body, name);
  if (!value) return {};
  if (value->size() > limit || value->find('\0') != std::string::npos) throw invalid_param(std::string(name) + " is too long");
  if (required && value->empty()) throw invalid_param(std::string(name) + " must not be empty");
  return *value;
}

json::object set_pusher(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  auto app_id = bounded(body, "app_id", 64, true);
  auto pushkey = bounded(body, "pushkey", 512, true);
  const auto* kind = body.if_contains("kind");
  if (!kind) throw missing_param("Missing 'kind'");
  if (kind->is_null()) {
    services.pushers.remove(request.user_id, app_id, pushkey);  // removing what is not there is no error
    return {};
  }
  if (!kind->is_string()) throw bad_json("kind must be a string or null");
  if (kind->as_string() != "http")
    throw invalid_param("Only http pushers are supported here (kind " + std::string(kind->as_string()) + ")");
  const auto* data = body.if_contains("data");
  if (!data || !data->is_object()) throw missing_param("Missing 'data'");
  const auto* url = data->as_object().if_contains("url");
  if (!url || !url->is_string()) throw missing_param("An http pusher needs data.url");
  std::string_view url_text(url->as_string());
  if (!(url_text.starts_with("http://") || url_text.starts_with("https://")) ||
      !url_text.ends_with("/_matrix/push/v1/notify"))
    throw invalid_param("data.url must be an http(s) URL ending in /_matrix/push/v1/notify");
  if (const auto* format = data->as_object().if_contains("format");
      format && (!format->is_string() || format->as_string() != "event_id_only"))
    throw invalid_param("data.format may only be event_id_only");
  Pusher pusher;
  pusher.user_id = request.user_id;
  pusher.app_id = app_id;
  pusher.pushkey = pushkey;
  pusher.kind = "http";
  pusher.app_display_name = bounded(body, "app_display_name", 255, true);
  pusher.device_display_name = bounded(body, "device_display_name", 255, true);
  pusher.lang = bounded(body, "lang", 64, true);
  pusher.profile_tag = bounded(body, "profile_tag", 255, false);
  pusher.data = data->as_object();
  pusher.pushkey_ts = now_ms();
  bool append = optional_bool(body, "append").value_or(false);
  auto existing = services.pushers.of_user(request.user_id);
  bool replaces = std::any_of(existing.begin(), existing.end(),
                              [&](const Pusher& other) { return other.app_id == app_id && other.pushkey == pushkey; });
  if (!replaces && existing.size() >= kMaxPushersPerUser) throw ApiError(400, "M_LIMIT_EXCEEDED", "Too many pushers");
  services.pushers.set(pusher, append);
  return {};
}
}  // namespace

void register_pusher_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::get, "/pushers", http::Auth::required, [&services](http::Request& request) {
    json::array pushers;
    for (const auto& pusher : services.pushers.of_user(request.user_id)) pushers.push_back(pusher.to_json());
    return http::Response::json(json::object{{"pushers", std::move(pushers)}});
  });
  router.add_client(verb::post, "/pushers/set", http::Auth::required,
                    [&services](http::Request& request) { return http::Response::json(set_pusher(services, request)); });
}

}  // namespace domovoy
