// End-to-end encryption keys (client-server-api "End-to-End Encryption", keys.yaml and
// cross_signing.yaml): keys/upload, query, claim, changes, device_signing/upload and
// signatures/upload. The server stores and hands out public keys and signatures; it checks the
// signatures that cross-signing rests on, and tells room mates when a user's keys change.
#include <set>

#include "homeserver/client/key_queries.hpp"
#include "homeserver/client/password_auth.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxUsersPerQuery = 1000;
constexpr std::array<std::string_view, 3> kUsages = {"master", "self_signing", "user_signing"};

const json::object& object_member(const json::object& body, std::string_view key) {
  const auto* value = body.if_contains(key);
  if (!value) throw missing_param("Missing '" + std::string(key) + "'");
  if (!value->is_object()) throw bad_json("'" + std::string(key) + "' must be an object");
  return value->as_object();
}

// Signatures one observer may see: those of the key's owner and the observer's own (a user's
// signature of another user's master key is for the signer only).
json::object visible_to(json::object key, const std::string& owner, const std::string& observer) {
  if (auto* signatures = key.if_contains("signatures"); signatures && signatures->is_object()) {
    json::object kept;
    for (const auto& [signer, value] : signatures->as_object())
      if (signer == owner || signer == observer) kept[signer] = value;
    *signatures = std::move(kept);
  }
  return key;
}

// The single ed25519 key of a cross-signing key: {key id, public key}; throws when malformed.
std::pair<std::string, std::string> cross_signing_public_key(const json::object& key, const std::string& user_id,
                                                             std::string_view usage) {
  auto owner = optional_string(key, "user_id");
  if (!owner || *owner != user_id) throw invalid_param("Cross-signing key of another user");
  const auto* usages = key.if_contains("usage");
  bool has_usage = false;
  if (usages && usages->is_array())
    for (const auto& item : usages->as_array()) has_usage |= item.is_string() && item.as_string() == usage;
  if (!has_usage) throw invalid_param("Cross-signing key lacks usage " + std::string(usage));
  const auto* keys = key.if_contains("keys");
  if (!keys || !keys->is_object() || keys->as_object().size() != 1) throw invalid_param("A cross-signing key holds one key");
  const auto& [id, value] = *keys->as_object().begin();
  if (!value.is_string() || id.substr(0, 8) != "ed25519:" || id.substr(8) != value.as_string())
    throw invalid_param("A cross-signing key is ed25519:<public key> -> <public key>");
  return {std::string(id), std::string(value.as_string())};
}

// The public key with which `signer` signs as `key_id`: a device ("ed25519:DEVICE") or one of
// its cross-signing keys ("ed25519:<public key>").
std::optional<std::string> signing_key_of(ClientServices& services, const std::string& signer, const std::string& key_id) {
  if (key_id.substr(0, 8) != "ed25519:") return std::nullopt;
  for (auto usage : kUsages) {
    if (auto key = services.device_keys.cross_signing_key(signer, std::string(usage))) {
      const auto* keys = key->if_contains("keys");
      if (keys && keys->is_object())
        if (const auto* value = keys->as_object().if_contains(key_id); value && value->is_string())
          return std::string(value->as_string());
    }
  }
  if (auto device = services.device_keys.device_keys(signer, key_id.substr(8))) {
    const auto* keys = device->if_contains("keys");
    if (keys && keys->is_object())
      if (const auto* value = keys->as_object().if_contains(key_id); value && value->is_string())
        return std::string(value->as_string());
  }
  return std::nullopt;
}

json::object upload_keys(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  if (request.device_id.empty()) throw invalid_param("Keys belong to a device; this access token has none");
  const auto* device_keys = optional_object(body, "device_keys");
  const auto* one_time_keys = optional_object(body, "one_time_keys");
  const auto* fallback_keys = optional_object(body, "fallback_keys");
  if (!fallback_keys) fallback_keys = optional_object(body, "org.matrix.msc2732.fallback_keys");
  if (services.device_keys.upload(request.user_id, request.device_id, device_keys, one_time_keys, fallback_keys))
    services.tell_device_change(request.user_id, {request.device_id});
  json::object counts;
  for (const auto& [algorithm, count] : services.device_keys.one_time_key_counts(request.user_id, request.device_id))
    counts[algorithm] = count;
  return {{"one_time_key_counts", std::move(counts)}};
}

