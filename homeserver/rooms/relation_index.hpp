#pragma once
// Event relations (client-server-api "Forming relationships between events", "Threading",
// "Event replacements", "Reference relations", "Event annotations"): an index of each event's
// children by relation type and stream position, a summary per thread (its latest event, its
// size, who took part) and the room's threads ordered by their latest activity. The room engine
// stages an event's entries into the batch that stores the event, under the room's lock, so the
// index never disagrees with the timeline.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "homeserver/rooms/event.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct Relation {
  std::string rel_type;
  std::string parent_id;
  std::string key;  // an m.annotation's key
};

// The relation an event's content declares (m.relates_to with rel_type and event_id; a reply's
// m.in_reply_to alone is no relation), if any.
std::optional<Relation> relation_of(const Event& event);
std::optional<Relation> relation_of(const boost::json::object& content);

// The thread an event is in (client-server-api "Threaded read receipts"): the root's event id
// for an m.thread relation or an event related to one within three hops, otherwise the main
// timeline (thread roots included). `find` looks up the parents.
inline constexpr std::string_view kMainThread = "main";
std::string thread_of(const Event& event, const std::function<EventPtr(std::string_view event_id)>& find);

struct RelatedEvent {
  std::string event_id;
  std::string rel_type;
  std::string type;
  std::string sender;
  std::uint64_t stream = 0;
};

struct ThreadSummary {
  std::string latest_event_id;
  std::uint64_t latest_stream = 0;
  std::uint64_t count = 0;
};

class RelationIndex {
 public:
  explicit RelationIndex(storage::Database& database) : database_(database) {}

  // Adds the event's relation (when its parent is `parent`, an event of the same room) to the batch.
  void stage(storage::WriteBatch& batch, const Event& event, const Relation& relation, const Event& parent);
  // The same for an event stored before the index had all its tables: stages what the index
  // lacks of the event (all of it, or its annotation entry). True when a thread's summary changed.
  bool stage_missing(storage::WriteBatch& batch, const Event& event, const Relation& relation, const Event& parent);

  // Children of `parent_id`, newest first when `newest_first`, with stream in (after, before);
  // rel_type empty: every type. At most `limit`.
  std::vector<RelatedEvent> children(const std::string& room_id, const std::string& parent_id,
                                     const std::string& rel_type, std::uint64_t after, std::uint64_t before,
                                     std::size_t limit, bool newest_first) const;
  bool has_children(const std::string& room_id, const std::string& parent_id) const;

  // The user's annotation of `parent_id` with this event type and key (client-server-api
  // "Avoiding duplicate annotations"), if any; it may have been redacted since.
  std::optional<std::string> annotation(const std::string& room_id, const std::string& parent_id,
                                        const std::string& type, const std::string& sender,
                                        const std::string& key) const;

  std::optional<ThreadSummary> thread(const std::string& room_id, const std::string& root_id) const;
  bool took_part(const std::string& room_id, const std::string& root_id, const std::string& user_id) const;
  // Thread roots by latest activity, newest first, with activity below `before`.
  std::vector<std::pair<std::string, std::uint64_t>> threads(const std::string& room_id, std::uint64_t before,
                                                             std::size_t limit) const;

 private:
  storage::Database& database_;
};

}  // namespace domovoy
