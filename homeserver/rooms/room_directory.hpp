#pragma once
// Room aliases and the public room list: the one owner of alias_roomid, roomalias_flag and
// publicroom_flag. "Is this alias free? Then take it" is one step under its lock, and a new
// room's aliases can be staged into the room's own write (RoomEngine::create_room), so a room
// and its aliases exist together or not at all.
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace domovoy {

namespace storage {
class Database;
class WriteBatch;
}  // namespace storage

struct AliasRecord {
  std::string room_id;
  std::string creator;
};

class RoomDirectory {
 public:
  explicit RoomDirectory(storage::Database& database);

  std::optional<AliasRecord> lookup(const std::string& alias) const;
  // Aliases pointing at the room, in alias order.
  std::vector<std::string> aliases_of(const std::string& room_id) const;
  // Maps the alias to the room unless it is taken (then false).
  bool put_alias(const std::string& alias, const std::string& room_id, const std::string& creator);
  // False when there was no such alias.
  bool remove_alias(const std::string& alias);

  bool is_listed(const std::string& room_id) const;
  void set_listed(const std::string& room_id, bool listed);
  std::vector<std::string> listed_rooms() const;

  // For a room being created: held while its aliases are checked and its write is made.
  std::unique_lock<std::mutex> lock_aliases() { return std::unique_lock(alias_mutex_); }
  // Adds the alias rows to `batch`; the caller holds lock_aliases() and checked lookup().
  static void stage_alias(storage::WriteBatch& batch, const std::string& alias, const std::string& room_id,
                          const std::string& creator);
  static void stage_listed(storage::WriteBatch& batch, const std::string& room_id);
  static void stage_unlisted(storage::WriteBatch& batch, const std::string& room_id);
  // Points an existing alias (`record` as lookup() answered it) at another room, keeping who
  // made it; the caller holds lock_aliases().
  static void stage_moved_alias(storage::WriteBatch& batch, const std::string& alias, const AliasRecord& record,
                                const std::string& to_room_id);

 private:
  void build_room_index();

  storage::Database& database_;
  std::mutex alias_mutex_;
};

}  // namespace domovoy
