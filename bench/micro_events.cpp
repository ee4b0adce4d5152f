// Inner loops of event handling: canonical JSON, hashing, signing, verifying, auth checks.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <map>

#include "homeserver/core/json.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/rooms/auth_rules.hpp"

namespace {

using namespace domovoy;

json::object sample_event() {
  return json::parse(R"({"type":"m.room.message","sender":"@alice:example.org","room_id":"!abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "content":{"msgtype":"m.text","body":"Завтра в 10:00 отключат горячую воду в подъезде 2, просьба набрать воды заранее."},
    "origin_server_ts":1795000000000,"depth":1234,"prev_events":["$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"],
    "auth_events":["$acR1l0raoZnm60CBwAVgqbZqoO_mYU81xysh1u7XcJk","$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o","$8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc"]})")
      .as_object();
}

const SigningKey& test_key() {
  static const SigningKey key = [] {
    if (sodium_init() < 0) std::abort();
    return SigningKey::generate("ed25519:bench");
  }();
  return key;
}

void BM_CanonicalJson(benchmark::State& state) {
  json::value event = sample_event();
  for (auto _ : state) benchmark::DoNotOptimize(canonical_json(event));
}
BENCHMARK(BM_CanonicalJson);

void BM_HashAndSignEvent(benchmark::State& state) {
  const auto* version = find_room_version("12");
  for (auto _ : state) {
    auto event = sample_event();
    benchmark::DoNotOptimize(hash_and_sign_event(event, *version, "example.org", test_key()));
  }
}
BENCHMARK(BM_HashAndSignEvent);

void BM_VerifyEventSignature(benchmark::State& state) {
  const auto* version = find_room_version("12");
  auto event = sample_event();
  hash_and_sign_event(event, *version, "example.org", test_key());
  auto redacted = redact_event(event, *version);
  auto public_key = test_key().public_key_base64();
  for (auto _ : state)
    benchmark::DoNotOptimize(verify_json_signature(redacted, "example.org", "ed25519:bench", public_key));
}
BENCHMARK(BM_VerifyEventSignature);

void BM_AuthCheckMessage(benchmark::State& state) {
  const auto* version = find_room_version("12");
  auto create = Event::from_pdu(json::parse(R"({"type":"m.room.create","state_key":"","sender":"@alice:example.org",
      "content":{"room_version":"12"},"prev_events":[],"auth_events":[],"depth":1,"origin_server_ts":1})").as_object(),
                                "$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "!abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  auto member = Event::from_pdu(json::parse(R"({"type":"m.room.member","state_key":"@alice:example.org","sender":"@alice:example.org",
      "content":{"membership":"join"},"prev_events":[],"auth_events":[],"depth":2,"origin_server_ts":1})").as_object(),
                                "$member", "!abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  std::map<StateKey, EventPtr> state_map{{{"m.room.create", ""}, create}, {{"m.room.member", "@alice:example.org"}, member}};
  StateLookup lookup = [&](std::string_view type, std::string_view key) -> EventPtr {
    auto it = state_map.find(StateKey{std::string(type), std::string(key)});
    return it == state_map.end() ? nullptr : it->second;
  };
  auto message = Event::from_pdu(sample_event(), "$message", "!abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  for (auto _ : state) benchmark::DoNotOptimize(check_auth_rules(*message, *version, lookup));
}
BENCHMARK(BM_AuthCheckMessage);

}  // namespace
