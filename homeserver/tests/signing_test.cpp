// Signing JSON and events with the spec's test key (test-vectors.md A3, A4, A5) and the derived
// room v11/v12 values (B3, B4); tampering must break verification.
#include <gtest/gtest.h>

#include "homeserver/events/base64.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy {
namespace {

constexpr const char* kSeedBase64 = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";  // A3, verbatim
constexpr const char* kPublicKey = "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI";   // B1 (derived)
constexpr const char* kServer = "domain";
constexpr const char* kKeyId = "ed25519:1";

SigningKey spec_key() {
  auto seed = base64_decode(kSeedBase64);
  if (!seed) throw std::runtime_error("the spec's seed did not decode");
  return SigningKey::from_seed(*seed, kKeyId);
}

const RoomVersion& version(const char* id) {
  const auto* found = find_room_version(id);
  if (!found) throw std::runtime_error(std::string("no room version ") + id);
  return *found;
}

// A5 inputs, verbatim.
constexpr const char* kMinimalEvent = R"json({
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "signatures": {},
    "hashes": {},
    "type": "X",
    "content": {},
    "prev_events": [],
    "auth_events": [],
    "depth": 3,
    "unsigned": {
        "age_ts": 1000000
    }
})json";

constexpr const char* kRedactableEvent = R"json({
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {},
    "unsigned": {
        "age_ts": 1000000
    }
})json";

// A5 expected outputs, verbatim.
constexpr const char* kMinimalSigned = R"json({
    "auth_events": [],
    "content": {},
    "depth": 3,
    "hashes": {
        "sha256": "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "prev_events": [],
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg"
        }
    },
    "type": "X",
    "unsigned": {
        "age_ts": 1000000
    }
})json";

constexpr const char* kRedactableSigned = R"json({
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "hashes": {
        "sha256": "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"
        }
    },
    "unsigned": {
        "age_ts": 1000000
    }
})json";

std::string signature_of(const boost::json::object& object) {
  return std::string(object.at("signatures").at(kServer).at(kKeyId).as_string());
}

TEST(SigningKey, SpecSeedGivesTheKnownPublicKey) {
  auto key = spec_key();
  EXPECT_EQ(key.public_key_base64(), kPublicKey);
  EXPECT_EQ(key.key_id(), kKeyId);
  EXPECT_EQ(test::to_hex(key.seed()), "6090c103d5e7af6b15a970fd563ed75549e6159719ae5c3c31dee4316fb75c0d");
}

TEST(SigningKey, RefusesSeedsOfTheWrongLength) {
  EXPECT_THROW(SigningKey::from_seed(std::string(31, 'x'), kKeyId), std::invalid_argument);
  EXPECT_THROW(SigningKey::from_seed(std::string(33, 'x'), kKeyId), std::invalid_argument);
}

TEST(SigningKey, GeneratedKeysDifferAndRoundTripThroughTheirSeed) {
  auto a = SigningKey::generate("ed25519:a");
  auto b = SigningKey::generate("ed25519:b");
  EXPECT_NE(a.public_key_base64(), b.public_key_base64());
  EXPECT_EQ(SigningKey::from_seed(a.seed(), "ed25519:a").public_key_base64(), a.public_key_base64());
}

TEST(SignJson, EmptyObjectVector) {
  boost::json::object object;
  sign_json(object, kServer, spec_key());
  EXPECT_EQ(boost::json::value(object), test::parse(R"json({
    "signatures": {
        "domain": {
            "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
        }
    }
})json"));
  EXPECT_TRUE(verify_json_signature(object, kServer, kKeyId, kPublicKey));
}

TEST(SignJson, ValuesVector) {
  auto object = test::parse_object(R"json({
    "one": 1,
    "two": "Two"
})json");
  sign_json(object, kServer, spec_key());
  EXPECT_EQ(boost::json::value(object), test::parse(R"json({
    "one": 1,
    "signatures": {
        "domain": {
            "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
        }
    },
    "two": "Two"
})json"));
  EXPECT_TRUE(verify_json_signature(object, kServer, kKeyId, kPublicKey));
}

