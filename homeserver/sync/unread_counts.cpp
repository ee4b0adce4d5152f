#include "homeserver/sync/unread_counts.hpp"

#include "homeserver/rooms/power_levels.hpp"
#include "homeserver/rooms/relation_index.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {


std::uint64_t UnreadCounts::ReadPositions::of(const std::string& thread) const {
  auto it = threads.find(thread);
  return it == threads.end() ? unthreaded : std::max(unthreaded, it->second);
}

std::uint64_t UnreadCounts::ReadPositions::highest() const {
  std::uint64_t highest = unthreaded;
  for (const auto& [thread, position] : threads) highest = std::max(highest, position);
  return highest;
}

UnreadCounts::ReadPositions UnreadCounts::read_positions(const std::string& user_id, const std::string& room_id) {
  ReadPositions read;
  for (auto type : {"m.read", "m.read.private"}) {
    for (const auto& receipt : receipts_.of_user(room_id, type, user_id)) {
      auto event = rooms_.get_event(receipt.event_id);
      if (!event) continue;
      auto& position = receipt.thread_id.empty() ? read.unthreaded : read.threads[receipt.thread_id];
      position = std::max(position, event->stream);
    }
  }
  return read;
}

bool UnreadCounts::has_read(const ReadPositions& read, const Event& event) {
  if (event.stream <= read.unthreaded) return true;
  if (read.threads.empty()) return false;
  return event.stream <= read.of(thread_of(event, [this](std::string_view id) { return rooms_.get_event(id); }));
}

PushEvent UnreadCounts::push_event(const Event& event) {
  PushEvent view;
  view.top = {{"type", event.type}, {"sender", event.sender}, {"room_id", event.room_id}};
  if (event.state_key) view.top["state_key"] = *event.state_key;
  view.content = &event.content();
  return view;
}

PushContext UnreadCounts::context_for(const std::string& user_id, const std::string& room_id, const StatePtr& state) {
  PushContext context;
  context.user_id = user_id;
  context.member_count = rooms_.members_summary(room_id).joined;
  if (auto member = rooms_.state_event(state, "m.room.member", user_id)) {
    if (const auto* name = member->content().if_contains("displayname"); name && name->is_string())
      context.display_name = name->as_string();
  }
  if (auto power = rooms_.state_event(state, "m.room.power_levels", "")) {
    if (const auto* levels = power->content().if_contains("notifications"); levels && levels->is_object())
      for (const auto& [key, value] : levels->as_object())
        if (auto level = value.is_int64() ? std::optional<std::int64_t>(value.as_int64()) : std::nullopt)
          context.notification_levels[std::string(key)] = *level;
  }
  return context;
}

UnreadCounts::EventContext UnreadCounts::event_context(const Event& event) {
  EventContext context;
  context.state = rooms_.current_state(event.room_id);
  context.view = push_event(event);
  context.room = context_for("", event.room_id, context.state);
  auto create = rooms_.state_event(context.state, "m.room.create", "");
  auto power_event = rooms_.state_event(context.state, "m.room.power_levels", "");
  if (auto version = rooms_.room_version(event.room_id))
    context.room.sender_power = PowerLevels(create.get(), power_event.get(), *version).user_level(event.sender);
  return context;
}

PushActions UnreadCounts::actions_for(const std::string& user_id, const EventContext& context) {
  auto rules = push_rules_.compiled(user_id);
  auto push_context = context.room;
  push_context.user_id = user_id;
  if (auto member = rooms_.state_event(context.state, "m.room.member", user_id)) {
    if (const auto* name = member->content().if_contains("displayname"); name && name->is_string())
      push_context.display_name = name->as_string();
  }
  return evaluate_push_rules(*rules, context.view, push_context);
}

PushActions UnreadCounts::actions_for(const std::string& user_id, const Event& event) {
  return actions_for(user_id, event_context(event));
}

