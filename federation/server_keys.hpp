#pragma once
// Other servers' signing keys (server-server-api "Retrieving server keys"): the check of a
// `/_matrix/key/v2/server` response (or one entry of a notary's answer) before anything in it is
// trusted, and the rules for when a key may verify a signature.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace domovoy::federation {

// Why a key response is not to be trusted (its text names the field or the failed check).
class KeyResponseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Keys may be cached at most this long after they were fetched, whatever the response says
// (keys.yaml `valid_until_ts`: "the lesser of this field and 7 days into the future").
inline constexpr std::int64_t kMaxKeyValidityMs = 7LL * 24 * 3600 * 1000;

struct OldVerifyKey {
  std::string key;  // unpadded Base64
  std::int64_t expired_ts = 0;
};

struct ServerKeys {
  std::string server_name;
  // When the keys must be fetched again: the lesser of the response's valid_until_ts and
  // fetched_at + 7 days.
  std::int64_t valid_until_ts = 0;
  std::map<std::string, std::string> verify_keys;  // key id -> unpadded Base64
  std::map<std::string, OldVerifyKey> old_verify_keys;
  // The response as its server signed it (without any notary's signature): what this server
  // passes on when it answers as a notary (keys_query.yaml). Empty for keys kept before it was.
  boost::json::object signed_response;
};

// Checks the response for `server_name` fetched at `fetched_at_ms`: the spec's required fields
// and types; only ed25519 keys with a version of [a-zA-Z0-9_] and 32 bytes of key (others are
// skipped, as unknown algorithms are); named for that server; and signed by that server with at
// least one of its own verify_keys, every such signature valid. Throws KeyResponseError.
ServerKeys check_server_keys(const boost::json::value& response, std::string_view server_name,
                             std::int64_t fetched_at_ms);

// The key `key_id` of these keys that may verify a signature made at `at_ms`, if any: a current
// key while the keys are valid (in room versions 1-4, whose rules ignore valid_until_ts, at any
// time), an old key only for what was signed before it expired.
std::optional<std::string> usable_key(const ServerKeys& keys, std::string_view key_id, std::int64_t at_ms,
                                      bool enforce_valid_until = true);

}  // namespace domovoy::federation
