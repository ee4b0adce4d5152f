#include "homeserver/http/spooled_body.hpp"

#include <unistd.h>

#include <filesystem>

namespace domovoy::http {

SpooledBody::~SpooledBody() { remove(); }

SpooledBody& SpooledBody::operator=(SpooledBody&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

std::uint64_t SpooledBody::size() const { return std::filesystem::file_size(path_); }

void SpooledBody::remove() noexcept {
  // ENOENT is expected: a handler that kept the bytes renamed the file.
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace domovoy::http
