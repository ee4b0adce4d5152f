// Canonical JSON (appendices: "Canonical JSON"): the published vectors of test-vectors.md Part A2
// verbatim, the integer range, and has_only_canonical_integers.
#include <gtest/gtest.h>

#include <limits>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy {
namespace {

struct Vector {
  const char* name;
  const char* input;
  const char* expected;
};

// test-vectors.md Part A2, inputs and expected bytes copied exactly.
const Vector kVectors[] = {
    {"canonical_1", R"json({})json", R"json({})json"},
    {"canonical_2", R"json({
    "one": 1,
    "two": "Two"
})json",
     R"json({"one":1,"two":"Two"})json"},
    {"canonical_3", R"json({
    "b": "2",
    "a": "1"
})json",
     R"json({"a":"1","b":"2"})json"},
    {"canonical_4", R"json({"b":"2","a":"1"})json", R"json({"a":"1","b":"2"})json"},
    {"canonical_5", R"json({
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
})json",
     R"json({"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}})json"},
    {"canonical_6", R"json({
    "a": "日本語"
})json",
     R"json({"a":"日本語"})json"},
    {"canonical_7", R"json({
    "本": 2,
    "日": 1
})json",
     R"json({"日":1,"本":2})json"},
    {"canonical_8", R"json({
    "a": "\u65E5"
})json",
     R"json({"a":"日"})json"},
    {"canonical_9", R"json({
    "a": null
})json",
     R"json({"a":null})json"},
    {"canonical_10", R"json({
    "a": -0,
    "b": 1e10
})json",
     R"json({"a":0,"b":10000000000})json"},
};

class CanonicalJsonVector : public ::testing::TestWithParam<Vector> {};

TEST_P(CanonicalJsonVector, ProducesThePublishedBytes) {
  const auto& vector = GetParam();
  auto value = parse_untrusted_json(vector.input);
  EXPECT_EQ(canonical_json(value), vector.expected);
}

TEST_P(CanonicalJsonVector, IsAFixedPoint) {
  // The canonical form of the canonical form is itself.
  const auto& vector = GetParam();
  auto once = canonical_json(parse_untrusted_json(vector.input));
  EXPECT_EQ(canonical_json(parse_untrusted_json(once)), once);
}

INSTANTIATE_TEST_SUITE_P(SpecA2, CanonicalJsonVector, ::testing::ValuesIn(kVectors),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CanonicalJson, AppendAddsToExistingText) {
  std::string out = "prefix:";
  append_canonical_json(out, test::parse(R"({"b":[1,2],"a":true})"));
  EXPECT_EQ(out, R"(prefix:{"a":true,"b":[1,2]})");
}

TEST(CanonicalJson, SortsKeysByCodePointNotUtf16) {
  // U+FB01 < U+1F600 by code point; UTF-16 order would put the surrogate pair (D83D) first.
  auto value = test::parse(R"({"\ud83d\ude00":1,"\ufb01":2,"z":3,"é":4,"A":5})");
  EXPECT_EQ(canonical_json(value), "{\"A\":5,\"z\":3,\"\xc3\xa9\":4,\"\xef\xac\x81\":2,\"\xf0\x9f\x98\x80\":1}");
}

TEST(CanonicalJson, SortsNestedObjectsButKeepsArrayOrder) {
  auto value = test::parse(R"({"z":{"y":1,"x":[3,1,{"b":0,"a":0}]},"a":[]})");
  EXPECT_EQ(canonical_json(value), R"({"a":[],"z":{"x":[3,1,{"a":0,"b":0}],"y":1}})");
}

TEST(CanonicalJson, EscapesOnlyWhatTheGrammarRequires) {
  // Dedicated escapes for \b \t \n \f \r " \\; \u00XX in lower case for other controls;
  // '/' and DEL and non-ASCII are written as themselves.
  boost::json::object object;
  object["s"] = std::string("\"\\\b\t\n\f\r\x01\x0b\x1f/\x7f\xc3\xa9", 14);
  EXPECT_EQ(canonical_json(object), "{\"s\":\"\\\"\\\\\\b\\t\\n\\f\\r\\u0001\\u000b\\u001f/\x7f\xc3\xa9\"}");
}

TEST(CanonicalJson, WritesLiteralsAndNegativeIntegers) {
  EXPECT_EQ(canonical_json(test::parse(R"([true,false,null,-42,0,""])")), R"([true,false,null,-42,0,""])");
}

TEST(CanonicalJson, AcceptsTheExtremesOfTheIntegerRange) {
  EXPECT_EQ(canonical_json(test::parse("[9007199254740991,-9007199254740991]")),
            "[9007199254740991,-9007199254740991]");
  EXPECT_EQ(kMaxCanonicalInt, 9007199254740991);
}

