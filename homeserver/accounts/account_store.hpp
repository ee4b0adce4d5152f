#pragma once
// Accounts, devices and access tokens. Passwords are argon2id hashes (libsodium); access tokens
// come from the CSPRNG and only their sha256 is stored.
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace domovoy {

struct PasswordHashing {
  unsigned long long ops_limit = 2;          // libsodium's INTERACTIVE level
  std::size_t mem_limit = 64ull << 20;
};

struct Account {
  std::string user_id;
  std::string password_hash;  // empty: cannot log in with a password
  bool deactivated = false;
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
  AccountStore(storage::Database& database, PasswordHashing hashing) : database_(database), hashing_(hashing) {}

  std::optional<Account> find(const std::string& user_id) const;
  bool exists(const std::string& user_id) const { return database_.contains(storage::Table::userid_account, user_id); }
  // Creates the account; false when the user id is taken. An empty password means none.
  bool create(const std::string& user_id, const std::string& password, bool admin = false);
  // Read-modify-write of one account, serialised with every other change to accounts, so that
  // concurrent profile, password and deactivation changes cannot undo one another.
  // Returns the account as saved, or nullopt when it does not exist.
  std::optional<Account> update(const std::string& user_id, const std::function<void(Account&)>& change);
  bool check_password(const Account& account, const std::string& password) const;
  void set_password(const std::string& user_id, const std::string& password);

  // Creates (or replaces the token of) a device and returns a fresh access token.
  IssuedToken issue_token(const std::string& user_id, std::optional<std::string> device_id,
                          std::optional<std::string> display_name, const std::string& ip);
  struct TokenOwner {
    std::string user_id;
    std::string device_id;
    std::string token_hash;
  };
  std::optional<TokenOwner> resolve_token(const std::string& access_token) const;
  void revoke_token_hash(const std::string& token_hash);

  std::vector<Device> devices(const std::string& user_id) const;
  std::optional<Device> device(const std::string& user_id, const std::string& device_id) const;
  void save_device(const std::string& user_id, const Device& device);
  // Deletes the device and its access token.
  void delete_device(const std::string& user_id, const std::string& device_id);
  // Deletes all devices but `keep_device` (empty: all).
  void delete_devices_except(const std::string& user_id, const std::string& keep_device);

  static std::string hash_token(const std::string& access_token);

 private:
  std::string hash_password(const std::string& password) const;
  storage::Database& database_;
  PasswordHashing hashing_;
  void save(const Account& account);
  std::mutex create_mutex_;  // makes "is the name free, then take it" and read-modify-write one step

  // Every authenticated request resolves its token: keep the answers in memory. Entries are
  // dropped when their token is revoked, so the cache never outlives a logout.
  void forget_token(const std::string& token_hash);
  mutable std::mutex token_cache_mutex_;
  mutable std::unordered_map<std::string, TokenOwner> token_cache_;
  std::uint64_t token_generation_ = 0;  // bumped by every revocation, under token_cache_mutex_
  static constexpr std::size_t kTokenCacheEntries = 100000;
};

}  // namespace domovoy
