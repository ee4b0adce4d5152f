#pragma once
// Sets of IP address ranges in CIDR notation ("10.0.0.0/8", "::1/128", or a bare address), for
// the addresses the server refuses to fetch from on a user's behalf (URL previews). An IPv4
// address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <string>
#include <vector>

namespace domovoy {

class IpRanges {
 public:
  // Throws std::invalid_argument naming the first entry that is no address or range.
  static IpRanges parse(const std::vector<std::string>& ranges);

  bool contains(const boost::asio::ip::address& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// What a server must never be made to fetch from: loopback, private (RFC 1918, unique local),
// carrier-grade NAT, link-local, multicast, documentation, benchmarking and reserved ranges,
// and the NAT64 and 6to4 prefixes that could reach any of them.
const std::vector<std::string>& default_denied_ranges();

}  // namespace domovoy
