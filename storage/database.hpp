#pragma once
// The only door to RocksDB. Every table is a column family named `<key>_<value>`, so a reader
// knows what it maps at a glance; see docs/architecture.md for the keyspace.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Snapshot;
}  // namespace rocksdb

namespace domovoy::storage {

enum class Table : std::size_t {
  meta,                  // "schema_version", signing key, counters
  eventid_event,         // event id -> stored event record (JSON)
  roomstream_eventid,    // room id \0 be64(stream) -> event id   (timeline in stream order)
  stategroup_delta,      // be64(state group) -> delta against its parent (JSON)
  roomuser_membership,   // room id \0 user id -> membership record (JSON)
  userroom_membership,   // user id \0 room id -> membership record (JSON)
  roomid_room,           // room id -> room record: version, forward extremities, state group (JSON)
  userid_account,        // user id -> account record (JSON)
  tokenhash_session,     // sha256(access token) -> session (user id, device id)
  userdevice_device,     // user id \0 device id -> device record (JSON)
  useraccountdata_data,  // user id \0 room id ("" for global) \0 type -> {stream, content}
  userfilter_filter,     // user id \0 be64(filter id) -> filter JSON
  txn_eventid,           // user id \0 device id \0 txn id -> event id
  alias_roomid,          // room alias -> {room_id, creator}
  publicroom_flag,       // room id -> "" when listed in the public directory
  roomreceipt_receipt,   // room id \0 receipt type \0 user id -> {event_id, ts, stream}
  streampos_kind,        // be64(stream position) -> what was written there ("event", "receipt", ...)
  roomstream_receipt,    // room id \0 be64(stream) -> the receipt written there (JSON)
  userstream_accountdata,  // user id \0 be64(stream) -> room id \0 type written there
  usertoken_deviceid,    // user id \0 sha256(access token) -> device id (every token of a user)
  registrationtoken_uses,  // registration token -> {completed} (registrations that used it)
  stream_eventid,        // be64(stream position) -> room id \0 event id (the stream durable consumers follow)
  consumer_position,     // consumer name -> be64(last stream position it has handled), and its pending work
  roomalias_flag,        // room id \0 alias -> "" (the aliases of a room, beside alias_roomid)
  creationkey_roomid,    // idempotency key of a room created by the server itself -> room id
  registry_entry,        // "region" | "building\0<id>" | "rooms\0<building id>" | ... -> JSON (housing registry)
  codehash_code,         // sha256(normalised verification code) -> {building_id, apartment, role, expires_at, used_by}
  userverification_verification,  // user \0 building id \0 apartment -> verification (JSON)
  buildingresident_flag,  // building id \0 user \0 apartment -> "" (residents of a building)
  expiry_verification,   // be64(expires_at ms) \0 user \0 building \0 apartment -> "" (expiry order)
  verificationrequest_request,  // request id -> request for the council chair (JSON)
  housing_pending,       // "user\0<id>" | "building\0<id>" -> "" : membership or provisioning work not yet done
  // The housing appservices' own database (`domovoy housing --data-dir`): empty in the homeserver's.
  botdone_flag,          // "txn\0<txnId>" | "event\0<event id>" -> "" : transactions and commands already handled
  botoutbox_message,     // be64(seq) -> a reply not yet sent (JSON: as_user, room_id or dm_with, content)
  botdm_roomid,          // bot user \0 resident user -> the direct room between them
  usersetting_setting,   // user id \0 name -> value ("language", "mute")
  meterreading_reading,  // building \0 apartment \0 meter key \0 be64(taken_at ms) -> reading (JSON)
  ticket_ticket,         // be64(number) -> repair request (JSON)
  userticket_flag,       // user id \0 be64(number) -> "" (a resident's requests)
  meeting_meeting,       // "meeting\0" be64(number) -> owners' meeting (JSON); "poll\0<event id>" -> its poll's question
  meetingballot_ballot,  // be64(meeting) \0 owner key -> ballot (JSON)
  accountperiod_bill,    // personal account \0 "YYYY-MM" -> bill (JSON)
  payment_payment,       // "acct\0<account>\0<id>" -> payment (JSON); "id\0<id>" -> account; "pending\0<id>" -> ""
  reminder_flag,         // user id \0 cause -> "" (reminders already sent)
  buildingnotice_notice, // building id \0 kind \0 be64(published ms) -> published information (JSON)
  // End-to-end encryption: the server stores and routes keys and messages, never decrypts them.
  userdevice_keys,       // user id \0 device id -> the device's identity keys as uploaded, signatures merged (JSON)
  userdevice_onetimekey, // user id \0 device id \0 "<algorithm>:<key id>" -> one-time key (JSON)
  userdevice_fallbackkey,  // user id \0 device id \0 algorithm -> {key_id, key, used}
  usercrosssigning_key,  // user id \0 "master" | "self_signing" | "user_signing" -> cross-signing key (JSON)
  stream_devicelist,     // be64(stream position) -> user id whose device list (or cross-signing keys) changed
  userdevice_todevice,   // user id \0 device id \0 be64(stream) -> to-device message {type, sender, content}
  todevicetxn_flag,      // sender \0 device id \0 txn id -> "" (sendToDevice transactions already done)
  userbackup_version,    // user id \0 be64(version) -> key backup version {algorithm, auth_data, etag, count}
  userbackup_key,        // user id \0 be64(version) \0 room id \0 session id -> backed-up room key (JSON)
  // The media repository: file bodies live on disk under their sha256, these tables say what they are.
  mediaid_media,         // local media id -> {user_id, content_type, filename, sha256, size, created_ts, pending, expires_ts}
  mediathumbnail_thumbnail,  // media id \0 "<w>x<h>-<method>[-animated]" -> {sha256, content_type, size}
  usermedia_size,        // user id \0 media id -> be64(bytes) (a user's uploads, for quota and listing)
  // Relations between events (RelationIndex), written with the child event.
  eventrelation_child,   // room id \0 parent event id \0 rel_type \0 be64(stream) -> {event_id, type, sender}
  roomthread_summary,    // room id \0 thread root id -> {latest_event_id, latest_stream, count}
  roomthread_activity,   // room id \0 be64(latest stream) \0 thread root id -> "" (threads by latest activity)
  threadparticipant_flag,  // room id \0 thread root id \0 user id -> "" (sent in the thread, or its root)
  openidtoken_user,      // sha256(OpenID token) -> {user_id, expires_ts} (widgets' proof of identity)
  report_report,         // be64(report id) -> a report of an event or a room, for the server's admins (JSON)
  userpusher_pusher,     // user id \0 app id \0 pushkey -> pusher (JSON: kind, data, names, lang, created)
  pusherqueue_notification,  // user id \0 app id \0 pushkey \0 be64(seq) -> a notification for its push gateway
  annotation_eventid,    // room id \0 parent event id \0 type \0 sender \0 key -> the annotation's event id
  // Federation.
  servername_keys,       // server name -> its signing keys as last fetched and checked (JSON: valid_until_ts, verify_keys, old_verify_keys)
  origintxn_result,      // origin server \0 txn id -> the answer given to that /send (JSON)
  destinationqueue_pdu,  // destination server \0 be64(seq) -> event id waiting to be sent there
  destination_state,     // destination server -> {next_seq, txn: the transaction being sent (id, up to seq)}
  count_
};

std::string_view table_name(Table table);

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by Database::open when the data directory belongs to a newer or unknown schema.
class IncompatibleSchema : public StorageError {
 public:
  using StorageError::StorageError;
};

// Writes gathered for one atomic, durable Database::write.
class WriteBatch {
 public:
  bool empty() const { return pending_.empty(); }
  void put(Table table, std::string_view key, std::string_view value);
  void remove(Table table, std::string_view key);
  // Moves the other batch's writes after this one's (one write for several units of work, each
  // staged on its own so a failing one leaves nothing behind).
  void append(WriteBatch&& other);
  std::size_t size_bytes() const;

