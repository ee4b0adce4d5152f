#include "homeserver/core/private_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace domovoy {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw PrivateFileError(what + " " + path + ": " + std::strerror(error));
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

void write_all(int fd, std::string_view bytes, const std::string& path, const std::string& what) {
  while (!bytes.empty()) {
    auto written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) fail("cannot write " + what, path, errno);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Moves `from` to `to` unless `to` exists; false when it does.
bool rename_without_replacing(const std::string& from, const std::string& to, const std::string& what) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) fail("cannot rename " + what + " into place at", to, errno);
  // A file system without RENAME_NOREPLACE: a hard link refuses to replace just the same.
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return false;
    fail("cannot move " + what + " into place at", to, errno);
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

}  // namespace

std::string read_private_file(const std::string& path, std::size_t max_bytes, const std::string& what) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) fail("cannot read " + what, path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) fail("cannot inspect " + what, path, errno);
  if (!S_ISREG(info.st_mode)) throw PrivateFileError(what + " " + path + " is not a regular file");
  std::string text;
  std::array<char, 1024> chunk{};
  while (text.size() <= max_bytes) {
    auto got = ::read(fd.get(), chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read " + what, path, errno);
    if (got == 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(got));
  }
  sodium_memzero(chunk.data(), chunk.size());
  if (text.size() > max_bytes) throw PrivateFileError(what + " " + path + " is too large");
  return text;
}

bool private_file_present(const std::string& path, const std::string& what) {
  // lstat, not exists(): a dangling symlink or a file we may not read is a secret that is there
  // but unusable, and must stop the server rather than be replaced.
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) return true;
  if (errno != ENOENT) fail("cannot inspect " + what, path, errno);
  return false;
}

bool create_private_file(const std::string& path, const std::string& directory, std::string_view contents,
                         const std::string& what) {
  auto temporary = path + ".tmp";
  // A temporary file left by a crash before the rename holds a secret nobody used yet.
  if (::unlink(temporary.c_str()) != 0 && errno != ENOENT) fail("cannot remove stale", temporary, errno);
  // Private from its first byte: O_EXCL also refuses to follow a symlink planted at the name.
  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) fail("cannot create", temporary, errno);
  try {
    write_all(fd.get(), contents, temporary, what);
    if (::fsync(fd.get()) != 0) fail("cannot fsync", temporary, errno);
    if (fd.close() != 0) fail("cannot close", temporary, errno);
    if (!rename_without_replacing(temporary, path, what)) {
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

}  // namespace domovoy
