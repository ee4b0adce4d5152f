#pragma once
// A request body the server wrote to a file as it arrived, for the routes that take uploads of
// megabytes: the body is never held in memory, however many uploads run at once. The file lives
// in the route's spool directory and is removed when the request ends; a handler that keeps the
// bytes renames the file away first (then there is nothing left to remove).
#include <cstdint>
#include <string>

namespace domovoy::http {

class SpooledBody {
 public:
  explicit SpooledBody(std::string path) : path_(std::move(path)) {}
  ~SpooledBody();
  SpooledBody(SpooledBody&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  SpooledBody& operator=(SpooledBody&& other) noexcept;
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;

  const std::string& path() const { return path_; }
  // The bytes written so far (all of them once the request reaches its handler).
  std::uint64_t size() const;

 private:
  void remove() noexcept;
  std::string path_;
};

}  // namespace domovoy::http
