#pragma once
// Server access control lists (client-server-api "Server Access Control Lists", m.room.server_acl):
// which servers a room lets take part. The server name is compared without its port against the
// `deny` globs, then the `allow` globs (`*` any run of characters, `?` one); an IP literal is
// refused when `allow_ip_literals` is false; a name no `allow` glob matches is refused.
#include <boost/json/object.hpp>

#include <string_view>

namespace domovoy {

bool server_acl_allows(const boost::json::object& acl_content, std::string_view server_name);

// Glob matching as the ACLs use it (case-insensitive, as DNS names are).
bool server_glob_matches(std::string_view glob, std::string_view name);

}  // namespace domovoy
