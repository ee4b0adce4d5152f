#pragma once
// The server's ed25519 signing key, kept as a file in the data directory in the format other
// homeservers use ("ed25519 <version> <unpadded base64 seed>"), created on first start.
#include <stdexcept>
#include <string>

#include "homeserver/events/signing_key.hpp"

namespace domovoy::federation {

// The key file is there but cannot be used, or a new one cannot be written durably. The server
// must not start: a silently replaced key makes every other server distrust this one's events.
class SigningKeyFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads DATA_DIR/signing.key. Only when nothing at all is at that path is a key generated; it is
// written mode 0600 from creation, fsynced, renamed into place and the folder fsynced. Throws
// SigningKeyFileError for a key file that is unreadable, not a regular file, empty or malformed,
// and for any failed step of writing a new one.
SigningKey load_or_create_signing_key(const std::string& data_dir);

// The same for a key file at `path` (a federation operator's key, `domovoy federation-list`).
SigningKey load_or_create_key_file(const std::string& path);

}  // namespace domovoy::federation
