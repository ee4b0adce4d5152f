// GET /sync (client-server-api: "Syncing"): initial and incremental, long-polling, filters,
// joined/invited/left rooms with timeline, state, ephemeral and account data.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <mutex>
#include <set>
#include <unordered_map>

#include "homeserver/client/event_format.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/http/blocking.hpp"
#include "homeserver/sync/filter.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

constexpr std::size_t kDefaultTimelineLimit = 10;
constexpr std::int64_t kMaxTimeoutMs = 60000;
// Bounds on the events one /sync examines (not only returns), per room and in all.
constexpr std::size_t kMaxEventsExaminedPerRoom = 1000;
constexpr std::size_t kMaxEventsExaminedPerSync = 20000;

constexpr std::size_t kMaxToDevicePerSync = 100;
// Rooms whose membership changed by more than this many events since the token: every member
// counts as a changed device list rather than the changes being walked one by one.
constexpr std::size_t kMaxMembershipEventsWalked = 1000;

// "s<stream>_<typing serial>_<presence serial>_<to-device position>": the persisted stream, the
// two in-memory ones, and how far the device's to-device inbox was delivered (below the stream
// when a sync held only part of it; tokens without it mean "up to the stream").
struct SyncToken {
  std::uint64_t stream = 0;
  std::uint64_t typing = 0;
  std::uint64_t presence = 0;
  std::uint64_t to_device = 0;
};

SyncToken parse_since(const std::string& text) {
  SyncToken token;
  token.stream = parse_stream_token(text);
  token.to_device = UINT64_MAX;
  auto end = text.data() + text.size();
  std::uint64_t* parts[] = {&token.typing, &token.presence, &token.to_device};
  auto underscore = text.find('_');
  for (auto* part : parts) {
    if (underscore == std::string::npos) break;
    auto result = std::from_chars(text.data() + underscore + 1, end, *part);
    if (result.ec != std::errc{} || (result.ptr != end && *result.ptr != '_')) throw invalid_param("Invalid since token");
    underscore = result.ptr == end ? std::string::npos : static_cast<std::size_t>(result.ptr - text.data());
  }
  token.to_device = std::min(token.to_device, token.stream);
  return token;
}

struct SyncRequest {
  std::string user_id;
  std::string device_id;
  std::optional<SyncToken> since;
  SyncFilter filter;
  bool full_state = false;
};

// Stored filters never change (a new POST /filter makes a new id), so a long-poll can take its
// filter from memory on the network thread; bounded, rebuilt from storage when cleared.
class StoredFilters {
 public:
  std::optional<SyncFilter> find(const std::string& user_id, const std::string& text) {
    std::lock_guard lock(mutex_);
    auto it = filters_.find(storage::join_key({user_id, text}));
    if (it == filters_.end()) return std::nullopt;
    return it->second;
  }
  void keep(const std::string& user_id, const std::string& text, const SyncFilter& filter) {
    std::lock_guard lock(mutex_);
    if (filters_.size() >= kMaxFilters) filters_.clear();
    filters_[storage::join_key({user_id, text})] = filter;
  }

 private:
  static constexpr std::size_t kMaxFilters = 100000;
  std::mutex mutex_;
  std::unordered_map<std::string, SyncFilter> filters_;
};

// The filter without touching storage, when that is possible (none, inline JSON, or cached).
std::optional<SyncFilter> filter_in_memory(StoredFilters& stored, const std::string& user_id, const std::string& text) {
  if (text.empty()) return SyncFilter{};
  if (text.front() == '{') return parse_sync_filter(parse_json_object(text));
  return stored.find(user_id, text);
}

SyncFilter load_filter(ClientServices& services, const std::string& user_id, const std::string& text) {
  if (text.empty()) return {};
  if (text.front() == '{') return parse_sync_filter(parse_json_object(text));
  std::uint64_t id = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), id);
  if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size())
    throw invalid_param("filter must be a filter id or a JSON object");
  auto stored = services.filters.get(user_id, id);
  if (!stored) throw not_found("Filter not found");
  return parse_sync_filter(*stored);
}

class SyncBuilder {
 public:
  SyncBuilder(ClientServices& services, const SyncRequest& request) : services_(services), request_(request) {}

