#include "federation/server_signing_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "homeserver/core/random.hpp"
#include "homeserver/events/base64.hpp"

namespace domovoy::federation {

namespace {

// A key file is one short line; anything much longer is not one.
constexpr std::size_t kMaxKeyFileBytes = 4096;

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw SigningKeyFileError(what + " " + path + ": " + std::strerror(error));
}

// Closes on destruction; close() reports the error that a destructor would have to swallow.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

// The bytes of the file, which must be a readable regular file.
std::string read_key_file(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) fail("cannot read signing key file", path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) fail("cannot inspect signing key file", path, errno);
  if (!S_ISREG(info.st_mode)) throw SigningKeyFileError("signing key file " + path + " is not a regular file");
  std::string text;
  std::array<char, 1024> chunk{};
  while (text.size() <= kMaxKeyFileBytes) {
    auto got = ::read(fd.get(), chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read signing key file", path, errno);
    if (got == 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(got));
  }
  sodium_memzero(chunk.data(), chunk.size());
  if (text.size() > kMaxKeyFileBytes) throw SigningKeyFileError("signing key file " + path + " is too large");
  return text;
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

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    auto written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) fail("cannot write signing key to", path, errno);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Moves `from` to `to` unless `to` exists; false when it does.
bool rename_without_replacing(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) fail("cannot rename signing key into place at", to, errno);
  // A file system without RENAME_NOREPLACE: a hard link refuses to replace just the same.
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return false;
    fail("cannot move signing key into place at", to, errno);
  }
  if (::unlink(from.c_str()) != 0) fail("cannot remove", from, errno);
  return true;
}

void sync_directory(const std::string& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open data directory", directory, errno);
  if (::fsync(fd.get()) != 0) fail("cannot fsync data directory", directory, errno);
  if (fd.close() != 0) fail("cannot close data directory", directory, errno);
}

// Writes a new key; returns false when another process put a key file in place first.
bool create_key_file(const SigningKey& key, const std::string& version, const std::string& path,
                     const std::string& directory) {
  auto temporary = path + ".tmp";
  // A temporary file left by a crash before the rename holds a key nobody used yet.
  if (::unlink(temporary.c_str()) != 0 && errno != ENOENT) fail("cannot remove stale", temporary, errno);
  // Private from its first byte: O_EXCL also refuses to follow a symlink planted at the name.
  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) fail("cannot create", temporary, errno);
  try {
    auto seed = key.seed();
    auto line = "ed25519 " + version + " " + base64_encode(seed) + "\n";
    sodium_memzero(seed.data(), seed.size());
    try {
      write_all(fd.get(), line, temporary);
    } catch (...) {
      sodium_memzero(line.data(), line.size());
      throw;
    }
    sodium_memzero(line.data(), line.size());
    if (::fsync(fd.get()) != 0) fail("cannot fsync", temporary, errno);
    if (fd.close() != 0) fail("cannot close", temporary, errno);
    if (!rename_without_replacing(temporary, path)) {
      ::unlink(temporary.c_str());
      return false;
    }
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  sync_directory(directory);
  return true;
}

}  // namespace

SigningKey load_or_create_signing_key(const std::string& data_dir) {
  const auto path = (std::filesystem::path(data_dir) / "signing.key").string();
  // lstat, not exists(): a dangling symlink or a file we may not read is a key that is there
  // but unusable, and must stop the server rather than be replaced.
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) return parse_key_file(read_key_file(path), path);
  if (errno != ENOENT) fail("cannot inspect signing key file", path, errno);
  auto version = "a_" + random_letters(4);
  auto key = SigningKey::generate("ed25519:" + version);
  if (create_key_file(key, version, path, data_dir)) return key;
  return parse_key_file(read_key_file(path), path);
}

}  // namespace domovoy::federation
