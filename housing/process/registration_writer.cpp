#include "housing/process/registration_writer.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "homeserver/appservice/registration.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy::housing {

namespace {
// A regex that matches the text literally (server names hold dots, localparts may hold more).
std::string regex_escape(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

// YAML single-quoted scalar.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}
}  // namespace

std::string registration_yaml(const std::string& url, const std::string& as_token, const std::string& hs_token,
                              const ProcessConfig& config) {
  const auto& bots = config.bots;
  std::string users;
  for (const auto* localpart : {&bots.domovoy, &bots.meters, &bots.billing, &bots.repairs, &bots.meetings})
    users += "    - exclusive: true\n      regex: " + quoted("@" + regex_escape(*localpart) + ":" +
                                                           regex_escape(config.server_name) + "$") + "\n";
  return "# The housing bots of Domovoy (domovoy housing). Written by `domovoy housing --write-registration`;\n"
         "# list this file under `appservices:` in the homeserver's configuration.\n"
         "id: " + std::string(kHousingAppserviceId) + "\n"
         "url: " + quoted(url) + "\n"
         "as_token: " + quoted(as_token) + "\n"
         "hs_token: " + quoted(hs_token) + "\n"
         "sender_localpart: " + quoted(bots.domovoy) + "\n"
         "rate_limited: false\n"
         "receive_ephemeral: false\n"
         "namespaces:\n"
         "  users:\n" + users +
         "  aliases: []\n"
         "  rooms: []\n";
}

void write_registration(const std::string& path, const std::string& url, const ProcessConfig& config) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw ProcessConfigError("--url must be the http:// or https:// address the homeserver reaches the bots at");
  std::string as_token = random_token(), hs_token = random_token();
  if (std::filesystem::exists(path)) {
    try {
      auto existing = appservice::load_registration_file(path);
      as_token = existing.as_token;
      hs_token = existing.hs_token;
    } catch (const appservice::RegistrationError& error) {
      throw ProcessConfigError(std::string("refusing to overwrite ") + path + ", which is not a registration: " + error.what());
    }
  }
  auto text = registration_yaml(url, as_token, hs_token, config);
  // Written beside and renamed over, so the homeserver never reads half a file; 0600, the
  // tokens are secrets.
  auto temporary = path + ".tmp";
  {
    auto old_mask = ::umask(077);
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    ::umask(old_mask);
    if (!out) throw ProcessConfigError("cannot write " + temporary);
    out << text;
    out.flush();
    if (!out) throw ProcessConfigError("cannot write " + temporary);
  }
  ::chmod(temporary.c_str(), 0600);
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) throw ProcessConfigError("cannot write " + path + ": " + error.message());
}

}  // namespace domovoy::housing
