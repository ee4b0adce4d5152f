#pragma once
// The server's ed25519 signing key, kept as a file in the data directory in the format other
// homeservers use ("ed25519 <version> <unpadded base64 seed>"), created on first start.
#include <string>

#include "homeserver/events/signing_key.hpp"

namespace domovoy::federation {

// Loads DATA_DIR/signing.key, generating it (mode 0600) when missing. Throws std::runtime_error
// for an unreadable or malformed key file.
SigningKey load_or_create_signing_key(const std::string& data_dir);

}  // namespace domovoy::federation
