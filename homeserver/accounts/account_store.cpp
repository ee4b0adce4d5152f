#include "homeserver/accounts/account_store.hpp"
#include "homeserver/core/clock.hpp"

#include <algorithm>

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
                              {"leaves_pending", account.leaves_pending},
                              {"admin", account.admin},
                              {"displayname", account.displayname},
                              {"avatar_url", account.avatar_url},
                              {"created_ts", account.created_ts}});
}

Account parse_account(std::string_view user_id, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  Account account;
  account.user_id = user_id;
  account.password_hash = object["password_hash"].as_string();
  account.deactivated = object["deactivated"].as_bool();
  // Records written before deactivation became resumable have no flag: their leaves were sent.
  if (const auto* pending = object.if_contains("leaves_pending")) account.leaves_pending = pending->as_bool();
  account.admin = object["admin"].as_bool();
  account.displayname = object["displayname"].as_string();
  account.avatar_url = object["avatar_url"].as_string();
  account.created_ts = object["created_ts"].to_number<std::int64_t>();
  return account;
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

void put_account(storage::WriteBatch& batch, const Account& account) {
  batch.put(Table::userid_account, account.user_id, account_json(account));
}
}  // namespace

AccountStore::AccountStore(storage::Database& database) : database_(database) { backfill_token_index(); }

std::string AccountStore::hash_token(const std::string& access_token) { return base64_encode(sha256(access_token)); }

std::mutex& AccountStore::lock_for(const std::string& user_id) {
  return user_locks_[std::hash<std::string>{}(user_id) % user_locks_.size()];
}

void AccountStore::backfill_token_index() {
  // A database from before the index holds sessions only. Build the index in one batch (so a
  // crash midway leaves it empty and the next start builds it again); from then on every token
  // is written together with its index entry. Sessions no device points to any more (left by
  // the old unserialised login) are indexed too, which is what lets revocation reach them.
  bool has_index = false;
  database_.scan_prefix(Table::usertoken_deviceid, "", [&](std::string_view, std::string_view) {
    has_index = true;
    return false;
  });
  if (has_index) return;
  storage::WriteBatch batch;
  database_.scan_prefix(Table::tokenhash_session, "", [&](std::string_view token_hash, std::string_view value) {
    auto object = parse_stored_json(value).as_object();
    batch.put(Table::usertoken_deviceid, storage::join_key({object["user_id"].as_string(), token_hash}),
              object["device_id"].as_string());
    return true;
  });
  if (!batch.empty()) database_.write(std::move(batch));
}

std::optional<Account> AccountStore::find(const std::string& user_id) const {
  auto stored = database_.get(Table::userid_account, user_id);
  if (!stored) return std::nullopt;
  return parse_account(user_id, *stored);
}

bool AccountStore::create(const std::string& user_id, const std::string& password_hash, bool admin,
                          storage::WriteBatch also) {
  {
    std::lock_guard lock(lock_for(user_id));
    if (exists(user_id)) return false;
    Account account;
    account.user_id = user_id;
    account.password_hash = password_hash;
    account.admin = admin;
    account.displayname = std::string(user_id.substr(1, user_id.find(':') - 1));
    account.created_ts = now_ms();
    put_account(also, account);
    database_.write(std::move(also));
  }
  for (const auto& listener : creation_listeners_) listener(user_id);
  return true;
}

std::optional<Account> AccountStore::update(const std::string& user_id, const std::function<void(Account&)>& change) {
  std::lock_guard lock(lock_for(user_id));
  auto account = find(user_id);
  if (!account) return std::nullopt;
  change(*account);
  storage::WriteBatch batch;
  put_account(batch, *account);
  database_.write(std::move(batch));
  return account;
}

void AccountStore::remove_tokens(storage::WriteBatch& batch, const std::string& user_id,
                                 const std::function<bool(const std::string& device_id)>& ends,
                                 Revoked& revoked) const {
  auto prefix = storage::key_prefix({user_id});
  database_.scan_prefix(Table::usertoken_deviceid, prefix, [&](std::string_view key, std::string_view device_id) {
    if (!ends(std::string(device_id))) return true;
    std::string token_hash(key.substr(prefix.size()));
    batch.remove(Table::tokenhash_session, token_hash);
    batch.remove(Table::usertoken_deviceid, key);
    revoked.push_back(std::move(token_hash));
    return true;
  });
}

