#include "homeserver/http/request.hpp"

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

boost::json::object Request::json_body() const {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  return parse_json_object(body);
}

}  // namespace domovoy::http