  // Returns the response, and whether it holds anything new for an incremental sync.
  std::pair<json::object, bool> build() {
    upto_ = services_.rooms.current_stream();
    typing_now_ = services_.typing.serial();
    presence_now_ = services_.presence.serial();
    // Only what changed since the token (rooms joined since then read theirs in full).
    changed_account_data_ = services_.account_data.changed(request_.user_id, since_stream(), upto_);
    ignored_ = ignored_users(services_, request_.user_id);
    json::object join, invite, leave, knock;
    for (const auto& record : services_.rooms.rooms_of_user(request_.user_id)) {
      if (record.membership == "join" && record.stream <= upto_) joined_rooms_.push_back(record.room_id);
      if (!request_.filter.includes_room(record.room_id)) continue;
      if (record.stream > upto_) continue;  // not yet visible at this position
      if (record.membership == "join") {
        if (auto room = joined_room(record)) join[record.room_id] = std::move(*room);
      } else if (record.membership == "invite") {
        if ((!since() || record.stream > since_stream()) && !invited_by_ignored(record))
          invite[record.room_id] = invited_room(record);
      } else if (record.membership == "knock") {
        if (!since() || record.stream > since_stream()) knock[record.room_id] = knocked_room(record);
      } else if (record.membership == "leave" || record.membership == "ban") {
        if (record.forgotten) continue;
        bool changed = since() && record.stream > since_stream();
        if (changed || (!since() && request_.filter.include_leave) || (request_.filter.include_leave && request_.full_state))
          leave[record.room_id] = left_room(record);
      }
    }
    json::array global_data;
    bool push_rules_sent = false;
    for (const auto& item : changed_account_data_) {
      if (!item.room_id.empty() || !request_.filter.account_data.matches(item.type, request_.user_id)) continue;
      if (item.type == "m.push_rules") {
        // Stored as the user's changes; sent as the whole ruleset clients expect.
        global_data.push_back(json::object{{"type", item.type},
                                           {"content", json::object{{"global", services_.push_rules.ruleset(request_.user_id)}}}});
        push_rules_sent = true;
        continue;
      }
      global_data.push_back(json::object{{"type", item.type}, {"content", item.content}});
    }
    // An initial sync always carries the push rules, also of a user who never changed them.
    if (!since() && !push_rules_sent && request_.filter.account_data.matches("m.push_rules", request_.user_id))
      global_data.push_back(json::object{{"type", "m.push_rules"},
                                         {"content", json::object{{"global", services_.push_rules.ruleset(request_.user_id)}}}});
    auto presence = presence_events();
    auto [to_device, to_device_position] = to_device_events();
    auto device_lists = device_list_changes();
    bool changed = !join.empty() || !invite.empty() || !leave.empty() || !knock.empty() || !global_data.empty() ||
                   !presence.empty() ||
                   !to_device.empty() || !device_lists["changed"].as_array().empty() ||
                   !device_lists["left"].as_array().empty();
    json::object one_time_key_counts;
    json::array unused_fallback_types;
    if (!request_.device_id.empty()) {
      for (const auto& [algorithm, count] : services_.device_keys.one_time_key_counts(request_.user_id, request_.device_id))
        one_time_key_counts[algorithm] = count;
      for (auto& type : services_.device_keys.unused_fallback_key_types(request_.user_id, request_.device_id))
        unused_fallback_types.push_back(json::string(type));
    }
    json::object response{
        {"next_batch", stream_token(upto_) + "_" + std::to_string(typing_now_) + "_" + std::to_string(presence_now_) +
                           "_" + std::to_string(to_device_position)},
        {"rooms", json::object{{"join", std::move(join)}, {"invite", std::move(invite)}, {"leave", std::move(leave)},
                               {"knock", std::move(knock)}}},
        {"account_data", json::object{{"events", std::move(global_data)}}},
        {"presence", json::object{{"events", std::move(presence)}}},
        {"to_device", json::object{{"events", std::move(to_device)}}},
        {"device_lists", std::move(device_lists)},
        {"device_one_time_keys_count", std::move(one_time_key_counts)},
        {"device_unused_fallback_key_types", unused_fallback_types},
        {"org.matrix.msc2732.device_unused_fallback_key_types", unused_fallback_types},
    };
    return {std::move(response), changed};
  }

 private:
  bool since() const { return request_.since.has_value(); }
  std::uint64_t since_stream() const { return request_.since ? request_.since->stream : 0; }