void AccountStore::remove_devices(storage::WriteBatch& batch, const std::string& user_id,
                                  const std::function<bool(const std::string& device_id)>& ends,
                                  Revoked& revoked, std::vector<std::string>& removed) const {
  for (const auto& device : devices(user_id)) {
    if (!ends(device.device_id)) continue;
    batch.remove(Table::userdevice_device, storage::join_key({user_id, device.device_id}));
    for (const auto& stage : device_removal_stagers_) stage(batch, user_id, device.device_id);
    removed.push_back(device.device_id);
    // A session the index does not list (impossible once backfilled) still goes with its device.
    if (!device.token_hash.empty()) {
      batch.remove(Table::tokenhash_session, device.token_hash);
      revoked.push_back(device.token_hash);
    }
  }
}

void AccountStore::tell_devices_removed(const std::string& user_id, const std::vector<std::string>& devices) {
  if (devices.empty()) return;
  for (const auto& listener : devices_removed_listeners_) listener(user_id, devices);
}

bool AccountStore::change_password(const std::string& user_id, const std::string& password_hash,
                                   const std::optional<std::string>& keep_device) {
  Revoked revoked;
  std::vector<std::string> removed;
  {
    std::lock_guard lock(lock_for(user_id));
    auto account = find(user_id);
    if (!account || account->deactivated) return false;
    account->password_hash = password_hash;
    storage::WriteBatch batch;
    put_account(batch, *account);
    if (keep_device) {
      auto other = [&](const std::string& device_id) { return device_id != *keep_device; };
      remove_devices(batch, user_id, other, revoked, removed);
      remove_tokens(batch, user_id, other, revoked);
    }
    database_.write(std::move(batch));
  }
  forget_tokens(revoked);
  tell_devices_removed(user_id, removed);
  return true;
}

bool AccountStore::deactivate(const std::string& user_id) {
  Revoked revoked;
  std::vector<std::string> removed;
  {
    std::lock_guard lock(lock_for(user_id));
    auto account = find(user_id);
    if (!account) return false;
    if (!account->deactivated) {
      account->deactivated = true;
      account->leaves_pending = true;
    }
    account->password_hash.clear();
    storage::WriteBatch batch;
    put_account(batch, *account);
    auto every = [](const std::string&) { return true; };
    remove_devices(batch, user_id, every, revoked, removed);
    remove_tokens(batch, user_id, every, revoked);
    database_.write(std::move(batch));
  }
  forget_tokens(revoked, user_id);
  tell_devices_removed(user_id, removed);
  return true;
}

void AccountStore::finish_leaves(const std::string& user_id) {
  update(user_id, [](Account& account) { account.leaves_pending = false; });
}

std::vector<std::string> AccountStore::users_with_pending_leaves() const {
  // A scan of every account, once at start-up: cheap next to opening the database, and it needs
  // no second table that would have to be kept in step with the account record.
  std::vector<std::string> users;
  database_.scan_prefix(Table::userid_account, "", [&](std::string_view user_id, std::string_view value) {
    if (parse_account(user_id, value).leaves_pending) users.emplace_back(user_id);
    return true;
  });
  return users;
}

std::optional<IssuedToken> AccountStore::issue_token(const std::string& user_id, std::optional<std::string> device_id,
                                                     std::optional<std::string> display_name, const std::string& ip) {
  if (device_id && device_id->empty()) device_id.reset();  // "" is no device id, not a device called ""
  IssuedToken issued{"syt_" + random_token(32), device_id.value_or(random_letters(10))};
  auto token_hash = hash_token(issued.access_token);
  Revoked revoked;
  {
    // Under the user's lock: two logins with one device id would otherwise both read the old
    // device, and the token of the one that wrote first would belong to no device.
    std::lock_guard lock(lock_for(user_id));
    auto account = find(user_id);
    if (!account || account->deactivated) return std::nullopt;
    storage::WriteBatch batch;
    Device device;
    if (auto existing = this->device(user_id, issued.device_id)) device = *existing;
    // The device's earlier tokens end: a device has one session.
    remove_tokens(batch, user_id, [&](const std::string& owner) { return owner == issued.device_id; }, revoked);
    if (!device.token_hash.empty()) {
      batch.remove(Table::tokenhash_session, device.token_hash);
      revoked.push_back(device.token_hash);
    }
    device.device_id = issued.device_id;
    if (display_name) device.display_name = *display_name;
    device.token_hash = token_hash;
    device.last_seen_ts = now_ms();
    device.last_seen_ip = ip;
    batch.put(Table::userdevice_device, storage::join_key({user_id, issued.device_id}), device_json(device));
    batch.put(Table::tokenhash_session, token_hash,
              to_json(json::object{{"user_id", user_id}, {"device_id", issued.device_id}}));
    batch.put(Table::usertoken_deviceid, storage::join_key({user_id, token_hash}), issued.device_id);
    database_.write(std::move(batch));
  }
  forget_tokens(revoked);
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
  // Deactivation removes every token, but a session row left by an older version (or a restore
  // of an old backup) must not bring a deactivated account back either.
  auto account = find(owner.user_id);
  if (!account || account->deactivated) return std::nullopt;
  std::lock_guard lock(token_cache_mutex_);
  // A revocation since our read may have been of this very token: then the row we read is stale.
  if (generation != token_generation_) return owner;
  if (token_cache_.size() >= kTokenCacheEntries) token_cache_.clear();
  token_cache_[token_hash] = owner;
  return owner;
}

