#include "storage/key_codec.hpp"

namespace domovoy::storage {

void append_be64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::uint64_t read_be64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string be64(std::uint64_t value) {
  std::string out;
  append_be64(out, value);
  return out;
}

std::string join_key(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (auto part : parts) {
    if (!first) out.push_back(kKeySeparator);
    out.append(part);
    first = false;
  }
  return out;
}

std::string key_prefix(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) {
    out.append(part);
    out.push_back(kKeySeparator);
  }
  return out;
}

}  // namespace domovoy::storage
