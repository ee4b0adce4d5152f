#include "homeserver/http/connections_per_address.hpp"

namespace domovoy::http {

bool ConnectionsPerAddress::try_open(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto& count = open_[address];
  if (count >= max_per_address_) {
    if (count == 0) open_.erase(address);
    return false;
  }
  ++count;
  return true;
}

void ConnectionsPerAddress::close(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto found = open_.find(address);
  if (found == open_.end()) return;
  if (--found->second == 0) open_.erase(found);
}

std::size_t ConnectionsPerAddress::open(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto found = open_.find(address);
  return found == open_.end() ? 0 : found->second;
}

}  // namespace domovoy::http
