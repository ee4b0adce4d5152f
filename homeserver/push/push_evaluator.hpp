#pragma once
// Push rule evaluation (client-server-api "Push Rules", v1.19): the first rule of the user's
// ruleset, in the order override, content, room, sender, underride, whose conditions all hold
// decides the event's actions. Pure: the event's JSON and what the rules may ask about the room
// (the member count, the user's display name, the sender's power) come in as arguments.
#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <vector>

namespace domovoy {

struct PushCondition {
  std::string kind;
  std::vector<std::string> key_path;  // the dotted key, unescaped ("content.m\.mentions" -> content, m.mentions)
  std::string key;                    // as written (sender_notification_permission names a level)
  std::string pattern;                // event_match (lower case), contains_display_name
  boost::json::value value;           // event_property_is / _contains
  std::string is;                     // room_member_count
};

struct PushRule {
  std::string rule_id;
  std::string kind;  // override, content, room, sender, underride
  bool enabled = true;
  std::vector<PushCondition> conditions;
  boost::json::array actions;
  bool valid = true;  // false when a condition is of a kind we do not know: such a rule never matches
};

// The user's rules in evaluation order.
struct PushRuleSet {
  std::vector<PushRule> rules;
  std::uint64_t generation = 0;  // a new number for every compiled set, so caches can tell a change
};

// The global ruleset ({override: [...], content: [...], ...}) as evaluation wants it.
PushRuleSet compile_push_rules(const boost::json::object& global);

struct PushContext {
  std::string user_id;
  std::string display_name;      // "" when the user has none in the room
  std::uint64_t member_count = 0;  // joined members
  std::int64_t sender_power = 0;
  std::map<std::string, std::int64_t> notification_levels;  // power_levels.notifications (room: 50)
};

struct PushActions {
  bool notify = false;
  bool highlight = false;
  std::string sound;  // "" when none
  std::string rule_id;  // the rule that decided ("" when none matched)
};

// What rules may look at of an event: its top-level fields and its content, which is not copied
// (one event is evaluated for every member of a room).
struct PushEvent {
  boost::json::object top;  // type, sender, room_id, state_key (when a state event)
  const boost::json::object* content = nullptr;
};

PushActions evaluate_push_rules(const PushRuleSet& rules, const PushEvent& event, const PushContext& context);

// Glob matching as event_match does it: '*' and '?' over the whole value, case-insensitive
// (ASCII and Cyrillic); `words`: the pattern may match any run of whole words of the value
// (content.body, content rules, contains_display_name).
bool push_glob_matches(std::string_view pattern, std::string_view value, bool words);

}  // namespace domovoy