// The users of one other server in a query or claim, and the part of the body for them.
std::map<std::string, json::object> by_remote_server(ClientServices& services, const json::object& wanted) {
  std::map<std::string, json::object> servers;
  for (const auto& [user_value, value] : wanted) {
    std::string user_id(user_value);
    if (services.is_local_user(user_id) || !is_valid_user_id(user_id)) continue;
    servers[std::string(server_name_of(user_id))][user_id] = value;
  }
  return servers;
}

// A server's failure, as keys/query and keys/claim report it.
json::object failure_of(const ApiError& error) {
  return json::object{{"status", error.status()}, {"message", error.what()}};
}

// What `server` answered under `field`, for its own users only (a server answers for nobody
// else), into out[field].
void merge_remote(json::object& out, const json::object& answer, std::string_view field, const std::string& server) {
  const auto* part = answer.if_contains(field);
  if (!part || !part->is_object()) return;
  auto& target = out[field].as_object();
  for (const auto& [user, value] : part->as_object())
    if (is_valid_user_id(user) && server_name_of(user) == server && value.is_object()) target[user] = value;
}

boost::asio::awaitable<http::Response> query_keys(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  const auto& wanted = object_member(body, "device_keys");
  if (wanted.size() > kMaxUsersPerQuery) throw invalid_param("Too many users in one query");
  for (const auto& [user, device_list] : wanted)
    if (!device_list.is_array()) throw bad_json("device_keys must map users to arrays of device ids");
  auto local = [&] { return query_local_keys(services, wanted, request.user_id); };
  auto answer = co_await http::run_blocking(services.blocking_pool, local);
  json::object failures;
  for (auto& [server, users] : by_remote_server(services, wanted)) {
    if (!services.federation_keys) {
      failures[server] = json::object{{"status", 503}, {"message", "This server does not federate"}};
      continue;
    }
    try {
      auto asking = services.federation_keys(server, "query", json::object{{"device_keys", users}});
      auto remote = co_await std::move(asking);
      for (auto field : {"device_keys", "master_keys", "self_signing_keys"}) merge_remote(answer, remote, field, server);
    } catch (const ApiError& error) {
      failures[server] = failure_of(error);
    }
  }
  answer["failures"] = std::move(failures);
  co_return http::Response::json(std::move(answer));
}

boost::asio::awaitable<http::Response> claim_keys(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  const auto& wanted = object_member(body, "one_time_keys");
  if (wanted.size() > kMaxUsersPerQuery) throw invalid_param("Too many users in one claim");
  for (const auto& [user, devices] : wanted) {
    if (!devices.is_object()) throw bad_json("one_time_keys must map users to {device: algorithm}");
    for (const auto& [device, algorithm] : devices.as_object())
      if (!algorithm.is_string()) throw bad_json("one_time_keys must map devices to algorithm names");
  }
  auto local = [&] { return claim_local_keys(services, wanted); };
  auto answer = co_await http::run_blocking(services.blocking_pool, local);
  json::object failures;
  for (auto& [server, users] : by_remote_server(services, wanted)) {
    if (!services.federation_keys) {
      failures[server] = json::object{{"status", 503}, {"message", "This server does not federate"}};
      continue;
    }
    try {
      auto asking = services.federation_keys(server, "claim", json::object{{"one_time_keys", users}});
      auto remote = co_await std::move(asking);
      merge_remote(answer, remote, "one_time_keys", server);
    } catch (const ApiError& error) {
      failures[server] = failure_of(error);
    }
  }
  answer["failures"] = std::move(failures);
  co_return http::Response::json(std::move(answer));
}

