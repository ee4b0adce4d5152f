#pragma once
// Request authentication between servers (server-server-api "Request Authentication"): the
// `Authorization: X-Matrix origin=…,destination=…,key=…,sig=…` header every federation request
// carries, its parsing (RFC 9110 §11.4 auth-params: names case-insensitive, values tokens or
// quoted strings with backslash escapes, colons allowed unquoted for older servers), and the
// signed JSON it stands for ({method, uri, origin, destination, content}).
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "homeserver/events/signing_key.hpp"

namespace domovoy::federation {

struct XMatrixAuth {
  std::string origin;
  std::string destination;  // empty when the sender left it out (servers before v1.3)
  std::string key_id;
  std::string signature;    // unpadded Base64
};

// The header's parameters, or nullopt when it is not an X-Matrix header or lacks origin, key or
// sig. Unknown parameters are ignored; a parameter given twice makes the header invalid.
std::optional<XMatrixAuth> parse_x_matrix(std::string_view authorization);

// What the signature covers. `content` is the parsed body, absent for a request without one.
boost::json::object x_matrix_signed_json(std::string_view method, std::string_view uri, std::string_view origin,
                                         std::string_view destination, const boost::json::value* content);

// The header an outbound request carries, as the spec advises senders to write it (one space,
// lower-case names, quoted values, no whitespace around the commas).
std::string x_matrix_header(std::string_view method, std::string_view uri, std::string_view origin,
                            std::string_view destination, const boost::json::value* content, const SigningKey& key);

// Whether `auth` signs this request with the given public key (unpadded Base64).
bool verify_x_matrix(const XMatrixAuth& auth, std::string_view method, std::string_view uri,
                     std::string_view destination, const boost::json::value* content,
                     std::string_view public_key_base64);

}  // namespace domovoy::federation
