#include "federation/server_signing_key.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "homeserver/core/private_file.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/events/base64.hpp"

namespace domovoy::federation {

namespace {

// A key file is one short line; anything much longer is not one.
constexpr std::size_t kMaxKeyFileBytes = 4096;

// Errors of the file itself keep the signing key's own type, which stops the server (exit 5).
template <typename Call>
auto as_key_error(Call call) {
  try {
    return call();
  } catch (const PrivateFileError& error) {
    throw SigningKeyFileError(error.what());
  }
}

std::string read_key_file(const std::string& path) {
  return as_key_error([&] { return read_private_file(path, kMaxKeyFileBytes, "signing key file"); });
}

bool is_key_version(const std::string& version) {
  // Key identifiers: "ed25519:" then [a-zA-Z0-9_] (appendices: "Signing Key").
  return !version.empty() && std::all_of(version.begin(), version.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

SigningKey parse_key_file(std::string text, const std::string& path) {
  auto first_line = text.substr(0, text.find('\n'));
  sodium_memzero(text.data(), text.size());
  if (first_line.find_first_not_of(" \t\r") == std::string::npos)
    throw SigningKeyFileError("signing key file " + path + " is empty");
  std::istringstream fields(first_line);
  sodium_memzero(first_line.data(), first_line.size());
  std::string algorithm, version, seed_text, extra;
  fields >> algorithm >> version >> seed_text >> extra;
  if (algorithm != "ed25519" || !is_key_version(version) || seed_text.empty() || !extra.empty())
    throw SigningKeyFileError("signing key file " + path +
                              " is malformed (expected one line: ed25519 <version> <base64 seed>)");
  auto seed = base64_decode(seed_text);
  sodium_memzero(seed_text.data(), seed_text.size());
  if (!seed || seed->size() != 32) {
    if (seed) sodium_memzero(seed->data(), seed->size());
    throw SigningKeyFileError("signing key in " + path + " is not a base64 32-byte ed25519 seed");
  }
  auto key = SigningKey::from_seed(*seed, "ed25519:" + version);
  sodium_memzero(seed->data(), seed->size());
  return key;
}

// Writes a new key; returns false when another process put a key file in place first.
bool create_key_file(const SigningKey& key, const std::string& version, const std::string& path,
                     const std::string& directory) {
  auto seed = key.seed();
  auto line = "ed25519 " + version + " " + base64_encode(seed) + "\n";
  sodium_memzero(seed.data(), seed.size());
  try {
    bool created = as_key_error([&] { return create_private_file(path, directory, line, "signing key"); });
    sodium_memzero(line.data(), line.size());
    return created;
  } catch (...) {
    sodium_memzero(line.data(), line.size());
    throw;
  }
}

}  // namespace

SigningKey load_or_create_signing_key(const std::string& data_dir) {
  return load_or_create_key_file((std::filesystem::path(data_dir) / "signing.key").string());
}

SigningKey load_or_create_key_file(const std::string& path) {
  auto data_dir = std::filesystem::path(path).parent_path().string();
  if (data_dir.empty()) data_dir = ".";
  // A key that is there but unusable stops the server rather than being replaced.
  if (as_key_error([&] { return private_file_present(path, "signing key file"); }))
    return parse_key_file(read_key_file(path), path);
  auto version = "a_" + random_letters(4);
  auto key = SigningKey::generate("ed25519:" + version);
  if (create_key_file(key, version, path, data_dir)) return key;
  return parse_key_file(read_key_file(path), path);
}

}  // namespace domovoy::federation
