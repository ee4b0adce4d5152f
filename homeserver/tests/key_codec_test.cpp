// Key encodings (storage/key_codec.hpp): big-endian integers sort numerically; string parts join
// with 0x00 so that a prefix scan finds exactly the keys under some leading parts.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "storage/key_codec.hpp"

namespace domovoy::storage {
namespace {

TEST(KeyCodec, Be64IsEightBigEndianBytes) {
  EXPECT_EQ(be64(0), std::string(8, '\0'));
  EXPECT_EQ(be64(1), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(be64(0x0102030405060708ULL), "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(be64(std::numeric_limits<std::uint64_t>::max()), std::string(8, '\xff'));
}

TEST(KeyCodec, ReadBe64InvertsBe64) {
  for (std::uint64_t value : std::initializer_list<std::uint64_t>{0ULL, 1ULL, 255ULL, 256ULL, 0x8000000000000000ULL, 0xfedcba9876543210ULL,
                              std::numeric_limits<std::uint64_t>::max()}) {
    EXPECT_EQ(read_be64(be64(value)), value);
    EXPECT_EQ(read_be64(be64(value) + "trailing"), value) << "reads only the first 8 bytes";
  }
}

TEST(KeyCodec, AppendBe64Appends) {
  std::string key = "room";
  append_be64(key, 258);
  EXPECT_EQ(key, std::string("room\0\0\0\0\0\0\x01\x02", 12));
}

TEST(KeyCodec, ByteOrderIsNumericOrder) {
  std::mt19937_64 random(12345);
  std::vector<std::uint64_t> values = {0, 1, 255, 256, 65535, 65536, 1ULL << 32, (1ULL << 63) - 1, 1ULL << 63,
                                       std::numeric_limits<std::uint64_t>::max()};
  for (int i = 0; i < 1000; ++i) values.push_back(random() >> (random() % 64));
  for (std::size_t i = 0; i < values.size(); ++i)
    for (std::size_t j = 0; j < values.size(); j += 37) {
      auto a = values[i], b = values[j];
      EXPECT_EQ(a < b, be64(a) < be64(b)) << a << " vs " << b;
      EXPECT_EQ(a == b, be64(a) == be64(b));
    }
}

TEST(KeyCodec, JoinKeySeparatesPartsWithZeroBytes) {
  EXPECT_EQ(join_key({"a", "b", "c"}), std::string("a\0b\0c", 5));
  EXPECT_EQ(join_key({"only"}), "only");
  EXPECT_EQ(join_key({"a", "", "c"}), std::string("a\0\0c", 4));
  EXPECT_EQ(join_key({}), "");
}

TEST(KeyCodec, KeyPrefixEndsWithTheSeparator) {
  EXPECT_EQ(key_prefix({"a", "b"}), std::string("a\0b\0", 4));
  EXPECT_EQ(key_prefix({"!room:x"}), std::string("!room:x\0", 8));
  EXPECT_EQ(key_prefix({}), "");
}

TEST(KeyCodec, PrefixOfOnePartDoesNotMatchALongerPart) {
  // "!a" must not catch the keys of "!ab": the separator ends the part.
  auto prefix = key_prefix({"!a"});
  EXPECT_EQ(join_key({"!a", "@u"}).rfind(prefix, 0), 0u);
  EXPECT_NE(join_key({"!ab", "@u"}).rfind(prefix, 0), 0u);
}

TEST(KeyCodec, JoinedKeysSortByFirstPartThenSecond) {
  std::vector<std::string> keys = {join_key({"b", "a"}), join_key({"a", "z"}), join_key({"ab", "a"}),
                                   join_key({"a", "b"})};
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{join_key({"a", "b"}), join_key({"a", "z"}), join_key({"ab", "a"}),
                                            join_key({"b", "a"})}));
}

TEST(KeyCodec, StreamKeysOfARoomSortByPosition) {
  std::string room = "!r:x";
  auto key = [&](std::uint64_t position) {
    std::string k = key_prefix({room});
    append_be64(k, position);
    return k;
  };
  EXPECT_LT(key(9), key(10));
  EXPECT_LT(key(255), key(256));
  EXPECT_LT(key(1ULL << 40), key((1ULL << 40) + 1));
}

}  // namespace
}  // namespace domovoy::storage
