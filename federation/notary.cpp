#include "federation/notary.hpp"

#include <boost/json.hpp>

#include <charconv>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/identifiers.hpp"

namespace domovoy::federation {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

std::int64_t minimum_valid_until(const json::value* value) {
  if (!value) return now_ms();
  if (!value->is_int64()) throw bad_json("minimum_valid_until_ts must be an integer");
  return value->get_int64();
}

}  // namespace

void register_notary_routes(http::Router& router, KeyFetcher& key_fetcher) {
  router.add_async(verb::get, "/_matrix/key/v2/query/{serverName}", http::Auth::none,
                   [&key_fetcher](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     auto server_name = request.path_params.at(0);
                     std::int64_t minimum = now_ms();
                     if (auto given = request.query_param("minimum_valid_until_ts")) {
                       auto [end, error] = std::from_chars(given->data(), given->data() + given->size(), minimum);
                       if (error != std::errc{} || end != given->data() + given->size())
                         throw invalid_param("minimum_valid_until_ts must be an integer");
                     }
                     json::array answer;
                     if (is_valid_server_name(server_name)) {
                       auto lookup = key_fetcher.notarised_keys(server_name, minimum);
                       auto found = co_await std::move(lookup);
                       for (auto& keys : found) answer.push_back(std::move(keys));
                     }
                     co_return http::Response::json(json::object{{"server_keys", std::move(answer)}});
                   });
  router.add_async(verb::post, "/_matrix/key/v2/query", http::Auth::none,
                   [&key_fetcher](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     auto body = request.json_body();
                     const auto* wanted = body.if_contains("server_keys");
                     if (!wanted || !wanted->is_object()) throw bad_json("server_keys must be an object");
                     if (wanted->get_object().size() > kMaxNotaryServersPerQuery)
                       throw bad_json("At most " + std::to_string(kMaxNotaryServersPerQuery) +
                                      " servers may be asked about at once");
                     std::vector<std::pair<std::string, std::int64_t>> queries;
                     for (const auto& [server_name, key_ids] : wanted->get_object()) {
                       if (!key_ids.is_object()) throw bad_json("server_keys." + std::string(server_name) +
                                                                " must be an object");
                       // The latest minimum asked of any key: one fetch answers for all of them.
                       std::int64_t minimum = key_ids.get_object().empty() ? now_ms() : 0;
                       for (const auto& [key_id, criteria] : key_ids.get_object()) {
                         if (!criteria.is_object()) throw bad_json("server_keys." + std::string(server_name) + "." +
                                                                   std::string(key_id) + " must be an object");
                         minimum = std::max(minimum,
                                            minimum_valid_until(criteria.get_object().if_contains("minimum_valid_until_ts")));
                       }
                       queries.emplace_back(std::string(server_name), minimum);
                     }
                     json::array answer;
                     for (const auto& [server_name, minimum] : queries) {
                       if (!is_valid_server_name(server_name)) continue;
                       auto lookup = key_fetcher.notarised_keys(server_name, minimum);
                       auto found = co_await std::move(lookup);
                       for (auto& keys : found) answer.push_back(std::move(keys));
                     }
                     co_return http::Response::json(json::object{{"server_keys", std::move(answer)}});
                   });
}

}  // namespace domovoy::federation