TEST(SignJson, KeepsUnsignedOutOfTheSignatureAndPutsItBack) {
  auto object = test::parse_object(R"({"one":1,"two":"Two","unsigned":{"age":5}})");
  sign_json(object, kServer, spec_key());
  EXPECT_EQ(object.at("unsigned"), test::parse(R"({"age":5})"));
  // Same signature as the A4 vector without `unsigned`.
  EXPECT_EQ(signature_of(object),
            "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw");
  object["unsigned"] = boost::json::object{{"age", 999}};
  EXPECT_TRUE(verify_json_signature(object, kServer, kKeyId, kPublicKey));
}

TEST(SignJson, KeepsOtherServersSignatures) {
  auto object = test::parse_object(R"({"one":1,"two":"Two","signatures":{"other":{"ed25519:x":"abc"}}})");
  sign_json(object, kServer, spec_key());
  EXPECT_EQ(object.at("signatures").at("other").at("ed25519:x").as_string(), "abc");
  EXPECT_TRUE(verify_json_signature(object, kServer, kKeyId, kPublicKey));
}

TEST(VerifyJson, TamperedObjectFails) {
  auto object = test::parse_object(R"({"one":1,"two":"Two"})");
  sign_json(object, kServer, spec_key());
  ASSERT_TRUE(verify_json_signature(object, kServer, kKeyId, kPublicKey));
  auto changed_value = object;
  changed_value["two"] = "Three";
  EXPECT_FALSE(verify_json_signature(changed_value, kServer, kKeyId, kPublicKey));
  auto added_key = object;
  added_key["three"] = 3;
  EXPECT_FALSE(verify_json_signature(added_key, kServer, kKeyId, kPublicKey));
  auto removed_key = object;
  removed_key.erase("one");
  EXPECT_FALSE(verify_json_signature(removed_key, kServer, kKeyId, kPublicKey));
}

TEST(VerifyJson, TamperedSignatureOrWrongKeyFails) {
  auto object = test::parse_object(R"({"one":1,"two":"Two"})");
  sign_json(object, kServer, spec_key());
  auto signature = signature_of(object);
  auto flipped = object;
  signature[0] = signature[0] == 'A' ? 'B' : 'A';
  flipped["signatures"].as_object()[kServer].as_object()[kKeyId] = signature;
  EXPECT_FALSE(verify_json_signature(flipped, kServer, kKeyId, kPublicKey));
  auto other = SigningKey::generate(kKeyId);
  EXPECT_FALSE(verify_json_signature(object, kServer, kKeyId, other.public_key_base64()));
  EXPECT_FALSE(verify_json_signature(object, "other.server", kKeyId, kPublicKey));
  EXPECT_FALSE(verify_json_signature(object, kServer, "ed25519:2", kPublicKey));
  EXPECT_FALSE(verify_json_signature(object, kServer, kKeyId, "not base64!"));
}

TEST(VerifyJson, UnsignedOrMalformedSignaturesFail) {
  EXPECT_FALSE(verify_json_signature(test::parse_object(R"({"one":1})"), kServer, kKeyId, kPublicKey));
  EXPECT_FALSE(verify_json_signature(test::parse_object(R"({"signatures":[]})"), kServer, kKeyId, kPublicKey));
  EXPECT_FALSE(verify_json_signature(test::parse_object(R"({"signatures":{"domain":{"ed25519:1":5}}})"), kServer,
                                     kKeyId, kPublicKey));
  EXPECT_FALSE(verify_json_signature(test::parse_object(R"({"signatures":{"domain":{"ed25519:1":"Zm9v"}}})"),
                                     kServer, kKeyId, kPublicKey));
}

TEST(VerifyJson, NonCanonicalObjectFailsInsteadOfThrowing) {
  auto object = test::parse_object(R"({"one":1})");
  sign_json(object, kServer, spec_key());
  object["float"] = 1.5;
  EXPECT_FALSE(verify_json_signature(object, kServer, kKeyId, kPublicKey));
}

TEST(ContentHash, MinimalVector) {
  EXPECT_EQ(content_hash(test::parse_object(kMinimalEvent)), "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos");
}