// keys/changes (keys.yaml): `changed` are room mates who changed their keys or began to share a
// room with the user in (from, to]; `left` those who shared one then and share none now.
json::object key_changes(ClientServices& services, http::Request& request) {
  auto from = request.query_param("from");
  auto to = request.query_param("to");
  if (!from || !to) throw missing_param("keys/changes needs 'from' and 'to'");
  auto after = parse_stream_token(*from);
  auto up_to = std::min(parse_stream_token(*to), services.rooms.current_stream());
  constexpr std::size_t kMaxEventsWalked = 1000;  // per room; past it, every member counts as changed
  auto users = services.device_keys.changed_users(after, up_to);
  std::set<std::string> maybe_left;
  auto note = [&](const Event& event) {
    if (event.type != "m.room.member" || !event.state_key || *event.state_key == request.user_id) return;
    auto membership = event.membership();
    if (membership == "join") users.insert(*event.state_key);
    if (membership == "leave" || membership == "ban") maybe_left.insert(*event.state_key);
  };
  for (const auto& record : services.rooms.rooms_of_user(request.user_id)) {
    if (record.stream > up_to) continue;
    bool changed_in_window = record.stream > after;
    if (record.membership == "join" && changed_in_window) {
      for (auto& member : services.rooms.joined_members(record.room_id)) users.insert(std::move(member));
    } else if (record.membership == "join") {
      auto events = services.rooms.room_events(record.room_id, after, up_to, kMaxEventsWalked + 1, false);
      if (events.size() > kMaxEventsWalked) {
        for (auto& member : services.rooms.joined_members(record.room_id)) users.insert(std::move(member));
      } else {
        for (const auto& event : events) note(*event);
      }
    } else if ((record.membership == "leave" || record.membership == "ban") && changed_in_window) {
      for (auto& member : services.rooms.joined_members(record.room_id)) maybe_left.insert(std::move(member));
    }
  }
  auto mates = services.room_mates(request.user_id);
  std::set<std::string> mate_set(mates.begin(), mates.end());
  json::array changed, left;
  for (const auto& user : users)
    if (mate_set.count(user)) changed.push_back(json::string(user));
  for (const auto& user : maybe_left)
    if (user != request.user_id && !mate_set.count(user)) left.push_back(json::string(user));
  return {{"changed", std::move(changed)}, {"left", std::move(left)}};
}

// keys/device_signing/upload, after UIA where it is needed.
struct CrossSigningUpload {
  std::map<std::string, json::object> keys;  // by usage
  bool needs_auth = true;
};

CrossSigningUpload check_cross_signing_upload(ClientServices& services, const std::string& user_id,
                                              const json::object& body) {
  CrossSigningUpload upload;
  for (auto [field, usage] : {std::pair{"master_key", "master"}, std::pair{"self_signing_key", "self_signing"},
                              std::pair{"user_signing_key", "user_signing"}}) {
    if (const auto* key = optional_object(body, field)) upload.keys[usage] = *key;
  }
  auto stored_master = services.device_keys.cross_signing_key(user_id, "master");
  // UIA is not needed for the first keys, nor to upload exactly the keys already stored (a retry).
  if (!stored_master) {
    upload.needs_auth = false;
  } else {
    bool all_same = !upload.keys.empty();
    for (const auto& [usage, key] : upload.keys) {
      auto stored = services.device_keys.cross_signing_key(user_id, usage);
      all_same &= stored && *stored == key;
    }
    upload.needs_auth = !all_same;
  }
  return upload;
}

void store_cross_signing_keys(ClientServices& services, const std::string& user_id, CrossSigningUpload& upload) {
  std::optional<json::object> master;
  if (auto it = upload.keys.find("master"); it != upload.keys.end()) master = it->second;
  else master = services.device_keys.cross_signing_key(user_id, "master");
  if (!master) throw missing_param("No master signing key is available");
  auto [master_id, master_public] = cross_signing_public_key(*master, user_id, "master");
  for (const auto& [usage, key] : upload.keys) {
    cross_signing_public_key(key, user_id, usage);
    if (usage == "master") continue;
    if (!verify_json_signature(key, user_id, master_id, master_public))
      throw ApiError(400, "M_INVALID_SIGNATURE", "The " + usage + " key is not signed by the master key");
  }
  if (upload.keys.empty()) return;
  services.device_keys.put_cross_signing_keys(user_id, upload.keys);
  services.tell_device_change(user_id);
}