  // The device's inbox after what the token acknowledged (which is deleted now: the client has
  // it), and the position delivered up to: the stream, unless the inbox held more than one sync
  // carries.
  std::pair<json::array, std::uint64_t> to_device_events() {
    json::array events;
    if (request_.device_id.empty()) return {std::move(events), upto_};
    std::uint64_t acknowledged = since() ? request_.since->to_device : 0;
    if (acknowledged > 0) services_.to_device.acknowledge(request_.user_id, request_.device_id, acknowledged);
    auto messages =
        services_.to_device.pending(request_.user_id, request_.device_id, acknowledged, upto_, kMaxToDevicePerSync);
    std::uint64_t delivered = messages.size() == kMaxToDevicePerSync ? messages.back().stream : upto_;
    for (auto& message : messages) events.push_back(std::move(message.event));
    return {std::move(events), delivered};
  }

  // A user is a room mate when joined to one of the rooms this sync found joined: one lookup per
  // (user, room), never a walk of the rooms' members.
  bool is_mate(const std::string& user_id) const {
    if (user_id == request_.user_id) return true;
    return std::any_of(joined_rooms_.begin(), joined_rooms_.end(),
                       [&](const std::string& room_id) { return services_.rooms.is_joined(room_id, user_id); });
  }

  // Users whose device lists the client should fetch again: those who changed their keys and
  // share a room, and those who began to share one; and those who no longer share any.
  json::object device_list_changes() {
    json::array changed, left;
    if (since()) {
      auto users = services_.device_keys.changed_users(since_stream(), upto_);
      users.insert(newly_sharing_.begin(), newly_sharing_.end());
      for (const auto& user : users)
        if (is_mate(user)) changed.push_back(json::string(user));
      for (const auto& user : maybe_left_)
        if (!is_mate(user)) left.push_back(json::string(user));
    }
    return {{"changed", std::move(changed)}, {"left", std::move(left)}};
  }

  void note_membership_event(const Event& event) {
    if (event.type != "m.room.member" || !event.state_key || *event.state_key == request_.user_id) return;
    auto membership = event.membership();
    if (membership == "join") newly_sharing_.insert(*event.state_key);
    if (membership == "leave" || membership == "ban") maybe_left_.insert(*event.state_key);
  }

  // Membership changes in a joined room since the token, for device_lists: those the timeline
  // examined, and the rest of the window when the timeline stopped before its start.
  void note_memberships(const std::string& room_id, const std::vector<EventPtr>& examined_members,
                        std::uint64_t from, std::uint64_t unexamined_to) {
    for (const auto& event : examined_members) note_membership_event(*event);
    if (unexamined_to <= from) return;
    auto rest = services_.rooms.room_events(room_id, from, unexamined_to, kMaxMembershipEventsWalked + 1, false);
    if (rest.size() > kMaxMembershipEventsWalked) {
      for (auto& member : services_.rooms.joined_members(room_id)) newly_sharing_.insert(std::move(member));
      return;
    }
    for (const auto& event : rest) note_membership_event(*event);
  }

  // m.presence of the users who share a room with the syncing user, changed since the token
  // (all of them initially, or when the token is from before a restart).
  json::array presence_events() {
    json::array events;
    std::uint64_t since_serial = since() ? request_.since->presence : 0;
    if (since_serial > presence_now_) since_serial = 0;
    auto changed = services_.presence.changed_since(since_serial);
    for (const auto& state : changed) {
      if (!is_mate(state.user_id) || !request_.filter.presence.matches("m.presence", state.user_id)) continue;
      json::object content{{"presence", state.presence}, {"currently_active", state.presence == "online"}};
      if (state.last_active_ts) content["last_active_ago"] = std::max<std::int64_t>(0, now_ms() - state.last_active_ts);
      if (!state.status_msg.empty()) content["status_msg"] = state.status_msg;
      events.push_back(json::object{{"type", "m.presence"}, {"sender", state.user_id}, {"content", std::move(content)}});
    }
    return events;
  }

  json::object format(const Event& event) const {
    return client_event(services_.rooms, event, request_.user_id, request_.device_id, false);
  }

