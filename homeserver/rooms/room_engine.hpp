#pragma once
// The room engine: builds, authorises, signs and persists events, serialised per room, and
// answers questions about rooms from the state at any event. It knows nothing of HTTP.
#include <boost/json/object.hpp>

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "homeserver/events/server_identity.hpp"
#include "homeserver/rooms/event.hpp"
#include "homeserver/rooms/relation_index.hpp"
#include "homeserver/rooms/state_store.hpp"
#include "homeserver/rooms/stream_tracker.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct EventDraft {
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;
  boost::json::object content;
  std::string txn_id;       // with txn_device: makes the send idempotent
  std::string txn_device;
  std::string redacts;      // for m.room.redaction: the event it redacts
};

struct MembershipRecord {
  std::string room_id;
  std::string membership;  // join, invite, leave, ban, knock
  std::string event_id;
  std::uint64_t stream = 0;
  bool forgotten = false;  // the user forgot the room after leaving it
};

// The stored form of a membership record (tables roomuser_membership, userroom_membership).
std::string membership_value(const MembershipRecord& record);

struct RoomMembersSummary {
  static constexpr std::size_t kFirstMembers = 6;  // enough for 5 heroes besides the viewer
  std::size_t joined = 0;
  std::size_t invited = 0;
  std::vector<std::string> first_members;  // joined or invited, in user id order
};

inline constexpr std::size_t kMaxPduBytes = 65536;
inline constexpr std::size_t kMaxIdentifierBytes = 255;

class RoomEngine {
 public:
  // Called after an event is durable, with the local users whose long-polls it should wake.
  using Listener = std::function<void(const EventPtr& event, const std::vector<std::string>& wake_users)>;

  RoomEngine(storage::Database& database, const ServerIdentity& identity, StreamTracker& stream, StateStore& states);
  // Listeners are added while the server is assembled, before any event is sent; each is told
  // of every event once it is visible in the stream, in no guaranteed order across rooms. They
  // are in-memory only: whatever must survive a crash follows the stream (EventStream) instead.
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

  // The relations between this engine's events (staged with each event it stores).
  const RelationIndex& relations() const { return relations_; }

  // Adds what belongs with a new room (its aliases, its directory entry) to the room's write.
  using AlsoWrite = std::function<void(storage::WriteBatch& batch, const std::string& room_id)>;

  // Creates a room: the create event, then each draft in order (the creator's join first), and
  // what `also_write` adds, all in one durable write. Returns the room id. Throws ApiError when a
  // draft is refused; then nothing is written.
  std::string create_room(const RoomVersion& version, const std::string& creator, boost::json::object creation_content,
                          const std::vector<EventDraft>& drafts, const AlsoWrite& also_write = {});

  // Builds an event on the room's current forward extremities, authorises it against the
  // current state, signs and persists it. Throws ApiError (403 M_FORBIDDEN, 404, 413).
  // With a txn id already used by the same device, returns the event sent then.
  EventPtr send(const std::string& room_id, const EventDraft& draft);

  EventPtr get_event(std::string_view event_id);
  bool room_exists(const std::string& room_id);
  const RoomVersion* room_version(const std::string& room_id);
  StatePtr current_state(const std::string& room_id);
  StatePtr state_at_group(std::uint64_t group) { return states_.load(group); }
  // The state event for a key in a given state, or null.
  EventPtr state_event(const StatePtr& state, std::string_view type, std::string_view state_key);
  std::string membership_in(const StatePtr& state, std::string_view user_id);
  // join/invite/... of user in room, "leave" when never a member.
  std::string current_membership(const std::string& room_id, std::string_view user_id);

  // Events of a room with after < stream <= up_to, oldest first (or newest first when
  // newest_first), at most `limit`.
  std::vector<EventPtr> room_events(const std::string& room_id, std::uint64_t after, std::uint64_t up_to,
                                    std::size_t limit, bool newest_first);
  // The last event of the room at or before stream position `at`.
  EventPtr last_event_at(const std::string& room_id, std::uint64_t at);
  std::vector<MembershipRecord> rooms_of_user(const std::string& user_id);
  std::optional<MembershipRecord> membership_record(const std::string& room_id, const std::string& user_id);
  // Marks a left room as forgotten for the user; false when they are still in it.
  bool forget(const std::string& room_id, const std::string& user_id);
  // Every room this server knows, for the public room list.
  std::vector<std::string> all_rooms();
  // Members (join) of a room in its current state.
  std::vector<std::string> joined_members(const std::string& room_id);
  bool is_joined(const std::string& room_id, const std::string& user_id);
  // Counts and the first members of the current state, kept as memberships change (no walk).
  RoomMembersSummary members_summary(const std::string& room_id);

