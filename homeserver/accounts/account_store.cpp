#include "homeserver/accounts/account_store.hpp"

#include <sodium.h>

#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/events/base64.hpp"
#include "homeserver/events/signing_key.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
std::string account_json(const Account& account) {
  return to_json(json::object{{"password_hash", account.password_hash},
                              {"deactivated", account.deactivated},
                              {"admin", account.admin},
                              {"displayname", account.displayname},
                              {"avatar_url", account.avatar_url},
                              {"created_ts", account.created_ts}});
}

std::string device_json(const Device& device) {
  return to_json(json::object{{"display_name", device.display_name},
                              {"token_hash", device.token_hash},
                              {"last_seen_ts", device.last_seen_ts},
                              {"last_seen_ip", device.last_seen_ip}});
}

Device parse_device(std::string_view device_id, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  return {std::string(device_id), std::string(object["display_name"].as_string()),
          std::string(object["token_hash"].as_string()), object["last_seen_ts"].to_number<std::int64_t>(),
          std::string(object["last_seen_ip"].as_string())};
}
}  // namespace

std::string AccountStore::hash_token(const std::string& access_token) { return base64_encode(sha256(access_token)); }

std::string AccountStore::hash_password(const std::string& password) const {
  char hashed[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hashed, password.data(), password.size(), hashing_.ops_limit, hashing_.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("argon2id hashing ran out of memory");
  return hashed;
}

std::optional<Account> AccountStore::find(const std::string& user_id) const {
  auto stored = database_.get(Table::userid_account, user_id);
  if (!stored) return std::nullopt;
  auto object = parse_stored_json(*stored).as_object();
  Account account;
  account.user_id = user_id;
  account.password_hash = object["password_hash"].as_string();
  account.deactivated = object["deactivated"].as_bool();
  account.admin = object["admin"].as_bool();
  account.displayname = object["displayname"].as_string();
  account.avatar_url = object["avatar_url"].as_string();
  account.created_ts = object["created_ts"].to_number<std::int64_t>();
  return account;
}

bool AccountStore::create(const std::string& user_id, const std::string& password, bool admin) {
  auto hash = password.empty() ? std::string{} : hash_password(password);
  std::lock_guard lock(create_mutex_);
  if (exists(user_id)) return false;
  Account account;
  account.user_id = user_id;
  account.password_hash = hash;
  account.admin = admin;
  account.displayname = std::string(user_id.substr(1, user_id.find(':') - 1));
  account.created_ts = now_ms();
  save(account);
  return true;
}

void AccountStore::save(const Account& account) {
  storage::WriteBatch batch;
  batch.put(Table::userid_account, account.user_id, account_json(account));
  database_.write(std::move(batch));
}

bool AccountStore::check_password(const Account& account, const std::string& password) const {
  if (account.password_hash.empty() || account.deactivated) return false;
  return crypto_pwhash_str_verify(account.password_hash.c_str(), password.data(), password.size()) == 0;
}

std::optional<Account> AccountStore::update(const std::string& user_id, const std::function<void(Account&)>& change) {
  std::lock_guard lock(create_mutex_);
  auto account = find(user_id);
  if (!account) return std::nullopt;
  change(*account);
  save(*account);
  return account;
}

void AccountStore::set_password(const std::string& user_id, const std::string& password) {
  auto hash = hash_password(password);  // slow: outside the lock
  update(user_id, [&](Account& account) {
    if (!account.deactivated) account.password_hash = hash;
  });
}

IssuedToken AccountStore::issue_token(const std::string& user_id, std::optional<std::string> device_id,
                                      std::optional<std::string> display_name, const std::string& ip) {
  if (device_id && device_id->empty()) device_id.reset();  // "" is no device id, not a device called ""
  IssuedToken issued{"syt_" + random_token(32), device_id.value_or(random_letters(10))};
  auto token_hash = hash_token(issued.access_token);
  storage::WriteBatch batch;
  Device device;
  if (auto existing = this->device(user_id, issued.device_id)) {
    device = *existing;
    if (!device.token_hash.empty()) batch.remove(Table::tokenhash_session, device.token_hash);
  }
  std::string replaced_token_hash = device.token_hash;
  device.device_id = issued.device_id;
  if (display_name) device.display_name = *display_name;
  device.token_hash = token_hash;
  device.last_seen_ts = now_ms();
  device.last_seen_ip = ip;
  batch.put(Table::userdevice_device, storage::join_key({user_id, issued.device_id}), device_json(device));
  batch.put(Table::tokenhash_session, token_hash,
            to_json(json::object{{"user_id", user_id}, {"device_id", issued.device_id}}));
  database_.write(std::move(batch));
  if (!replaced_token_hash.empty()) forget_token(replaced_token_hash);
  return issued;
}

std::optional<AccountStore::TokenOwner> AccountStore::resolve_token(const std::string& access_token) const {
  auto token_hash = hash_token(access_token);
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(token_cache_mutex_);
    if (auto it = token_cache_.find(token_hash); it != token_cache_.end()) return it->second;
    generation = token_generation_;
  }
  auto stored = database_.get(Table::tokenhash_session, token_hash);
  if (!stored) return std::nullopt;
  auto object = parse_stored_json(*stored).as_object();
  TokenOwner owner{std::string(object["user_id"].as_string()), std::string(object["device_id"].as_string()), token_hash};
  std::lock_guard lock(token_cache_mutex_);
  // A revocation since our read may have been of this very token: then the row we read is stale.
  if (generation != token_generation_) return owner;
  if (token_cache_.size() >= kTokenCacheEntries) token_cache_.clear();
  token_cache_[token_hash] = owner;
  return owner;
}

