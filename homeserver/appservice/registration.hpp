#pragma once
// Application service registration files (application service API "Registration", schema
// definitions/registration.yaml). docs/appservices.md documents every key as read here.
//
// Every error names the file and the key, so that an administrator can fix a registration from
// the message alone; a token's value is never part of a message.
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace domovoy::appservice {

// One entry of a namespace list: which ids it covers and whether the appservice claims them.
struct Namespace {
  std::string regex;  // as written in the file
  bool exclusive = false;
  std::regex compiled;  // ECMAScript; see namespace_matches
};

struct Namespaces {
  std::vector<Namespace> users;
  std::vector<Namespace> aliases;
  std::vector<Namespace> rooms;
};

struct Registration {
  std::string file;  // where it was read from: every later message about it names this
  std::string id;
  std::optional<std::string> url;  // without trailing '/'; nullopt: push nothing to this appservice
  std::string as_token;
  std::string hs_token;
  std::string sender_localpart;
  Namespaces namespaces;
  bool rate_limited = true;
  std::vector<std::string> protocols;
  bool receive_ephemeral = false;
  // Top-level keys Domovoy does not read (for a start-up warning; their values are not kept).
  std::vector<std::string> ignored_keys;
};

class RegistrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one registration from YAML text; `file` is only used in messages and Registration::file.
Registration parse_registration(const std::string& yaml, const std::string& file);
// Reads and parses the file at `path`.
Registration load_registration_file(const std::string& path);
// Throws when two registrations share an id, an as_token, an hs_token or a sender_localpart (the
// spec requires unique ids and as_tokens; a shared hs_token or sender would make one appservice
// indistinguishable from another). The message names both files and the key.
void check_distinct(const std::vector<Registration>& registrations);
// Reads every file, in order, then check_distinct.
std::vector<Registration> load_registrations(const std::vector<std::string>& paths);

// Whether `value` is in the namespace: the regex must match from the start of `value`, as
// Synapse's re.match does, so "@_irc_" and "@_irc_.*" both cover "@_irc_bob:example.org", and
// "_irc_" covers nothing (no search inside the id); end with "$" to pin the end. Values longer than 255 bytes, the limit of every Matrix identifier,
// never match (libstdc++'s regex recurses per character).
bool namespace_matches(const Namespace& entry, std::string_view value);

// "@<sender_localpart>:<server_name>".
std::string sender_user_id(const Registration& registration, std::string_view server_name);

}  // namespace domovoy::appservice
