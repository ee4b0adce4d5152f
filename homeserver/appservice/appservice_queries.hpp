#pragma once
// What the homeserver asks appservices (application-service-api "Querying"): whether a user
// or an alias of their namespace exists (GET /_matrix/app/v1/users/{userId},
// /_matrix/app/v1/rooms/{alias}, which lets the appservice create it first), a protocol's
// metadata (/_matrix/app/v1/thirdparty/protocol/{protocol}) and a ping (/_matrix/app/v1/ping).
// The calls block their caller (a blocking-pool thread) while the request runs on the network
// threads, with a short deadline: a hanging appservice delays only the request that asked.
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "homeserver/appservice/namespaces.hpp"
#include "homeserver/http/client.hpp"

namespace domovoy::appservice {

class AppserviceQueries {
 public:
  AppserviceQueries(boost::asio::io_context& io, http::HttpClient& client, const AppserviceRegistry& registry)
      : io_(io), client_(client), registry_(registry) {}

  // Asks the appservices whose namespace holds the id; true when one answered 2xx.
  bool query_user(const std::string& user_id);
  bool query_alias(const std::string& alias);
  // The protocol's metadata from the first appservice that lists it, or nullopt.
  std::optional<boost::json::object> protocol(const std::string& protocol);
  // POST /_matrix/app/v1/ping to the appservice.
  http::ClientResponse ping(const Registration& registration, const std::string& transaction_id);

 private:
  http::ClientResponse call(const Registration& registration, boost::beast::http::verb method, const std::string& path,
                            std::string body = {});

  boost::asio::io_context& io_;
  http::HttpClient& client_;
  const AppserviceRegistry& registry_;
  std::chrono::milliseconds timeout_{10000};
};

}  // namespace domovoy::appservice
