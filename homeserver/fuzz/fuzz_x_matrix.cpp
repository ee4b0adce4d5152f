// libFuzzer target: the X-Matrix Authorization header of federation requests (federation/x_matrix).
// Invariants: parsing never throws; what it accepts has a non-empty origin, key and sig; written
// back with every value quoted and escaped, it parses to the same parameters; and a header the
// server itself writes for those values verifies with the key that signed it and not with another.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "federation/x_matrix.hpp"
#include "homeserver/fuzz/fuzz_common.hpp"

using namespace domovoy;

namespace {
std::string quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

const SigningKey& signer() {
  static const SigningKey key = SigningKey::generate("ed25519:fuzz");
  return key;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto auth = federation::parse_x_matrix(text);
  if (!auth) return 0;
  if (auth->origin.empty() || auth->key_id.empty() || auth->signature.empty()) fuzz::fail("accepted an empty parameter");
  std::string again = "X-Matrix origin=" + quoted(auth->origin) + ",key=" + quoted(auth->key_id) +
                      ",sig=" + quoted(auth->signature);
  if (!auth->destination.empty()) again += ",destination=" + quoted(auth->destination);
  auto reparsed = federation::parse_x_matrix(again);
  if (!reparsed || reparsed->origin != auth->origin || reparsed->destination != auth->destination ||
      reparsed->key_id != auth->key_id || reparsed->signature != auth->signature)
    fuzz::fail("a parsed header does not survive quoting");
  // The parsed origin as a signer's name, the rest of the input as the URI.
  auto uri = "/_matrix/federation/v1/send/" + auth->signature;
  auto header = federation::x_matrix_header("PUT", uri, auth->origin, "destination.example", nullptr, signer());
  auto own = federation::parse_x_matrix(header);
  if (own && own->origin == auth->origin) {
    if (!federation::verify_x_matrix(*own, "PUT", uri, "destination.example", nullptr, signer().public_key_base64()))
      fuzz::fail("the server's own header does not verify");
    if (federation::verify_x_matrix(*own, "GET", uri, "destination.example", nullptr, signer().public_key_base64()))
      fuzz::fail("a header verifies for another method");
  }
  return 0;
}