TEST(CanonicalJson, RefusesIntegersOutsideTheRange) {
  EXPECT_THROW(canonical_json(test::parse("9007199254740992")), NotCanonical);
  EXPECT_THROW(canonical_json(test::parse("-9007199254740992")), NotCanonical);
  EXPECT_THROW(canonical_json(test::parse("18446744073709551615")), NotCanonical);  // uint64
  EXPECT_THROW(canonical_json(test::parse(R"({"a":{"b":[1,9223372036854775807]}})")), NotCanonical);
}

TEST(CanonicalJson, RefusesFractions) {
  EXPECT_THROW(canonical_json(test::parse("1.5")), NotCanonical);
  EXPECT_THROW(canonical_json(test::parse(R"({"a":[0.1]})")), NotCanonical);
  EXPECT_THROW(canonical_json(test::parse("-0.5")), NotCanonical);
}

TEST(CanonicalJson, RefusesIntegralDoublesOutsideTheRange) {
  EXPECT_THROW(canonical_json(test::parse("1e300")), NotCanonical);
  EXPECT_THROW(canonical_json(test::parse("9007199254740992.0")), NotCanonical);
  EXPECT_THROW(canonical_json(boost::json::value(std::numeric_limits<double>::infinity())), NotCanonical);
  EXPECT_THROW(canonical_json(boost::json::value(std::numeric_limits<double>::quiet_NaN())), NotCanonical);
}

TEST(CanonicalJson, WritesIntegralDoublesAsIntegers) {
  EXPECT_EQ(canonical_json(test::parse("[2.0,-3e2,1E3]")), "[2,-300,1000]");
}

TEST(CanonicalIntegers, TrueForIntegersInRange) {
  EXPECT_TRUE(has_only_canonical_integers(test::parse(R"({"a":[1,-9007199254740991,{"b":9007199254740991}],"c":"x"})")));
  EXPECT_TRUE(has_only_canonical_integers(test::parse(R"({})")));
  EXPECT_TRUE(has_only_canonical_integers(test::parse(R"([null,true,"1.5"])")));
}

TEST(CanonicalIntegers, FalseForAnyDoubleEvenIntegral) {
  EXPECT_FALSE(has_only_canonical_integers(test::parse(R"({"a":1.5})")));
  EXPECT_FALSE(has_only_canonical_integers(test::parse(R"({"a":[{"b":2.0}]})")));
  EXPECT_FALSE(has_only_canonical_integers(test::parse(R"({"b":1e10})")));
}

TEST(CanonicalIntegers, FalseOutsideTheRange) {
  EXPECT_FALSE(has_only_canonical_integers(test::parse(R"({"a":9007199254740992})")));
  EXPECT_FALSE(has_only_canonical_integers(test::parse(R"({"a":[-9007199254740992]})")));
  EXPECT_FALSE(has_only_canonical_integers(test::parse(R"({"a":{"b":18446744073709551615}})")));
}

TEST(UntrustedJson, RefusesWhatIsNotOneJsonDocument) {
  for (const char* text : {"", "{", "{} {}", "[1,]", "{\"a\":1,}", "// c\n{}", "nul", "\"\xff\""}) {
    try {
      parse_untrusted_json(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const ApiError& error) {
      EXPECT_EQ(error.errcode(), "M_NOT_JSON") << text;
      EXPECT_EQ(error.status(), 400u);
    }
  }
}

TEST(UntrustedJson, LimitsNestingDepth) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_THROW(parse_untrusted_json(deep), ApiError);
  EXPECT_NO_THROW(parse_untrusted_json(deep, 128));
}

// What the server accepts from a client it stores with to_json and reads back with
// parse_stored_json (account data, room tags, filters). Whatever parse_untrusted_json accepts
// must survive that round trip, or the stored record breaks every later read (and /sync).
TEST(UntrustedJson, AcceptedValuesSurviveTheStorageRoundTrip) {
  const std::string deep = "{\"a\":" + std::string(40, '[') + "1" + std::string(40, ']') + "}";  // depth 41 < 64
  for (std::string text : {std::string(R"({"a":1e400})"), std::string(R"({"order":-1e400})"), std::string("[1e999]"),
                           std::string(R"({"a":1.5,"b":-0.0,"c":1e308})"), deep}) {
    json::value value;
    try {
      value = parse_untrusted_json(text);
    } catch (const ApiError&) {
      continue;  // refusing such numbers up front is fine too
    }
    auto stored = to_json(value);
    try {
      EXPECT_EQ(parse_stored_json(stored), value) << text << " stored as " << stored;
    } catch (const std::exception& error) {
      ADD_FAILURE() << text << " was accepted, stored as " << stored << ", and cannot be read back: " << error.what();
    }
  }
}

TEST(UntrustedJson, ObjectBodiesMustBeObjects) {
  try {
    parse_json_object("[1]");
    ADD_FAILURE() << "an array was accepted as an object body";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.errcode(), "M_BAD_JSON");
  }
  EXPECT_EQ(parse_json_object(R"({"a":1})").at("a").as_int64(), 1);
}

}  // namespace
}  // namespace domovoy