 private:
  friend class Database;
  std::vector<std::pair<Table, std::pair<std::string, std::optional<std::string>>>> pending_;
};

struct DatabaseOptions {
  std::string path;
  bool sync_writes = true;       // fsync the WAL before a write returns: what makes a 200 durable
  std::size_t block_cache_mb = 64;
};

class Database {
 public:
  static constexpr std::uint64_t kSchemaVersion = 7;

  // Opens (creating if missing) the database and brings its schema up to kSchemaVersion.
  // Throws IncompatibleSchema for a database written by a newer schema.
  static std::unique_ptr<Database> open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  std::optional<std::string> get(Table table, std::string_view key) const;
  bool contains(Table table, std::string_view key) const { return get(table, key).has_value(); }

  // Calls visit(key, value) for each key starting with prefix, in key order (or reverse order),
  // beginning at `start` (inclusive) when given. Stops when visit returns false.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  void scan_prefix(Table table, std::string_view prefix, const Visitor& visit) const;
  void scan_from(Table table, std::string_view prefix, std::string_view start, const Visitor& visit) const;
  // Reverse scan over keys with `prefix`, starting at the greatest key <= `start`
  // (or the greatest key under the prefix when start is empty).
  void scan_reverse(Table table, std::string_view prefix, std::string_view start, const Visitor& visit) const;

  // Applies the batch atomically. With sync_writes the WAL is fsynced before returning; concurrent
  // writers are grouped by RocksDB into one WAL sync (group commit). `sync` false skips the
  // fsync: the WAL is one sequential log, so the batch becomes durable with the next synced
  // write, which a run of writes answered together (a federation transaction) ends with.
  void write(WriteBatch&& batch, bool sync = true);

  std::uint64_t schema_version() const;
  std::uint64_t approximate_live_keys(Table table) const;

 private:
  Database() = default;
  void migrate();
  rocksdb::ColumnFamilyHandle* handle(Table table) const;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned by db_, released in ~Database
  bool sync_writes_ = true;
};

}  // namespace domovoy::storage
