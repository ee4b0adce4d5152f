#include "homeserver/appservice/appservice_queries.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

#include "homeserver/core/json.hpp"

namespace domovoy::appservice {

namespace {
std::string path_segment(const std::string& value) { return boost::urls::encode(value, boost::urls::unreserved_chars); }
}  // namespace

http::ClientResponse AppserviceQueries::call(const Registration& registration, boost::beast::http::verb method,
                                             const std::string& path, std::string body) {
  http::ClientRequest request;
  request.method = method;
  request.url = *registration.url + path;
  request.headers = {{"Authorization", "Bearer " + registration.hs_token}};
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.body = std::move(body);
  request.timeout = timeout_;
  auto task = [this, request]() -> boost::asio::awaitable<http::ClientResponse> {
    auto named = request;
    co_return co_await client_.request(named);
  };
  return boost::asio::co_spawn(io_, task, boost::asio::use_future).get();
}

bool AppserviceQueries::query_user(const std::string& user_id) {
  for (const auto* registration : registry_.all()) {
    if (!registration->url || !registry_.user_in_namespace(*registration, user_id)) continue;
    if (call(*registration, boost::beast::http::verb::get, "/_matrix/app/v1/users/" + path_segment(user_id)).success())
      return true;
  }
  return false;
}

bool AppserviceQueries::query_alias(const std::string& alias) {
  for (const auto* registration : registry_.all()) {
    if (!registration->url || !registry_.is_interested_alias(*registration, alias)) continue;
    if (call(*registration, boost::beast::http::verb::get, "/_matrix/app/v1/rooms/" + path_segment(alias)).success())
      return true;
  }
  return false;
}

std::optional<boost::json::object> AppserviceQueries::protocol(const std::string& protocol) {
  for (const auto* registration : registry_.all()) {
    if (!registration->url) continue;
    if (std::find(registration->protocols.begin(), registration->protocols.end(), protocol) ==
        registration->protocols.end())
      continue;
    auto response =
        call(*registration, boost::beast::http::verb::get, "/_matrix/app/v1/thirdparty/protocol/" + path_segment(protocol));
    if (!response.success()) continue;
    try {
      auto parsed = parse_untrusted_json(response.body);
      if (parsed.is_object()) return parsed.as_object();
    } catch (const std::exception&) {
      // An appservice answering garbage has no protocol to show.
    }
  }
  return std::nullopt;
}

http::ClientResponse AppserviceQueries::ping(const Registration& registration, const std::string& transaction_id) {
  boost::json::object body;
  if (!transaction_id.empty()) body["transaction_id"] = transaction_id;
  return call(registration, boost::beast::http::verb::post, "/_matrix/app/v1/ping", to_json(body));
}

}  // namespace domovoy::appservice
