#include "homeserver/push/push_rules.hpp"

#include <atomic>
#include <map>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy {

namespace {
// The spec's predefined rules (v1.19, "Predefined Rules"), in their order.
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

constexpr std::size_t kMaxCompiledCached = 100000;
constexpr std::size_t kMaxUserRules = 500;

const std::array<std::string_view, 5> kKinds = {"override", "content", "room", "sender", "underride"};

json::array& rules_of(json::object& global, const std::string& kind) {
  auto& rules = global[kind];
  if (!rules.is_array()) rules = json::array{};
  return rules.as_array();
}

json::array::iterator find_rule(json::array& rules, const std::string& rule_id) {
  return std::find_if(rules.begin(), rules.end(), [&](const json::value& rule) {
    const auto* id = rule.is_object() ? rule.as_object().if_contains("rule_id") : nullptr;
    return id && id->is_string() && id->as_string() == rule_id;
  });
}

// Stored rules merged with the predefined ones: the user's rules of a kind come before the
// predefined ones of that kind, except .m.rule.master, which comes first of all; a predefined
// rule keeps the user's enabled and actions.
json::object merge(const json::object* stored, const std::string& user_id) {
  auto defaults = default_push_rules(user_id);
  json::object merged;
  for (auto kind_view : kKinds) {
    std::string kind(kind_view);
    json::array out;
    json::array user_rules;
    std::map<std::string, json::object> changed_defaults;
    if (stored) {
      if (const auto* rules = stored->if_contains(kind); rules && rules->is_array()) {
        for (const auto& rule : rules->as_array()) {
          if (!rule.is_object()) continue;
          const auto* id = rule.as_object().if_contains("rule_id");
          if (!id || !id->is_string()) continue;
          if (id->as_string().starts_with(".")) changed_defaults[std::string(id->as_string())] = rule.as_object();
          else user_rules.push_back(rule);
        }
      }
    }
    json::array predefined;
    for (auto& rule : rules_of(defaults, kind)) {
      auto& object = rule.as_object();
      std::string id(object["rule_id"].as_string());
      if (auto it = changed_defaults.find(id); it != changed_defaults.end()) {
        if (const auto* enabled = it->second.if_contains("enabled"); enabled && enabled->is_bool()) object["enabled"] = *enabled;
        if (const auto* actions = it->second.if_contains("actions"); actions && actions->is_array()) object["actions"] = *actions;
      }
      predefined.push_back(std::move(rule));
    }
    if (kind == "override" && !predefined.empty()) {
      out.push_back(predefined.front());  // .m.rule.master
      for (auto& rule : user_rules) out.push_back(std::move(rule));
      for (std::size_t i = 1; i < predefined.size(); ++i) out.push_back(std::move(predefined[i]));
    } else {
      for (auto& rule : user_rules) out.push_back(std::move(rule));
      for (auto& rule : predefined) out.push_back(std::move(rule));
    }
    merged[kind] = std::move(out);
  }
  return merged;
}

// What is stored: the user's own rules and, for predefined ones, only rule_id, enabled, actions.
json::object to_stored(const json::object& merged) {
  auto defaults = default_push_rules("");
  json::object stored;
  for (auto kind_view : kKinds) {
    std::string kind(kind_view);
    json::array out;
    if (const auto* rules = merged.if_contains(kind); rules && rules->is_array()) {
      for (const auto& rule : rules->as_array()) {
        const auto& object = rule.as_object();
        const auto& id = object.at("rule_id").as_string();
        if (id.starts_with(".")) {
          out.push_back(json::object{{"rule_id", id}, {"enabled", object.at("enabled")}, {"actions", object.at("actions")}});
        } else {
          out.push_back(object);
        }
      }
    }
    stored[kind] = std::move(out);
  }
  return stored;
}

void check_actions(const json::value& actions) {
  if (!actions.is_array()) throw bad_json("actions must be an array");
  for (const auto& action : actions.as_array()) {
    if (action.is_string()) {
      auto text = action.as_string();
      if (text != "notify" && text != "dont_notify" && text != "coalesce")
        throw ApiError(400, "M_UNKNOWN", "Unknown action " + std::string(text));
      continue;
    }
    if (!action.is_object() || !action.as_object().if_contains("set_tweak") ||
        !action.as_object().at("set_tweak").is_string())
      throw ApiError(400, "M_UNKNOWN", "An action is a string or a {set_tweak} object");
  }
}
}  // namespace

json::object default_push_rules(const std::string& user_id) {
  std::string text(kDefaultRules);
  for (auto at = text.find("@USER@"); at != std::string::npos; at = text.find("@USER@", at + user_id.size()))
    text.replace(at, 6, user_id);
  return json::parse(text).as_object();
}

bool PushRules::is_kind(std::string_view kind) {
  return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end();
}

json::object PushRules::ruleset(const std::string& user_id) const {
  auto stored = account_data_.get(user_id, "", "m.push_rules");
  const json::object* global = nullptr;
  if (stored) {
    if (const auto* value = stored->if_contains("global"); value && value->is_object()) global = &value->as_object();
  }
  return merge(global, user_id);
}

std::shared_ptr<const PushRuleSet> PushRules::compiled(const std::string& user_id) {
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = compiled_.find(user_id); it != compiled_.end()) return it->second;
  }
  static std::atomic<std::uint64_t> generations{0};
  auto compiled_set = compile_push_rules(ruleset(user_id));
  compiled_set.generation = ++generations;
  auto set = std::make_shared<const PushRuleSet>(std::move(compiled_set));
  std::lock_guard lock(cache_mutex_);
  if (compiled_.size() >= kMaxCompiledCached) compiled_.clear();
  compiled_[user_id] = set;
  return set;
}

