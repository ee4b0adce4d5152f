// The signing.key file (federation/server_signing_key.hpp): created private and durable, and a
// file that is there but unusable stops the server instead of being replaced by a new key.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "federation/server_signing_key.hpp"

namespace domovoy::federation {
namespace {

namespace fs = std::filesystem;

class SigningKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pattern = (fs::temp_directory_path() / "domovoy-key-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string key_path() const { return dir + "/signing.key"; }
  void write_key_file(const std::string& text) const { std::ofstream(key_path()) << text; }
  std::string read_key_file() const {
    std::ifstream in(key_path());
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::string dir;
};

TEST_F(SigningKeyFile, IsCreatedPrivateWhateverTheUmask) {
  auto old_mask = ::umask(0);  // the old code created the file 0666 & ~umask, then chmod-ed it
  auto key = load_or_create_signing_key(dir);
  ::umask(old_mask);
  struct stat info {};
  ASSERT_EQ(::stat(key_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_FALSE(fs::exists(key_path() + ".tmp"));
  EXPECT_TRUE(key.key_id().starts_with("ed25519:a_"));
}

TEST_F(SigningKeyFile, IsLoadedAgainUnchanged) {
  auto first = load_or_create_signing_key(dir);
  auto text = read_key_file();
  auto second = load_or_create_signing_key(dir);
  EXPECT_EQ(second.key_id(), first.key_id());
  EXPECT_EQ(second.public_key_base64(), first.public_key_base64());
  EXPECT_EQ(read_key_file(), text);
}

TEST_F(SigningKeyFile, AStaleTemporaryFileDoesNotBlockCreation) {
  std::ofstream(key_path() + ".tmp") << "half written";
  EXPECT_NO_THROW(load_or_create_signing_key(dir));
  EXPECT_FALSE(fs::exists(key_path() + ".tmp"));
}

TEST_F(SigningKeyFile, EmptyFileIsRefusedAndKept) {
  write_key_file("");
  EXPECT_THROW(load_or_create_signing_key(dir), SigningKeyFileError);
  EXPECT_EQ(read_key_file(), "");
}

TEST_F(SigningKeyFile, MalformedFilesAreRefused) {
  for (std::string text : {"ed25519\n", "ed25519 a_abcd\n", "rsa a_abcd AAAA\n", "ed25519 a_abcd not*base64\n",
                           "ed25519 a_abcd AAAA\n",  // 3 bytes, not a 32-byte seed
                           "ed25519 a:b/c nDDSLRGMhW+ESgyHOBK0oqCKbRH3ROzvsJdjzcP0sP0\n",  // bad key version
                           "ed25519 a_abcd nDDSLRGMhW+ESgyHOBK0oqCKbRH3ROzvsJdjzcP0sP0 trailing\n"}) {
    write_key_file(text);
    EXPECT_THROW(load_or_create_signing_key(dir), SigningKeyFileError) << text;
    EXPECT_EQ(read_key_file(), text);
  }
}

TEST_F(SigningKeyFile, AWellFormedFileIsAccepted) {
  write_key_file("ed25519 a_abcd nDDSLRGMhW+ESgyHOBK0oqCKbRH3ROzvsJdjzcP0sP0\n");
  auto key = load_or_create_signing_key(dir);
  EXPECT_EQ(key.key_id(), "ed25519:a_abcd");
}

TEST_F(SigningKeyFile, ADirectoryInItsPlaceIsRefused) {
  fs::create_directory(key_path());
  EXPECT_THROW(load_or_create_signing_key(dir), SigningKeyFileError);
  EXPECT_TRUE(fs::is_directory(key_path()));
}

TEST_F(SigningKeyFile, ADanglingSymlinkIsRefusedNotReplaced) {
  // The old code asked exists(), which follows the link, and wrote a new key over it.
  fs::create_symlink(dir + "/elsewhere.key", key_path());
  EXPECT_THROW(load_or_create_signing_key(dir), SigningKeyFileError);
  EXPECT_TRUE(fs::is_symlink(key_path()));
  EXPECT_FALSE(fs::exists(dir + "/elsewhere.key"));
}

}  // namespace
}  // namespace domovoy::federation
