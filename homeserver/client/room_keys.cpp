// Server-side key backup (key_backup.yaml): room_keys/version and room_keys/keys in all their
// forms. Handlers only parse and shape; KeyBackupStore decides.
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

json::object version_json(const BackupVersion& version) {
  return {{"algorithm", version.algorithm},
          {"auth_data", version.auth_data},
          {"count", version.count},
          {"etag", std::to_string(version.etag)},
          {"version", version.version}};
}

json::object totals_json(const BackupTotals& totals) {
  return {{"etag", std::to_string(totals.etag)}, {"count", totals.count}};
}

std::pair<std::string, json::object> algorithm_and_auth_data(const json::object& body) {
  auto algorithm = required_string(body, "algorithm");
  const auto* auth_data = body.if_contains("auth_data");
  if (!auth_data) throw missing_param("Missing 'auth_data'");
  if (!auth_data->is_object()) throw bad_json("'auth_data' must be an object");
  return {algorithm, auth_data->as_object()};
}

std::string version_param(const http::Request& request) {
  auto version = request.query_param("version");
  if (!version || version->empty()) throw missing_param("Missing 'version'");
  return *version;
}

// The keys of a PUT, shaped as the whole-backup form {rooms: {room: {sessions: {id: data}}}}.
json::object rooms_of_put(const http::Request& request, const json::object& body) {
  if (request.path_params.size() == 2)
    return {{request.path_params[0], json::object{{"sessions", json::object{{request.path_params[1], body}}}}}};
  if (request.path_params.size() == 1) return {{request.path_params[0], body}};
  const auto* rooms = body.if_contains("rooms");
  if (!rooms) throw missing_param("Missing 'rooms'");
  if (!rooms->is_object()) throw bad_json("'rooms' must be an object");
  return rooms->as_object();
}

std::string path_param(const http::Request& request, std::size_t index) {
  return request.path_params.size() > index ? request.path_params[index] : std::string();
}

void register_keys_form(http::Router& router, ClientServices& services, const std::string& suffix) {
  router.add_client(verb::put, suffix, http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    auto rooms = rooms_of_put(request, body);
    return http::Response::json(totals_json(services.key_backups.put_keys(request.user_id, version_param(request), rooms)));
  });
  router.add_client(verb::get, suffix, http::Auth::required, [&services](http::Request& request) {
    return http::Response::json(services.key_backups.get_keys(request.user_id, version_param(request),
                                                              path_param(request, 0), path_param(request, 1)));
  });
  router.add_client(verb::delete_, suffix, http::Auth::required, [&services](http::Request& request) {
    return http::Response::json(totals_json(services.key_backups.delete_keys(
        request.user_id, version_param(request), path_param(request, 0), path_param(request, 1))));
  });
}
}  // namespace

void register_room_key_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::post, "/room_keys/version", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    auto [algorithm, auth_data] = algorithm_and_auth_data(body);
    auto version = services.key_backups.create_version(request.user_id, algorithm, auth_data);
    return http::Response::json(json::object{{"version", version}});
  });
  router.add_client(verb::get, "/room_keys/version", http::Auth::required, [&services](http::Request& request) {
    auto latest = services.key_backups.latest(request.user_id);
    if (!latest) throw not_found("No current backup version");
    return http::Response::json(version_json(*latest));
  });
  router.add_client(verb::get, "/room_keys/version/{version}", http::Auth::required, [&services](http::Request& request) {
    auto version = services.key_backups.version(request.user_id, request.path_params[0]);
    if (!version) throw not_found("Unknown backup version");
    return http::Response::json(version_json(*version));
  });
  router.add_client(verb::put, "/room_keys/version/{version}", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    auto [algorithm, auth_data] = algorithm_and_auth_data(body);
    if (auto version = optional_string(body, "version"); version && *version != request.path_params[0])
      throw invalid_param("The version in the body does not match the version in the path");
    services.key_backups.update_version(request.user_id, request.path_params[0], algorithm, auth_data);
    return http::Response::json(json::object{});
  });
  router.add_client(verb::delete_, "/room_keys/version/{version}", http::Auth::required,
                    [&services](http::Request& request) {
                      if (!services.key_backups.delete_version(request.user_id, request.path_params[0]))
                        throw not_found("Unknown backup version");
                      return http::Response::json(json::object{});
                    });
  register_keys_form(router, services, "/room_keys/keys");
  register_keys_form(router, services, "/room_keys/keys/{roomId}");
  register_keys_form(router, services, "/room_keys/keys/{roomId}/{sessionId}");
}

}  // namespace domovoy
