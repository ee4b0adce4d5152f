#include "homeserver/appservice/appservice_routes.hpp"

#include <chrono>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy::appservice {

using boost::beast::http::verb;

void register_appservice_routes(http::Router& router, ClientServices& services, http::HttpClient& client,
                                AppserviceQueries& queries) {
  // application-service-api "Pinging": the appservice asks the homeserver to call it back.
  router.add_async(
      verb::post, "/_matrix/client/v1/appservice/{appserviceId}/ping", http::Auth::required,
      [&services, &client](http::Request& request) -> boost::asio::awaitable<http::Response> {
        const auto* registration = services.appservices.find_by_id(request.path_params[0]);
        if (request.appservice_id.empty() || !registration || registration->id != request.appservice_id)
          throw forbidden("Only the appservice itself may ping it");
        auto body = request.optional_json_body();
        auto transaction_id = optional_string(body, "transaction_id").value_or("");
        if (!registration->url) throw ApiError(400, "M_URL_NOT_SET", "The appservice has no url");
        boost::json::object ping;
        if (!transaction_id.empty()) ping["transaction_id"] = transaction_id;
        http::ClientRequest call;
        call.method = verb::post;
        call.url = *registration->url + "/_matrix/app/v1/ping";
        call.headers = {{"Authorization", "Bearer " + registration->hs_token}, {"Content-Type", "application/json"}};
        call.body = to_json(ping);
        call.timeout = std::chrono::seconds(10);
        auto started = std::chrono::steady_clock::now();
        auto response = co_await client.request(call);
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (response.error == http::ClientError::timeout)
          throw ApiError(504, "M_CONNECTION_TIMEOUT", "The appservice did not answer in time");
        if (!response.ok()) throw ApiError(502, "M_CONNECTION_FAILED", "Cannot reach the appservice: " + response.message);
        if (!response.success())
          throw ApiError(502, "M_BAD_STATUS", "The appservice answered " + std::to_string(response.status),
                         boost::json::object{{"status", response.status}, {"body", response.body}});
        co_return http::Response::json(boost::json::object{{"duration_ms", took.count()}});
      });

  router.add_client(verb::get, "/thirdparty/protocols", http::Auth::required, [&services, &queries](http::Request&) {
    boost::json::object protocols;
    for (const auto* registration : services.appservices.all())
      for (const auto& name : registration->protocols)
        if (!protocols.contains(name))
          if (auto metadata = queries.protocol(name)) protocols[name] = std::move(*metadata);
    return http::Response::json(std::move(protocols));
  });
  router.add_client(verb::get, "/thirdparty/protocol/{protocol}", http::Auth::required,
                    [&queries](http::Request& request) {
                      auto metadata = queries.protocol(request.path_params[0]);
                      if (!metadata) throw not_found("No appservice offers protocol " + request.path_params[0]);
                      return http::Response::json(std::move(*metadata));
                    });
}

}  // namespace domovoy::appservice