  struct Timeline {
    std::vector<EventPtr> events;
    bool limited = false;
    std::uint64_t prev_position = 0;  // where the client pages back from (prev_batch)
    std::vector<EventPtr> membership_events;  // every m.room.member examined, the filter aside
    std::uint64_t unexamined_to = 0;           // events in (from, unexamined_to] were not examined
  };

  // Timeline events with from < stream <= to that the user may see (history visibility), newest
  // `limit` of those matching the filter. The events examined are bounded per room and per
  // request: a filter that matches little makes a limited timeline, never a walk of the room.
  Timeline timeline(const MembershipRecord& record, std::uint64_t from, std::uint64_t to) {
    const auto& room_id = record.room_id;
    std::size_t limit = request_.filter.timeline.limit.value_or(kDefaultTimelineLimit);
    std::vector<EventPtr> picked;
    std::vector<EventPtr> membership_events;
    bool limited = false;
    std::uint64_t cursor = to;
    std::size_t examined = 0;
    std::size_t allowance = std::min(kMaxEventsExaminedPerRoom, events_budget_);
    while (!limited && cursor > from) {
      auto events = services_.rooms.room_events(room_id, from, cursor, limit + 1, true);
      if (events.empty()) break;
      for (const auto& event : events) {
        if (examined++ >= allowance) {
          limited = true;
          break;
        }
        cursor = event->stream - 1;
        if (event->type == "m.room.member") membership_events.push_back(event);
        if (!request_.filter.timeline.matches(*event) || hidden_by_ignore(ignored_, *event)) continue;
        if (!can_see_event_as(services_, request_.user_id, *event, record.membership, record.forgotten)) continue;
        if (picked.size() == limit) {
          limited = true;
          cursor = event->stream;  // this one was not taken
          break;
        }
        picked.push_back(event);
      }
      if (limited || events.size() < limit + 1) break;
    }
    events_budget_ -= std::min(events_budget_, examined);
    std::reverse(picked.begin(), picked.end());
    std::uint64_t prev = picked.empty() ? (limited ? cursor : to) : picked.front()->stream - 1;
    return {std::move(picked), limited, prev, std::move(membership_events), limited ? cursor : 0};
  }

  StatePtr state_after_position(const std::string& room_id, std::uint64_t position) {
    auto event = services_.rooms.last_event_at(room_id, position);
    return services_.rooms.state_at_group(event ? event->state_group_after : 0);
  }

  json::array state_section(const std::string& room_id, const std::vector<EventPtr>& timeline_events,
                            std::uint64_t timeline_end, bool full, std::uint64_t previous_position) {
    StatePtr at_start = timeline_events.empty()
                            ? state_after_position(room_id, timeline_end)
                            : services_.rooms.state_at_group(timeline_events.front()->state_group_before);
    StatePtr previous = full ? services_.rooms.state_at_group(0) : state_after_position(room_id, previous_position);
    const auto& state_filter = request_.filter.state;
    std::set<std::string> needed_members;
    if (state_filter.lazy_load_members) {
      for (const auto& event : timeline_events) needed_members.insert(event->sender);
      needed_members.insert(request_.user_id);
    }
    std::set<std::string> in_timeline;
    for (const auto& event : timeline_events) in_timeline.insert(event->event_id);
    json::array out;
    for (const auto& [key, event_id] : *at_start) {
      if (in_timeline.count(event_id)) continue;
      auto old = previous->find(key);
      bool unchanged = old != previous->end() && old->second == event_id;
      bool lazy_member = state_filter.lazy_load_members && key.type == "m.room.member";
      // Lazy loading: the members of the timeline's senders are sent even when unchanged, since the
      // client may never have been sent them (we keep no per-device record of what it has).
      if (lazy_member && !needed_members.count(key.state_key)) continue;
      if (unchanged && !lazy_member) continue;
      auto event = services_.rooms.get_event(event_id);
      if (!event || !state_filter.matches(event->type, event->sender)) continue;
      out.push_back(format(*event));
    }
    return out;
  }

  // From the counts the room engine keeps: a woken sync in a room of thousands walks no members.
  json::object summary(const std::string& room_id) {
    auto members = services_.rooms.members_summary(room_id);
    json::array heroes;
    for (const auto& member : members.first_members)
      if (member != request_.user_id && heroes.size() < 5) heroes.push_back(json::string(member));
    return {{"m.heroes", std::move(heroes)},
            {"m.joined_member_count", members.joined},
            {"m.invited_member_count", members.invited}};
  }

