#include "homeserver/rooms/relation_index.hpp"

#include <algorithm>

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
constexpr std::size_t kMaxRelTypeBytes = 255;

std::string activity_key(std::string_view room_id, std::uint64_t stream, std::string_view root_id) {
  return storage::key_prefix({room_id}) + storage::be64(stream) + storage::kKeySeparator + std::string(root_id);
}

std::string child_key(const Event& event, const Relation& relation) {
  return storage::join_key({event.room_id, relation.parent_id, relation.rel_type}) + storage::kKeySeparator +
         storage::be64(event.stream);
}
bool has_annotation_key(const Relation& relation) { return relation.rel_type == "m.annotation" && !relation.key.empty(); }
std::string annotation_key(const Event& event, const Relation& relation) {
  return storage::join_key({event.room_id, relation.parent_id, event.type, event.sender, relation.key});
}
}  // namespace

std::optional<Relation> relation_of(const Event& event) { return relation_of(event.content()); }

std::optional<Relation> relation_of(const json::object& content) {
  const auto* relates = content.if_contains("m.relates_to");
  if (!relates || !relates->is_object()) return std::nullopt;
  const auto& object = relates->as_object();
  const auto* rel_type = object.if_contains("rel_type");
  const auto* parent = object.if_contains("event_id");
  if (!rel_type || !rel_type->is_string() || !parent || !parent->is_string()) return std::nullopt;
  if (rel_type->as_string().empty() || rel_type->as_string().size() > kMaxRelTypeBytes) return std::nullopt;
  if (parent->as_string().empty() || parent->as_string().find('\0') != std::string::npos) return std::nullopt;
  if (rel_type->as_string().find('\0') != std::string::npos) return std::nullopt;
  Relation relation{std::string(rel_type->as_string()), std::string(parent->as_string()), {}};
  if (const auto* key = object.if_contains("key"); key && key->is_string() && key->as_string().find('\0') == std::string::npos)
    relation.key = std::string(key->as_string());
  return relation;
}

std::string thread_of(const Event& event, const std::function<EventPtr(std::string_view event_id)>& find) {
  auto relation = relation_of(event);
  for (int hop = 0; relation && hop < 3; ++hop) {
    if (relation->rel_type == "m.thread") return relation->parent_id;
    auto parent = find(relation->parent_id);
    if (!parent) break;
    relation = relation_of(*parent);
  }
  return std::string(kMainThread);
}

bool RelationIndex::stage_missing(storage::WriteBatch& batch, const Event& event, const Relation& relation,
                                  const Event& parent) {
  if (!database_.contains(Table::eventrelation_child, child_key(event, relation))) {
    stage(batch, event, relation, parent);
    return relation.rel_type == "m.thread";
  }
  if (has_annotation_key(relation) && !database_.contains(Table::annotation_eventid, annotation_key(event, relation)))
    batch.put(Table::annotation_eventid, annotation_key(event, relation), event.event_id);
  return false;
}

void RelationIndex::stage(storage::WriteBatch& batch, const Event& event, const Relation& relation, const Event& parent) {
  batch.put(Table::eventrelation_child, child_key(event, relation),
            to_json(json::object{{"event_id", event.event_id}, {"type", event.type}, {"sender", event.sender}}));
  if (has_annotation_key(relation)) batch.put(Table::annotation_eventid, annotation_key(event, relation), event.event_id);
  if (relation.rel_type != "m.thread") return;
  // The thread's summary, its participants (the root's sender too) and its place among the
  // room's threads by latest activity.
  auto summary = thread(event.room_id, relation.parent_id).value_or(ThreadSummary{});
  if (summary.latest_stream)
    batch.remove(Table::roomthread_activity, activity_key(event.room_id, summary.latest_stream, relation.parent_id));
  summary.count += 1;
  summary.latest_event_id = event.event_id;
  summary.latest_stream = event.stream;
  batch.put(Table::roomthread_summary, storage::join_key({event.room_id, relation.parent_id}),
            to_json(json::object{{"latest_event_id", summary.latest_event_id},
                                 {"latest_stream", summary.latest_stream},
                                 {"count", summary.count}}));
  batch.put(Table::roomthread_activity, activity_key(event.room_id, summary.latest_stream, relation.parent_id), "");
  for (const auto* user : {&event.sender, &parent.sender})
    batch.put(Table::threadparticipant_flag, storage::join_key({event.room_id, relation.parent_id, *user}), "");
}

