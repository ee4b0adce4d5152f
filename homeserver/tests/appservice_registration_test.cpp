// Appservice registration files (appservice/registration.hpp): what is read from a good file, and
// that every bad file is refused with a message naming the file and the key.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "homeserver/appservice/registration.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy::appservice {
namespace {

// The spec's example registration, with every optional key.
const char* kGood = R"(id: "IRC Bridge"
url: "http://127.0.0.1:1234/"
as_token: "30c05ae90a248a4188e620216fa72e349803310ec83e2a77b34fe90be6081f46"
hs_token: "312df522183efd404ec1cd22d2ffa4bbc76a8c1ccf541dd692eef281356bb74e"
sender_localpart: "_irc_bot"
namespaces:
  users:
    - exclusive: true
      regex: "@_irc_bridge_.*"
  aliases:
    - exclusive: false
      regex: "#_irc_bridge_.*"
  rooms: []
rate_limited: false
protocols: ["irc", "gitter"]
de.sorunome.msc2409.push_ephemeral: true
push_ephemeral: true
org.matrix.msc3202: true
)";

// A registration assembled from top-level keys, so that a test can drop or replace one.
struct Document {
  std::vector<std::pair<std::string, std::string>> keys = {
      {"id", "\"bridge\""},
      {"url", "\"http://localhost:9000\""},
      {"as_token", "\"as-secret\""},
      {"hs_token", "\"hs-secret\""},
      {"sender_localpart", "\"bridgebot\""},
      {"namespaces", "\n  users:\n    - {regex: \"@bridge_.*\", exclusive: true}\n  aliases: []\n  rooms: []"},
  };

  Document& set(const std::string& key, const std::string& value) {
    for (auto& [name, text] : keys)
      if (name == key) {
        text = value;
        return *this;
      }
    keys.emplace_back(key, value);
    return *this;
  }
  Document& drop(const std::string& key) {
    std::erase_if(keys, [&](const auto& entry) { return entry.first == key; });
    return *this;
  }
  std::string yaml() const {
    std::string text;
    for (const auto& [name, value] : keys) text += name + ": " + value + "\n";
    return text;
  }
};

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  auto path = dir.str(name);
  std::ofstream(path) << text;
  return path;
}