TEST(ContentHash, RedactableVector) {
  EXPECT_EQ(content_hash(test::parse_object(kRedactableEvent)), "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g");
}

TEST(ContentHash, IgnoresUnsignedSignaturesAndHashes) {
  auto event = test::parse_object(kMinimalEvent);
  event["unsigned"] = boost::json::object{{"age", 1}};
  event["signatures"] = boost::json::object{{"x", boost::json::object{}}};
  event["hashes"] = boost::json::object{{"sha256", "abc"}};
  EXPECT_EQ(content_hash(event), "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos");
}

TEST(SignEvent, MinimalVectorWithV10Redaction) {
  auto event = test::parse_object(kMinimalEvent);
  auto event_id = hash_and_sign_event(event, version("10"), kServer, spec_key());
  EXPECT_EQ(boost::json::value(event), test::parse(kMinimalSigned));
  EXPECT_EQ(event_id, "$8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc");  // B4
}

TEST(SignEvent, RedactableVectorWithV10Redaction) {
  auto event = test::parse_object(kRedactableEvent);
  hash_and_sign_event(event, version("10"), kServer, spec_key());
  EXPECT_EQ(boost::json::value(event), test::parse(kRedactableSigned));
}

TEST(SignEvent, SignatureCoversTheRedactedEventAndVerifies) {
  for (const char* input : {kMinimalEvent, kRedactableEvent}) {
    auto event = test::parse_object(input);
    hash_and_sign_event(event, version("10"), kServer, spec_key());
    auto redacted = redact_event(event, version("10"));
    EXPECT_TRUE(verify_json_signature(redacted, kServer, kKeyId, kPublicKey));
    EXPECT_TRUE(content_hash_matches(event));
  }
}

struct DerivedVector {
  const char* version;
  const char* input;
  const char* signature;       // B3 (v11/v12), A5 (v10)
  const char* reference_hash;  // B4, standard Base64
};

const DerivedVector kDerived[] = {
    {"10", kMinimalEvent,
     "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
     "8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc"},
    {"10", kRedactableEvent,
     "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA",
     "oFAil2fHTGY66j9PIsC3hnc+/6r2SQGxCzd1/FUgtOE"},
    {"11", kMinimalEvent,
     "Jxp+1glFcZM+nnHpY0EkedRR7u0VmKsJYGnQqIvqus3UvL5X/p1y6wSkLhGoTBel6MZ9lrMIzUqrjqFquWJKBw",
     "70O/oKlXzFbkfu0KE88USi98DjSWrOELrPj+8tisl8I"},
    {"11", kRedactableEvent,
     "4WQB/6LN2OtkUN/+18xUNB/U4RTX1N3EeKBdlCxux08YO8izKDrSRqML1XB8V97IK7AujkNO1xMl7TaBLA4kDw",
     "4Wse3wARkU3vfz3WvvTUUlWan9kETgdNEiY6CTbJGTQ"},
    {"12", kMinimalEvent,
     "Jxp+1glFcZM+nnHpY0EkedRR7u0VmKsJYGnQqIvqus3UvL5X/p1y6wSkLhGoTBel6MZ9lrMIzUqrjqFquWJKBw",
     "70O/oKlXzFbkfu0KE88USi98DjSWrOELrPj+8tisl8I"},
    {"12", kRedactableEvent,
     "4WQB/6LN2OtkUN/+18xUNB/U4RTX1N3EeKBdlCxux08YO8izKDrSRqML1XB8V97IK7AujkNO1xMl7TaBLA4kDw",
     "4Wse3wARkU3vfz3WvvTUUlWan9kETgdNEiY6CTbJGTQ"},
};

class SignEventDerived : public ::testing::TestWithParam<DerivedVector> {};

