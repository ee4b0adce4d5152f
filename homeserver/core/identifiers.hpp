#pragma once
// The grammars of Matrix identifiers (appendices: "Identifier Grammar").
#include <optional>
#include <string>
#include <string_view>

namespace domovoy {

bool is_valid_server_name(std::string_view name);
// Localparts this server accepts for new users: a-z 0-9 . _ = - / +
bool is_valid_user_localpart(std::string_view localpart);
// Any user id with a historical localpart (printable ASCII except ':') and a valid server name.
bool is_valid_user_id(std::string_view user_id);
bool is_valid_room_alias(std::string_view alias);
bool is_valid_room_id(std::string_view room_id);
bool is_valid_event_id(std::string_view event_id);

// "@alice:example.org" -> "example.org"; the part after the first ':' of any sigilled id.
std::string_view server_name_of(std::string_view id);
std::string_view localpart_of(std::string_view id);

}  // namespace domovoy
