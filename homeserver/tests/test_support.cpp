#include "homeserver/tests/test_support.hpp"

#include <sodium.h>
#include <stdlib.h>

#include <stdexcept>
#include <system_error>

namespace domovoy::test {

namespace {
// main() of the server calls sodium_init(); the tests do the same before any test runs.
const bool kSodiumReady = [] {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  return true;
}();
}  // namespace

boost::json::value parse(std::string_view text) { return boost::json::parse(text); }

boost::json::object parse_object(std::string_view text) { return boost::json::parse(text).as_object(); }

std::string from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("bad hex digit");
  };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

TempDir::TempDir() {
  auto pattern = (std::filesystem::temp_directory_path() / "domovoy-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::str(std::string_view child) const {
  return child.empty() ? path_.string() : (path_ / std::string(child)).string();
}

}  // namespace domovoy::test
