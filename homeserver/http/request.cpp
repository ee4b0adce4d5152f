#include "homeserver/http/request.hpp"

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy::http {

std::optional<std::string> Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::query_params(const std::string& name) const {
  std::vector<std::string> values;
  auto [begin, end] = query.equal_range(name);
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

namespace {
bool is_blank(const std::string& text) { return text.find_first_not_of(" \t\r\n") == std::string::npos; }
}  // namespace

boost::json::object Request::json_body() const {
  if (is_blank(body)) throw ApiError(400, "M_NOT_JSON", "Request body is empty; this endpoint needs a JSON object");
  return parse_json_object(body);
}

boost::json::object Request::optional_json_body() const {
  if (is_blank(body)) return {};
  return parse_json_object(body);
}

}  // namespace domovoy::http
