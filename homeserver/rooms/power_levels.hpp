#pragma once
// Power levels as the auth rules read them, with the spec's defaults when the room has no
// m.room.power_levels event, and v12's creators of infinite power.
#include <boost/json/object.hpp>

#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "homeserver/rooms/event.hpp"

namespace domovoy {

inline constexpr std::int64_t kCreatorPower = std::numeric_limits<std::int64_t>::max();

class PowerLevels {
 public:
  // create_event may be null only while the create event itself is being authorised.
  PowerLevels(const Event* create_event, const Event* power_levels_event, const RoomVersion& version);

  std::int64_t user_level(std::string_view user_id) const;
  // The level needed to send an event of this type (state or not).
  std::int64_t event_level(std::string_view type, bool is_state) const;
  std::int64_t ban() const { return named("ban", 50); }
  std::int64_t kick() const { return named("kick", 50); }
  std::int64_t redact() const { return named("redact", 50); }
  std::int64_t invite() const { return named("invite", 0); }
  bool is_creator(std::string_view user_id) const { return creators_.count(std::string(user_id)) > 0; }
  const std::set<std::string>& creators() const { return creators_; }

 private:
  std::int64_t named(std::string_view key, std::int64_t fallback) const;
  boost::json::object content_;
  bool has_event_ = false;
  bool creators_infinite_ = false;
  std::set<std::string> creators_;
};

// The creators of a room: the create event's sender (or v10's `creator`) and v12's additional_creators.
std::set<std::string> room_creators(const Event& create_event, const RoomVersion& version);

}  // namespace domovoy