std::optional<AccountStore::TokenOwner> AccountStore::cached_token(const std::string& access_token) const {
  auto token_hash = hash_token(access_token);
  std::lock_guard lock(token_cache_mutex_);
  if (auto it = token_cache_.find(token_hash); it != token_cache_.end()) return it->second;
  return std::nullopt;
}

void AccountStore::forget_tokens(const Revoked& token_hashes, const std::string& every_token_of_user) {
  std::lock_guard lock(token_cache_mutex_);
  for (const auto& token_hash : token_hashes) token_cache_.erase(token_hash);
  if (!every_token_of_user.empty())
    std::erase_if(token_cache_, [&](const auto& entry) { return entry.second.user_id == every_token_of_user; });
  ++token_generation_;
}

void AccountStore::end_session(const std::string& user_id, const std::string& device_id,
                               const std::string& token_hash) {
  Revoked revoked{token_hash};
  std::vector<std::string> removed;
  {
    std::lock_guard lock(lock_for(user_id));
    storage::WriteBatch batch;
    auto this_device = [&](const std::string& owner) { return owner == device_id; };
    remove_devices(batch, user_id, this_device, revoked, removed);
    remove_tokens(batch, user_id, this_device, revoked);
    batch.remove(Table::tokenhash_session, token_hash);
    batch.remove(Table::usertoken_deviceid, storage::join_key({user_id, token_hash}));
    database_.write(std::move(batch));
  }
  forget_tokens(revoked);
  tell_devices_removed(user_id, removed);
}

void AccountStore::end_all_sessions(const std::string& user_id) {
  Revoked revoked;
  std::vector<std::string> removed;
  {
    std::lock_guard lock(lock_for(user_id));
    storage::WriteBatch batch;
    auto every = [](const std::string&) { return true; };
    remove_devices(batch, user_id, every, revoked, removed);
    remove_tokens(batch, user_id, every, revoked);
    database_.write(std::move(batch));
  }
  forget_tokens(revoked, user_id);
  tell_devices_removed(user_id, removed);
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

bool AccountStore::rename_device(const std::string& user_id, const std::string& device_id,
                                 const std::string& display_name) {
  std::lock_guard lock(lock_for(user_id));
  auto device = this->device(user_id, device_id);
  if (!device) return false;
  device->display_name = display_name;
  storage::WriteBatch batch;
  batch.put(Table::userdevice_device, storage::join_key({user_id, device_id}), device_json(*device));
  database_.write(std::move(batch));
  return true;
}

void AccountStore::delete_devices(const std::string& user_id, const std::vector<std::string>& device_ids) {
  Revoked revoked;
  std::vector<std::string> removed;
  {
    std::lock_guard lock(lock_for(user_id));
    storage::WriteBatch batch;
    auto listed = [&](const std::string& device_id) {
      return std::find(device_ids.begin(), device_ids.end(), device_id) != device_ids.end();
    };
    remove_devices(batch, user_id, listed, revoked, removed);
    remove_tokens(batch, user_id, listed, revoked);
    if (batch.empty()) return;
    database_.write(std::move(batch));
  }
  forget_tokens(revoked);
  tell_devices_removed(user_id, removed);
}

}  // namespace domovoy
