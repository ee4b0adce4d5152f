#pragma once
// Helpers shared by the unit tests: JSON literals, temporary directories.
#include <boost/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace domovoy::test {

// Parses a JSON literal written in a test (throws on a typo, which fails the test).
boost::json::value parse(std::string_view text);
boost::json::object parse_object(std::string_view text);

// Bytes from a hex string ("6090c1..."), and back.
std::string from_hex(std::string_view hex);
std::string to_hex(std::string_view bytes);

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str(std::string_view child = {}) const;

 private:
  std::filesystem::path path_;
};

}  // namespace domovoy::test
