#include "federation/server_discovery.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>

#include "homeserver/core/case_fold.hpp"
#include "homeserver/core/identifiers.hpp"

namespace domovoy::federation {

namespace {
constexpr std::uint16_t kDefaultPort = 8448;
constexpr std::chrono::milliseconds kDefaultCache = std::chrono::hours(24);
constexpr std::chrono::milliseconds kMaxCache = std::chrono::hours(48);

std::string with_port(const std::string& host, std::uint16_t port) { return host + ":" + std::to_string(port); }

// Steps 1, 2, 3.1 and 3.2: an IP literal, or a name with an explicit port, needs no lookup.
std::optional<ServerAddress> direct(const HostAndPort& parts) {
  if (parts.ip_literal)
    return ServerAddress{parts.port ? with_port(parts.host, *parts.port) : parts.host, "",
                         std::to_string(parts.port.value_or(kDefaultPort))};
  if (parts.port) return ServerAddress{with_port(parts.host, *parts.port), "", ""};
  return std::nullopt;
}
}  // namespace

std::optional<HostAndPort> split_server_name(std::string_view name) {
  if (!is_valid_server_name(name)) return std::nullopt;
  HostAndPort parts;
  std::string_view host = name;
  std::string_view port;
  if (name.front() == '[') {
    auto close = name.find(']');
    host = name.substr(0, close + 1);
    if (close + 1 < name.size()) port = name.substr(close + 2);
    parts.ip_literal = true;
  } else if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
    host = name.substr(0, colon);
    port = name.substr(colon + 1);
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
    parts.port = static_cast<std::uint16_t>(value);
  }
  parts.host = ascii_lower(host);
  if (!parts.ip_literal) {
    boost::system::error_code not_an_address;
    boost::asio::ip::make_address_v4(parts.host, not_an_address);
    parts.ip_literal = !not_an_address;
  }
  return parts;
}

std::optional<std::string> well_known_delegation(std::string_view body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto* server = value.as_object().if_contains("m.server");
  if (!server || !server->is_string()) return std::nullopt;
  std::string delegation(server->as_string());
  if (!split_server_name(delegation)) return std::nullopt;
  return delegation;
}

std::chrono::milliseconds well_known_cache_time(std::string_view cache_control) {
  auto lower = ascii_lower(cache_control);
  if (lower.find("no-store") != std::string::npos || lower.find("no-cache") != std::string::npos)
    return std::chrono::milliseconds(0);
  auto at = lower.find("max-age=");
  if (at == std::string::npos) return kDefaultCache;
  const char* begin = lower.data() + at + 8;
  std::int64_t seconds = 0;
  auto [end, error] = std::from_chars(begin, lower.data() + lower.size(), seconds);
  if (error != std::errc{} || end == begin || seconds < 0) return kDefaultCache;
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), kMaxCache);
}

ServerDiscovery::ServerDiscovery(WellKnownFetch fetch, SrvLookup srv, Clock clock)
    : fetch_(std::move(fetch)), srv_(std::move(srv)), clock_(std::move(clock)) {}

boost::asio::awaitable<ServerAddress> ServerDiscovery::by_srv_or_default(std::string hostname) {
  // Steps 3.3-3.5 and 4-6: SRV records, the registered one first, then port 8448. The
  // certificate and the Host header stay the hostname's.
  for (const char* service : {"_matrix-fed._tcp.", "_matrix._tcp."}) {
    std::string record = service + hostname;
    auto looking_up = srv_(record);  // not inside the co_await (GCC bug 101367)
    auto target = co_await std::move(looking_up);
    if (target && !target->host.empty() && target->port != 0)
      co_return ServerAddress{hostname, target->host, std::to_string(target->port)};
  }
  co_return ServerAddress{hostname, "", std::to_string(kDefaultPort)};
}

boost::asio::awaitable<std::optional<ServerAddress>> ServerDiscovery::resolve(std::string server_name) {
  auto parts = split_server_name(server_name);
  if (!parts) co_return std::nullopt;
  if (auto address = direct(*parts)) co_return address;
  auto now = clock_();
  {
    std::lock_guard lock(mutex_);
    auto found = cache_.find(parts->host);
    if (found != cache_.end() && found->second.expires_at > now) co_return found->second.address;
  }
  std::string hostname = parts->host;
  auto fetching = fetch_(hostname);  // not inside the co_await (GCC bug 101367)
  auto well_known = co_await std::move(fetching);
  std::optional<ServerAddress> address;
  std::chrono::milliseconds cache_for = well_known.cache_for;
  if (well_known.delegation) {
    auto delegated = split_server_name(*well_known.delegation);
    if (delegated) {
      address = direct(*delegated);
      if (!address) {
        auto looking_up = by_srv_or_default(delegated->host);
        address = co_await std::move(looking_up);
      }
    }
  }
  if (!address) {
    auto looking_up = by_srv_or_default(hostname);
    address = co_await std::move(looking_up);
  }
  if (cache_for.count() > 0) {
    std::lock_guard lock(mutex_);
    cache_[hostname] = Cached{*address, now + cache_for.count()};
  }
  co_return address;
}

}  // namespace domovoy::federation
