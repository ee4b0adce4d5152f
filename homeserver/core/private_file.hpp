#pragma once
// Small secrets kept as files in the data directory (the signing key, the operator secret):
// read only from a regular file, created mode 0600 from the first byte (O_EXCL, no symlink
// followed), fsynced, renamed into place without replacing a file another process put there,
// and the folder fsynced, so a crash never leaves a half-written or world-readable secret.
#include <stdexcept>
#include <string>
#include <string_view>

namespace domovoy {

class PrivateFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The bytes of the file at `path`; throws for anything but a readable regular file of at most
// `max_bytes`. `what` names the file in messages ("signing key file").
std::string read_private_file(const std::string& path, std::size_t max_bytes, const std::string& what);
// Writes `contents` to `path` in `directory`; false when a file appeared there first.
bool create_private_file(const std::string& path, const std::string& directory, std::string_view contents,
                         const std::string& what);
// Whether something (even a dangling symlink) is at `path`; throws when that cannot be told.
bool private_file_present(const std::string& path, const std::string& what);

}  // namespace domovoy
