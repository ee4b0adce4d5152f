#include "homeserver/events/signing_key.hpp"

#include <sodium.h>

#include <stdexcept>

#include "homeserver/events/base64.hpp"
#include "homeserver/events/canonical_json.hpp"

namespace domovoy {

SigningKey SigningKey::from_seed(std::string_view seed32, std::string key_id) {
  if (seed32.size() != crypto_sign_SEEDBYTES) throw std::invalid_argument("ed25519 seed must be 32 bytes");
  SigningKey key;
  key.key_id_ = std::move(key_id);
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_key_.data(),
                           reinterpret_cast<const unsigned char*>(seed32.data()));
  return key;
}

SigningKey SigningKey::generate(std::string key_id) {
  std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
  randombytes_buf(seed.data(), seed.size());
  auto key = from_seed({reinterpret_cast<const char*>(seed.data()), seed.size()}, std::move(key_id));
  sodium_memzero(seed.data(), seed.size());
  return key;
}

SigningKey::~SigningKey() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

std::string SigningKey::seed() const {
  // libsodium's secret key is seed || public key.
  return {reinterpret_cast<const char*>(secret_key_.data()), crypto_sign_SEEDBYTES};
}

std::string SigningKey::public_key_base64() const {
  return base64_encode({reinterpret_cast<const char*>(public_key_.data()), public_key_.size()});
}

std::string SigningKey::sign_base64(std::string_view message) const {
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_key_.data());
  return base64_encode({reinterpret_cast<const char*>(signature.data()), signature.size()});
}

void sign_json(boost::json::object& object, std::string_view server_name, const SigningKey& key) {
  boost::json::value signatures = boost::json::object{};
  boost::json::value unsigned_data;
  bool had_unsigned = false;
  if (auto* existing = object.if_contains("signatures"); existing && existing->is_object()) signatures = *existing;
  if (auto* existing = object.if_contains("unsigned")) {
    unsigned_data = *existing;
    had_unsigned = true;
  }
  object.erase("signatures");
  object.erase("unsigned");
  auto signature = key.sign_base64(canonical_json(object));
  auto& by_server = signatures.as_object()[server_name];
  if (!by_server.is_object()) by_server = boost::json::object{};
  by_server.as_object()[key.key_id()] = signature;
  object["signatures"] = std::move(signatures);
  if (had_unsigned) object["unsigned"] = std::move(unsigned_data);
}

bool verify_json_signature(const boost::json::object& object, std::string_view server_name,
                           std::string_view key_id, std::string_view public_key_base64) {
  const auto* signatures = object.if_contains("signatures");
  if (!signatures || !signatures->is_object()) return false;
  const auto* by_server = signatures->as_object().if_contains(server_name);
  if (!by_server || !by_server->is_object()) return false;
  const auto* signature = by_server->as_object().if_contains(key_id);
  if (!signature || !signature->is_string()) return false;
  auto signature_bytes = base64_decode(signature->as_string());
  auto public_key = base64_decode(public_key_base64);
  if (!signature_bytes || signature_bytes->size() != crypto_sign_BYTES || !public_key ||
      public_key->size() != crypto_sign_PUBLICKEYBYTES)
    return false;
  std::string message;
  try {
    message = canonical_json_without(object, {"signatures", "unsigned"});
  } catch (const NotCanonical&) {
    return false;
  }
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature_bytes->data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key->data())) == 0;
}

std::string sha256(std::string_view bytes) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  return out;
}

}  // namespace domovoy
