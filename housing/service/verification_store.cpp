#include "housing/service/verification_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

using storage::Table;

namespace {
std::string text(const json::object& object, const char* key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}
std::int64_t number(const json::object& object, const char* key) {
  const auto* value = object.if_contains(key);
  return value && value->is_number() ? value->to_number<std::int64_t>() : 0;
}

std::string verification_json(const Verification& v) {
  json::array reminded;
  for (auto days : v.reminded) reminded.push_back(days);
  return to_json(json::object{{"user_id", v.user_id},       {"building_id", v.building_id}, {"apartment", v.apartment},
                              {"role", v.role},             {"method", v.method},           {"verified_at", v.verified_at},
                              {"expires_at", v.expires_at}, {"reminded", std::move(reminded)}});
}
Verification parse_verification(std::string_view stored) {
  auto object = parse_stored_json(stored).as_object();
  Verification v{text(object, "user_id"), text(object, "building_id"), text(object, "apartment"), text(object, "role"),
                 text(object, "method"),  number(object, "verified_at"), number(object, "expires_at"), {}};
  if (const auto* reminded = object.if_contains("reminded"); reminded && reminded->is_array())
    for (const auto& days : reminded->as_array()) v.reminded.push_back(days.to_number<unsigned>());
  return v;
}
std::string code_json(const CodeRecord& c) {
  return to_json(json::object{{"building_id", c.building_id}, {"apartment", c.apartment}, {"role", c.role},
                              {"expires_at", c.expires_at},   {"used_by", c.used_by}});
}
CodeRecord parse_code(std::string_view stored) {
  auto object = parse_stored_json(stored).as_object();
  return {text(object, "building_id"), text(object, "apartment"), text(object, "role"), number(object, "expires_at"),
          text(object, "used_by")};
}
std::string request_json(const VerificationRequest& r) {
  return to_json(json::object{{"request_id", r.id},      {"user_id", r.user_id},   {"building_id", r.building_id},
                              {"apartment", r.apartment}, {"role", r.role},         {"status", r.status},
                              {"created_at", r.created_at}, {"decided_by", r.decided_by}});
}
VerificationRequest parse_request(std::string_view stored) {
  auto object = parse_stored_json(stored).as_object();
  return {text(object, "request_id"), text(object, "user_id"), text(object, "building_id"), text(object, "apartment"),
          text(object, "role"),       text(object, "status"),  number(object, "created_at"), text(object, "decided_by")};
}
std::string user_key(const Verification& v) { return storage::join_key({v.user_id, v.building_id, v.apartment}); }
std::string building_key(const Verification& v) { return storage::join_key({v.building_id, v.user_id, v.apartment}); }
std::string expiry_key(const Verification& v) {
  return storage::be64(static_cast<std::uint64_t>(v.expires_at)) + '\0' + storage::join_key({v.user_id, v.building_id, v.apartment});
}
}  // namespace

void VerificationStore::add_codes(const std::vector<std::pair<std::string, CodeRecord>>& hashed_codes) {
  storage::WriteBatch batch;
  for (const auto& [hash, record] : hashed_codes) batch.put(Table::codehash_code, hash, code_json(record));
  database_.write(std::move(batch));
}

void VerificationStore::stage_verification(storage::WriteBatch& batch, const Verification& v) const {
  batch.put(Table::userverification_verification, user_key(v), verification_json(v));
  batch.put(Table::buildingresident_flag, building_key(v), "");
  batch.put(Table::expiry_verification, expiry_key(v), "");
  stage_pending(batch, "user", v.user_id);
}

void VerificationStore::stage_removal(storage::WriteBatch& batch, const Verification& v) const {
  batch.remove(Table::userverification_verification, user_key(v));
  batch.remove(Table::buildingresident_flag, building_key(v));
  batch.remove(Table::expiry_verification, expiry_key(v));
  stage_pending(batch, "user", v.user_id);
}

std::optional<Verification> VerificationStore::find(const std::string& user_id, const std::string& building_id,
                                                    const std::string& apartment) const {
  auto stored = database_.get(Table::userverification_verification, storage::join_key({user_id, building_id, apartment}));
  if (!stored) return std::nullopt;
  return parse_verification(*stored);
}

VerificationStore::Redemption VerificationStore::redeem(const std::string& code_hash, const std::string& user_id,
                                                        std::int64_t now, std::int64_t valid_ms) {
  std::lock_guard lock(mutex_);
  Redemption redemption;
  auto stored = database_.get(Table::codehash_code, code_hash);
  if (!stored) return redemption;
  redemption.code = parse_code(*stored);
  if (!redemption.code.used_by.empty()) {
    // The same user sending the same code again (a client retrying a lost answer, a bot
    // replaying a command after a crash) is answered as the first time, while it holds.
    if (redemption.code.used_by == user_id)
      if (auto held = find(user_id, redemption.code.building_id, redemption.code.apartment)) {
        redemption.outcome = Outcome::verified;
        redemption.verification = *held;
        return redemption;
      }
    redemption.outcome = Outcome::used;
    return redemption;
  }
  if (redemption.code.expires_at <= now) {
    redemption.outcome = Outcome::expired;
    return redemption;
  }
  storage::WriteBatch batch;
  auto previous = find(user_id, redemption.code.building_id, redemption.code.apartment);
  if (previous) stage_removal(batch, *previous);
  Verification v{user_id, redemption.code.building_id, redemption.code.apartment, redemption.code.role, "code", now,
                 now + valid_ms, {}};
  // An owner who redeems a tenant's code stays an owner of that apartment.
  if (previous && previous->role == "owner") v.role = "owner";
  redemption.code.used_by = user_id;
  batch.put(Table::codehash_code, code_hash, code_json(redemption.code));
  stage_verification(batch, v);
  database_.write(std::move(batch));
  redemption.outcome = Outcome::verified;
  redemption.verification = v;
  return redemption;
}

