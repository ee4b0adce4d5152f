#include "app/federation_list_command.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "federation/federation_list.hpp"
#include "federation/server_signing_key.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/events/signing_key.hpp"

namespace domovoy {

namespace json = boost::json;

namespace {

struct ListOptions {
  std::string key_file;
  std::string in_file;
  std::string out_file;
  std::string operator_name = "federation";
  std::int64_t version = 0;
  std::int64_t issued_ts = 0;
  unsigned valid_hours = 168;
};

std::string key_option(const SigningKey& key) { return key.key_id() + "=" + key.public_key_base64(); }

int run_keygen(const ListOptions& options) {
  auto key = federation::load_or_create_key_file(options.key_file);
  std::cout << "--federation-list-key " << key_option(key) << "\n"
            << "federation:\n  signed_list:\n    keys:\n      \"" << key.key_id() << "\": \"" << key.public_key_base64()
            << "\"\n";
  return 0;
}

int run_sign(const ListOptions& options) {
  std::ifstream in(options.in_file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + options.in_file);
  std::ostringstream text;
  text << in.rdbuf();
  json::value parsed;
  try {
    parsed = json::parse(text.str());
  } catch (const std::exception&) {
    throw std::runtime_error(options.in_file + " is not JSON");
  }
  if (!parsed.is_object()) throw std::runtime_error(options.in_file + " is not a JSON object");
  auto list = parsed.as_object();
  list.erase("signatures");
  if (options.version > 0) list["version"] = options.version;
  if (!list.contains("version")) throw std::runtime_error("the list needs a version (--version N)");
  auto issued = options.issued_ts > 0 ? options.issued_ts : now_ms();
  list["issued_ts"] = issued;
  list["expires_ts"] = issued + static_cast<std::int64_t>(options.valid_hours) * 3600 * 1000;
  auto key = federation::load_or_create_key_file(options.key_file);
  sign_json(list, options.operator_name, key);
  auto signed_text = json::serialize(list);
  // What every server will check, checked here first.
  federation::check_federation_list(signed_text, {{key.key_id(), key.public_key_base64()}});
  if (options.out_file.empty() || options.out_file == "-") {
    std::cout << signed_text << "\n";
  } else {
    std::ofstream out(options.out_file, std::ios::binary | std::ios::trunc);
    out << signed_text << "\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + options.out_file);
  }
  return 0;
}

}  // namespace

std::function<int()> add_federation_list_command(CLI::App& app) {
  auto options = std::make_shared<ListOptions>();
  auto* command = app.add_subcommand("federation-list", "The federation operator's signed list of servers");
  command->require_subcommand(1);
  auto* keygen = command->add_subcommand("keygen", "Make the operator's ed25519 key (kept if there) and print its public key");
  keygen->add_option("--key", options->key_file, "The operator's key file")->required();
  auto* sign = command->add_subcommand("sign", "Sign a list {version?, servers: [...]} with the operator's key");
  sign->add_option("--key", options->key_file, "The operator's key file (made when missing)")->required();
  sign->add_option("--in", options->in_file, "The list to sign")->required()->check(CLI::ExistingFile);
  sign->add_option("--out", options->out_file, "Where the signed list goes (default: standard output)");
  sign->add_option("--operator", options->operator_name, "The name the signature is made under");
  sign->add_option("--version", options->version, "The list's version (greater than the last one published)");
  sign->add_option("--issued-ts", options->issued_ts, "When the list is issued, ms since the epoch (default: now)");
  sign->add_option("--valid-hours", options->valid_hours, "Hours until the list expires (default 168)");
  return [command, keygen, sign, options]() -> int {
    if (!command->parsed()) return -1;
    try {
      if (keygen->parsed()) return run_keygen(*options);
      if (sign->parsed()) return run_sign(*options);
    } catch (const std::exception& error) {
      std::cerr << "domovoy federation-list: " << error.what() << "\n";
      return 1;
    }
    return 2;
  };
}

}  // namespace domovoy
