#include "homeserver/core/identifiers.hpp"

#include <algorithm>
#include <cctype>

namespace domovoy {

namespace {
bool is_dns_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  return std::stoi(std::string(port)) <= 65535;
}
}  // namespace

bool is_valid_server_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  std::string_view host = name;
  std::string_view port;
  if (name.front() == '[') {
    auto close = name.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    auto inside = name.substr(1, close - 1);
    if (!std::all_of(inside.begin(), inside.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; }))
      return false;
    auto rest = name.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    return valid_port(rest.substr(1));
  }
  auto colon = name.rfind(':');
  if (colon != std::string_view::npos) {
    host = name.substr(0, colon);
    port = name.substr(colon + 1);
    if (!valid_port(port)) return false;
  }
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), is_dns_char);
}

bool is_valid_user_localpart(std::string_view localpart) {
  if (localpart.empty()) return false;
  return std::all_of(localpart.begin(), localpart.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '=' || c == '-' ||
           c == '/' || c == '+';
  });
}

bool is_valid_user_id(std::string_view user_id) {
  if (user_id.size() < 4 || user_id.size() > 255 || user_id.front() != '@') return false;
  auto colon = user_id.find(':');
  if (colon == std::string_view::npos || colon == 1) return false;
  auto local = user_id.substr(1, colon - 1);
  // Historical user ids allow any printable ASCII except ':' in the localpart.
  if (!std::all_of(local.begin(), local.end(), [](char c) { return c >= 0x21 && c <= 0x7e && c != ':'; }))
    return false;
  return is_valid_server_name(user_id.substr(colon + 1));
}

bool is_valid_room_alias(std::string_view alias) {
  if (alias.size() < 4 || alias.size() > 255 || alias.front() != '#') return false;
  auto colon = alias.find(':');
  if (colon == std::string_view::npos || colon == 1) return false;
  auto local = alias.substr(1, colon - 1);
  if (std::any_of(local.begin(), local.end(), [](char c) { return static_cast<unsigned char>(c) < 0x21; }))
    return false;
  return is_valid_server_name(alias.substr(colon + 1));
}

bool is_valid_room_id(std::string_view room_id) {
  if (room_id.size() < 2 || room_id.size() > 255 || room_id.front() != '!') return false;
  return std::none_of(room_id.begin(), room_id.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x21 || c == '/'; });
}

bool is_valid_event_id(std::string_view event_id) {
  if (event_id.size() < 2 || event_id.size() > 255 || event_id.front() != '$') return false;
  return std::none_of(event_id.begin(), event_id.end(), [](char c) { return static_cast<unsigned char>(c) < 0x21; });
}

std::string_view server_name_of(std::string_view id) {
  auto colon = id.find(':');
  return colon == std::string_view::npos ? std::string_view{} : id.substr(colon + 1);
}

std::string_view localpart_of(std::string_view id) {
  auto colon = id.find(':');
  if (id.empty()) return {};
  return id.substr(1, (colon == std::string_view::npos ? id.size() : colon) - 1);
}

}  // namespace domovoy
