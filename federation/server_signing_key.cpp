#include "federation/server_signing_key.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "homeserver/core/random.hpp"
#include "homeserver/events/base64.hpp"

namespace domovoy::federation {

SigningKey load_or_create_signing_key(const std::string& data_dir) {
  auto path = std::filesystem::path(data_dir) / "signing.key";
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string algorithm, version, seed_text;
    if (!(in >> algorithm >> version >> seed_text) || algorithm != "ed25519")
      throw std::runtime_error("signing key file " + path.string() + " is malformed");
    auto seed = base64_decode(seed_text);
    if (!seed || seed->size() != 32) throw std::runtime_error("signing key in " + path.string() + " is not a 32-byte seed");
    return SigningKey::from_seed(*seed, "ed25519:" + version);
  }
  auto version = "a_" + random_letters(4);
  auto key = SigningKey::generate("ed25519:" + version);
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "ed25519 " << version << " " << base64_encode(key.seed()) << "\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write signing key to " + temporary.string());
  }
  ::chmod(temporary.c_str(), 0600);
  std::filesystem::rename(temporary, path);
  return key;
}

}  // namespace domovoy::federation