// The message of the RegistrationError that reading `text` from a file throws.
std::string error_of(const std::string& text) {
  test::TempDir dir;
  auto path = write(dir, "as.yaml", text);
  try {
    load_registration_file(path);
  } catch (const RegistrationError& error) {
    std::string message = error.what();
    // Whatever the key, the file comes first.
    std::string prefix = "appservice registration " + path + ": ";
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
    return message.substr(prefix.size());
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

TEST(AppserviceRegistration, ReadsTheSpecExample) {
  auto registration = parse_registration(kGood, "/etc/domovoy/irc.yaml");
  EXPECT_EQ(registration.file, "/etc/domovoy/irc.yaml");
  EXPECT_EQ(registration.id, "IRC Bridge");
  EXPECT_EQ(registration.url, "http://127.0.0.1:1234") << "the trailing '/' is dropped";
  EXPECT_EQ(registration.as_token, "30c05ae90a248a4188e620216fa72e349803310ec83e2a77b34fe90be6081f46");
  EXPECT_EQ(registration.hs_token, "312df522183efd404ec1cd22d2ffa4bbc76a8c1ccf541dd692eef281356bb74e");
  EXPECT_EQ(registration.sender_localpart, "_irc_bot");
  ASSERT_EQ(registration.namespaces.users.size(), 1u);
  EXPECT_EQ(registration.namespaces.users[0].regex, "@_irc_bridge_.*");
  EXPECT_TRUE(registration.namespaces.users[0].exclusive);
  ASSERT_EQ(registration.namespaces.aliases.size(), 1u);
  EXPECT_EQ(registration.namespaces.aliases[0].regex, "#_irc_bridge_.*");
  EXPECT_FALSE(registration.namespaces.aliases[0].exclusive);
  EXPECT_TRUE(registration.namespaces.rooms.empty());
  EXPECT_FALSE(registration.rate_limited);
  EXPECT_EQ(registration.protocols, (std::vector<std::string>{"irc", "gitter"}));
  EXPECT_TRUE(registration.receive_ephemeral) << "from MSC2409's key";
  EXPECT_EQ(registration.ignored_keys, (std::vector<std::string>{"push_ephemeral", "org.matrix.msc3202"}));
}

TEST(AppserviceRegistration, DefaultsOfTheOptionalKeys) {
  auto registration = parse_registration(Document{}.yaml(), "as.yaml");
  EXPECT_TRUE(registration.rate_limited);
  EXPECT_FALSE(registration.receive_ephemeral);
  EXPECT_TRUE(registration.protocols.empty());
  EXPECT_TRUE(registration.ignored_keys.empty());
  EXPECT_EQ(registration.url, "http://localhost:9000");
}

TEST(AppserviceRegistration, UrlMayBeNullEmptyOrAbsent) {
  EXPECT_EQ(parse_registration(Document{}.set("url", "null").yaml(), "a").url, std::nullopt);
  EXPECT_EQ(parse_registration(Document{}.set("url", "~").yaml(), "a").url, std::nullopt);
  EXPECT_EQ(parse_registration(Document{}.set("url", "\"\"").yaml(), "a").url, std::nullopt);
  EXPECT_EQ(parse_registration(Document{}.drop("url").yaml(), "a").url, std::nullopt);
  EXPECT_EQ(parse_registration(Document{}.set("url", "https://as.example.org/bridge/").yaml(), "a").url,
            "https://as.example.org/bridge");
  EXPECT_EQ(parse_registration(Document{}.set("url", "http://[::1]:29328").yaml(), "a").url, "http://[::1]:29328");
}

TEST(AppserviceRegistration, NamespacesMayBeAbsentOrPartial) {
  auto none = parse_registration(Document{}.drop("namespaces").yaml(), "a");
  EXPECT_TRUE(none.namespaces.users.empty() && none.namespaces.aliases.empty() && none.namespaces.rooms.empty());
  auto users_only = parse_registration(
      Document{}.set("namespaces", "\n  users:\n    - {regex: \"@x_.*\", exclusive: false}").yaml(), "a");
  EXPECT_EQ(users_only.namespaces.users.size(), 1u);
  EXPECT_TRUE(users_only.namespaces.rooms.empty());
  auto nulls = parse_registration(Document{}.set("namespaces", "\n  users:\n  rooms: ~").yaml(), "a");
  EXPECT_TRUE(nulls.namespaces.users.empty() && nulls.namespaces.rooms.empty());
}

TEST(AppserviceRegistration, TheStableEphemeralKeyWinsOverMsc2409) {
  auto doc = Document{}.set("receive_ephemeral", "false").set("de.sorunome.msc2409.push_ephemeral", "true");
  EXPECT_FALSE(parse_registration(doc.yaml(), "a").receive_ephemeral);
  EXPECT_TRUE(parse_registration(Document{}.set("receive_ephemeral", "true").yaml(), "a").receive_ephemeral);
  EXPECT_FALSE(parse_registration(Document{}.set("push_ephemeral", "true").yaml(), "a").receive_ephemeral)
      << "push_ephemeral is not a key of any spec or MSC that Domovoy reads";
}

TEST(AppserviceRegistration, ScalarsAreTokensAsWritten) {
  auto registration = parse_registration(Document{}.set("as_token", "0123").set("hs_token", "1e5").yaml(), "a");
  EXPECT_EQ(registration.as_token, "0123") << "not the number 123";
  EXPECT_EQ(registration.hs_token, "1e5");
}

TEST(AppserviceRegistration, EveryBadKeyIsNamed) {
  struct Case {
    Document document;
    std::string expected;  // the message after "appservice registration <file>: "
  };
  const std::vector<Case> cases = {
      {Document{}.drop("id"), "key 'id': is required"},
      {Document{}.drop("as_token"), "key 'as_token': is required"},
      {Document{}.drop("hs_token"), "key 'hs_token': is required"},
      {Document{}.drop("sender_localpart"), "key 'sender_localpart': is required"},
      {Document{}.set("id", "[a, b]"), "key 'id': must be a string, not a list"},
      {Document{}.set("id", "null"), "key 'id': must be a string, not null"},
      {Document{}.set("id", "\"\""), "key 'id': must not be empty"},
      {Document{}.set("as_token", "{a: b}"), "key 'as_token': must be a string, not a mapping"},
      {Document{}.set("as_token", "\"\""), "key 'as_token': must not be empty"},
      {Document{}.set("hs_token", "~"), "key 'hs_token': must be a string, not null"},
      {Document{}.set("hs_token", "\"two words\""),
       "key 'hs_token': may only hold printable ASCII characters, without spaces"},
      {Document{}.set("as_token", "\"line\\r\\nX-Injected: 1\""),
       "key 'as_token': may only hold printable ASCII characters, without spaces"},
      {Document{}.set("as_token", "\"t\u00f6ken\""),
       "key 'as_token': may only hold printable ASCII characters, without spaces"},
      {Document{}.set("sender_localpart", "\"IRC Bot\""),
       "key 'sender_localpart': 'IRC Bot' is not a user localpart (a-z, 0-9 and . _ = - / +)"},
      {Document{}.set("url", "[a, b]"), "key 'url': must be a string, not a list"},
      {Document{}.set("url", "ftp://files.example.org"),
       "key 'url': 'ftp://files.example.org' must start with http:// or https://"},
      {Document{}.set("url", "localhost:9000"), "key 'url': 'localhost:9000' must start with http:// or https://"},
      {Document{}.set("url", "\"http://as.example.org/?token=x\""),
       "key 'url': 'http://as.example.org/?token=x' must not have a query (?) or fragment (#)"},
      {Document{}.set("url", "http://user:pw@as.example.org"),
       "key 'url': 'http://user:pw@as.example.org' must not contain a user name or password"},
      {Document{}.set("rate_limited", "\"true\""), "key 'rate_limited': must be true or false, not 'true'"},
      {Document{}.set("rate_limited", "sometimes"), "key 'rate_limited': must be true or false, not 'sometimes'"},
      {Document{}.set("receive_ephemeral", "1"), "key 'receive_ephemeral': must be true or false, not '1'"},
      {Document{}.set("de.sorunome.msc2409.push_ephemeral", "[]"),
       "key 'de.sorunome.msc2409.push_ephemeral': must be true or false, not a list"},
      {Document{}.set("protocols", "irc"), "key 'protocols': must be a list of strings"},
      {Document{}.set("protocols", "[irc, [x]]"), "key 'protocols[1]': must be a string, not a list"},
      {Document{}.set("namespaces", "[]"), "key 'namespaces': must be a mapping with users, aliases and rooms"},
      {Document{}.set("namespaces", "\n  users: {regex: \"@a.*\", exclusive: true}"),
       "key 'namespaces.users': must be a list of {regex, exclusive}"},
      {Document{}.set("namespaces", "\n  rooms: [\"!a.*\"]"),
       "key 'namespaces.rooms[0]': must be a mapping with 'regex' and 'exclusive'"},
      {Document{}.set("namespaces", "\n  users:\n    - {exclusive: true}"),
       "key 'namespaces.users[0].regex': is required"},
      {Document{}.set("namespaces", "\n  users:\n    - {regex: \"@a.*\"}"),
       "key 'namespaces.users[0].exclusive': is required"},
      {Document{}.set("namespaces", "\n  aliases:\n    - {regex: \"#a.*\", exclusive: maybe}"),
       "key 'namespaces.aliases[0].exclusive': must be true or false, not 'maybe'"},
      {Document{}.set("namespaces", "\n  users:\n    - {regex: [\"@a\"], exclusive: true}"),
       "key 'namespaces.users[0].regex': must be a string, not a list"},
  };
  for (const auto& test : cases) EXPECT_EQ(error_of(test.document.yaml()), test.expected) << test.document.yaml();
}

TEST(AppserviceRegistration, ARegexThatDoesNotCompileIsNamed) {
  auto doc = Document{}.set("namespaces",
                            "\n  aliases:\n    - {regex: \"#ok_.*\", exclusive: false}\n"
                            "    - {regex: \"#broken_([a-z\", exclusive: true}");
  auto message = error_of(doc.yaml());
  EXPECT_EQ(message.rfind("key 'namespaces.aliases[1].regex': regex does not compile: ", 0), 0u) << message;
  // Python's named groups are not ECMAScript.
  auto python =
      error_of(Document{}.set("namespaces", "\n  users:\n    - {regex: \"@(?P<n>x)\", exclusive: true}").yaml());
  EXPECT_EQ(python.rfind("key 'namespaces.users[0].regex': regex does not compile: ", 0), 0u) << python;
}

TEST(AppserviceRegistration, FilesThatAreNotRegistrations) {
  EXPECT_EQ(error_of("- a\n- b\n"), "must be a YAML mapping of keys to values");
  EXPECT_EQ(error_of(""), "must be a YAML mapping of keys to values");
  EXPECT_EQ(error_of("id: [unclosed\n").rfind("is not valid YAML: ", 0), 0u);
  try {
    load_registration_file("/nonexistent/domovoy/as.yaml");
    ADD_FAILURE() << "no error";
  } catch (const RegistrationError& error) {
    EXPECT_EQ(std::string(error.what()),
              "appservice registration /nonexistent/domovoy/as.yaml: cannot be read: No such file or directory");
  }
}

TEST(AppserviceRegistration, LoadsSeveralFilesInOrder) {
  test::TempDir dir;
  auto first = write(dir, "a.yaml", Document{}.yaml());
  auto second = write(dir, "b.yaml",
                      Document{}
                          .set("id", "other")
                          .set("as_token", "as-2")
                          .set("hs_token", "hs-2")
                          .set("sender_localpart", "otherbot")
                          .yaml());
  auto registrations = load_registrations({first, second});
  ASSERT_EQ(registrations.size(), 2u);
  EXPECT_EQ(registrations[0].id, "bridge");
  EXPECT_EQ(registrations[0].file, first);
  EXPECT_EQ(registrations[1].id, "other");
  EXPECT_EQ(registrations[1].file, second);
  EXPECT_TRUE(load_registrations({}).empty());
}

TEST(AppserviceRegistration, RefusesTwoRegistrationsSharingAnIdOrToken) {
  test::TempDir dir;
  auto distinct = [] {
    return Document{}
        .set("id", "other")
        .set("as_token", "as-2")
        .set("hs_token", "hs-2")
        .set("sender_localpart", "otherbot");
  };
  struct Case {
    Document second;
    std::string key;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {distinct().set("id", "\"bridge\""), "id", "both have the id 'bridge'"},
      {distinct().set("as_token", "as-secret"), "as_token", "both have the same as_token"},
      {distinct().set("hs_token", "hs-secret"), "hs_token", "both have the same hs_token"},
      {distinct().set("sender_localpart", "bridgebot"), "sender_localpart",
       "both have the sender_localpart 'bridgebot'"},
  };
  auto first = write(dir, "first.yaml", Document{}.yaml());
  auto unrelated =
      write(dir, "unrelated.yaml",
            Document{}.set("id", "u").set("as_token", "u1").set("hs_token", "u2").set("sender_localpart", "u").yaml());
  for (const auto& test : cases) {
    auto second = write(dir, "second.yaml", test.second.yaml());
    try {
      load_registrations({first, unrelated, second});
      ADD_FAILURE() << "no error for a shared " << test.key;
    } catch (const RegistrationError& error) {
      std::string message = error.what();
      EXPECT_EQ(message,
                "appservice registrations " + first + " and " + second + ": key '" + test.key + "': " + test.detail);
      EXPECT_EQ(message.find("secret"), std::string::npos) << "a token's value is never in a message";
    }
  }
}

TEST(AppserviceRegistration, NamespaceRegexesAreAnchoredAtTheStartAsInSynapse) {
  auto registration =
      parse_registration(Document{}
                             .set("namespaces",
                                  "\n  users:\n"
                                  "    - {regex: \"@_irc_.*\", exclusive: true}\n"
                                  "    - {regex: \"@_irc_\", exclusive: true}\n"
                                  "    - {regex: \"^@telegram_[0-9]+:example\\\\.org$\", exclusive: true}\n"
                                  "    - {regex: \"_slack_\", exclusive: true}")
                             .yaml(),
                         "a");
  const auto& users = registration.namespaces.users;
  ASSERT_EQ(users.size(), 4u);
  EXPECT_TRUE(namespace_matches(users[0], "@_irc_bob:example.org"));
  EXPECT_FALSE(namespace_matches(users[0], "@alice:example.org"));
  EXPECT_TRUE(namespace_matches(users[1], "@_irc_bob:example.org")) << "Synapse's re.match: a prefix is enough";
  EXPECT_TRUE(namespace_matches(users[1], "@_irc_"));
  EXPECT_TRUE(namespace_matches(users[2], "@telegram_42:example.org")) << "explicit anchors are harmless";
  EXPECT_FALSE(namespace_matches(users[2], "@telegram_42:example.org.evil"));
  EXPECT_FALSE(namespace_matches(users[3], "@_slack_bob:example.org")) << "no search inside the id";
  EXPECT_FALSE(namespace_matches(users[0], "@_irc_" + std::string(300, 'x') + ":example.org"))
      << "longer than any Matrix id";
}

TEST(AppserviceRegistration, SenderUserId) {
  auto registration = parse_registration(Document{}.yaml(), "a");
  EXPECT_EQ(sender_user_id(registration, "example.org"), "@bridgebot:example.org");
}

}  // namespace
}  // namespace domovoy::appservice