boost::asio::awaitable<http::Response> upload_cross_signing(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  auto check = [&] { return check_cross_signing_upload(services, request.user_id, body); };
  auto upload = co_await http::run_blocking(services.blocking_pool, check);
  // An appservice acts for its users without their passwords (cross_signing.yaml, v1.17).
  if (upload.needs_auth && request.appservice_id.empty()) {
    auto verdict = co_await check_password_stage(services, body, request.user_id);
    auto run = [&] {
      services.uia.require(body, {{"m.login.password"}}, "device_signing_upload:" + request.user_id,
                           password_stage(verdict));
      store_cross_signing_keys(services, request.user_id, upload);
    };
    co_await http::run_blocking(services.blocking_pool, run);
  } else {
    auto run = [&] { store_cross_signing_keys(services, request.user_id, upload); };
    co_await http::run_blocking(services.blocking_pool, run);
  }
  co_return http::Response::json(json::object{});
}

json::object upload_signatures(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  const auto& signer = request.user_id;
  json::object failures;
  std::set<std::string> changed_users;
  auto fail = [&](const std::string& user, const std::string& key_id, std::string errcode, std::string message) {
    auto& by_user = failures[user];
    if (!by_user.is_object()) by_user = json::object{};
    by_user.as_object()[key_id] = json::object{{"errcode", std::move(errcode)}, {"error", std::move(message)}};
  };
  for (const auto& [user_value, objects] : body) {
    std::string user_id(user_value);
    if (!objects.is_object()) throw bad_json("Signatures must map users to {key id: signed object}");
    for (const auto& [key_value, signed_value] : objects.as_object()) {
      std::string key_id(key_value);
      if (!signed_value.is_object()) {
        fail(user_id, key_id, "M_BAD_JSON", "Not an object");
        continue;
      }
      const auto& signed_object = signed_value.as_object();
      // What is signed: one of the target's devices, or one of its cross-signing keys (named by
      // its public key). Another user's keys may be signed only by the signer's user-signing key.
      std::string usage;
      for (auto candidate : kUsages) {
        auto key = services.device_keys.cross_signing_key(user_id, std::string(candidate));
        if (key && key->if_contains("keys") && key->at("keys").is_object() &&
            key->at("keys").as_object().contains("ed25519:" + key_id))
          usage = candidate;
      }
      bool is_device = usage.empty();
      if (user_id != signer && (is_device || usage != "master")) {
        fail(user_id, key_id, "M_FORBIDDEN", "Only another user's master key may be signed");
        continue;
      }
      auto stored = is_device ? services.device_keys.device_keys(user_id, key_id)
                              : services.device_keys.cross_signing_key(user_id, usage);
      if (!stored) {
        fail(user_id, key_id, "M_NOT_FOUND", "Unknown key");
        continue;
      }
      // The object signed must be the stored one (signatures aside).
      auto bare_stored = *stored, bare_signed = signed_object;
      for (auto* object : {&bare_stored, &bare_signed}) {
        object->erase("signatures");
        object->erase("unsigned");
      }
      if (bare_stored != bare_signed) {
        fail(user_id, key_id, "M_INVALID_SIGNATURE", "The signed object is not the stored key");
        continue;
      }
      const auto* signatures = signed_object.if_contains("signatures");
      const json::value* mine = signatures && signatures->is_object() ? signatures->as_object().if_contains(signer) : nullptr;
      if (!mine || !mine->is_object() || mine->as_object().empty()) {
        fail(user_id, key_id, "M_INVALID_SIGNATURE", "No signature of the uploader");
        continue;
      }
      json::object verified;
      bool all_good = true;
      const auto* stored_signatures = stored->if_contains("signatures");
      const json::value* stored_mine =
          stored_signatures && stored_signatures->is_object() ? stored_signatures->as_object().if_contains(signer) : nullptr;
      for (const auto& [signature_key_id, signature] : mine->as_object()) {
        // Only new signatures are checked and added: those already stored came with the key.
        if (stored_mine && stored_mine->is_object()) {
          const auto* known = stored_mine->as_object().if_contains(signature_key_id);
          if (known && *known == signature) continue;
        }
        auto public_key = signing_key_of(services, signer, std::string(signature_key_id));
        if (!public_key || !signature.is_string() ||
            !verify_json_signature(signed_object, signer, signature_key_id, *public_key)) {
          all_good = false;
          break;
        }
        verified[signature_key_id] = signature;
      }
      if (!all_good) {
        fail(user_id, key_id, "M_INVALID_SIGNATURE", "Invalid signature");
        continue;
      }
      if (verified.empty()) continue;  // the same signatures again: a retry
      if (services.device_keys.add_signatures(user_id, is_device ? key_id : usage, !is_device, signer, verified))
        changed_users.insert(user_id);
    }
  }
  for (const auto& user : changed_users) services.tell_device_change(user);
  return {{"failures", std::move(failures)}};
}

}  // namespace

