#pragma once
// Key encodings for RocksDB. Integers are fixed-width big-endian so that byte order is numeric
// order; string parts are joined by a 0x00 byte, which never occurs in Matrix identifiers, so
// that "all keys of room R" is the prefix scan "R\0".
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace domovoy::storage {

constexpr char kKeySeparator = '\0';

void append_be64(std::string& out, std::uint64_t value);
std::uint64_t read_be64(std::string_view bytes);  // reads the first 8 bytes
std::string be64(std::uint64_t value);

// "a\0b\0c": parts joined with the separator.
std::string join_key(std::initializer_list<std::string_view> parts);
// "a\0b\0": the prefix under which every key that starts with these parts lives.
std::string key_prefix(std::initializer_list<std::string_view> parts);

}  // namespace domovoy::storage
