#include "homeserver/rooms/room_directory.hpp"

#include "homeserver/core/json.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
constexpr std::string_view kRoomIndexBuiltKey = "directory.room_alias_index";

AliasRecord parse_alias(std::string_view value) {
  auto parsed = parse_stored_json(value);
  const auto& object = parsed.as_object();
  auto text = [&](std::string_view key) {
    const auto* member = object.if_contains(key);
    return member && member->is_string() ? std::string(member->as_string()) : std::string();
  };
  return {text("room_id"), text("creator")};
}
}  // namespace

RoomDirectory::RoomDirectory(storage::Database& database) : database_(database) {
  if (!database_.contains(Table::meta, kRoomIndexBuiltKey)) build_room_index();
}

void RoomDirectory::build_room_index() {
  // Schema 3 added roomalias_flag; aliases made before it are indexed once from alias_roomid.
  storage::WriteBatch batch;
  database_.scan_prefix(Table::alias_roomid, "", [&](std::string_view alias, std::string_view value) {
    batch.put(Table::roomalias_flag, storage::join_key({parse_alias(value).room_id, alias}), "");
    return true;
  });
  batch.put(Table::meta, kRoomIndexBuiltKey, "1");
  database_.write(std::move(batch));
}

std::optional<AliasRecord> RoomDirectory::lookup(const std::string& alias) const {
  auto stored = database_.get(Table::alias_roomid, alias);
  if (!stored) return std::nullopt;
  return parse_alias(*stored);
}

std::vector<std::string> RoomDirectory::aliases_of(const std::string& room_id) const {
  std::vector<std::string> aliases;
  auto prefix = storage::key_prefix({room_id});
  database_.scan_prefix(Table::roomalias_flag, prefix, [&](std::string_view key, std::string_view) {
    aliases.emplace_back(key.substr(prefix.size()));
    return true;
  });
  return aliases;
}

void RoomDirectory::stage_alias(storage::WriteBatch& batch, const std::string& alias, const std::string& room_id,
                                const std::string& creator) {
  batch.put(Table::alias_roomid, alias, to_json(boost::json::object{{"room_id", room_id}, {"creator", creator}}));
  batch.put(Table::roomalias_flag, storage::join_key({room_id, alias}), "");
}

void RoomDirectory::stage_listed(storage::WriteBatch& batch, const std::string& room_id) {
  batch.put(Table::publicroom_flag, room_id, "");
}

void RoomDirectory::stage_unlisted(storage::WriteBatch& batch, const std::string& room_id) {
  batch.remove(Table::publicroom_flag, room_id);
}

void RoomDirectory::stage_moved_alias(storage::WriteBatch& batch, const std::string& alias, const AliasRecord& record,
                                      const std::string& to_room_id) {
  batch.remove(Table::roomalias_flag, storage::join_key({record.room_id, alias}));
  stage_alias(batch, alias, to_room_id, record.creator);
}

bool RoomDirectory::put_alias(const std::string& alias, const std::string& room_id, const std::string& creator) {
  auto lock = lock_aliases();
  if (lookup(alias)) return false;
  storage::WriteBatch batch;
  stage_alias(batch, alias, room_id, creator);
  database_.write(std::move(batch));
  return true;
}

bool RoomDirectory::remove_alias(const std::string& alias) {
  auto lock = lock_aliases();
  auto record = lookup(alias);
  if (!record) return false;
  storage::WriteBatch batch;
  batch.remove(Table::alias_roomid, alias);
  batch.remove(Table::roomalias_flag, storage::join_key({record->room_id, alias}));
  database_.write(std::move(batch));
  return true;
}

bool RoomDirectory::is_listed(const std::string& room_id) const {
  return database_.contains(Table::publicroom_flag, room_id);
}

void RoomDirectory::set_listed(const std::string& room_id, bool listed) {
  storage::WriteBatch batch;
  if (listed) stage_listed(batch, room_id);
  else stage_unlisted(batch, room_id);
  database_.write(std::move(batch));
}

std::vector<std::string> RoomDirectory::listed_rooms() const {
  std::vector<std::string> rooms;
  database_.scan_prefix(Table::publicroom_flag, "", [&](std::string_view key, std::string_view) {
    rooms.emplace_back(key);
    return true;
  });
  return rooms;
}

}  // namespace domovoy
