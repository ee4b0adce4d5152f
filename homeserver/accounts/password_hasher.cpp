#include "homeserver/accounts/password_hasher.hpp"

#include <sodium.h>

#include <stdexcept>

#include "homeserver/http/blocking.hpp"

namespace domovoy {

PasswordHasher::PasswordHasher(PasswordHashing hashing) : hashing_(hashing), pool_(hashing.threads) {}

PasswordHasher::~PasswordHasher() { stop(); }

void PasswordHasher::stop() {
  pool_.stop();
  pool_.join();
}

std::string PasswordHasher::hash_now(const std::string& password) const {
  char hashed[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hashed, password.data(), password.size(), hashing_.ops_limit, hashing_.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("argon2id hashing ran out of memory");
  return hashed;
}

bool PasswordHasher::verify_now(const std::string& password_hash, const std::string& password) {
  if (password_hash.empty()) return false;
  return crypto_pwhash_str_verify(password_hash.c_str(), password.data(), password.size()) == 0;
}

boost::asio::awaitable<std::string> PasswordHasher::hash(const std::string& password) {
  auto work = [this, &password] { return hash_now(password); };
  co_return co_await http::run_blocking(pool_, work);
}

boost::asio::awaitable<bool> PasswordHasher::verify(const std::string& password_hash, const std::string& password) {
  auto work = [&password_hash, &password] { return verify_now(password_hash, password); };
  co_return co_await http::run_blocking(pool_, work);
}

}  // namespace domovoy
