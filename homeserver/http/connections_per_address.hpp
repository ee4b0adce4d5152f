#pragma once
// How many connections each client address holds open, for limits.max_connections_per_address:
// one address cannot take the whole global connection budget. The default is generous because a
// building's residents may all sit behind one carrier-NAT address.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace domovoy::http {

class ConnectionsPerAddress {
 public:
  explicit ConnectionsPerAddress(std::size_t max_per_address) : max_per_address_(max_per_address) {}

  // Counts one more connection from `address`; false (and nothing counted) when it already holds
  // the maximum.
  bool try_open(const std::string& address);
  // The connection counted by a successful try_open ended.
  void close(const std::string& address);
  std::size_t open(const std::string& address) const;

 private:
  std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;  // only addresses with open connections
};

}  // namespace domovoy::http
