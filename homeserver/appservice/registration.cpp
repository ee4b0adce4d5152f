#include "homeserver/appservice/registration.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "homeserver/core/identifiers.hpp"

namespace domovoy::appservice {

namespace {

constexpr std::size_t kMaxIdentifierBytes = 255;

const std::vector<std::string> kKnownKeys = {
    "id",         "url",          "as_token",  "hs_token",          "sender_localpart",
    "namespaces", "rate_limited", "protocols", "receive_ephemeral", "de.sorunome.msc2409.push_ephemeral"};

// Builds messages that name the file and the key; every parse step goes through one of these.
class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw RegistrationError("appservice registration " + file_ + ": key '" + key + "': " + problem);
  }
  [[noreturn]] void fail_file(const std::string& problem) const {
    throw RegistrationError("appservice registration " + file_ + ": " + problem);
  }

  // Any scalar is text: YAML reads `as_token: 0123` as a number, but it is meant as the token
  // "0123", and refusing it would help nobody. Null, lists and mappings are not text.
  std::string string(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(key, "must be a string, not " + describe(node));
    return node.Scalar();
  }

  std::string required_string(const YAML::Node& parent, const char* key) const {
    auto node = parent[key];
    if (!node) fail(key, "is required");
    return string(node, key);
  }

  // A plain true/false (YAML 1.1's yes/no/on/off too, as yaml-cpp reads them). A quoted "true"
  // is a string, as it is for every other YAML reader, and is refused.
  bool boolean(const YAML::Node& node, const std::string& key) const {
    bool value = false;
    if (!node.IsScalar() || node.Tag() == "!" || !YAML::convert<bool>::decode(node, value))
      fail(key, "must be true or false, not " + describe(node));
    return value;
  }

 private:
  static std::string describe(const YAML::Node& node) {
    if (node.IsNull()) return "null";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    return "'" + node.Scalar() + "'";
  }

  const std::string& file_;
};

// Both tokens travel as "Authorization: Bearer <token>": a space, a control character or a
// non-ASCII byte would not survive the trip (or would forge a header), so none is accepted.
std::string read_token(const Reader& reader, const YAML::Node& root, const char* key) {
  auto token = reader.required_string(root, key);
  if (token.empty()) reader.fail(key, "must not be empty");
  if (!std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    reader.fail(key, "may only hold printable ASCII characters, without spaces");
  return token;
}

std::optional<std::string> read_url(const Reader& reader, const YAML::Node& root) {
  // The spec requires `url` and allows null. An absent url is read as null: the appservice then
  // receives nothing, which is also what an administrator who left the key out can expect.
  auto node = root["url"];
  if (!node || node.IsNull()) return std::nullopt;
  auto url = reader.string(node, "url");
  if (url.empty()) return std::nullopt;  // Synapse reads "" as "no url" too
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) reader.fail("url", "'" + url + "' is not a URL: " + parsed.error().message());
  auto scheme = parsed->scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
    reader.fail("url", "'" + url + "' must start with http:// or https://");
  if (parsed->encoded_host().empty()) reader.fail("url", "'" + url + "' has no host");
  if (parsed->has_userinfo()) reader.fail("url", "'" + url + "' must not contain a user name or password");
  // Request paths are appended to the url, which a query or fragment would end up in front of.
  if (parsed->has_query() || parsed->has_fragment())
    reader.fail("url", "'" + url + "' must not have a query (?) or fragment (#)");
  while (url.back() == '/') url.pop_back();  // paths are appended with their leading '/'
  return url;
}

std::vector<Namespace> read_namespace_list(const Reader& reader, const YAML::Node& node, const std::string& key) {
  std::vector<Namespace> list;
  if (!node || node.IsNull()) return list;
  if (!node.IsSequence()) reader.fail(key, "must be a list of {regex, exclusive}");
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto entry_key = key + "[" + std::to_string(i) + "]";
    const YAML::Node entry = node[i];
    if (!entry.IsMap()) reader.fail(entry_key, "must be a mapping with 'regex' and 'exclusive'");
    Namespace item;
    if (!entry["regex"]) reader.fail(entry_key + ".regex", "is required");
    item.regex = reader.string(entry["regex"], entry_key + ".regex");
    if (!entry["exclusive"]) reader.fail(entry_key + ".exclusive", "is required");
    item.exclusive = reader.boolean(entry["exclusive"], entry_key + ".exclusive");
    try {
      item.compiled = std::regex(item.regex, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      reader.fail(entry_key + ".regex", "regex does not compile: " + std::string(error.what()));
    }
    list.push_back(std::move(item));
  }
  return list;
}