Verification VerificationStore::verify(Verification verification) {
  std::lock_guard lock(mutex_);
  storage::WriteBatch batch;
  if (auto previous = find(verification.user_id, verification.building_id, verification.apartment))
    stage_removal(batch, *previous);
  stage_verification(batch, verification);
  database_.write(std::move(batch));
  return verification;
}

std::vector<Verification> VerificationStore::revoke(const std::string& user_id, const std::string& building_id,
                                                    const std::string& apartment) {
  std::lock_guard lock(mutex_);
  std::vector<Verification> removed;
  for (const auto& v : of_user(user_id))
    if (v.building_id == building_id && (apartment.empty() || v.apartment == apartment)) removed.push_back(v);
  if (removed.empty()) return removed;
  storage::WriteBatch batch;
  for (const auto& v : removed) stage_removal(batch, v);
  database_.write(std::move(batch));
  return removed;
}

std::vector<Verification> VerificationStore::of_user(const std::string& user_id) const {
  std::vector<Verification> found;
  database_.scan_prefix(Table::userverification_verification, storage::key_prefix({user_id}),
                        [&](std::string_view, std::string_view value) {
                          found.push_back(parse_verification(value));
                          return true;
                        });
  return found;
}

std::vector<Verification> VerificationStore::of_building(const std::string& building_id) const {
  std::vector<Verification> found;
  auto prefix = storage::key_prefix({building_id});
  database_.scan_prefix(Table::buildingresident_flag, prefix, [&](std::string_view key, std::string_view) {
    auto rest = key.substr(prefix.size());
    auto separator = rest.find('\0');
    auto user = std::string(rest.substr(0, separator));
    auto apartment = std::string(rest.substr(separator + 1));
    if (auto v = find(user, building_id, apartment)) found.push_back(*v);
    return true;
  });
  return found;
}

std::vector<Verification> VerificationStore::expiring(std::int64_t until, std::size_t limit) const {
  std::vector<Verification> found;
  database_.scan_prefix(Table::expiry_verification, "", [&](std::string_view key, std::string_view) {
    if (static_cast<std::int64_t>(storage::read_be64(key.substr(0, 8))) > until) return false;
    auto rest = key.substr(9);
    auto first = rest.find('\0');
    auto second = rest.find('\0', first + 1);
    if (auto v = find(std::string(rest.substr(0, first)), std::string(rest.substr(first + 1, second - first - 1)),
                      std::string(rest.substr(second + 1))))
      found.push_back(*v);
    return found.size() < limit;
  });
  return found;
}

void VerificationStore::mark_reminded(const Verification& verification, unsigned days_before) {
  std::lock_guard lock(mutex_);
  auto current = find(verification.user_id, verification.building_id, verification.apartment);
  if (!current || current->expires_at != verification.expires_at) return;
  current->reminded.push_back(days_before);
  storage::WriteBatch batch;
  batch.put(Table::userverification_verification, user_key(*current), verification_json(*current));
  database_.write(std::move(batch));
}

void VerificationStore::add_request(const VerificationRequest& request) {
  storage::WriteBatch batch;
  batch.put(Table::verificationrequest_request, request.id, request_json(request));
  database_.write(std::move(batch));
}

std::optional<VerificationRequest> VerificationStore::request(const std::string& id) const {
  auto stored = database_.get(Table::verificationrequest_request, id);
  if (!stored) return std::nullopt;
  return parse_request(*stored);
}

std::vector<VerificationRequest> VerificationStore::requests_of_building(const std::string& building_id) const {
  // Requests are few (people who have no code yet); a scan of them all is cheap.
  std::vector<VerificationRequest> found;
  database_.scan_prefix(Table::verificationrequest_request, "", [&](std::string_view, std::string_view value) {
    auto request = parse_request(value);
    if (request.building_id == building_id) found.push_back(std::move(request));
    return true;
  });
  return found;
}

void VerificationStore::decide_request(const VerificationRequest& request) { add_request(request); }

void VerificationStore::stage_pending(storage::WriteBatch& batch, const std::string& kind, const std::string& id) {
  batch.put(Table::housing_pending, storage::join_key({kind, id}), "");
}

void VerificationStore::clear_pending(const std::string& kind, const std::string& id) {
  storage::WriteBatch batch;
  batch.remove(Table::housing_pending, storage::join_key({kind, id}));
  database_.write(std::move(batch));
}

std::vector<std::pair<std::string, std::string>> VerificationStore::pending() const {
  std::vector<std::pair<std::string, std::string>> found;
  database_.scan_prefix(Table::housing_pending, "", [&](std::string_view key, std::string_view) {
    auto separator = key.find('\0');
    found.emplace_back(std::string(key.substr(0, separator)), std::string(key.substr(separator + 1)));
    return true;
  });
  return found;
}

}  // namespace domovoy::housing
