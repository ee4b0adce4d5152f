#include "homeserver/rooms/server_acl.hpp"

#include <boost/asio/ip/address.hpp>

#include "homeserver/core/case_fold.hpp"

namespace domovoy {

namespace {
// The host of a server name: without its port, an IPv6 literal without its brackets.
std::string_view host_of(std::string_view name, bool& ip_literal) {
  ip_literal = false;
  if (!name.empty() && name.front() == '[') {
    ip_literal = true;
    auto close = name.find(']');
    return name.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
  }
  if (auto colon = name.rfind(':'); colon != std::string_view::npos) name = name.substr(0, colon);
  boost::system::error_code ec;
  boost::asio::ip::make_address_v4(name, ec);
  ip_literal = !ec;
  return name;
}

bool any_matches(const boost::json::object& content, std::string_view key, std::string_view host) {
  const auto* list = content.if_contains(key);
  if (!list || !list->is_array()) return false;
  for (const auto& glob : list->as_array())
    if (glob.is_string() && server_glob_matches(glob.as_string(), host)) return true;
  return false;
}
}  // namespace

bool server_glob_matches(std::string_view glob_in, std::string_view name_in) {
  auto glob = ascii_lower(glob_in);
  auto name = ascii_lower(name_in);
  // Iterative wildcard matching with backtracking to the last '*'.
  std::size_t g = 0, n = 0, star = std::string::npos, resume = 0;
  while (n < name.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == name[n])) {
      ++g;
      ++n;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      resume = n;
    } else if (star != std::string::npos) {
      g = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

bool server_acl_allows(const boost::json::object& content, std::string_view server_name) {
  bool ip_literal = false;
  auto host = host_of(server_name, ip_literal);
  if (ip_literal) {
    const auto* allow_ip = content.if_contains("allow_ip_literals");
    if (allow_ip && allow_ip->is_bool() && !allow_ip->as_bool()) return false;
  }
  if (any_matches(content, "deny", host)) return false;
  return any_matches(content, "allow", host);
}

}  // namespace domovoy
