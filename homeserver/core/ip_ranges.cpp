#include "homeserver/core/ip_ranges.hpp"

#include <stdexcept>

namespace domovoy {

namespace ip = boost::asio::ip;

IpRanges IpRanges::parse(const std::vector<std::string>& ranges) {
  IpRanges parsed;
  for (const auto& text : ranges) {
    boost::system::error_code error;
    if (text.find('/') == std::string::npos) {
      auto address = ip::make_address(text, error);
      if (!error && address.is_v4()) parsed.v4_.emplace_back(address.to_v4(), 32);
      else if (!error) parsed.v6_.emplace_back(address.to_v6(), 128);
    } else if (text.find(':') == std::string::npos) {
      auto network = ip::make_network_v4(text, error);
      if (!error) parsed.v4_.push_back(network.canonical());
    } else {
      auto network = ip::make_network_v6(text, error);
      if (!error) parsed.v6_.push_back(network.canonical());
    }
    if (error) throw std::invalid_argument("not an IP address or CIDR range: '" + text + "'");
  }
  return parsed;
}

bool IpRanges::contains(const ip::address& given) const {
  ip::address address = given;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  if (address.is_v4()) {
    for (const auto& network : v4_)
      if (ip::network_v4(address.to_v4(), network.prefix_length()).canonical() == network) return true;
    return false;
  }
  for (const auto& network : v6_)
    if (ip::network_v6(address.to_v6(), network.prefix_length()).canonical() == network) return true;
  return false;
}

const std::vector<std::string>& default_denied_ranges() {
  static const std::vector<std::string> ranges = {
      "0.0.0.0/8",       "10.0.0.0/8",     "100.64.0.0/10",  "127.0.0.0/8",     "169.254.0.0/16",
      "172.16.0.0/12",   "192.0.0.0/24",   "192.0.2.0/24",   "192.88.99.0/24",  "192.168.0.0/16",
      "198.18.0.0/15",   "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",     "240.0.0.0/4",
      "::/128",          "::1/128",        "64:ff9b::/96",   "64:ff9b:1::/48",  "100::/64",
      "2001::/23",       "2001:db8::/32",  "2002::/16",      "fc00::/7",        "fe80::/10",
      "fec0::/10",       "ff00::/8",
  };
  return ranges;
}

}  // namespace domovoy
