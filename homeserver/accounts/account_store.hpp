#pragma once
// Accounts, devices and access tokens. Passwords are argon2id hashes (made by PasswordHasher);
// access tokens come from the CSPRNG and only their sha256 is stored.
//
// Every change that ends or starts sessions (login, logout, logout-all, password change,
// deactivation) is one atomic WriteBatch built under the user's lock, so that parallel requests
// of one user cannot interleave their read-modify-writes and a crash leaves either all or none of
// a change. Every token is also listed under its user (usertoken_deviceid), so revocation finds
// all of a user's tokens even if a device record no longer points to one.
#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/database.hpp"

namespace domovoy {

struct Account {
  std::string user_id;
  std::string password_hash;  // empty: cannot log in with a password
  bool deactivated = false;
  // Deactivated, but the room leaves have not all been sent yet (see finish_deactivations).
  bool leaves_pending = false;
  bool admin = false;
  std::string displayname;
  std::string avatar_url;
  std::int64_t created_ts = 0;
};

struct Device {
  std::string device_id;
  std::string display_name;
  std::string token_hash;
  std::int64_t last_seen_ts = 0;
  std::string last_seen_ip;
};

struct IssuedToken {
  std::string access_token;
  std::string device_id;
};

class AccountStore {
 public:
  // Builds the user -> token index from the sessions when a database predates it.
  explicit AccountStore(storage::Database& database);

  std::optional<Account> find(const std::string& user_id) const;
  bool exists(const std::string& user_id) const { return database_.contains(storage::Table::userid_account, user_id); }
  // Creates the account with an argon2id hash (empty: no password); false when the user id is
  // taken. `also` is written in the same batch (a registration token's use, say), so both happen
  // or neither does.
  bool create(const std::string& user_id, const std::string& password_hash, bool admin = false,
              storage::WriteBatch also = {});
  // Told of each account created (after its write), while the server is assembled: housing
  // joins staff named in the registry before they registered.
  void add_creation_listener(std::function<void(const std::string& user_id)> listener) {
    creation_listeners_.push_back(std::move(listener));
  }
  // What belongs to a device (its encryption keys, its to-device inbox) is deleted with it: each
  // stager adds its deletions to the batch that deletes the device, under the user's lock.
  using DeviceRemovalStager =
      std::function<void(storage::WriteBatch& batch, const std::string& user_id, const std::string& device_id)>;
  void add_device_removal_stager(DeviceRemovalStager stager) { device_removal_stagers_.push_back(std::move(stager)); }
  // Told, after the write, of the devices a change deleted (room mates must learn of it).
  using DevicesRemovedListener = std::function<void(const std::string& user_id, const std::vector<std::string>& devices)>;
  void add_devices_removed_listener(DevicesRemovedListener listener) {
    devices_removed_listeners_.push_back(std::move(listener));
  }
  // Read-modify-write of one account's profile fields, serialised with every other change to
  // the user. Returns the account as saved, or nullopt when it does not exist.
  std::optional<Account> update(const std::string& user_id, const std::function<void(Account&)>& change);

  // Sets a new password hash and, when `keep_device` is given, ends every session of the user
  // but that device's — one batch. False when the account is missing or deactivated.
  bool change_password(const std::string& user_id, const std::string& password_hash,
                       const std::optional<std::string>& keep_device);
  // Marks the account deactivated with its room leaves pending, clears its password and ends
  // every session of the user — one batch. False when the account does not exist.
  bool deactivate(const std::string& user_id);
  // The room leaves of a deactivation have all been sent.
  void finish_leaves(const std::string& user_id);
  // Users whose deactivation still owes room leaves (a crash or failure came between).
  std::vector<std::string> users_with_pending_leaves() const;

  // Creates (or replaces the token of) a device and returns a fresh access token; nullopt when
  // the account is missing or deactivated (it may have been deactivated since its password was
  // checked).
  std::optional<IssuedToken> issue_token(const std::string& user_id, std::optional<std::string> device_id,
                          std::optional<std::string> display_name, const std::string& ip);
  struct TokenOwner {
    std::string user_id;
    std::string device_id;
    std::string token_hash;
  };
  // nullopt for an unknown token or one of a deactivated account.
  std::optional<TokenOwner> resolve_token(const std::string& access_token) const;
  // The same from the in-memory cache only: nullopt when the token is not cached (never a read).
  std::optional<TokenOwner> cached_token(const std::string& access_token) const;

  // Logout: the device, its tokens and `token_hash` (the request's own) in one batch.
  void end_session(const std::string& user_id, const std::string& device_id, const std::string& token_hash);
  // Logout-all: every device and every token of the user in one batch.
  void end_all_sessions(const std::string& user_id);

  std::vector<Device> devices(const std::string& user_id) const;
  std::optional<Device> device(const std::string& user_id, const std::string& device_id) const;
  // False when the device does not exist (a rename never brings a deleted device back).
  bool rename_device(const std::string& user_id, const std::string& device_id, const std::string& display_name);
  // Deletes the devices and their access tokens in one batch.
  void delete_devices(const std::string& user_id, const std::vector<std::string>& device_ids);

  static std::string hash_token(const std::string& access_token);

 private:
  using Revoked = std::vector<std::string>;  // token hashes to drop from the cache after the write
  std::mutex& lock_for(const std::string& user_id);
  // Adds to `batch` the removal of every token of the user for which `ends(device_id)` is true.
  void remove_tokens(storage::WriteBatch& batch, const std::string& user_id,
                     const std::function<bool(const std::string& device_id)>& ends, Revoked& revoked) const;
  void remove_devices(storage::WriteBatch& batch, const std::string& user_id,
                      const std::function<bool(const std::string& device_id)>& ends, Revoked& revoked,
                      std::vector<std::string>& removed) const;
  void tell_devices_removed(const std::string& user_id, const std::vector<std::string>& devices);
  void backfill_token_index();

  storage::Database& database_;
  // Per-user serialisation of read-modify-writes without a mutex per user: a user always maps
  // to the same stripe, and an operation holds exactly one stripe, so none can deadlock.
  std::array<std::mutex, 64> user_locks_;
  std::vector<std::function<void(const std::string&)>> creation_listeners_;
  std::vector<DeviceRemovalStager> device_removal_stagers_;
  std::vector<DevicesRemovedListener> devices_removed_listeners_;

  // Every authenticated request resolves its token: keep the answers in memory. Entries are
  // dropped when their token is revoked, so the cache never outlives a logout.
  void forget_tokens(const Revoked& token_hashes, const std::string& every_token_of_user = {});
  mutable std::mutex token_cache_mutex_;
  mutable std::unordered_map<std::string, TokenOwner> token_cache_;
  std::uint64_t token_generation_ = 0;  // bumped by every revocation, under token_cache_mutex_
  static constexpr std::size_t kTokenCacheEntries = 100000;
};

}  // namespace domovoy