Namespaces read_namespaces(const Reader& reader, const YAML::Node& root) {
  Namespaces namespaces;
  // The spec requires `namespaces`; without it the appservice is interested in nothing but its
  // own sender, which is what an absent key is read as.
  auto node = root["namespaces"];
  if (!node || node.IsNull()) return namespaces;
  if (!node.IsMap()) reader.fail("namespaces", "must be a mapping with users, aliases and rooms");
  namespaces.users = read_namespace_list(reader, node["users"], "namespaces.users");
  namespaces.aliases = read_namespace_list(reader, node["aliases"], "namespaces.aliases");
  namespaces.rooms = read_namespace_list(reader, node["rooms"], "namespaces.rooms");
  return namespaces;
}

std::vector<std::string> read_protocols(const Reader& reader, const YAML::Node& node) {
  std::vector<std::string> protocols;
  if (!node || node.IsNull()) return protocols;
  if (!node.IsSequence()) reader.fail("protocols", "must be a list of strings");
  for (std::size_t i = 0; i < node.size(); ++i)
    protocols.push_back(reader.string(node[i], "protocols[" + std::to_string(i) + "]"));
  return protocols;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RegistrationError("appservice registration " + path + ": cannot be read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw RegistrationError("appservice registration " + path + ": cannot be read");
  return text.str();
}

}  // namespace

Registration parse_registration(const std::string& yaml, const std::string& file) {
  Reader reader(file);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& error) {
    reader.fail_file(std::string("is not valid YAML: ") + error.what());
  }
  if (!root.IsMap()) reader.fail_file("must be a YAML mapping of keys to values");
  const YAML::Node& top = root;

  Registration registration;
  registration.file = file;
  for (const auto& entry : top) {
    if (!entry.first.IsScalar()) reader.fail_file("has a key that is not a string");
    auto key = entry.first.Scalar();
    if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key) == kKnownKeys.end())
      registration.ignored_keys.push_back(key);
  }

  registration.id = reader.required_string(top, "id");
  if (registration.id.empty()) reader.fail("id", "must not be empty");
  registration.url = read_url(reader, top);
  registration.as_token = read_token(reader, top, "as_token");
  registration.hs_token = read_token(reader, top, "hs_token");
  registration.sender_localpart = reader.required_string(top, "sender_localpart");
  if (!is_valid_user_localpart(registration.sender_localpart))
    reader.fail("sender_localpart",
                "'" + registration.sender_localpart + "' is not a user localpart (a-z, 0-9 and . _ = - / +)");
  registration.namespaces = read_namespaces(reader, top);
  if (top["rate_limited"]) registration.rate_limited = reader.boolean(top["rate_limited"], "rate_limited");
  registration.protocols = read_protocols(reader, top["protocols"]);
  // The stable key (Matrix 1.13) wins over MSC2409's, which bridges still write beside it.
  if (top["receive_ephemeral"])
    registration.receive_ephemeral = reader.boolean(top["receive_ephemeral"], "receive_ephemeral");
  else if (top["de.sorunome.msc2409.push_ephemeral"])
    registration.receive_ephemeral =
        reader.boolean(top["de.sorunome.msc2409.push_ephemeral"], "de.sorunome.msc2409.push_ephemeral");
  return registration;
}

Registration load_registration_file(const std::string& path) { return parse_registration(read_file(path), path); }

void check_distinct(const std::vector<Registration>& registrations) {
  for (std::size_t later = 1; later < registrations.size(); ++later) {
    const auto& registration = registrations[later];
    for (std::size_t index = 0; index < later; ++index) {
      const auto& earlier = registrations[index];
      auto clash = [&](const char* key, const std::string& detail) {
        throw RegistrationError("appservice registrations " + earlier.file + " and " + registration.file + ": key '" +
                                key + "': " + detail);
      };
      if (earlier.id == registration.id) clash("id", "both have the id '" + registration.id + "'");
      // Tokens are secrets: the message says that they are equal, never what they are.
      if (earlier.as_token == registration.as_token) clash("as_token", "both have the same as_token");
      if (earlier.hs_token == registration.hs_token) clash("hs_token", "both have the same hs_token");
      if (earlier.sender_localpart == registration.sender_localpart)
        clash("sender_localpart", "both have the sender_localpart '" + registration.sender_localpart + "'");
    }
  }
}

std::vector<Registration> load_registrations(const std::vector<std::string>& paths) {
  std::vector<Registration> registrations;
  registrations.reserve(paths.size());
  for (const auto& path : paths) registrations.push_back(load_registration_file(path));
  check_distinct(registrations);
  return registrations;
}

bool namespace_matches(const Namespace& entry, std::string_view value) {
  if (value.size() > kMaxIdentifierBytes) return false;
  // Anchored at the start only, as Synapse matches (Python's re.match): registrations written
  // for Synapse, such as "@_irc_[a-z]+", keep claiming "@_irc_bob:server" here.
  return std::regex_search(value.begin(), value.end(), entry.compiled, std::regex_constants::match_continuous);
}

std::string sender_user_id(const Registration& registration, std::string_view server_name) {
  std::string user_id = "@" + registration.sender_localpart + ":";
  user_id += server_name;
  return user_id;
}

}  // namespace domovoy::appservice
