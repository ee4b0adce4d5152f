#include "federation/server_keys.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "homeserver/events/base64.hpp"
#include "homeserver/events/signing_key.hpp"

namespace domovoy::federation {

namespace json = boost::json;

namespace {

[[noreturn]] void refuse(const std::string& why) { throw KeyResponseError(why); }

// "ed25519:<version>" with the version of [a-zA-Z0-9_]; other algorithms are not ours to use.
bool is_ed25519_key_id(std::string_view key_id) {
  constexpr std::string_view kPrefix = "ed25519:";
  if (key_id.substr(0, kPrefix.size()) != kPrefix || key_id.size() == kPrefix.size()) return false;
  return std::all_of(key_id.begin() + kPrefix.size(), key_id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string checked_key(const json::value& entry, const std::string& where) {
  const auto* object = entry.if_object();
  const auto* key = object ? object->if_contains("key") : nullptr;
  if (!key || !key->is_string()) refuse(where + ".key must be a string");
  auto decoded = base64_decode(key->get_string());
  if (!decoded || decoded->size() != 32) refuse(where + ".key is not a 32-byte unpadded Base64 ed25519 key");
  return std::string(key->get_string());
}

std::int64_t integer_field(const json::object& object, std::string_view name, const std::string& where) {
  const auto* value = object.if_contains(name);
  if (!value || !value->is_int64()) {
    if (value && value->is_uint64()) refuse(where + std::string(name) + " is out of range");
    refuse(where + std::string(name) + " must be an integer");
  }
  return value->get_int64();
}

}  // namespace

ServerKeys check_server_keys(const json::value& response, std::string_view server_name, std::int64_t fetched_at_ms) {
  const auto* object = response.if_object();
  if (!object) refuse("the key response is not a JSON object");
  const auto* name = object->if_contains("server_name");
  if (!name || !name->is_string()) refuse("server_name must be a string");
  if (name->get_string() != server_name)
    refuse("the keys are for '" + std::string(name->get_string()) + "', not '" + std::string(server_name) + "'");
  ServerKeys keys;
  keys.server_name = std::string(server_name);
  keys.valid_until_ts = std::min(integer_field(*object, "valid_until_ts", ""), fetched_at_ms + kMaxKeyValidityMs);

  const auto* verify_keys = object->if_contains("verify_keys");
  if (!verify_keys || !verify_keys->is_object()) refuse("verify_keys must be an object");
  for (const auto& [key_id, entry] : verify_keys->get_object()) {
    if (!is_ed25519_key_id(key_id)) continue;
    keys.verify_keys[std::string(key_id)] = checked_key(entry, "verify_keys." + std::string(key_id));
  }
  if (const auto* old_keys = object->if_contains("old_verify_keys")) {
    if (!old_keys->is_object()) refuse("old_verify_keys must be an object");
    for (const auto& [key_id, entry] : old_keys->get_object()) {
      if (!is_ed25519_key_id(key_id)) continue;
      auto where = "old_verify_keys." + std::string(key_id);
      auto key = checked_key(entry, where);
      keys.old_verify_keys[std::string(key_id)] = {key, integer_field(entry.get_object(), "expired_ts", where + ".")};
    }
  }

  const auto* signatures = object->if_contains("signatures");
  if (!signatures || !signatures->is_object()) refuse("signatures must be an object");
  const auto* own = signatures->get_object().if_contains(server_name);
  if (!own || !own->is_object()) refuse("the key response is not signed by " + std::string(server_name));
  bool verified = false;
  for (const auto& [key_id, signature] : own->get_object()) {
    auto key = keys.verify_keys.find(std::string(key_id));
    if (key == keys.verify_keys.end()) continue;  // an old key's or another algorithm's signature
    if (!signature.is_string() || !verify_json_signature(*object, server_name, key_id, key->second))
      refuse("the signature by " + std::string(key_id) + " does not verify");
    verified = true;
  }
  if (!verified) refuse("the key response is not signed by any of its own verify_keys");
  keys.signed_response = *object;
  auto& own_signatures = keys.signed_response["signatures"].as_object();
  for (auto it = own_signatures.begin(); it != own_signatures.end();)
    it = it->key() == server_name ? std::next(it) : own_signatures.erase(it);
  return keys;
}

std::optional<std::string> usable_key(const ServerKeys& keys, std::string_view key_id, std::int64_t at_ms,
                                      bool enforce_valid_until) {
  if (auto current = keys.verify_keys.find(std::string(key_id)); current != keys.verify_keys.end())
    if (!enforce_valid_until || at_ms <= keys.valid_until_ts) return current->second;
  if (auto old = keys.old_verify_keys.find(std::string(key_id)); old != keys.old_verify_keys.end())
    if (at_ms < old->second.expired_ts) return old->second.key;
  return std::nullopt;
}

}  // namespace domovoy::federation
