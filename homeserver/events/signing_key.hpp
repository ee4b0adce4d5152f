#pragma once
// A server's ed25519 signing key and JSON signing (appendices: "Signing JSON").
#include <boost/json/object.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy {

class SigningKey {
 public:
  // key_id is the full "ed25519:<version>" identifier.
  static SigningKey from_seed(std::string_view seed32, std::string key_id);
  static SigningKey generate(std::string key_id);

  // The secret key is wiped from memory when a copy goes away.
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  ~SigningKey();

  const std::string& key_id() const { return key_id_; }
  std::string seed() const;                 // 32 raw bytes, for storing
  std::string public_key_base64() const;    // unpadded Base64
  std::string sign_base64(std::string_view message) const;

 private:
  SigningKey() = default;
  std::string key_id_;
  std::array<unsigned char, 32> public_key_{};
  std::array<unsigned char, 64> secret_key_{};
};

// Signs `object` in place: signatures[server_name][key_id] over the canonical JSON of the object
// without `signatures` and `unsigned`. Existing signatures are kept.
void sign_json(boost::json::object& object, std::string_view server_name, const SigningKey& key);

// Checks signatures[server_name][key_id] on `object` with the given unpadded-Base64 public key.
bool verify_json_signature(const boost::json::object& object, std::string_view server_name,
                           std::string_view key_id, std::string_view public_key_base64);

// sha256 of bytes, raw 32 bytes.
std::string sha256(std::string_view bytes);

}  // namespace domovoy
