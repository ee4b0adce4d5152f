#include "federation/x_matrix.hpp"

#include <boost/json.hpp>

#include <cctype>

#include "homeserver/core/case_fold.hpp"

namespace domovoy::federation {

namespace json = boost::json;

namespace {

// RFC 9110 §5.6.2 tchar; ':' too, which older servers send unquoted in server names.
bool is_token_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~:").find(c) != std::string_view::npos;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::optional<XMatrixAuth> parse_x_matrix(std::string_view header) {
  constexpr std::string_view kScheme = "x-matrix";
  if (header.size() <= kScheme.size() || ascii_lower(header.substr(0, kScheme.size())) != kScheme ||
      !is_space(header[kScheme.size()]))
    return std::nullopt;
  std::size_t at = kScheme.size();
  std::optional<std::string> origin, destination, key, sig;
  auto skip_space = [&] {
    while (at < header.size() && is_space(header[at])) ++at;
  };
  skip_space();
  while (at < header.size()) {
    if (header[at] == ',') {  // an empty list element (RFC 9110 §5.6.1)
      ++at;
      skip_space();
      continue;
    }
    auto name_start = at;
    while (at < header.size() && is_token_char(header[at]) && header[at] != '=') ++at;
    auto name = ascii_lower(header.substr(name_start, at - name_start));
    skip_space();
    if (name.empty() || at >= header.size() || header[at] != '=') return std::nullopt;
    ++at;
    skip_space();
    std::string value;
    if (at < header.size() && header[at] == '"') {
      ++at;
      bool closed = false;
      while (at < header.size()) {
        char c = header[at++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (at >= header.size()) return std::nullopt;
          c = header[at++];
        }
        value.push_back(c);
      }
      if (!closed) return std::nullopt;
    } else {
      // Also '/', which a Base64 signature holds: older servers send it unquoted.
      auto value_start = at;
      while (at < header.size() && (is_token_char(header[at]) || header[at] == '/')) ++at;
      value = std::string(header.substr(value_start, at - value_start));
      if (value.empty()) return std::nullopt;
    }
    std::optional<std::string>* slot = name == "origin" ? &origin
                                       : name == "destination" ? &destination
                                       : name == "key" ? &key
                                       : name == "sig" ? &sig
                                                       : nullptr;
    if (slot) {
      if (*slot) return std::nullopt;
      *slot = std::move(value);
    }
    skip_space();
    if (at >= header.size()) break;
    if (header[at] != ',') return std::nullopt;
    ++at;
    skip_space();
  }
  if (!origin || !key || !sig || origin->empty() || key->empty() || sig->empty()) return std::nullopt;
  return XMatrixAuth{std::move(*origin), destination.value_or(""), std::move(*key), std::move(*sig)};
}

json::object x_matrix_signed_json(std::string_view method, std::string_view uri, std::string_view origin,
                                  std::string_view destination, const json::value* content) {
  json::object request{{"method", method}, {"uri", uri}, {"origin", origin}, {"destination", destination}};
  if (content) request["content"] = *content;
  return request;
}

std::string x_matrix_header(std::string_view method, std::string_view uri, std::string_view origin,
                            std::string_view destination, const json::value* content, const SigningKey& key) {
  auto request = x_matrix_signed_json(method, uri, origin, destination, content);
  sign_json(request, origin, key);
  auto signature = request["signatures"].as_object()[origin].as_object()[key.key_id()].as_string();
  return "X-Matrix origin=\"" + std::string(origin) + "\",destination=\"" + std::string(destination) + "\",key=\"" +
         key.key_id() + "\",sig=\"" + std::string(signature) + "\"";
}

bool verify_x_matrix(const XMatrixAuth& auth, std::string_view method, std::string_view uri,
                     std::string_view destination, const json::value* content, std::string_view public_key_base64) {
  if (!auth.destination.empty() && auth.destination != destination) return false;
  auto request = x_matrix_signed_json(method, uri, auth.origin, destination, content);
  request["signatures"] = json::object{{auth.origin, json::object{{auth.key_id, auth.signature}}}};
  return verify_json_signature(request, auth.origin, auth.key_id, public_key_base64);
}

}  // namespace domovoy::federation