std::optional<json::object> PushRules::rule(const std::string& user_id, const std::string& kind,
                                            const std::string& rule_id) const {
  if (!is_kind(kind)) return std::nullopt;
  auto global = ruleset(user_id);
  auto& rules = rules_of(global, kind);
  auto it = find_rule(rules, rule_id);
  if (it == rules.end()) return std::nullopt;
  return it->as_object();
}

void PushRules::change(const std::string& user_id, const std::function<void(json::object& global)>& edit) {
  {
    std::lock_guard lock(lock_for(user_id));
    auto global = ruleset(user_id);
    edit(global);
    account_data_.put(user_id, "", "m.push_rules", json::object{{"global", to_stored(global)}},
                      [wake = wake_, user_id] {
                        if (wake) wake(user_id);
                      });
  }
  std::lock_guard lock(cache_mutex_);
  compiled_.erase(user_id);
}

void PushRules::put_rule(const std::string& user_id, const std::string& kind, const std::string& rule_id,
                         const json::object& body, const std::string& before, const std::string& after) {
  if (!is_kind(kind)) throw invalid_param("Unknown rule kind " + kind);
  if (rule_id.empty() || rule_id.size() > 255 || rule_id.find('\0') != std::string::npos)
    throw invalid_param("Invalid rule id");
  if (rule_id.starts_with(".")) throw invalid_param("Rule ids starting with '.' are the server's");
  if ((kind == "room" && !rule_id.starts_with("!")) || (kind == "sender" && !rule_id.starts_with("@")))
    throw invalid_param("A " + kind + " rule's id is the " + (kind == "room" ? "room id" : "user id"));
  const auto* actions = body.if_contains("actions");
  if (!actions) throw missing_param("Missing 'actions'");
  check_actions(*actions);
  json::object rule{{"rule_id", rule_id}, {"default", false}, {"enabled", true}, {"actions", *actions}};
  if (kind == "content") {
    auto pattern = optional_string(body, "pattern");
    if (!pattern) throw missing_param("A content rule needs 'pattern'");
    rule["pattern"] = *pattern;
  } else if (kind == "override" || kind == "underride") {
    const auto* conditions = body.if_contains("conditions");
    if (conditions && !conditions->is_array()) throw bad_json("conditions must be an array");
    json::array checked;
    if (conditions) {
      for (const auto& condition : conditions->as_array()) {
        if (!condition.is_object() || !condition.as_object().if_contains("kind") ||
            !condition.as_object().at("kind").is_string())
          throw bad_json("Each condition is an object with a kind");
        checked.push_back(condition);
      }
    }
    rule["conditions"] = std::move(checked);
  }
  change(user_id, [&](json::object& global) {
    auto& rules = rules_of(global, kind);
    std::size_t own = 0;
    for (const auto& existing : rules)
      if (!existing.as_object().at("rule_id").as_string().starts_with(".")) ++own;
    if (own >= kMaxUserRules) throw ApiError(400, "M_LIMIT_EXCEEDED", "Too many push rules");
    if (auto existing = find_rule(rules, rule_id); existing != rules.end()) {
      // Replacing a rule keeps its place unless before/after moves it; it is enabled again.
      if (before.empty() && after.empty()) {
        *existing = rule;
        return;
      }
      rules.erase(existing);
    }
    auto position = rules.end();
    if (!before.empty() || !after.empty()) {
      const auto& anchor = before.empty() ? after : before;
      if (anchor.starts_with(".")) throw invalid_param("Rules cannot be placed relative to the server's rules");
      auto found = find_rule(rules, anchor);
      if (found == rules.end()) throw not_found("No rule " + anchor + " to place it next to");
      position = before.empty() ? found + 1 : found;
    } else {
      // New rules come after the user's other rules of the kind, before the predefined ones.
      position = std::find_if(rules.begin(), rules.end(), [&](const json::value& existing) {
        const auto& id = existing.as_object().at("rule_id").as_string();
        return id.starts_with(".") && id != ".m.rule.master";
      });
    }
    rules.insert(position, rule);
  });
}

void PushRules::delete_rule(const std::string& user_id, const std::string& kind, const std::string& rule_id) {
  if (!is_kind(kind)) throw invalid_param("Unknown rule kind " + kind);
  if (rule_id.starts_with(".")) throw ApiError(400, "M_UNKNOWN", "The server's rules cannot be deleted");
  change(user_id, [&](json::object& global) {
    auto& rules = rules_of(global, kind);
    auto it = find_rule(rules, rule_id);
    if (it == rules.end()) throw not_found("No such push rule");
    rules.erase(it);
  });
}

void PushRules::set_enabled(const std::string& user_id, const std::string& kind, const std::string& rule_id,
                            bool enabled) {
  if (!is_kind(kind)) throw invalid_param("Unknown rule kind " + kind);
  change(user_id, [&](json::object& global) {
    auto& rules = rules_of(global, kind);
    auto it = find_rule(rules, rule_id);
    if (it == rules.end()) throw not_found("No such push rule");
    it->as_object()["enabled"] = enabled;
  });
}

void PushRules::set_actions(const std::string& user_id, const std::string& kind, const std::string& rule_id,
                            const json::array& actions) {
  if (!is_kind(kind)) throw invalid_param("Unknown rule kind " + kind);
  check_actions(actions);
  change(user_id, [&](json::object& global) {
    auto& rules = rules_of(global, kind);
    auto it = find_rule(rules, rule_id);
    if (it == rules.end()) throw not_found("No such push rule");
    it->as_object()["actions"] = actions;
  });
}

}  // namespace domovoy