json::object query_local_keys(ClientServices& services, const json::object& wanted, const std::string& observer) {
  json::object devices_out, master_out, self_out, user_signing_out;
  for (const auto& [user_value, device_list] : wanted) {
    std::string user_id(user_value);
    if (!services.is_local_user(user_id) || !device_list.is_array()) continue;
    std::set<std::string> requested;
    for (const auto& id : device_list.as_array())
      if (id.is_string()) requested.emplace(id.as_string());
    json::object user_devices;
    auto stored = services.device_keys.device_keys(user_id);
    if (!stored.empty()) {
      for (const auto& device : services.accounts.devices(user_id)) {
        if (!requested.empty() && !requested.count(device.device_id)) continue;
        auto found = stored.find(device.device_id);
        if (found == stored.end()) continue;
        auto keys = visible_to(found->second, user_id, observer);
        if (!device.display_name.empty())
          keys["unsigned"] = json::object{{"device_display_name", device.display_name}};
        user_devices[device.device_id] = std::move(keys);
      }
    }
    devices_out[user_id] = std::move(user_devices);
    if (auto master = services.device_keys.cross_signing_key(user_id, "master"))
      master_out[user_id] = visible_to(std::move(*master), user_id, observer);
    if (auto self_signing = services.device_keys.cross_signing_key(user_id, "self_signing"))
      self_out[user_id] = visible_to(std::move(*self_signing), user_id, observer);
    if (user_id == observer)
      if (auto user_signing = services.device_keys.cross_signing_key(user_id, "user_signing"))
        user_signing_out[user_id] = std::move(*user_signing);
  }
  return {{"device_keys", std::move(devices_out)},
          {"master_keys", std::move(master_out)},
          {"self_signing_keys", std::move(self_out)},
          {"user_signing_keys", std::move(user_signing_out)}};
}

json::object claim_local_keys(ClientServices& services, const json::object& wanted) {
  json::object claimed;
  for (const auto& [user_value, devices] : wanted) {
    std::string user_id(user_value);
    if (!services.is_local_user(user_id) || !devices.is_object()) continue;
    json::object user_keys;
    for (const auto& [device_value, algorithm] : devices.as_object()) {
      if (!algorithm.is_string()) continue;
      std::string device_id(device_value);
      if (!services.accounts.device(user_id, device_id)) continue;
      if (auto key = services.device_keys.claim(user_id, device_id, std::string(algorithm.as_string())))
        user_keys[device_id] = json::object{{key->key_id, key->key}};
    }
    if (!user_keys.empty()) claimed[user_id] = std::move(user_keys);
  }
  return {{"one_time_keys", std::move(claimed)}};
}

void ClientServices::tell_device_change(const std::string& user_id, const std::vector<std::string>& device_ids,
                                        bool deleted) {
  auto mates = room_mates(user_id);
  auto stream = device_keys.note_change(user_id, [this, mates = std::move(mates)] { notifier.wake(mates); });
  if (federation_device_change && is_local_user(user_id)) federation_device_change(user_id, device_ids, deleted, stream);
}

void register_key_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::post, "/keys/upload", http::Auth::required,
                    [&services](http::Request& request) { return http::Response::json(upload_keys(services, request)); });
  router.add_client_async(verb::post, "/keys/query", http::Auth::required,
                          [&services](http::Request& request) { return query_keys(services, request); });
  router.add_client_async(verb::post, "/keys/claim", http::Auth::required,
                          [&services](http::Request& request) { return claim_keys(services, request); });
  router.add_client(verb::get, "/keys/changes", http::Auth::required,
                    [&services](http::Request& request) { return http::Response::json(key_changes(services, request)); });
  router.add_client_async(verb::post, "/keys/device_signing/upload", http::Auth::required,
                          [&services](http::Request& request) { return upload_cross_signing(services, request); });
  router.add_client(verb::post, "/keys/signatures/upload", http::Auth::required, [&services](http::Request& request) {
    return http::Response::json(upload_signatures(services, request));
  });
}

}  // namespace domovoy
