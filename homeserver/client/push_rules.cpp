// Push rules (push_rules.yaml): the ruleset, and one rule's rule, enabled flag and actions, read
// and changed. PushRules (homeserver/push/) keeps them in the user's m.push_rules account data.
#include <string>

#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
json::object existing_rule(ClientServices& services, const http::Request& request) {
  auto rule = services.push_rules.rule(request.user_id, request.path_params[0], request.path_params[1]);
  if (!rule) throw not_found("No such push rule");
  return *rule;
}
}  // namespace

void register_push_rule_routes(http::Router& router, ClientServices& services) {
  auto ruleset = [&services](http::Request& request) {
    return http::Response::json(json::object{{"global", services.push_rules.ruleset(request.user_id)}});
  };
  router.add_client(verb::get, "/pushrules/", http::Auth::required, ruleset);
  router.add_client(verb::get, "/pushrules", http::Auth::required, ruleset);
  router.add_client(verb::get, "/pushrules/global/", http::Auth::required, [&services](http::Request& request) {
    return http::Response::json(services.push_rules.ruleset(request.user_id));
  });
  const std::string rule_path = "/pushrules/global/{kind}/{ruleId}";
  router.add_client(verb::get, rule_path, http::Auth::required, [&services](http::Request& request) {
    return http::Response::json(existing_rule(services, request));
  });
  router.add_client(verb::put, rule_path, http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    services.push_rules.put_rule(request.user_id, request.path_params[0], request.path_params[1], body,
                                 request.query_param("before").value_or(""), request.query_param("after").value_or(""));
    return http::Response::json(json::object{});
  });
  router.add_client(verb::delete_, rule_path, http::Auth::required, [&services](http::Request& request) {
    services.push_rules.delete_rule(request.user_id, request.path_params[0], request.path_params[1]);
    return http::Response::json(json::object{});
  });
  router.add_client(verb::get, rule_path + "/enabled", http::Auth::required, [&services](http::Request& request) {
    return http::Response::json(json::object{{"enabled", existing_rule(services, request).at("enabled")}});
  });
  router.add_client(verb::put, rule_path + "/enabled", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    auto enabled = optional_bool(body, "enabled");
    if (!enabled) throw missing_param("Missing boolean 'enabled'");
    services.push_rules.set_enabled(request.user_id, request.path_params[0], request.path_params[1], *enabled);
    return http::Response::json(json::object{});
  });
  router.add_client(verb::get, rule_path + "/actions", http::Auth::required, [&services](http::Request& request) {
    return http::Response::json(json::object{{"actions", existing_rule(services, request).at("actions")}});
  });
  router.add_client(verb::put, rule_path + "/actions", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    const auto* actions = body.if_contains("actions");
    if (!actions) throw missing_param("Missing 'actions'");
    if (!actions->is_array()) throw bad_json("actions must be an array");
    services.push_rules.set_actions(request.user_id, request.path_params[0], request.path_params[1], actions->as_array());
    return http::Response::json(json::object{});
  });
}

}  // namespace domovoy