  json::object ephemeral(const std::string& room_id, bool initial) {
    json::array events;
    if (initial || services_.typing.room_serial(room_id) > request_.since->typing ||
        request_.since->typing > typing_now_) {
      auto typing = services_.typing.typing_users(room_id);
      if (!initial || !typing.empty()) {
        json::array users;
        for (const auto& user : typing) users.push_back(json::string(user));
        if (request_.filter.ephemeral.matches("m.typing", ""))
          events.push_back(json::object{{"type", "m.typing"}, {"content", json::object{{"user_ids", std::move(users)}}}});
      }
    }
    json::object receipts;
    for (const auto& receipt : services_.receipts.changed(room_id, initial ? 0 : since_stream(), upto_)) {
      if (receipt.type == "m.read.private" && receipt.user_id != request_.user_id) continue;
      json::object data{{"ts", receipt.ts}};
      if (!receipt.thread_id.empty()) data["thread_id"] = receipt.thread_id;
      auto& by_event = receipts[receipt.event_id];
      if (!by_event.is_object()) by_event = json::object{};
      auto& by_type = by_event.as_object()[receipt.type];
      if (!by_type.is_object()) by_type = json::object{};
      by_type.as_object()[receipt.user_id] = std::move(data);
    }
    if (!receipts.empty() && request_.filter.ephemeral.matches("m.receipt", ""))
      events.push_back(json::object{{"type", "m.receipt"}, {"content", std::move(receipts)}});
    return {{"events", std::move(events)}};
  }

  static json::object count_json(const UnreadCount& count) {
    return {{"notification_count", count.notifications}, {"highlight_count", count.highlights}};
  }

  // unread_notifications, and with the filter's unread_thread_notifications the main timeline's
  // counts there and each thread's in unread_thread_notifications.
  void add_unread_counts(json::object& room, const std::string& room_id) {
    auto unread = services_.unread.at(request_.user_id, room_id, upto_);
    if (!request_.filter.timeline.unread_thread_notifications) {
      room["unread_notifications"] = count_json(unread.total);
      return;
    }
    room["unread_notifications"] = count_json(unread.main);
    if (unread.threads.empty()) return;
    json::object threads;
    for (const auto& [root, count] : unread.threads) threads[root] = count_json(count);
    room["unread_thread_notifications"] = std::move(threads);
  }

  json::array room_account_data(const std::string& room_id, bool initial) {
    json::array events;
    auto add = [&](const AccountDataItem& item) {
      if (item.room_id != room_id || !request_.filter.room_account_data.matches(item.type, request_.user_id)) return;
      events.push_back(json::object{{"type", item.type}, {"content", item.content}});
    };
    if (initial && since()) {
      for (const auto& item : services_.account_data.of_room(request_.user_id, room_id, upto_)) add(item);
    } else {
      for (const auto& item : changed_account_data_) add(item);
    }
    return events;
  }

  std::optional<json::object> joined_room(const MembershipRecord& record) {
    const auto& room_id = record.room_id;
    bool newly_joined = since() && record.stream > since_stream();
    bool initial = !since() || newly_joined;
    std::uint64_t from = (since() && !newly_joined) ? since_stream() : 0;
    auto [events, limited, prev, membership_events, unexamined_to] = timeline(record, from, upto_);
    if (newly_joined) {
      for (auto& member : services_.rooms.joined_members(room_id))
        if (member != request_.user_id) newly_sharing_.insert(std::move(member));
    } else if (since()) {
      note_memberships(room_id, membership_events, from, unexamined_to);
    }
    bool full = initial || request_.full_state;
    json::array state;
    bool lazy_members = request_.filter.state.lazy_load_members && !events.empty();
    if (full || limited || lazy_members) state = state_section(room_id, events, upto_, full, since_stream());
    auto ephemeral_events = ephemeral(room_id, initial);
    auto account_data = room_account_data(room_id, initial);
    bool has_news = !events.empty() || !state.empty() || !ephemeral_events["events"].as_array().empty() ||
                    !account_data.empty();
    if (!initial && !has_news && !request_.full_state) return std::nullopt;
    json::array timeline_json;
    for (const auto& event : events) timeline_json.push_back(format(*event));
    json::object room{
        {"timeline", json::object{{"events", std::move(timeline_json)},
                                  {"limited", limited},
                                  {"prev_batch", stream_token(prev)}}},
        {"state", json::object{{"events", std::move(state)}}},
        {"ephemeral", std::move(ephemeral_events)},
        {"account_data", json::object{{"events", std::move(account_data)}}},
        {"summary", summary(room_id)},
    };
    add_unread_counts(room, room_id);
    return room;
  }

