#include "federation/federation_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "federation/discovery_lookups.hpp"
#include "federation/x_matrix.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/ip_ranges.hpp"

namespace domovoy::federation {

std::shared_ptr<boost::asio::ssl::context> federation_client_tls(const Config::Federation& config) {
  auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  tls->set_options(boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                   boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
  if (config.ca_file.empty()) tls->set_default_verify_paths();
  else tls->load_verify_file(config.ca_file);
  tls->set_verify_mode(boost::asio::ssl::verify_peer);
  return tls;
}

std::string FederationResponse::errcode() const {
  if (!body.is_object()) return {};
  const auto* code = body.as_object().if_contains("errcode");
  return code && code->is_string() ? std::string(code->as_string()) : std::string{};
}

std::string FederationResponse::error() const {
  if (!body.is_object()) return {};
  const auto* text = body.as_object().if_contains("error");
  return text && text->is_string() ? std::string(text->as_string()).substr(0, 200) : std::string{};
}

FederationClient::FederationClient(boost::asio::any_io_executor executor, const ServerIdentity& identity,
                                   const Config::Federation& config, const FederationPolicy& policy)
    : identity_(identity), policy_(policy) {
  http::ClientOptions options;
  options.tls = federation_client_tls(config);
  options.user_agent = "Domovoy federation";
  options.max_response_body_bytes = 64u << 20;  // a send_join's state and auth chain of a big room
  auto denied = std::make_shared<IpRanges>(IpRanges::parse(default_denied_ranges()));
  auto allowed = std::make_shared<IpRanges>(IpRanges::parse(config.allow_ip));
  options.allow_address = [denied, allowed](const boost::asio::ip::address& address) {
    return allowed->contains(address) || !denied->contains(address);
  };
  http_ = std::make_unique<http::HttpClient>(executor, std::move(options));
  auto fetch = [this](std::string hostname) { return fetch_well_known(*http_, std::move(hostname)); };
  auto srv = [this](std::string record) -> boost::asio::awaitable<std::optional<SrvTarget>> {
    auto lookup = [record]() -> boost::asio::awaitable<std::optional<SrvTarget>> { co_return lookup_srv(record); };
    co_return co_await boost::asio::co_spawn(dns_pool_, lookup, boost::asio::use_awaitable);
  };
  discovery_ = std::make_unique<ServerDiscovery>(fetch, srv, [] { return now_ms(); });
}

FederationClient::~FederationClient() { dns_pool_.join(); }

boost::asio::awaitable<std::optional<ServerAddress>> FederationClient::resolve(std::string server_name) {
  auto resolving = discovery_->resolve(std::move(server_name));
  co_return co_await std::move(resolving);
}

boost::asio::awaitable<FederationResponse> FederationClient::request(const FederationRequest& request) {
  FederationRequest copy = request;
  FederationResponse result;
  if (!policy_.allows(copy.destination)) {
    result.failure = FederationResponse::Failure::not_allowed;
    result.message = copy.destination + " is not a server this one federates with";
    co_return result;
  }
  auto resolving = discovery_->resolve(copy.destination);  // not inside the co_await (GCC bug 101367)
  auto address = co_await std::move(resolving);
  if (!address) {
    result.failure = FederationResponse::Failure::bad_server_name;
    result.message = "'" + copy.destination + "' is not a server name";
    co_return result;
  }
  http::ClientRequest outbound;
  outbound.method = copy.method;
  outbound.url = "https://" + address->authority + copy.uri;
  outbound.connect_host = address->connect_host;
  outbound.connect_port = address->connect_port;
  outbound.timeout = copy.timeout;
  const boost::json::value* content = copy.body ? &*copy.body : nullptr;
  auto method = std::string(boost::beast::http::to_string(copy.method));
  outbound.headers.emplace_back("Authorization", x_matrix_header(method, copy.uri, identity_.server_name,
                                                                 copy.destination, content, identity_.signing_key));
  if (content) {
    outbound.headers.emplace_back("Content-Type", "application/json");
    outbound.body = boost::json::serialize(*content);
  }
  auto response = co_await http_->request(outbound);
  if (!response.ok()) {
    result.failure = FederationResponse::Failure::transport;
    result.message = copy.destination + ": " + response.message;
    co_return result;
  }
  result.status = response.status;
  boost::system::error_code ec;
  if (auto type = response.headers.find("content-type"); type != response.headers.end()) result.content_type = type->second;
  auto body = boost::json::parse(response.body, ec);
  if (!ec) result.body = std::move(body);
  else result.raw_body = std::move(response.body);
  co_return result;
}

}  // namespace domovoy::federation