std::optional<std::string> RelationIndex::annotation(const std::string& room_id, const std::string& parent_id,
                                                     const std::string& type, const std::string& sender,
                                                     const std::string& key) const {
  return database_.get(Table::annotation_eventid, storage::join_key({room_id, parent_id, type, sender, key}));
}

std::vector<RelatedEvent> RelationIndex::children(const std::string& room_id, const std::string& parent_id,
                                                  const std::string& rel_type, std::uint64_t after,
                                                  std::uint64_t before, std::size_t limit, bool newest_first) const {
  std::vector<RelatedEvent> found;
  // Children of one type, in order, within (after, before): at most `limit` of them, which is
  // also enough for the merge of several types.
  auto collect = [&](const std::string& prefix, std::string_view type) {
    std::size_t taken = 0;
    auto visit = [&](std::string_view key, std::string_view value) {
      auto stream = storage::read_be64(key.substr(prefix.size()));
      if (newest_first ? stream <= after : stream >= before) return false;  // past the window
      if (stream <= after || stream >= before) return true;                // not yet in it
      auto object = parse_stored_json(value).as_object();
      found.push_back({std::string(object["event_id"].as_string()), std::string(type),
                       std::string(object["type"].as_string()), std::string(object["sender"].as_string()), stream});
      return ++taken < limit;
    };
    if (limit == 0 || before <= after + 1) return;
    if (newest_first) {
      database_.scan_reverse(Table::eventrelation_child, prefix, prefix + storage::be64(before - 1), visit);
    } else {
      database_.scan_from(Table::eventrelation_child, prefix, prefix + storage::be64(after + 1), visit);
    }
  };
  if (!rel_type.empty()) {
    collect(storage::key_prefix({room_id, parent_id, rel_type}), rel_type);
    return found;
  }
  // Every relation type: each type's children, merged by stream position.
  std::vector<std::string> types;
  auto parent_prefix = storage::key_prefix({room_id, parent_id});
  database_.scan_prefix(Table::eventrelation_child, parent_prefix, [&](std::string_view key, std::string_view) {
    auto rest = key.substr(parent_prefix.size());
    auto type = std::string(rest.substr(0, rest.find(storage::kKeySeparator)));
    if (types.empty() || types.back() != type) types.push_back(type);
    return types.size() < 64;
  });
  for (const auto& type : types) collect(storage::key_prefix({room_id, parent_id, type}), type);
  std::sort(found.begin(), found.end(), [&](const RelatedEvent& a, const RelatedEvent& b) {
    return newest_first ? a.stream > b.stream : a.stream < b.stream;
  });
  if (found.size() > limit) found.resize(limit);
  return found;
}

bool RelationIndex::has_children(const std::string& room_id, const std::string& parent_id) const {
  bool any = false;
  database_.scan_prefix(Table::eventrelation_child, storage::key_prefix({room_id, parent_id}),
                        [&](std::string_view, std::string_view) {
                          any = true;
                          return false;
                        });
  return any;
}

std::optional<ThreadSummary> RelationIndex::thread(const std::string& room_id, const std::string& root_id) const {
  auto stored = database_.get(Table::roomthread_summary, storage::join_key({room_id, root_id}));
  if (!stored) return std::nullopt;
  auto object = parse_stored_json(*stored).as_object();
  return ThreadSummary{std::string(object["latest_event_id"].as_string()),
                       object["latest_stream"].to_number<std::uint64_t>(), object["count"].to_number<std::uint64_t>()};
}

bool RelationIndex::took_part(const std::string& room_id, const std::string& root_id, const std::string& user_id) const {
  return database_.contains(Table::threadparticipant_flag, storage::join_key({room_id, root_id, user_id}));
}

std::vector<std::pair<std::string, std::uint64_t>> RelationIndex::threads(const std::string& room_id,
                                                                          std::uint64_t before, std::size_t limit) const {
  std::vector<std::pair<std::string, std::uint64_t>> roots;
  auto prefix = storage::key_prefix({room_id});
  if (before == 0) return roots;
  auto start = prefix + storage::be64(before - 1) + '\xff';
  database_.scan_reverse(Table::roomthread_activity, prefix, start, [&](std::string_view key, std::string_view) {
    auto rest = key.substr(prefix.size());
    roots.emplace_back(std::string(rest.substr(9)), storage::read_be64(rest));
    return roots.size() < limit;
  });
  return roots;
}

}  // namespace domovoy
