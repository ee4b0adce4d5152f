#pragma once
// argon2id hashing and verification on a small pool of its own. Each call costs tens of
// milliseconds and tens of MiB, so a flood of logins queues here (as suspended coroutines that
// hold no thread) instead of occupying the blocking pool that does every write, send and sync.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <string>

namespace domovoy {

struct PasswordHashing {
  unsigned long long ops_limit = 2;  // libsodium's INTERACTIVE level
  std::size_t mem_limit = 64ull << 20;
  unsigned threads = 2;              // argon2 calls that may run at once
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordHashing hashing);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // On the hashing pool; the awaiting coroutine resumes on its own executor afterwards.
  // The arguments are references (the awaiting coroutine's locals): by-value temporaries in a
  // co_await expression are what g++ 12 mishandles (see http/blocking.hpp).
  boost::asio::awaitable<std::string> hash(const std::string& password);
  // False for an empty hash (no password set) as for a wrong password.
  boost::asio::awaitable<bool> verify(const std::string& password_hash, const std::string& password);

  // Drops queued work and waits for the running calls; later calls never complete.
  void stop();

  // On the calling thread: for start-up tools and tests, never for request handlers.
  std::string hash_now(const std::string& password) const;
  static bool verify_now(const std::string& password_hash, const std::string& password);

 private:
  PasswordHashing hashing_;
  boost::asio::thread_pool pool_;
};

}  // namespace domovoy
