#pragma once
// Server-side key backup (client-server-api "Server-side key backups"): versions of a user's
// backup, each with its algorithm and auth data, and the encrypted room keys stored in them. The
// server keeps what it cannot read; it only picks, per session, the better of two copies by the
// spec's rule (verified, then the lower first message index, then the fewer forwards).
#include <boost/json/object.hpp>

#include <array>
#include <mutex>
#include <optional>
#include <string>

#include "storage/database.hpp"

namespace domovoy {

struct BackupVersion {
  std::string version;
  std::string algorithm;
  boost::json::object auth_data;
  std::uint64_t etag = 0;
  std::uint64_t count = 0;
};

struct BackupTotals {
  std::uint64_t etag = 0;
  std::uint64_t count = 0;
};

class KeyBackupStore {
 public:
  explicit KeyBackupStore(storage::Database& database) : database_(database) {}

  std::string create_version(const std::string& user_id, const std::string& algorithm,
                             const boost::json::object& auth_data);
  std::optional<BackupVersion> latest(const std::string& user_id) const;
  std::optional<BackupVersion> version(const std::string& user_id, const std::string& version) const;
  // Throws 404 M_NOT_FOUND for an unknown version, 400 M_INVALID_PARAM for another algorithm.
  void update_version(const std::string& user_id, const std::string& version, const std::string& algorithm,
                      const boost::json::object& auth_data);
  // Deletes the version and every key in it; false when it does not exist.
  bool delete_version(const std::string& user_id, const std::string& version);

  // `rooms`: {room id: {"sessions": {session id: key data}}}. Only into the current version:
  // 403 M_WRONG_ROOM_KEYS_VERSION (with current_version) otherwise, 404 when there is no backup.
  BackupTotals put_keys(const std::string& user_id, const std::string& version, const boost::json::object& rooms);
  // Keys of a version (404 when it does not exist): all, one room's, or one session's.
  boost::json::object get_keys(const std::string& user_id, const std::string& version,
                               const std::string& room_id = {}, const std::string& session_id = {}) const;
  BackupTotals delete_keys(const std::string& user_id, const std::string& version, const std::string& room_id = {},
                           const std::string& session_id = {});

 private:
  std::mutex& lock_for(const std::string& user_id) {
    return user_locks_[std::hash<std::string>{}(user_id) % user_locks_.size()];
  }
  void put_version(storage::WriteBatch& batch, const std::string& user_id, const BackupVersion& version) const;
  BackupVersion existing_version(const std::string& user_id, const std::string& version) const;

  storage::Database& database_;
  std::array<std::mutex, 64> user_locks_;
};

}  // namespace domovoy
