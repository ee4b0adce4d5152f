// The spec's predefined push rules (modules/push.md, "Predefined Rules", v1.19), served by
// GET /pushrules/. Evaluating them and changing them come with the push issue.
#include <string>

#include "homeserver/client/routes.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy {

namespace {
constexpr std::string_view kDefaultRules = R"json({
  "override": [
    {"rule_id": ".m.rule.master", "default": true, "enabled": false, "conditions": [], "actions": []},
    {"rule_id": ".m.rule.suppress_notices", "default": true, "enabled": true,
     "conditions": [{"kind": "event_match", "key": "content.msgtype", "pattern": "m.notice"}], "actions": []},
    {"rule_id": ".m.rule.invite_for_me", "default": true, "enabled": true,
     "conditions": [{"key": "type", "kind": "event_match", "pattern": "m.room.member"},
                    {"key": "content.membership", "kind": "event_match", "pattern": "invite"},
                    {"key": "state_key", "kind": "event_match", "pattern": "@USER@"}],
     "actions": ["notify", {"set_tweak": "sound", "value": "default"}]},
    {"rule_id": ".m.rule.member_event", "default": true, "enabled": true,
     "conditions": [{"key": "type", "kind": "event_match", "pattern": "m.room.member"}], "actions": []},
    {"rule_id": ".m.rule.is_user_mention", "default": true, "enabled": true,
     "conditions": [{"kind": "event_property_contains", "key": "content.m\\.mentions.user_ids", "value": "@USER@"}],
     "actions": ["notify", {"set_tweak": "sound", "value": "default"}, {"set_tweak": "highlight"}]},
    {"rule_id": ".m.rule.is_room_mention", "default": true, "enabled": true,
     "conditions": [{"kind": "event_property_is", "key": "content.m\\.mentions.room", "value": true},
                    {"kind": "sender_notification_permission", "key": "room"}],
     "actions": ["notify", {"set_tweak": "highlight"}]},
    {"rule_id": ".m.rule.tombstone", "default": true, "enabled": true,
     "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.room.tombstone"},
                    {"kind": "event_match", "key": "state_key", "pattern": ""}],
     "actions": ["notify", {"set_tweak": "highlight"}]},
    {"rule_id": ".m.rule.reaction", "default": true, "enabled": true,
     "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.reaction"}], "actions": []},
    {"rule_id": ".m.rule.room.server_acl", "default": true, "enabled": true,
     "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.room.server_acl"},
                    {"kind": "event_match", "key": "state_key", "pattern": ""}], "actions": []},
    {"rule_id": ".m.rule.suppress_edits", "default": true, "enabled": true,
     "conditions": [{"kind": "event_property_is", "key": "content.m\\.relates_to.rel_type", "value": "m.replace"}],
     "actions": []}
  ],
  "content": [],
  "room": [],
  "sender": [],
  "underride": [
    {"rule_id": ".m.rule.call", "default": true, "enabled": true,
     "conditions": [{"key": "type", "kind": "event_match", "pattern": "m.call.invite"}],
     "actions": ["notify", {"set_tweak": "sound", "value": "ring"}]},
    {"rule_id": ".m.rule.encrypted_room_one_to_one", "default": true, "enabled": true,
     "conditions": [{"kind": "room_member_count", "is": "2"},
                    {"kind": "event_match", "key": "type", "pattern": "m.room.encrypted"}],
     "actions": ["notify", {"set_tweak": "sound", "value": "default"}]},
    {"rule_id": ".m.rule.room_one_to_one", "default": true, "enabled": true,
     "conditions": [{"kind": "room_member_count", "is": "2"},
                    {"kind": "event_match", "key": "type", "pattern": "m.room.message"}],
     "actions": ["notify", {"set_tweak": "sound", "value": "default"}]},
    {"rule_id": ".m.rule.message", "default": true, "enabled": true,
     "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.room.message"}], "actions": ["notify"]},
    {"rule_id": ".m.rule.encrypted", "default": true, "enabled": true,
     "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.room.encrypted"}], "actions": ["notify"]}
  ]
})json";
}  // namespace

json::object default_push_rules(const std::string& user_id) {
  std::string text(kDefaultRules);
  for (auto at = text.find("@USER@"); at != std::string::npos; at = text.find("@USER@", at + user_id.size()))
    text.replace(at, 6, user_id);
  return json::parse(text).as_object();
}

void register_push_rule_routes(http::Router& router, ClientServices&) {
  using boost::beast::http::verb;
  auto ruleset = [](http::Request& request) {
    return http::Response::json(json::object{{"global", default_push_rules(request.user_id)}});
  };
  router.add_client(verb::get, "/pushrules/", http::Auth::required, ruleset);
  router.add_client(verb::get, "/pushrules", http::Auth::required, ruleset);
  router.add_client(verb::get, "/pushrules/global/", http::Auth::required, [](http::Request& request) {
    return http::Response::json(default_push_rules(request.user_id));
  });
}

}  // namespace domovoy