UnreadCounts::Counted UnreadCounts::count_between(const std::string& user_id, const std::string& room_id,
                                                  const ReadPositions& read, std::uint64_t after, std::uint64_t up_to) {
  Counted counted;
  std::size_t examined = 0;
  constexpr std::size_t kPage = 16;
  bool threaded_reader = !read.threads.empty();
  auto find = [this](std::string_view event_id) { return rooms_.get_event(event_id); };
  // The user's rules and the room's context once per count; each event then costs one evaluation.
  std::shared_ptr<const PushRuleSet> rules;
  std::optional<PushContext> context;
  std::optional<PowerLevels> power;
  for (std::uint64_t cursor = up_to; examined < kMaxScan && cursor > after;) {
    auto page = rooms_.room_events(room_id, after, cursor, kPage, true);
    for (const auto& event : page) {
      ++examined;
      auto thread = thread_of(*event, find);
      if (event->stream <= read.of(thread) || counted.closed.count(thread)) continue;
      if (event->sender == user_id) {  // one's own message marks what came before it read
        if (!threaded_reader) {
          counted.all_closed = true;
          return counted;
        }
        counted.closed.insert(std::move(thread));
        continue;
      }
      if (!rules) {
        rules = push_rules_.compiled(user_id);
        auto state = rooms_.current_state(room_id);
        context = context_for(user_id, room_id, state);
        auto create = rooms_.state_event(state, "m.room.create", "");
        auto power_event = rooms_.state_event(state, "m.room.power_levels", "");
        if (auto version = rooms_.room_version(room_id)) power.emplace(create.get(), power_event.get(), *version);
      }
      context->sender_power = power ? power->user_level(event->sender) : 0;
      auto actions = evaluate_push_rules(*rules, push_event(*event), *context);
      if (!actions.notify) continue;
      auto& count = counted.counts[thread];
      ++count.notifications;
      if (actions.highlight) ++count.highlights;
    }
    if (page.size() < kPage) break;
    cursor = page.back()->stream - 1;
  }
  return counted;
}

RoomUnread UnreadCounts::at(const std::string& user_id, const std::string& room_id, std::uint64_t up_to) {
  auto key = storage::join_key({user_id, room_id});
  std::optional<Kept> kept;
  {
    std::lock_guard lock(mutex_);
    if (auto it = kept_.find(key); it != kept_.end()) kept = it->second;
  }
  // No receipt of the room written since the last count: the user's read positions stand (a
  // receipt written later has a position past what that count could see).
  bool receipts_unchanged = kept && receipts_.latest(room_id) <= kept->counted_up_to;
  auto read = receipts_unchanged ? kept->read : read_positions(user_id, room_id);
  auto rules = push_rules_.compiled(user_id);
  if (kept && kept->rules_generation != rules->generation) kept.reset();  // the rules changed: count afresh
  Kept result;
  result.rules_generation = rules->generation;
  result.read = read;
  result.counted_up_to = up_to;
  // A count made at a position before a receipt's event cannot be brought forward: the events
  // between that position and the receipt are read, and counting on would count them.
  if (kept && kept->read == read && read.highest() <= kept->counted_up_to && kept->counted_up_to <= up_to) {
    // Only the events since the last count; an own message among them starts its thread afresh.
    auto added = count_between(user_id, room_id, read, kept->counted_up_to, up_to);
    result.counts = std::move(added.counts);
    if (!added.all_closed)
      for (const auto& [thread, count] : kept->counts)
        if (!added.closed.count(thread)) result.counts[thread].add(count);
  } else {
    result.counts = count_between(user_id, room_id, read, read.unthreaded, up_to).counts;
  }
  RoomUnread unread;
  for (const auto& [thread, count] : result.counts) {
    if (count.notifications == 0 && count.highlights == 0) continue;
    unread.total.add(count);
    if (thread == kMainThread) unread.main = count;
    else unread.threads[thread] = count;
  }
  std::lock_guard lock(mutex_);
  if (kept_.size() >= kMaxKept) kept_.clear();  // a bound, not a policy: counts are rebuilt on demand
  kept_[key] = std::move(result);
  return unread;
}

}  // namespace domovoy
