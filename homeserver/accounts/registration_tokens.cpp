#include "homeserver/accounts/registration_tokens.hpp"

#include <sodium.h>

#include <utility>

#include "homeserver/core/json.hpp"
#include "homeserver/events/signing_key.hpp"

namespace domovoy {

using storage::Table;

RegistrationTokens::RegistrationTokens(storage::Database& database, std::vector<RegistrationTokenConfig> tokens,
                                       Clock now)
    : database_(database), now_(std::move(now)) {
  for (auto& config : tokens) {
    Token token{std::move(config), {}, 0, 0};
    token.digest = sha256(token.config.token);
    if (auto stored = database_.get(Table::registrationtoken_uses, token.config.token))
      token.completed = parse_stored_json(*stored).as_object()["completed"].to_number<std::int64_t>();
    tokens_.push_back(std::move(token));
  }
}

std::optional<std::size_t> RegistrationTokens::find(const std::string& candidate) const {
  // Equal-length digests, every token compared, no early exit: the time taken says nothing about
  // how much of a guess was right.
  auto digest = sha256(candidate);
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    bool equal = sodium_memcmp(digest.data(), tokens_[i].digest.data(), digest.size()) == 0;
    if (equal) found = i;
  }
  return found;
}

bool RegistrationTokens::usable(const Token& token) const {
  if (token.config.expiry_time && now_() >= *token.config.expiry_time) return false;
  if (token.config.uses_allowed && token.pending + token.completed >= *token.config.uses_allowed) return false;
  return true;
}

bool RegistrationTokens::valid(const std::string& token) const {
  auto index = find(token);
  if (!index) return false;
  std::lock_guard lock(mutex_);
  return usable(tokens_[*index]);
}

std::optional<RegistrationTokenInfo> RegistrationTokens::describe(const std::string& token) const {
  auto index = find(token);
  if (!index) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto& found = tokens_[*index];
  return RegistrationTokenInfo{found.config.token, found.config.uses_allowed, found.pending, found.completed,
                               found.config.expiry_time};
}

std::optional<RegistrationTokens::Reservation> RegistrationTokens::reserve(const std::string& token) {
  auto index = find(token);
  if (!index) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (!usable(tokens_[*index])) return std::nullopt;
  ++tokens_[*index].pending;
  return Reservation(this, *index);
}

void RegistrationTokens::Reservation::release() noexcept {
  if (!owner_) return;
  std::lock_guard lock(owner_->mutex_);
  --owner_->tokens_[index_].pending;
  owner_ = nullptr;
}

RegistrationTokens::Reservation& RegistrationTokens::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    index_ = other.index_;
  }
  return *this;
}

bool RegistrationTokens::complete(Reservation& reservation,
                                  const std::function<bool(storage::WriteBatch)>& write_with_account) {
  if (reservation.owner_ != this) return false;
  // Held across the account write: the stored count and the one in memory move together.
  std::lock_guard lock(mutex_);
  auto& token = tokens_[reservation.index_];
  storage::WriteBatch batch;
  batch.put(Table::registrationtoken_uses, token.config.token,
            to_json(json::object{{"completed", token.completed + 1}}));
  if (!write_with_account(std::move(batch))) return false;
  ++token.completed;
  --token.pending;
  reservation.owner_ = nullptr;
  return true;
}

}  // namespace domovoy