  bool invited_by_ignored(const MembershipRecord& record) {
    if (ignored_.empty()) return false;
    auto invite = services_.rooms.get_event(record.event_id);
    return invite && ignored_.count(invite->sender) > 0;
  }

  // rooms.knock: the room's stripped state as the knock saw it, and the knock itself.
  json::object knocked_room(const MembershipRecord& record) {
    auto stripped = invited_room(record);
    return {{"knock_state", std::move(stripped["invite_state"])}};
  }

  json::object invited_room(const MembershipRecord& record) {
    auto state = services_.rooms.current_state(record.room_id);
    json::array events;
    // An invite into a room of another server: the stripped state its server sent with it.
    if (!state) {
      if (auto invite = services_.rooms.get_event(record.event_id)) {
        const auto* carried = invite->pdu.if_contains("unsigned");
        if (carried && carried->is_object())
          if (const auto* stripped = carried->as_object().if_contains("invite_room_state"); stripped && stripped->is_array())
            for (const auto& entry : stripped->as_array()) events.push_back(entry);
        auto own = stripped_state_event(*invite);
        own["event_id"] = invite->event_id;
        own["origin_server_ts"] = invite->origin_server_ts;
        events.push_back(std::move(own));
      }
      return {{"invite_state", json::object{{"events", std::move(events)}}}};
    }
    for (auto type : {"m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar", "m.room.canonical_alias",
                      "m.room.encryption", "m.room.topic"})
      if (auto event = services_.rooms.state_event(state, type, "")) events.push_back(stripped_state_event(*event));
    if (auto invite = services_.rooms.get_event(record.event_id)) {
      auto stripped = stripped_state_event(*invite);
      stripped["event_id"] = invite->event_id;
      stripped["origin_server_ts"] = invite->origin_server_ts;
      events.push_back(std::move(stripped));
      if (auto inviter = services_.rooms.state_event(state, "m.room.member", invite->sender))
        events.push_back(stripped_state_event(*inviter));
    }
    return {{"invite_state", json::object{{"events", std::move(events)}}}};
  }

  json::object left_room(const MembershipRecord& record) {
    std::uint64_t from = since() ? since_stream() : 0;
    auto [events, limited, prev, membership_events, unexamined_to] = timeline(record, from, record.stream);
    // Its members may no longer share a room with the user: their device lists may be dropped.
    if (since() && record.stream > since_stream())
      for (auto& member : services_.rooms.joined_members(record.room_id)) maybe_left_.insert(std::move(member));
    json::array state;
    // Someone who was never in the room (a rejected invite, a withdrawn knock) gets no room state.
    bool was_member = readable_until(services_, record.room_id, request_.user_id).has_value();
    if (was_member && (!since() || limited || request_.full_state))
      state = state_section(record.room_id, events, record.stream, !since() || request_.full_state, since_stream());
    json::array timeline_json;
    for (const auto& event : events) timeline_json.push_back(format(*event));
    // A refused invite into a room of another server: the room is not here, only the leave that
    // refused it, which clients need to drop the invite.
    if (events.empty() && !services_.rooms.room_exists(record.room_id) && (!since() || record.stream > since_stream()))
      if (auto leave = services_.rooms.get_event(record.event_id)) timeline_json.push_back(format(*leave));
    return {{"timeline", json::object{{"events", std::move(timeline_json)},
                                      {"limited", limited},
                                      {"prev_batch", stream_token(prev)}}},
            {"state", json::object{{"events", std::move(state)}}},
            {"account_data", json::object{{"events", json::array{}}}}};
  }