  // ---- Federation (room_engine_federation.cpp) ----

  // The unsigned template of a membership event another server's user would send (make_join,
  // make_leave, make_knock): on the room's current extremities, with its auth events, checked
  // against the current state (a restricted join names the local user who authorises it).
  // Throws ApiError: 404 for an unknown room, 403 when the auth rules refuse it.
  boost::json::object membership_template(const std::string& room_id, const std::string& user_id,
                                          const std::string& membership);

  // An event built on the room's current extremities, authorised against its current state and
  // signed, but not stored: an invite of another server's user, which that server signs first.
  // Throws ApiError as send() does.
  std::shared_ptr<Event> build_signed_event(const std::string& room_id, const EventDraft& draft);

  // A local user's membership of a room of another server that this server is not in: an invite
  // (invite v2), kept with the stripped state the inviting server sent (in
  // unsigned.invite_room_state), or the leave that refused it (send_leave). At a stream position
  // of its own, so the user's /sync shows it and they may join or refuse.
  EventPtr store_remote_membership(std::shared_ptr<Event> event, std::optional<boost::json::array> invite_room_state);

  enum class RemoteOutcome { accepted, soft_failed, rejected, already_known };
  struct RemoteResult {
    RemoteOutcome outcome = RemoteOutcome::rejected;
    std::string reason;
    EventPtr event;
  };
  // Stores an event from another server whose format, signatures and content hash the caller
  // has checked (server-server-api "Checks performed on receipt of a PDU", steps 4-6): refused
  // unless its auth events are known and allow it; then authorised against the state before it
  // (resolved from its prev_events, or `state_before` when the caller had to fetch it), and
  // against the room's current state: an event that fails only the latter is soft-failed, kept
  // out of the timeline and of the forward extremities. A rejected event is kept as rejected.
  // Whether a join of `user_id` into this restricted room may be authorised by one of this
  // server's users: the join rule is restricted (or knock_restricted) and the user is joined or
  // invited already, or meets its allow conditions. Checked before this server co-signs a
  // restricted join another server sends (send_join), never trusting the join's own claim.
  bool may_authorise_restricted_join(const std::string& room_id, const std::string& user_id);

  // `sync` false: the write is durable at the next synced write of the database (its WAL is one
  // log), for the PDUs of one transaction, which is answered after a synced write of its own.
  RemoteResult accept_remote_event(const std::string& room_id, std::shared_ptr<Event> event,
                                   const std::optional<StateMap>& state_before = std::nullopt, bool sync = true);

  // A room this server joins through another (send_join's answer): the state before the join and
  // the auth chain, checked by the caller, kept as outliers; the state becomes the room's, and the
  // join is its first event here. For a room already known, the join is accepted onto it with
  // that state. Throws ApiError when the join is refused against that state.
  EventPtr join_remote_room(const RoomVersion& version, const std::string& room_id,
                            const std::vector<std::shared_ptr<Event>>& state,
                            const std::vector<std::shared_ptr<Event>>& auth_chain, std::shared_ptr<Event> join);

  // Keeps events fetched from another server as state or auth chain (checked by the caller), for
  // accept_remote_event's state_before to name; events already known are left as they are.
  void store_outliers(const std::vector<std::shared_ptr<Event>>& events);

  // The auth chain of these events (every event reachable through auth_events), ids only.
  std::vector<std::string> auth_chain_ids(const std::vector<std::string>& event_ids);
  // Whether the room's m.room.server_acl (none: every server) lets `server` take part.
  bool server_allowed_in(const std::string& room_id, std::string_view server);
  // The servers of the room's joined members.
  std::set<std::string> joined_servers(const std::string& room_id);
  // The room's forward extremities.
  std::vector<std::string> forward_extremities(const std::string& room_id);
  // The create event's id (for v12 rooms it is not among any auth_events).
  std::string create_event_id(const std::string& room_id);

  std::uint64_t current_stream() const { return stream_.current(); }
  StreamTracker& stream() { return stream_; }
  const ServerIdentity& identity() const { return identity_; }

