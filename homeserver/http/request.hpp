#pragma once
// What a handler sees of an HTTP request and what it returns.
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "homeserver/http/spooled_body.hpp"

namespace domovoy::http {

struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string path;                                 // raw path, without the query
  std::string target;                               // the request target as received: raw path and query
  std::multimap<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;       // lower-cased names
  std::string body;
  // Set instead of `body` on a route that spools its body to a file (Router::add_spooled).
  std::optional<SpooledBody> spooled_body;
  std::string remote_address;
  std::vector<std::string> path_params;             // percent-decoded {placeholders}, in order
  // Set by authentication.
  std::string user_id;
  std::string device_id;
  std::string access_token_hash;
  std::string appservice_id;  // set when the token is an appservice's as_token
  bool rate_limited = true;   // false for an appservice registered with rate_limited: false
  std::string origin;         // federation: the server whose X-Matrix signature the request carries

  std::optional<std::string> query_param(const std::string& name) const;
  std::vector<std::string> query_params(const std::string& name) const;
  std::string header(const std::string& lower_name) const;
  // The body as a JSON object. An empty body is 400 M_NOT_JSON, as is anything else that is not
  // JSON (M_BAD_JSON for JSON that is not an object): an endpoint whose spec has a body needs one.
  boost::json::object json_body() const;
  // For the endpoints that older clients call without a body (join, leave, logout, deactivate,
  // deleting one device; Synapse accepts those empty too): an empty body counts as {}.
  boost::json::object optional_json_body() const;
};

struct Response {
  unsigned status = 200;
  boost::json::value body = boost::json::object{};
  std::string raw_body;  // used instead of `body` when content_type is set
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(boost::json::value body, unsigned status = 200) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
  }
};

}  // namespace domovoy::http
