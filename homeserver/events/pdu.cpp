#include "homeserver/events/pdu.hpp"

#include <array>
#include <initializer_list>

#include "homeserver/events/base64.hpp"
#include "homeserver/events/canonical_json.hpp"

namespace domovoy {

namespace json = boost::json;

namespace {
constexpr std::array<std::string_view, 12> kKeptTopLevelV11 = {
    "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures",
    "depth", "prev_events", "auth_events", "origin_server_ts"};
constexpr std::array<std::string_view, 3> kExtraKeptBeforeV11 = {"origin", "membership", "prev_state"};

json::object keep_keys(const json::object& content, std::initializer_list<std::string_view> keys) {
  json::object kept;
  for (auto key : keys)
    if (const auto* value = content.if_contains(key)) kept[key] = *value;
  return kept;
}

json::object redact_content(std::string_view type, const json::object& content, const RoomVersion& version) {
  if (type == "m.room.member") {
    auto kept = keep_keys(content, {"membership", "join_authorised_via_users_server"});
    if (version.v11_redaction) {
      const auto* invite = content.if_contains("third_party_invite");
      if (invite && invite->is_object()) {
        if (const auto* signed_part = invite->as_object().if_contains("signed"))
          kept["third_party_invite"] = json::object{{"signed", *signed_part}};
      }
    }
    return kept;
  }
  if (type == "m.room.create") return version.v11_redaction ? content : keep_keys(content, {"creator"});
  if (type == "m.room.join_rules") return keep_keys(content, {"join_rule", "allow"});
  if (type == "m.room.power_levels") {
    if (version.v11_redaction)
      return keep_keys(content, {"ban", "events", "events_default", "invite", "kick", "redact", "state_default",
                                 "users", "users_default"});
    return keep_keys(content,
                     {"ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"});
  }
  if (type == "m.room.history_visibility") return keep_keys(content, {"history_visibility"});
  if (type == "m.room.redaction" && version.v11_redaction) return keep_keys(content, {"redacts"});
  return {};
}

}  // namespace

json::object redact_event(const json::object& event, const RoomVersion& version) {
  json::object redacted;
  auto keep = [&](std::string_view key) {
    if (const auto* value = event.if_contains(key)) redacted[key] = *value;
  };
  for (auto key : kKeptTopLevelV11) keep(key);
  if (!version.v11_redaction)
    for (auto key : kExtraKeptBeforeV11) keep(key);
  std::string_view type;
  if (const auto* type_value = event.if_contains("type"); type_value && type_value->is_string())
    type = type_value->as_string();
  json::object content;
  if (const auto* content_value = event.if_contains("content"); content_value && content_value->is_object())
    content = content_value->as_object();
  redacted["content"] = redact_content(type, content, version);
  return redacted;
}

std::string content_hash(const json::object& event) {
  return base64_encode(sha256(canonical_json_without(event, {"unsigned", "signatures", "hashes"})));
}

std::string reference_hash(const json::object& event, const RoomVersion& version) {
  return sha256(canonical_json_without(redact_event(event, version), {"signatures", "unsigned"}));
}

std::string event_id_of(const json::object& event, const RoomVersion& version) {
  return "$" + base64_urlsafe_encode(reference_hash(event, version));
}

std::string room_id_from_create_event(const json::object& create_event, const RoomVersion& version) {
  return "!" + base64_urlsafe_encode(reference_hash(create_event, version));
}

std::string hash_and_sign_event(json::object& event, const RoomVersion& version, std::string_view server_name,
                                const SigningKey& key) {
  event["hashes"] = json::object{{"sha256", content_hash(event)}};
  event.erase("signatures");
  // The signed bytes and the reference hash are the same canonical redacted event: build it once.
  auto canonical = canonical_json_without(redact_event(event, version), {"signatures", "unsigned"});
  json::object signatures{{server_name, json::object{{key.key_id(), key.sign_base64(canonical)}}}};
  event["signatures"] = std::move(signatures);
  return "$" + base64_urlsafe_encode(sha256(canonical));
}

bool content_hash_matches(const json::object& event) {
  const auto* hashes = event.if_contains("hashes");
  if (!hashes || !hashes->is_object()) return false;
  const auto* hash = hashes->as_object().if_contains("sha256");
  if (!hash || !hash->is_string()) return false;
  auto expected = base64_decode(hash->as_string());
  std::optional<std::string> actual;
  try {
    actual = base64_decode(content_hash(event));
  } catch (const NotCanonical&) {
    return false;  // no canonical form, so no hash can match it
  }
  return expected && actual && *expected == *actual;
}

}  // namespace domovoy
