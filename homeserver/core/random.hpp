#pragma once
#include <cstdint>
#include <string>

namespace domovoy {

// `bytes` random bytes from libsodium's CSPRNG, URL-safe unpadded Base64.
std::string random_token(std::size_t bytes = 32);
// Random string of [A-Za-z] letters, for device ids and room-id localparts.
std::string random_letters(std::size_t count);

}  // namespace domovoy
