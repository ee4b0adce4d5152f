// RoomService::upgrade_room: replacing a room by a new one of another version
// (modules/room_upgrades.md "Server behaviour"), with what Synapse also carries over (bans, space
// children, the directory listing, m.federate) so that clients written against it see the same.
#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/rooms/power_levels.hpp"
#include "homeserver/rooms/room_directory.hpp"
#include "homeserver/rooms/room_service.hpp"
#include "storage/database.hpp"

namespace domovoy {

namespace json = boost::json;

namespace {

// The spec's recommended transferable state, each copied as it is when the old room has it.
constexpr std::string_view kTransferredState[] = {
    "m.room.join_rules",    "m.room.history_visibility", "m.room.guest_access", "m.room.name",
    "m.room.avatar",        "m.room.topic",              "m.room.encryption",   "m.room.server_acl",
    "m.room.canonical_alias",
};

constexpr std::string_view kTombstoneBody = "Эта комната заменена новой. This room has been replaced.";

EventDraft state_draft(const std::string& sender, std::string type, std::string state_key, json::object content) {
  return EventDraft{std::move(type), std::move(state_key), sender, std::move(content), {}, {}};
}

std::int64_t integer_or(const json::object& content, std::string_view key, std::int64_t fallback) {
  if (const auto* value = content.if_contains(key))
    if (auto level = as_integer(*value)) return *level;
  return fallback;
}

// The spec's defaults written out, for an old room without m.room.power_levels.
json::object explicit_power_levels(const PowerLevels& levels, const std::set<std::string>& creators) {
  json::object users;
  for (const auto& creator : creators) users[creator] = 100;
  return {{"users", std::move(users)}, {"users_default", 0}, {"events_default", 0}, {"state_default", 0},
          {"ban", levels.ban()},       {"kick", levels.kick()}, {"redact", levels.redact()}, {"invite", levels.invite()}};
}

}  // namespace

std::string RoomService::upgrade_room(const std::string& room_id, const std::string& user_id,
                                      const RoomVersion& version, const std::vector<std::string>& additional_creators) {
  std::lock_guard upgrade_lock(upgrade_mutex_);
  if (!engine_.room_exists(room_id)) throw not_found("Unknown room " + room_id);
  auto state = engine_.current_state(room_id);
  if (engine_.membership_in(state, user_id) != "join") throw forbidden("You are not a member of this room");
  const RoomVersion& old_version = *engine_.room_version(room_id);
  auto create = engine_.state_event(state, "m.room.create", "");
  auto old_power = engine_.state_event(state, "m.room.power_levels", "");
  PowerLevels old_levels(create.get(), old_power.get(), old_version);
  if (old_levels.user_level(user_id) < old_levels.event_level("m.room.tombstone", true))
    throw forbidden("You cannot upgrade this room");
  for (const auto& creator : additional_creators)
    if (!is_valid_user_id(creator)) throw invalid_param("Invalid user id in additional_creators: " + creator);

  // The create event: the predecessor, the room's type and whether it federates.
  json::object creation_content;
  json::object predecessor{{"room_id", room_id}};
  if (auto last = engine_.last_event_at(room_id, engine_.current_stream())) predecessor["event_id"] = last->event_id;
  creation_content["predecessor"] = std::move(predecessor);
  for (std::string_view key : {"type", "m.federate"})
    if (const auto* value = create->content().if_contains(key)) creation_content[key] = *value;
  std::set<std::string> new_creators{user_id};
  if (version.room_id_from_create && !additional_creators.empty()) {
    json::array extra;
    for (const auto& creator : additional_creators)
      if (creator != user_id && new_creators.insert(creator).second) extra.emplace_back(creator);
    creation_content["additional_creators"] = std::move(extra);
  }

  // Power levels: the old ones, less the new room's creators where those are above any level
  // (v12 refuses them in `users`). Elsewhere the upgrader may need more power than they had to
  // send the copied state; they get it for the upgrade, and their own level back at the end.
  json::object levels = old_power ? old_power->content() : explicit_power_levels(old_levels, old_levels.creators());
  json::object users;
  if (const auto* old_users = levels.if_contains("users"); old_users && old_users->is_object())
    users = old_users->as_object();
  std::optional<std::int64_t> restore_level;
  if (version.room_id_from_create) {
    for (const auto& creator : new_creators) users.erase(creator);
  } else {
    // Creators of infinite power in a v12 room become ordinary admins of a version without them.
    if (old_version.room_id_from_create)
      for (const auto& creator : old_levels.creators()) users[creator] = 100;
    std::int64_t needed = std::max({integer_or(levels, "state_default", 50), integer_or(levels, "ban", 50),
                                    integer_or(levels, "invite", 0)});
    if (const auto* events = levels.if_contains("events"); events && events->is_object())
      for (const auto& entry : events->as_object())
        if (auto level = as_integer(entry.value())) needed = std::max(needed, *level);
    std::int64_t own = integer_or(users, user_id, integer_or(levels, "users_default", 0));
    if (own < needed) {
      restore_level = own;
      users[user_id] = needed;
    }
  }
  levels["users"] = users;

  std::vector<EventDraft> drafts;
  drafts.push_back(state_draft(user_id, "m.room.member", user_id, own_member_content(user_id, "join", std::nullopt)));
  drafts.push_back(state_draft(user_id, "m.room.power_levels", "", levels));
  for (std::string_view type : kTransferredState)
    if (auto event = engine_.state_event(state, type, ""); event && !event->content().empty())
      drafts.push_back(state_draft(user_id, std::string(type), "", event->content()));
  std::string join_rule = "invite";
  if (auto rules = engine_.state_event(state, "m.room.join_rules", ""))
    if (auto rule = optional_string(rules->content(), "join_rule")) join_rule = *rule;
  std::vector<std::string> invitees;
  for (const auto& [key, event_id] : *state) {
    if (key.type == "m.space.child") {
      auto child = engine_.get_event(event_id);
      if (child && !child->content().empty())
        drafts.push_back(state_draft(user_id, key.type, key.state_key, child->content()));
    } else if (key.type == "m.room.member" && key.state_key != user_id) {
      auto member = engine_.get_event(event_id);
      if (!member) continue;
      auto membership = member->membership();
      if (membership == "ban") {
        json::object content{{"membership", "ban"}};
        if (const auto* reason = member->content().if_contains("reason")) content["reason"] = *reason;
        drafts.push_back(state_draft(user_id, key.type, key.state_key, std::move(content)));
      } else if (membership == "join" && is_local(key.state_key) && (join_rule == "invite" || join_rule == "knock")) {
        // Without an invite nobody could follow the tombstone into a private room; Synapse and
        // Element invite the old room's members for the same reason.
        invitees.push_back(key.state_key);
      }
    }
  }
  for (const auto& invitee : invitees) {
    json::object content{{"membership", "invite"}};
    if (auto profile = profile_of_(invitee); profile && !profile->displayname.empty())
      content["displayname"] = profile->displayname;
    drafts.push_back(state_draft(user_id, "m.room.member", invitee, std::move(content)));
  }
  if (restore_level) {
    users[user_id] = *restore_level;
    levels["users"] = users;
    drafts.push_back(state_draft(user_id, "m.room.power_levels", "", levels));
  }

  // The new room, its aliases and its directory listing in one write: nobody sees an alias
  // that points nowhere, or a room listed twice.
  std::string new_room_id;
  {
    auto alias_lock = directory_.lock_aliases();
    std::vector<std::pair<std::string, AliasRecord>> moved;
    for (const auto& alias : directory_.aliases_of(room_id))
      if (auto record = directory_.lookup(alias)) moved.emplace_back(alias, *record);
    bool listed = directory_.is_listed(room_id);
    new_room_id = engine_.create_room(version, user_id, std::move(creation_content), drafts,
                                      [&](storage::WriteBatch& batch, const std::string& replacement) {
                                        for (const auto& [alias, record] : moved)
                                          RoomDirectory::stage_moved_alias(batch, alias, record, replacement);
                                        if (listed) {
                                          RoomDirectory::stage_listed(batch, replacement);
                                          RoomDirectory::stage_unlisted(batch, room_id);
                                        }
                                      });
  }

  // The old room is closed: the tombstone first (the user may send it, checked above); the rest
  // only where the user's power allows it, as a client doing it by hand could.
  engine_.send(room_id, state_draft(user_id, "m.room.tombstone", "",
                                    json::object{{"body", kTombstoneBody}, {"replacement_room", new_room_id}}));
  if (auto alias = engine_.state_event(state, "m.room.canonical_alias", ""); alias && !alias->content().empty()) {
    try {
      engine_.send(room_id, state_draft(user_id, "m.room.canonical_alias", "", json::object{}));
    } catch (const ApiError&) {
    }
  }
  if (old_power) {
    json::object closed = old_power->content();
    std::int64_t restricted = std::max<std::int64_t>(50, integer_or(closed, "users_default", 0) + 1);
    bool changed = false;
    for (std::string_view key : {"events_default", "invite"})
      if (integer_or(closed, key, 0) < restricted) {
        closed[key] = restricted;
        changed = true;
      }
    if (changed) {
      try {
        engine_.send(room_id, state_draft(user_id, "m.room.power_levels", "", std::move(closed)));
      } catch (const ApiError&) {
      }
    }
  }
  return new_room_id;
}

}  // namespace domovoy
