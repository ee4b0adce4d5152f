#pragma once
// In-memory rooms for the auth-rule tests: events built with Event::from_pdu, state kept in a
// std::map and offered to check_auth_rules as a StateLookup.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "homeserver/events/pdu.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/rooms/auth_rules.hpp"
#include "homeserver/rooms/event.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy::test {

inline const std::string kCreator = "@creator:a.example";
inline const std::string kAlice = "@alice:a.example";
inline const std::string kBob = "@bob:b.example";
inline const std::string kCarol = "@carol:a.example";
inline const std::string kMod = "@mod:a.example";

inline ::testing::AssertionResult Allowed(const AuthResult& result) {
  if (result.allowed) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "refused: " << result.reason;
}
// DOMOVOY_TEST_SHOW_REASONS=1 prints every refusal's reason, to review that each refusal comes
// from the rule the test names.
inline ::testing::AssertionResult Refused(const AuthResult& result) {
  if (!result.allowed) {
    if (std::getenv("DOMOVOY_TEST_SHOW_REASONS"))
      std::fprintf(stderr, "[reason] %s: %s\n", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                   result.reason.c_str());
    return ::testing::AssertionSuccess() << "refused: " << result.reason;
  }
  return ::testing::AssertionFailure() << "allowed, but the rule requires a refusal";
}

inline const RoomVersion& room_version(const std::string& id) {
  const auto* version = find_room_version(id);
  if (!version) throw std::runtime_error("unknown room version " + id);
  return *version;
}

// The create event of a room of `version` sent by `sender`, with `extra` merged into its content
// (v10 gets `creator` = sender unless `extra` says otherwise). For v12 the room id is derived from
// the event's reference hash, as the spec requires.
inline boost::json::object create_pdu(const RoomVersion& version, const std::string& sender,
                                      const boost::json::object& extra = {}) {
  boost::json::object content{{"room_version", version.id}};
  if (!version.creator_is_sender) content["creator"] = sender;
  for (const auto& member : extra) content[member.key()] = member.value();
  boost::json::object pdu{{"type", "m.room.create"},   {"state_key", ""},           {"sender", sender},
                          {"content", content},        {"origin_server_ts", 1000},  {"depth", 1},
                          {"prev_events", boost::json::array{}}, {"auth_events", boost::json::array{}}};
  if (!version.room_id_from_create) pdu["room_id"] = "!room:" + std::string(sender.substr(sender.find(':') + 1));
  return pdu;
}

class Room {
 public:
  explicit Room(const RoomVersion& version, const boost::json::object& create_extra = {},
                const std::string& creator = kCreator)
      : version_(version) {
    auto pdu = create_pdu(version, creator, create_extra);
    auto event_id = event_id_of(pdu, version);
    room_id_ = version.room_id_from_create ? "!" + event_id.substr(1) : std::string(pdu.at("room_id").as_string());
    create_ = Event::from_pdu(std::move(pdu), event_id, room_id_);
    put(create_);
  }

  const RoomVersion& version() const { return version_; }
  const std::string& room_id() const { return room_id_; }
  const EventPtr& create() const { return create_; }

  // An event of this room (not yet in its state).
  std::shared_ptr<Event> event(const std::string& type, std::optional<std::string> state_key, const std::string& sender,
                               boost::json::object content,
                               std::optional<std::vector<std::string>> prev_events = std::nullopt) {
    boost::json::object pdu{{"type", type},       {"sender", sender},     {"content", std::move(content)},
                            {"room_id", room_id_}, {"origin_server_ts", 2000}, {"depth", 2},
                            {"auth_events", boost::json::array{}}};
    if (state_key) pdu["state_key"] = *state_key;
    boost::json::array prev;
    for (const auto& id : prev_events.value_or(std::vector<std::string>{last_event_id_})) prev.emplace_back(id);
    pdu["prev_events"] = std::move(prev);
    auto id = "$event" + std::to_string(++counter_) + ":a.example";
    return Event::from_pdu(std::move(pdu), id, room_id_);
  }
  std::shared_ptr<Event> member_event(const std::string& sender, const std::string& target,
                                      const std::string& membership, boost::json::object extra = {}) {
    extra["membership"] = membership;
    return event("m.room.member", target, sender, std::move(extra));
  }
  std::shared_ptr<Event> message(const std::string& sender, const std::string& type = "m.room.message") {
    return event(type, std::nullopt, sender, {{"msgtype", "m.text"}, {"body", "hello"}});
  }

  // Puts a state event into the room state, unchecked (tests set up state directly).
  void put(const EventPtr& state_event) {
    state_[StateKey{state_event->type, *state_event->state_key}] = state_event;
    last_event_id_ = state_event->event_id;
  }
  void set(const std::string& type, const std::string& state_key, const std::string& sender,
           boost::json::object content) {
    put(event(type, state_key, sender, std::move(content)));
  }
  void set_member(const std::string& user, const std::string& membership, const std::string& sender = {}) {
    set("m.room.member", user, sender.empty() ? user : sender, {{"membership", membership}});
  }
  void set_join_rule(const std::string& rule) { set("m.room.join_rules", "", kCreator, {{"join_rule", rule}}); }
  // Power levels with `users` (the creator is added with 100 in v10/v11, where it has no
  // infinite power; v12 forbids listing creators) and any other keys in `extra`.
  void set_power_levels(boost::json::object users, boost::json::object extra = {}) {
    put(power_levels_event(std::move(users), std::move(extra), kCreator));
  }
  std::shared_ptr<Event> power_levels_event(boost::json::object users, boost::json::object extra,
                                            const std::string& sender) {
    if (!version_.room_id_from_create && !users.contains(kCreator)) users[kCreator] = 100;
    extra["users"] = std::move(users);
    return event("m.room.power_levels", "", sender, std::move(extra));
  }

  StateLookup lookup() const {
    return [this](std::string_view type, std::string_view state_key) -> EventPtr {
      auto it = state_.find(StateKey{std::string(type), std::string(state_key)});
      return it == state_.end() ? nullptr : it->second;
    };
  }
  AuthResult check(const Event& event) const { return check_auth_rules(event, version_, lookup()); }
  AuthResult check(const EventPtr& event) const { return check(*event); }

  // The usual room: the creator joined, and power levels giving kMod 50.
  void make_standard() {
    set_member(kCreator, "join");
    set_power_levels({{kMod, 50}});
  }

 private:
  const RoomVersion& version_;
  std::string room_id_;
  EventPtr create_;
  std::map<StateKey, EventPtr> state_;
  std::string last_event_id_;
  int counter_ = 0;
};

// Room versions the suites run under.
inline const char* const kAllVersions[] = {"10", "11", "12"};

inline std::string version_name(const ::testing::TestParamInfo<const char*>& info) {
  return std::string("v") + info.param;
}

}  // namespace domovoy::test