 private:
  struct Room {
    std::mutex mutex;  // serialises event creation in this room (held across the durable write)
    // Guards what readers take from the room (state, members) so they never wait for a write:
    // taken briefly, by the writer only to publish what it has written.
    mutable std::mutex view_mutex;
    std::string room_id;
    const RoomVersion* version = nullptr;
    std::vector<std::string> forward_extremities;
    std::int64_t depth = 0;
    std::uint64_t state_group = 0;
    StatePtr state;  // written under both mutexes
    std::set<std::string> joined;   // members whose membership is join
    std::set<std::string> invited;  // and invite (both written under both mutexes)
  };

  // A room id held in creating_ until the creation (or remote join) that reserved it is done.
  struct Reservation {
    RoomEngine& engine;
    std::string room_id;
    ~Reservation();
  };

  // Where an event from another server goes: the state before it (from its prev_events, not
  // the room's current state), and the forward extremities that stay beside it.
  struct Placement {
    std::uint64_t group_before = 0;
    StatePtr state_before;
    std::vector<std::string> other_extremities;
  };

  // An event on its way to the database: what its write holds, and what the room becomes.
  struct StagedEvent {
    std::shared_ptr<Event> event;
    StatePtr new_state;  // the room's current state once the event is written
    std::uint64_t new_state_group = 0;
    std::vector<std::string> extremities;
    std::int64_t depth = 0;
    std::string membership;
    std::shared_ptr<Event> redacted_target;
  };

  void build_stream_index();
  void build_relation_index();
  std::shared_ptr<Room> load_room(const std::string& room_id);
  EventPtr persist(Room& room, std::shared_ptr<Event> event);
  // Adds the event's rows to `batch` at stream `position`; finds replaced state with find_event.
  // Without a placement, the event follows the room's current state and becomes its only extremity.
  StagedEvent stage(const Room& room, std::shared_ptr<Event> event, storage::WriteBatch& batch, std::uint64_t position,
                    const std::function<EventPtr(std::string_view)>& find_event, const Placement* placement = nullptr);
  // The state resolved from several (state_resolution.hpp), with this engine's events.
  StateMap resolve(const Room& room, const std::vector<StateMap>& states,
                   const std::function<EventPtr(std::string_view)>& find_event);
  // Writes an event known only as state or auth chain: no stream position, no timeline.
  void stage_outlier(storage::WriteBatch& batch, std::shared_ptr<Event> event);
  // Writes a refused event from another server, kept so that it is not fetched or accepted again.
  EventPtr keep_refused(std::shared_ptr<Event> event, bool soft_failed, const std::string& reason, bool sync);
  // Moves the room's in-memory view past the event (once written, or for a room no one sees yet).
  void apply_to_room(Room& room, const StagedEvent& staged);
  // After the write: caches the event and tells the listeners once its position is visible.
  void publish(const Room& room, const StagedEvent& staged, StreamTracker::Slot& slot);
  std::shared_ptr<Event> build_event(Room& room, const EventDraft& draft);
  bool is_local_self_join(const EventDraft& draft) const;
  std::string join_rule(const StatePtr& state);
  // Whether `user_id` is joined to one of the rooms the room's join rule allows.
  bool meets_allow_conditions(const StatePtr& state, const std::string& user_id);
  // Whether one of the rooms the room's join rule allows is a room this server has.
  bool knows_an_allowed_room(const StatePtr& state);
  // For a user joining a restricted room they are not invited to: checks the allow conditions
  // and names an authorising local user in the draft's content, or throws 403. For another
  // server's make_join (`for_other_server`), the failures another resident server might not
  // have are make_join's 400s: M_UNABLE_TO_AUTHORISE_JOIN when this server knows none of the
  // allowed rooms, M_UNABLE_TO_GRANT_JOIN when no local member may authorise.
  void authorise_restricted_join(const Room& room, EventDraft& join, bool for_other_server = false);
  void cache_event(const EventPtr& event);
  void replace_cached_event(const EventPtr& event);
  // The event a redaction removes content from, updated, when the redaction may be applied.
  std::shared_ptr<Event> redaction_target(const Room& room, const Event& redaction);
  std::string room_record(const Room& room) const;

  storage::Database& database_;
  const ServerIdentity& identity_;
  StreamTracker& stream_;
  StateStore& states_;
  RelationIndex relations_;
  std::vector<Listener> listeners_;

  std::mutex rooms_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Room>> rooms_;
  std::set<std::string> creating_;  // room ids reserved by a create_room still writing

  std::mutex cache_mutex_;
  std::list<std::string> event_lru_;
  std::unordered_map<std::string, std::pair<EventPtr, std::list<std::string>::iterator>> event_cache_;
  static constexpr std::size_t kEventCacheEntries = 20000;
};

}  // namespace domovoy
