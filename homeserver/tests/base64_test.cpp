// Unpadded Base64 (appendices: "Unpadded Base64"): vectors A1, URL-safe variant, lenient decoding
// (padding, either alphabet, the spec's signing-key seed whose spare bits are not zero, note B1).
#include <gtest/gtest.h>

#include "homeserver/events/base64.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy {
namespace {

struct Vector {
  const char* input;
  const char* expected;
};

// test-vectors.md A1.
const Vector kVectors[] = {
    {"", ""},           {"f", "Zg"},         {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

class Base64Vector : public ::testing::TestWithParam<Vector> {};

TEST_P(Base64Vector, EncodesUnpadded) {
  EXPECT_EQ(base64_encode(GetParam().input), GetParam().expected);
  EXPECT_EQ(base64_urlsafe_encode(GetParam().input), GetParam().expected);  // no '+' or '/' in these
}

TEST_P(Base64Vector, DecodesBack) {
  auto decoded = base64_decode(GetParam().expected);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, GetParam().input);
}

INSTANTIATE_TEST_SUITE_P(SpecA1, Base64Vector, ::testing::ValuesIn(kVectors), [](const auto& info) {
  return "len" + std::to_string(std::string_view(info.param.input).size());
});

TEST(Base64, StandardAndUrlSafeAlphabetsDiffer) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64_urlsafe_encode(bytes), "-_-_");
}

TEST(Base64, DecodesBothAlphabets) {
  const std::string bytes("\xfb\xff\xbf\x00\x10", 5);
  EXPECT_EQ(base64_decode("+/+/ABA"), bytes);
  EXPECT_EQ(base64_decode("-_-_ABA"), bytes);
}

TEST(Base64, AcceptsPadding) {
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
}

TEST(Base64, RefusesBadInput) {
  EXPECT_FALSE(base64_decode("Z").has_value());        // one character carries no byte
  EXPECT_FALSE(base64_decode("Zm9vY").has_value());    // nor does 4n+1
  EXPECT_FALSE(base64_decode("Zm 9v").has_value());    // not in either alphabet
  EXPECT_FALSE(base64_decode("Zm9v!").has_value());
  EXPECT_FALSE(base64_decode("Zg==Zg").has_value());   // padding in the middle
}

TEST(Base64, IgnoresNonZeroSpareBits) {
  // 'h' = 33 = 100001: the low four bits are spare in a 2-character group.
  EXPECT_EQ(base64_decode("Zh"), "f");
  // '9' = 61 = 111101 in a 3-character group: the low two bits are spare.
  EXPECT_EQ(base64_decode("Zm9"), "fo");
  EXPECT_EQ(base64_decode("Zm8"), "fo");
}

TEST(Base64, DecodesTheSpecSigningKeySeed) {
  // A3's seed ends in '1', leaving spare bits 01 (note B1); strict decoders refuse it.
  auto seed = base64_decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1");
  ASSERT_TRUE(seed.has_value());
  EXPECT_EQ(test::to_hex(*seed), "6090c103d5e7af6b15a970fd563ed75549e6159719ae5c3c31dee4316fb75c0d");
  EXPECT_EQ(base64_decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0"), seed);
  EXPECT_EQ(base64_encode(*seed), "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0");
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
    ASSERT_EQ(base64_decode(base64_encode(bytes)), bytes) << i;
    ASSERT_EQ(base64_decode(base64_urlsafe_encode(bytes)), bytes) << i;
  }
}

}  // namespace
}  // namespace domovoy