  ClientServices& services_;
  const SyncRequest& request_;
  std::uint64_t upto_ = 0;
  std::uint64_t typing_now_ = 0;
  std::uint64_t presence_now_ = 0;
  std::vector<AccountDataItem> changed_account_data_;
  std::vector<std::string> joined_rooms_;  // every joined room, also those the filter leaves out
  std::set<std::string> ignored_;           // m.ignored_user_list: their messages and invites are left out
  std::set<std::string> newly_sharing_;     // began to share a room with the user since the token
  std::set<std::string> maybe_left_;        // left a room the user is in, or were in a room the user left
  std::size_t events_budget_ = kMaxEventsExaminedPerSync;
};

boost::asio::awaitable<http::Response> sync_handler(ClientServices& services, boost::asio::thread_pool& pool,
                                                    StoredFilters& stored_filters, http::Request& request) {
  SyncRequest sync;
  sync.user_id = request.user_id;
  sync.device_id = request.device_id;
  if (auto since = request.query_param("since"); since && !since->empty()) sync.since = parse_since(*since);
  sync.full_state = request.query_param("full_state").value_or("false") == "true";
  std::int64_t timeout = 0;
  if (auto text = request.query_param("timeout")) {
    try {
      timeout = std::clamp<std::int64_t>(std::stoll(*text), 0, kMaxTimeoutMs);
    } catch (const std::exception&) {
      throw invalid_param("timeout must be an integer");
    }
  }
  auto filter_text = request.query_param("filter").value_or("");
  auto set_presence = request.query_param("set_presence").value_or("online");
  if (set_presence != "online" && set_presence != "offline" && set_presence != "unavailable")
    throw invalid_param("set_presence must be online, offline or unavailable");

  // Polling /sync marks the user as set_presence says (sync.yaml); "offline" leaves it untouched.
  // The mark itself is in memory; telling the room mates reads storage, so it waits for the pool.
  bool presence_changed = set_presence != "offline" && services.presence.set(sync.user_id, set_presence, std::nullopt);
  auto known_filter = filter_in_memory(stored_filters, sync.user_id, filter_text);
  if (known_filter) sync.filter = std::move(*known_filter);
  bool filter_loaded = known_filter.has_value();

  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
  auto executor = co_await boost::asio::this_coro::executor;
  while (true) {
    auto registration = services.notifier.listen(sync.user_id, executor);
    // A long-poll that comes straight back after being answered usually finds nothing new at
    // all: then it waits without a build (in a building's room, half the builds were these).
    bool nothing_new = sync.since && !sync.full_state && !presence_changed && filter_loaded &&
                       sync.since->stream == services.rooms.current_stream() &&
                       sync.since->typing == services.typing.serial() &&
                       sync.since->presence == services.presence.serial() &&
                       sync.since->to_device == sync.since->stream &&
                       std::chrono::steady_clock::now() < deadline;
    if (!nothing_new) {
      // One trip to the sync pool per build: the first also reads the filter and tells the
      // room mates of a presence change.
      auto build = [&] {
        if (!filter_loaded) {
          sync.filter = load_filter(services, sync.user_id, filter_text);
          stored_filters.keep(sync.user_id, filter_text, sync.filter);
          filter_loaded = true;
        }
        if (presence_changed) services.notifier.wake(services.room_mates(sync.user_id));
        presence_changed = false;
        return SyncBuilder(services, sync).build();
      };
      auto built = co_await http::run_blocking(pool, build);
      bool answer_now = !sync.since || built.second || sync.full_state || std::chrono::steady_clock::now() >= deadline;
      if (answer_now) co_return http::Response::json(std::move(built.first));
    }  // the empty response is not kept while waiting: a long-poll should cost little memory
    auto& waiter = registration->waiter();
    if (!waiter.woken.load()) {
      waiter.timer.expires_at(deadline);
      boost::system::error_code ec;
      co_await waiter.timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    // Woken or timed out: build again; past the deadline that answers even when empty.
  }
}

}  // namespace

void register_sync_routes(http::Router& router, ClientServices& services, boost::asio::thread_pool& pool) {
  auto stored_filters = std::make_shared<StoredFilters>();
  auto handler = [&services, &pool, stored_filters](http::Request& request) {
    return sync_handler(services, pool, *stored_filters, request);
  };
  router.add_async(verb::get, "/_matrix/client/v3/sync", http::Auth::required, handler);
  router.add_async(verb::get, "/_matrix/client/r0/sync", http::Auth::required, handler);
}

}  // namespace domovoy
