#include "homeserver/rooms/power_levels.hpp"

#include "homeserver/core/json.hpp"

namespace domovoy {

std::set<std::string> room_creators(const Event& create_event, const RoomVersion& version) {
  std::set<std::string> creators;
  if (version.creator_is_sender) {
    creators.insert(create_event.sender);
  } else if (auto creator = create_event.content().if_contains("creator"); creator && creator->is_string()) {
    creators.insert(std::string(creator->as_string()));
  } else {
    creators.insert(create_event.sender);
  }
  if (version.room_id_from_create) {
    if (const auto* extra = create_event.content().if_contains("additional_creators"); extra && extra->is_array())
      for (const auto& user : extra->as_array())
        if (user.is_string()) creators.insert(std::string(user.as_string()));
  }
  return creators;
}

PowerLevels::PowerLevels(const Event* create_event, const Event* power_levels_event, const RoomVersion& version) {
  if (power_levels_event) {
    content_ = power_levels_event->content();
    has_event_ = true;
  }
  if (create_event) creators_ = room_creators(*create_event, version);
  creators_infinite_ = version.room_id_from_create;
}

std::int64_t PowerLevels::named(std::string_view key, std::int64_t fallback) const {
  if (const auto* value = content_.if_contains(key))
    if (auto level = as_integer(*value)) return *level;
  return fallback;
}

std::int64_t PowerLevels::user_level(std::string_view user_id) const {
  if (creators_infinite_ && is_creator(user_id)) return kCreatorPower;
  if (!has_event_) return is_creator(user_id) ? 100 : 0;
  if (const auto* users = content_.if_contains("users"); users && users->is_object())
    if (const auto* level = users->as_object().if_contains(user_id))
      if (auto value = as_integer(*level)) return *value;
  return named("users_default", 0);
}

std::int64_t PowerLevels::event_level(std::string_view type, bool is_state) const {
  if (const auto* events = content_.if_contains("events"); events && events->is_object())
    if (const auto* level = events->as_object().if_contains(type))
      if (auto value = as_integer(*level)) return *value;
  if (is_state) return named("state_default", has_event_ ? 50 : 0);
  return named("events_default", 0);
}

}  // namespace domovoy