void AccountStore::forget_token(const std::string& token_hash) {
  std::lock_guard lock(token_cache_mutex_);
  token_cache_.erase(token_hash);
  ++token_generation_;
}

void AccountStore::revoke_token_hash(const std::string& token_hash) {
  storage::WriteBatch batch;
  batch.remove(Table::tokenhash_session, token_hash);
  database_.write(std::move(batch));
  forget_token(token_hash);
}

std::vector<Device> AccountStore::devices(const std::string& user_id) const {
  std::vector<Device> devices;
  auto prefix = storage::key_prefix({user_id});
  database_.scan_prefix(Table::userdevice_device, prefix, [&](std::string_view key, std::string_view value) {
    devices.push_back(parse_device(key.substr(prefix.size()), value));
    return true;
  });
  return devices;
}

std::optional<Device> AccountStore::device(const std::string& user_id, const std::string& device_id) const {
  auto stored = database_.get(Table::userdevice_device, storage::join_key({user_id, device_id}));
  if (!stored) return std::nullopt;
  return parse_device(device_id, *stored);
}

void AccountStore::save_device(const std::string& user_id, const Device& device) {
  storage::WriteBatch batch;
  batch.put(Table::userdevice_device, storage::join_key({user_id, device.device_id}), device_json(device));
  database_.write(std::move(batch));
}

void AccountStore::delete_device(const std::string& user_id, const std::string& device_id) {
  auto existing = device(user_id, device_id);
  if (!existing) return;
  storage::WriteBatch batch;
  if (!existing->token_hash.empty()) batch.remove(Table::tokenhash_session, existing->token_hash);
  batch.remove(Table::userdevice_device, storage::join_key({user_id, device_id}));
  database_.write(std::move(batch));
  if (!existing->token_hash.empty()) forget_token(existing->token_hash);
}

void AccountStore::delete_devices_except(const std::string& user_id, const std::string& keep_device) {
  storage::WriteBatch batch;
  std::vector<std::string> revoked;
  for (const auto& device : devices(user_id)) {
    if (device.device_id == keep_device) continue;
    if (!device.token_hash.empty()) {
      batch.remove(Table::tokenhash_session, device.token_hash);
      revoked.push_back(device.token_hash);
    }
    batch.remove(Table::userdevice_device, storage::join_key({user_id, device.device_id}));
  }
  database_.write(std::move(batch));
  for (const auto& token_hash : revoked) forget_token(token_hash);
}

}  // namespace domovoy
