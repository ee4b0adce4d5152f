#include "storage/database.hpp"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <array>

#include "storage/key_codec.hpp"

namespace domovoy::storage {

namespace {
constexpr std::array<std::string_view, static_cast<std::size_t>(Table::count_)> kTableNames = {
    "default",  // meta lives in RocksDB's default family
    "eventid_event",       "roomstream_eventid",  "stategroup_delta",     "roomuser_membership",
    "userroom_membership", "roomid_room",         "userid_account",       "tokenhash_session",
    "userdevice_device",   "useraccountdata_data", "userfilter_filter",   "txn_eventid",
    "alias_roomid",        "publicroom_flag",     "roomreceipt_receipt",  "streampos_kind",
    "roomstream_receipt",  "userstream_accountdata",
    "usertoken_deviceid",  "registrationtoken_uses",
    "stream_eventid",      "consumer_position",   "roomalias_flag",       "creationkey_roomid",
    "registry_entry",      "codehash_code",       "userverification_verification", "buildingresident_flag",
    "expiry_verification", "verificationrequest_request", "housing_pending",
    "botdone_flag",        "botoutbox_message",   "botdm_roomid",         "usersetting_setting",
    "meterreading_reading", "ticket_ticket",      "userticket_flag",      "meeting_meeting",
    "meetingballot_ballot", "accountperiod_bill", "payment_payment",      "reminder_flag",
    "buildingnotice_notice",
    "userdevice_keys",     "userdevice_onetimekey", "userdevice_fallbackkey", "usercrosssigning_key",
    "stream_devicelist",   "userdevice_todevice", "todevicetxn_flag",     "userbackup_version",
    "userbackup_key",      "mediaid_media",       "mediathumbnail_thumbnail", "usermedia_size",
    "eventrelation_child", "roomthread_summary",  "roomthread_activity",  "threadparticipant_flag",
    "openidtoken_user",    "report_report",       "userpusher_pusher",    "pusherqueue_notification",
    "annotation_eventid",  "servername_keys",     "origintxn_result",     "destinationqueue_pdu",
    "destination_state",
};
constexpr std::string_view kSchemaKey = "schema_version";

void check(const rocksdb::Status& status, std::string_view what) {
  if (!status.ok()) throw StorageError(std::string(what) + ": " + status.ToString());
}

// Forward migrations: migrations[i] brings a database from schema i+1 to i+2.
using Migration = void (*)(rocksdb::DB&);

// 1 -> 2 adds usertoken_deviceid, registrationtoken_uses, roomstream_receipt and
// userstream_accountdata. Open creates missing families, and all start empty: each index is
// derived by the store that owns its table (AccountStore, ReceiptStore, AccountDataStore read
// JSON that storage does not interpret), and no registration token was counted. The version
// still moves so that an older binary refuses this directory by its version.
void add_index_tables(rocksdb::DB&) {}

// 2 -> 3 adds stream_eventid, consumer_position, roomalias_flag, creationkey_roomid and the
// housing tables (registry_entry ... housing_pending, empty until a registry is imported), empty
// like the others: the room engine derives stream_eventid from roomstream_eventid and the room
// directory derives roomalias_flag from alias_roomid, each once, behind a meta flag.
void add_stream_tables(rocksdb::DB&) {}

// 3 -> 4 adds the tables of the housing appservices' own database (botdone_flag ...
// buildingnotice_notice). The homeserver never writes them; one table list keeps one door to
// RocksDB for both processes, and the version moves so that an older binary refuses the directory.
void add_housing_process_tables(rocksdb::DB&) {}

// 4 -> 5 adds the end-to-end encryption tables (userdevice_keys ... userbackup_key) and the
// media repository's (mediaid_media ... usermedia_size) and the relation index's
// (eventrelation_child ... threadparticipant_flag), openidtoken_user, report_report and the
// pushers' tables (userpusher_pusher, pusherqueue_notification), empty:
// none existed before. The room engine indexes the relations of events stored before schema 5,
// once, behind a meta flag.
void add_encryption_tables(rocksdb::DB&) {}

// 5 -> 6 adds annotation_eventid (who annotated what with which key, to refuse a duplicate),
// empty: the room engine adds the annotations sent before it with the older relations.
void add_annotation_table(rocksdb::DB&) {}

// 6 -> 7 adds federation's tables (servername_keys ... destination_state), empty: no other server
// had been talked to.
void add_federation_tables(rocksdb::DB&) {}

constexpr std::array<Migration, 6> kMigrations{&add_index_tables,      &add_stream_tables,     &add_housing_process_tables,
                                               &add_encryption_tables, &add_annotation_table,  &add_federation_tables};
}  // namespace

std::string_view table_name(Table table) { return kTableNames[static_cast<std::size_t>(table)]; }

void WriteBatch::put(Table table, std::string_view key, std::string_view value) {
  pending_.push_back({table, {std::string(key), std::string(value)}});
}
void WriteBatch::remove(Table table, std::string_view key) {
  pending_.push_back({table, {std::string(key), std::nullopt}});
}
void WriteBatch::append(WriteBatch&& other) {
  for (auto& entry : other.pending_) pending_.push_back(std::move(entry));
  other.pending_.clear();
}

std::size_t WriteBatch::size_bytes() const {
  std::size_t total = 0;
  for (const auto& [table, kv] : pending_) total += kv.first.size() + (kv.second ? kv.second->size() : 0);
  return total;
}

std::unique_ptr<Database> Database::open(const DatabaseOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_open_files = 512;
  db_options.keep_log_file_num = 3;
  // Group commit: concurrent synced writers share one WAL fsync.
  db_options.enable_pipelined_write = true;
  db_options.enable_write_thread_adaptive_yield = false;
  // Bound the write-ahead log: a rarely written family would otherwise keep every WAL file alive
  // and a restart (or a recovery after kill -9) would replay all of them.
  db_options.max_total_wal_size = 64 << 20;

  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_mb << 20);
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions family_options;
  family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  family_options.compression = rocksdb::kLZ4Compression;
  family_options.write_buffer_size = 16 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (auto name : kTableNames) families.emplace_back(std::string(name), family_options);

