#include "federation/discovery_lookups.hpp"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <array>
#include <cstring>

#include "homeserver/core/case_fold.hpp"

namespace domovoy::federation {

namespace {
constexpr int kMaxRedirects = 5;
constexpr std::chrono::milliseconds kErrorCache = std::chrono::hours(1);
constexpr std::chrono::milliseconds kWellKnownTimeout{10000};
}  // namespace

boost::asio::awaitable<WellKnownResult> fetch_well_known(http::HttpClient& client, std::string hostname) {
  http::ClientRequest request;
  request.url = "https://" + hostname + "/.well-known/matrix/server";
  request.timeout = kWellKnownTimeout;
  for (int redirects = 0; redirects <= kMaxRedirects; ++redirects) {
    auto response = co_await client.request(request);
    if (!response.ok()) co_return WellKnownResult{std::nullopt, kErrorCache};
    if (response.status >= 300 && response.status < 400 && response.headers.contains("location")) {
      auto base = boost::urls::parse_uri(request.url);
      auto location = boost::urls::parse_uri_reference(response.headers["location"]);
      if (!base || !location) co_return WellKnownResult{std::nullopt, kErrorCache};
      boost::urls::url next;
      if (!boost::urls::resolve(*base, *location, next) || next.scheme() != "https")
        co_return WellKnownResult{std::nullopt, kErrorCache};
      request.url = std::string(next.buffer());
      continue;
    }
    if (response.status != 200) co_return WellKnownResult{std::nullopt, kErrorCache};
    auto delegation = well_known_delegation(response.body);
    if (!delegation) co_return WellKnownResult{std::nullopt, kErrorCache};
    auto cache_control = response.headers.find("cache-control");
    co_return WellKnownResult{delegation,
                              well_known_cache_time(cache_control == response.headers.end() ? "" : cache_control->second)};
  }
  co_return WellKnownResult{std::nullopt, kErrorCache};  // a redirect loop
}

std::optional<SrvTarget> lookup_srv(const std::string& record) {
  auto lower = ascii_lower(record);
  if (lower.ends_with(".localhost") || lower.ends_with(".localhost.")) return std::nullopt;
  struct __res_state state;
  std::memset(&state, 0, sizeof state);
  if (res_ninit(&state) != 0) return std::nullopt;
  std::array<unsigned char, 4096> answer{};
  int length = res_nquery(&state, record.c_str(), ns_c_in, ns_t_srv, answer.data(), static_cast<int>(answer.size()));
  res_nclose(&state);
  if (length <= 0) return std::nullopt;
  ns_msg message;
  if (ns_initparse(answer.data(), length, &message) != 0) return std::nullopt;
  std::optional<SrvTarget> best;
  unsigned best_priority = 0, best_weight = 0;
  for (int i = 0; i < ns_msg_count(message, ns_s_an); ++i) {
    ns_rr rr;
    if (ns_parserr(&message, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7) continue;
    const unsigned char* data = ns_rr_rdata(rr);
    unsigned priority = ns_get16(data), weight = ns_get16(data + 2), port = ns_get16(data + 4);
    std::array<char, NS_MAXDNAME> target{};
    if (dn_expand(ns_msg_base(message), ns_msg_end(message), data + 6, target.data(), static_cast<int>(target.size())) < 0)
      continue;
    std::string host(target.data());
    if (host.empty() || host == ".") continue;
    if (!best || priority < best_priority || (priority == best_priority && weight > best_weight)) {
      best = SrvTarget{host, static_cast<std::uint16_t>(port)};
      best_priority = priority;
      best_weight = weight;
    }
  }
  return best;
}

}  // namespace domovoy::federation
