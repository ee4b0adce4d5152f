#include "homeserver/core/random.hpp"

#include <sodium.h>

#include <chrono>
#include <vector>

#include "homeserver/events/base64.hpp"

namespace domovoy {

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  randombytes_buf(buffer.data(), buffer.size());
  return base64_urlsafe_encode({reinterpret_cast<const char*>(buffer.data()), buffer.size()});
}

std::string random_letters(std::size_t count) {
  static constexpr char kLetters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(kLetters[randombytes_uniform(sizeof(kLetters) - 1)]);
  return out;
}


}  // namespace domovoy
