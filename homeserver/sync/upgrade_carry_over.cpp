#include "homeserver/sync/upgrade_carry_over.hpp"

#include <spdlog/spdlog.h>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"

namespace domovoy {

namespace json = boost::json;

void UpgradeCarryOver::on_event(const Event& event) {
  if (event.type != "m.room.member" || !event.state_key || event.membership() != "join") return;
  const auto& user_id = *event.state_key;
  if (server_name_of(user_id) != server_name_) return;
  // A profile change is a join after a join: only a membership becoming join carries over.
  if (!event.replaces_state.empty())
    if (auto previous = rooms_.get_event(event.replaces_state); previous && previous->membership() == "join") return;
  auto create = rooms_.state_event(rooms_.current_state(event.room_id), "m.room.create", "");
  if (!create) return;
  const auto* predecessor = create->content().if_contains("predecessor");
  if (!predecessor || !predecessor->is_object()) return;
  const auto* old_room = predecessor->as_object().if_contains("room_id");
  if (!old_room || !old_room->is_string()) return;
  std::string old_room_id(old_room->as_string());
  try {
    if (auto tags = account_data_.get(user_id, old_room_id, "m.tag");
        tags && !account_data_.get(user_id, event.room_id, "m.tag"))
      account_data_.put(user_id, event.room_id, "m.tag", *tags);
    if (auto rule = push_rules_.rule(user_id, "room", old_room_id); rule && !push_rules_.rule(user_id, "room", event.room_id)) {
      json::object body{{"actions", rule->contains("actions") ? rule->at("actions") : json::array{}}};
      push_rules_.put_rule(user_id, "room", event.room_id, body, "", "");
      if (const auto* enabled = rule->if_contains("enabled"); enabled && enabled->is_bool() && !enabled->as_bool())
        push_rules_.set_enabled(user_id, "room", event.room_id, false);
    }
  } catch (const ApiError& error) {
    // The join stands; only the convenience is lost (a limit on the user's account data).
    spdlog::warn("room upgrade: settings of a member not carried over: {}", error.what());
  }
}

}  // namespace domovoy
