#include "homeserver/push/push_evaluator.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <functional>

#include "homeserver/core/case_fold.hpp"

namespace domovoy {

namespace json = boost::json;

namespace {
constexpr std::size_t kMaxWordSearchBytes = 8192;  // a wildcard pattern looks at most this far into a body

// "content.m\.mentions.user_ids" -> {"content", "m.mentions", "user_ids"}
std::vector<std::string> split_key(std::string_view key) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '\\' && i + 1 < key.size() && (key[i + 1] == '.' || key[i + 1] == '\\')) {
      parts.back() += key[++i];
    } else if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

const json::value* at_path(const PushEvent& event, const std::vector<std::string>& path) {
  if (path.empty()) return nullptr;
  const json::value* current = nullptr;
  const json::object* object = &event.top;
  std::size_t first = 0;
  if (path[0] == "content") {
    if (!event.content) return nullptr;
    if (path.size() == 1) return nullptr;  // the whole content is no value a condition compares
    object = event.content;
    first = 1;
  }
  for (std::size_t i = first; i < path.size(); ++i) {
    const auto& part = path[i];
    if (!object) return nullptr;
    current = object->if_contains(part);
    if (!current) return nullptr;
    object = current->is_object() ? &current->as_object() : nullptr;
  }
  return current;
}

bool is_word_byte(unsigned char c) { return c >= 0x80 || std::isalnum(c) || c == '_'; }

// Whether `pattern` (lower case, with * and ?) matches value[start, end) where end is any
// position accepted by `ends_ok`.
bool glob_at(std::string_view pattern, std::string_view value, std::size_t p, std::size_t v,
             const std::function<bool(std::size_t)>& ends_ok, int budget) {
  while (p < pattern.size()) {
    if (--budget < 0) return false;
    char c = pattern[p];
    if (c == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) {
        for (std::size_t end = value.size() + 1; end-- > v;)
          if (ends_ok(end)) return true;
        return false;
      }
      for (std::size_t next = v; next <= value.size(); ++next)
        if (glob_at(pattern, value, p, next, ends_ok, budget)) return true;
      return false;
    }
    if (v >= value.size()) return false;
    if (c != '?' && c != value[v]) return false;
    ++p;
    ++v;
  }
  return ends_ok(v);
}
}  // namespace

bool push_glob_matches(std::string_view pattern_in, std::string_view value_in, bool words) {
  auto pattern = fold_word(pattern_in);
  auto value = fold_word(value_in);
  if (!words) {
    auto whole = [&](std::size_t end) { return end == value.size(); };
    return glob_at(pattern, value, 0, 0, whole, 100000);
  }
  bool wildcards = pattern.find_first_of("*?") != std::string::npos;
  auto boundary_before = [&](std::size_t i) {
    return i == 0 || !is_word_byte(static_cast<unsigned char>(value[i - 1])) ||
           !is_word_byte(static_cast<unsigned char>(pattern.empty() ? ' ' : pattern.front()));
  };
  auto boundary_after = [&](std::size_t end) {
    return end == value.size() || !is_word_byte(static_cast<unsigned char>(value[end])) ||
           !is_word_byte(static_cast<unsigned char>(pattern.empty() ? ' ' : pattern.back()));
  };
  if (!wildcards) {
    // The common case (a name, a keyword): find each occurrence and look at its edges.
    for (auto at = value.find(pattern); at != std::string::npos; at = value.find(pattern, at + 1))
      if (boundary_before(at) && boundary_after(at + pattern.size())) return true;
    return false;
  }
  std::string_view bounded(value.data(), std::min(value.size(), kMaxWordSearchBytes));
  for (std::size_t start = 0; start <= bounded.size(); ++start) {
    if (!boundary_before(start)) continue;
    std::function<bool(std::size_t)> ends = [&](std::size_t end) { return boundary_after(end); };
    if (glob_at(pattern, bounded, 0, start, ends, 10000)) return true;
  }
  return false;
}