TEST_P(SignEventDerived, SignatureReferenceHashAndEventId) {
  const auto& vector = GetParam();
  const auto& room_version = version(vector.version);
  auto event = test::parse_object(vector.input);
  auto event_id = hash_and_sign_event(event, room_version, kServer, spec_key());
  EXPECT_EQ(signature_of(event), vector.signature);
  // The content hash covers the unredacted event and is the same in every version.
  EXPECT_EQ(event.at("hashes").at("sha256").as_string(), content_hash(test::parse_object(vector.input)));
  EXPECT_EQ(base64_encode(reference_hash(event, room_version)), vector.reference_hash);
  auto urlsafe = base64_urlsafe_encode(reference_hash(event, room_version));
  EXPECT_EQ(event_id, "$" + urlsafe);
  EXPECT_EQ(event_id_of(event, room_version), event_id);
  EXPECT_EQ(room_id_from_create_event(event, room_version), "!" + urlsafe);
  // `unsigned` survives signing untouched.
  EXPECT_EQ(event.at("unsigned"), test::parse(R"({"age_ts":1000000})"));
}

INSTANTIATE_TEST_SUITE_P(SpecB3B4, SignEventDerived, ::testing::ValuesIn(kDerived), [](const auto& info) {
  return std::string("v") + info.param.version + (info.param.input == kMinimalEvent ? "_minimal" : "_redactable");
});

TEST(SignEvent, V11EventIdOfMinimalVectorIsUrlSafe) {
  auto event = test::parse_object(kMinimalEvent);
  EXPECT_EQ(hash_and_sign_event(event, version("11"), kServer, spec_key()),
            "$70O_oKlXzFbkfu0KE88USi98DjSWrOELrPj-8tisl8I");  // B4
}

TEST(SignEvent, ReferenceHashIgnoresSignaturesAndUnsigned) {
  auto event = test::parse_object(kMinimalEvent);
  hash_and_sign_event(event, version("12"), kServer, spec_key());
  auto hash = reference_hash(event, version("12"));
  event["signatures"] = boost::json::object{{"elsewhere", boost::json::object{{"ed25519:9", "x"}}}};
  event["unsigned"] = boost::json::object{{"age", 12345}};
  EXPECT_EQ(reference_hash(event, version("12")), hash);
  event["depth"] = 4;
  EXPECT_NE(reference_hash(event, version("12")), hash);
}

TEST(SignEvent, TamperedContentBreaksTheContentHashNotTheSignature) {
  auto event = test::parse_object(kRedactableEvent);
  hash_and_sign_event(event, version("11"), kServer, spec_key());
  ASSERT_TRUE(content_hash_matches(event));
  event["content"].as_object()["body"] = "Something else";
  EXPECT_FALSE(content_hash_matches(event));
  // A message's content is redacted away, so the signature still holds (that is why the
  // content hash exists).
  EXPECT_TRUE(verify_json_signature(redact_event(event, version("11")), kServer, kKeyId, kPublicKey));
}

TEST(SignEvent, TamperedEssentialFieldBreaksTheSignature) {
  auto event = test::parse_object(kRedactableEvent);
  hash_and_sign_event(event, version("11"), kServer, spec_key());
  event["sender"] = "@mallory:domain";
  EXPECT_FALSE(verify_json_signature(redact_event(event, version("11")), kServer, kKeyId, kPublicKey));
}

TEST(ContentHashMatches, FalseWithoutOrWithMalformedHashes) {
  auto event = test::parse_object(kMinimalEvent);
  event.erase("hashes");
  EXPECT_FALSE(content_hash_matches(event));
  event["hashes"] = boost::json::object{{"sha256", 5}};
  EXPECT_FALSE(content_hash_matches(event));
  event["hashes"] = boost::json::object{{"sha256", "!!!"}};
  EXPECT_FALSE(content_hash_matches(event));
  event["hashes"] = boost::json::object{{"sha256", "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"}};
  EXPECT_TRUE(content_hash_matches(event));
}

TEST(ContentHashMatches, NonCanonicalEventIsFalseNotAnException) {
  // A PDU holding a float has no canonical form, so no content hash can match it. The predicate
  // should say false (as verify_json_signature does), not throw at a caller checking a PDU.
  auto event = test::parse_object(kMinimalEvent);
  event["content"] = boost::json::object{{"n", 1.5}};
  event["hashes"] = boost::json::object{{"sha256", "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"}};
  bool matches = true;
  EXPECT_NO_THROW(matches = content_hash_matches(event));
  EXPECT_FALSE(matches);
}

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(test::to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(test::to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace domovoy