  auto database = std::unique_ptr<Database>(new Database());  // private constructor
  database->sync_writes_ = options.sync_writes;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(rocksdb::DBOptions(db_options), options.path, families, &database->handles_, &raw);
  if (status.IsInvalidArgument() && status.ToString().find("column famil") != std::string::npos) {
    throw IncompatibleSchema("data directory " + options.path + " holds column families of another schema: " +
                             status.ToString());
  }
  check(status, "opening database at " + options.path);
  database->db_.reset(raw);
  database->migrate();
  return database;
}

Database::~Database() {
  if (db_) {
    // A clean stop leaves nothing to replay, so the next start is quick.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    db_->Flush(flush, handles_);
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
  }
}

rocksdb::ColumnFamilyHandle* Database::handle(Table table) const { return handles_[static_cast<std::size_t>(table)]; }

void Database::migrate() {
  auto stored = get(Table::meta, kSchemaKey);
  std::uint64_t version = 0;
  if (stored) {
    if (stored->size() != 8) throw IncompatibleSchema("schema version key is corrupt");
    version = read_be64(*stored);
  } else {
    // A fresh database (no events at all) starts at the current schema.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(Table::eventid_event)));
    it->SeekToFirst();
    if (it->Valid()) throw IncompatibleSchema("database has events but no schema version");
    WriteBatch batch;
    batch.put(Table::meta, kSchemaKey, be64(kSchemaVersion));
    write(std::move(batch));
    return;
  }
  if (version > kSchemaVersion) {
    throw IncompatibleSchema("data directory has schema version " + std::to_string(version) +
                             ", this domovoy understands up to " + std::to_string(kSchemaVersion));
  }
  if (version == 0) throw IncompatibleSchema("schema version 0 is not a Domovoy schema");
  while (version < kSchemaVersion) {
    kMigrations[version - 1](*db_);
    ++version;
    WriteBatch batch;
    batch.put(Table::meta, kSchemaKey, be64(version));
    write(std::move(batch));
  }
}

std::uint64_t Database::schema_version() const {
  auto stored = get(Table::meta, kSchemaKey);
  return stored ? read_be64(*stored) : 0;
}

std::optional<std::string> Database::get(Table table, std::string_view key) const {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), handle(table), rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::nullopt;
  check(status, "get");
  return value;
}

void Database::scan_prefix(Table table, std::string_view prefix, const Visitor& visit) const {
  scan_from(table, prefix, prefix, visit);
}

void Database::scan_from(Table table, std::string_view prefix, std::string_view start, const Visitor& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(table)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    auto key = it->key();
    std::string_view key_view(key.data(), key.size());
    if (key_view.substr(0, prefix.size()) != prefix) break;
    auto value = it->value();
    if (!visit(key_view, std::string_view(value.data(), value.size()))) break;
  }
  check(it->status(), "scan");
}

void Database::scan_reverse(Table table, std::string_view prefix, std::string_view start, const Visitor& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(table)));
  if (start.empty()) {
    // Seek just past the prefix: the prefix followed by 0xff bytes is greater than any key under it.
    std::string upper(prefix);
    upper.append(64, '\xff');
    it->SeekForPrev(upper);
  } else {
    it->SeekForPrev(rocksdb::Slice(start.data(), start.size()));
  }
  for (; it->Valid(); it->Prev()) {
    auto key = it->key();
    std::string_view key_view(key.data(), key.size());
    if (key_view.substr(0, prefix.size()) != prefix) break;
    auto value = it->value();
    if (!visit(key_view, std::string_view(value.data(), value.size()))) break;
  }
  check(it->status(), "reverse scan");
}

void Database::write(WriteBatch&& batch, bool sync) {
  rocksdb::WriteBatch rocks_batch;
  for (const auto& [table, kv] : batch.pending_) {
    if (kv.second) {
      check(rocks_batch.Put(handle(table), kv.first, *kv.second), "batch put");
    } else {
      check(rocks_batch.Delete(handle(table), kv.first), "batch delete");
    }
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync_writes_ && sync;
  check(db_->Write(write_options, &rocks_batch), "write");
}

std::uint64_t Database::approximate_live_keys(Table table) const {
  std::uint64_t keys = 0;
  db_->GetIntProperty(handle(table), "rocksdb.estimate-num-keys", &keys);
  return keys;
}

}  // namespace domovoy::storage