PushRuleSet compile_push_rules(const json::object& global) {
  PushRuleSet set;
  for (auto kind : {"override", "content", "room", "sender", "underride"}) {
    const auto* rules = global.if_contains(kind);
    if (!rules || !rules->is_array()) continue;
    for (const auto& value : rules->as_array()) {
      if (!value.is_object()) continue;
      const auto& object = value.as_object();
      PushRule rule;
      rule.kind = kind;
      if (const auto* id = object.if_contains("rule_id"); id && id->is_string()) rule.rule_id = id->as_string();
      if (const auto* enabled = object.if_contains("enabled"); enabled && enabled->is_bool()) rule.enabled = enabled->as_bool();
      if (const auto* actions = object.if_contains("actions"); actions && actions->is_array()) rule.actions = actions->as_array();
      std::string_view kind_view(kind);
      if (kind_view == "content") {
        // A content rule matches its pattern against the body's words.
        PushCondition condition{"event_match", {"content", "body"}, "content.body", "", {}, ""};
        if (const auto* pattern = object.if_contains("pattern"); pattern && pattern->is_string())
          condition.pattern = pattern->as_string();
        else
          rule.valid = false;
        rule.conditions.push_back(std::move(condition));
      } else if (kind_view == "room") {
        rule.conditions.push_back({"event_match", {"room_id"}, "room_id", rule.rule_id, {}, ""});
      } else if (kind_view == "sender") {
        rule.conditions.push_back({"event_match", {"sender"}, "sender", rule.rule_id, {}, ""});
      } else if (const auto* conditions = object.if_contains("conditions"); conditions && conditions->is_array()) {
        for (const auto& item : conditions->as_array()) {
          if (!item.is_object()) {
            rule.valid = false;
            continue;
          }
          const auto& c = item.as_object();
          PushCondition condition;
          if (const auto* k = c.if_contains("kind"); k && k->is_string()) condition.kind = k->as_string();
          if (const auto* key = c.if_contains("key"); key && key->is_string()) {
            condition.key = key->as_string();
            condition.key_path = split_key(condition.key);
          }
          if (const auto* pattern = c.if_contains("pattern"); pattern && pattern->is_string())
            condition.pattern = pattern->as_string();
          if (const auto* v = c.if_contains("value")) condition.value = *v;
          if (const auto* is = c.if_contains("is"); is && is->is_string()) condition.is = is->as_string();
          static const std::array<std::string_view, 6> kKnown = {
              "event_match", "event_property_is", "event_property_contains", "contains_display_name",
              "room_member_count", "sender_notification_permission"};
          if (std::find(kKnown.begin(), kKnown.end(), condition.kind) == kKnown.end()) rule.valid = false;
          rule.conditions.push_back(std::move(condition));
        }
      }
      set.rules.push_back(std::move(rule));
    }
  }
  return set;
}

namespace {
bool member_count_matches(const std::string& is, std::uint64_t count) {
  std::string_view text(is);
  std::string op = "==";
  for (auto candidate : {"==", "<=", ">=", "<", ">"}) {
    if (text.starts_with(candidate)) {
      op = candidate;
      text.remove_prefix(std::string_view(candidate).size());
      break;
    }
  }
  std::uint64_t number = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || result.ec != std::errc{} || result.ptr != text.data() + text.size()) return false;
  if (op == "==") return count == number;
  if (op == "<") return count < number;
  if (op == ">") return count > number;
  if (op == "<=") return count <= number;
  return count >= number;
}

bool condition_holds(const PushCondition& condition, const PushEvent& event, const PushContext& context) {
  if (condition.kind == "event_match") {
    const auto* value = at_path(event, condition.key_path);
    if (!value || !value->is_string()) return false;
    bool words = condition.key_path.size() == 2 && condition.key_path[0] == "content" && condition.key_path[1] == "body";
    return push_glob_matches(condition.pattern, value->as_string(), words);
  }
  if (condition.kind == "event_property_is") {
    const auto* value = at_path(event, condition.key_path);
    if (!value) return false;
    if (value->is_string() || value->is_bool() || value->is_null() || value->is_int64() || value->is_uint64())
      return *value == condition.value;
    return false;
  }
  if (condition.kind == "event_property_contains") {
    const auto* value = at_path(event, condition.key_path);
    if (!value || !value->is_array()) return false;
    for (const auto& item : value->as_array())
      if (item == condition.value) return true;
    return false;
  }
  if (condition.kind == "contains_display_name") {
    if (context.display_name.empty()) return false;
    const auto* body = at_path(event, {"content", "body"});
    if (!body || !body->is_string()) return false;
    // The name is matched literally, not as a glob.
    std::string literal;
    for (char c : context.display_name) literal += (c == '*' || c == '?') ? '?' : c;
    return push_glob_matches(literal, body->as_string(), true);
  }
  if (condition.kind == "room_member_count") return member_count_matches(condition.is, context.member_count);
  if (condition.kind == "sender_notification_permission") {
    auto level = context.notification_levels.count(condition.key) ? context.notification_levels.at(condition.key) : 50;
    return context.sender_power >= level;
  }
  return false;
}
}  // namespace

PushActions evaluate_push_rules(const PushRuleSet& rules, const PushEvent& event, const PushContext& context) {
  PushActions result;
  for (const auto& rule : rules.rules) {
    if (!rule.enabled || !rule.valid) continue;
    bool all = true;
    for (const auto& condition : rule.conditions) {
      if (!condition_holds(condition, event, context)) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    result.rule_id = rule.rule_id;
    for (const auto& action : rule.actions) {
      if (action.is_string()) {
        if (action.as_string() == "notify") result.notify = true;
        continue;  // "dont_notify" and "coalesce" are no-ops (as the spec now says)
      }
      if (!action.is_object()) continue;
      const auto& tweak = action.as_object();
      const auto* name = tweak.if_contains("set_tweak");
      if (!name || !name->is_string()) continue;
      if (name->as_string() == "highlight") {
        const auto* value = tweak.if_contains("value");
        result.highlight = !value || (value->is_bool() && value->as_bool());
      } else if (name->as_string() == "sound") {
        if (const auto* value = tweak.if_contains("value"); value && value->is_string()) result.sound = value->as_string();
      }
    }
    if (!result.notify) result.highlight = false;  // a highlight without a notification is none
    return result;
  }
  return result;
}

}  // namespace domovoy
