#include "app/admin_command.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "homeserver/admin/admin_auth.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/config.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/private_file.hpp"
#include "homeserver/http/client.hpp"

namespace domovoy {

namespace {

namespace json = boost::json;
using boost::beast::http::verb;

struct AdminOptions {
  std::string server;
  std::string config_file;
  std::string data_dir;
  std::string token;
};

// Exit codes: 0 done, 1 refused by the server, 2 usage or local files, 3 server not running.
struct AdminFailure {
  int code;
  std::string message;
};

std::string segment(const std::string& value) { return boost::urls::encode(value, boost::urls::unreserved_chars); }

class AdminClient {
 public:
  explicit AdminClient(const AdminOptions& options) {
    Config config;
    if (!options.config_file.empty()) {
      try {
        config = load_config_file(options.config_file);
      } catch (const std::exception& error) {
        throw AdminFailure{2, std::string("bad configuration: ") + error.what()};
      }
    }
    if (!options.data_dir.empty()) config.data_dir = options.data_dir;
    base_ = options.server.empty() ? "http://" + config.listen_address + ":" + std::to_string(config.listen_port)
                                   : options.server;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    token_ = options.token;
    if (token_.empty())
      if (const char* env = std::getenv("DOMOVOY_ADMIN_TOKEN")) token_ = env;
    if (token_.empty()) {
      if (!config.registration_shared_secret.empty()) {
        secret_ = config.registration_shared_secret;
      } else {
        auto path = config.data_dir + "/operator.secret";
        try {
          secret_ = read_private_file(path, 4096, "operator secret file");
        } catch (const PrivateFileError& error) {
          throw AdminFailure{2, std::string(error.what()) +
                                    " (give --token, --config with registration.shared_secret, or --data-dir of the server)"};
        }
        while (!secret_.empty() && (secret_.back() == '\n' || secret_.back() == ' ')) secret_.pop_back();
      }
    }
  }

  json::value call(verb method, const std::string& path, const std::string& body = {}) {
    http::ClientRequest request;
    request.method = method;
    request.url = base_ + path;
    request.body = body;
    request.timeout = std::chrono::minutes(10);  // a large registry import provisions many rooms
    request.headers.emplace_back("Content-Type", "application/json");
    if (!token_.empty()) request.headers.emplace_back("Authorization", "Bearer " + token_);
    else
      request.headers.emplace_back("Authorization",
                                   operator_authorization(secret_, now_ms(), std::string(boost::beast::http::to_string(method)),
                                                          path, body));
    boost::asio::io_context io;
    http::HttpClient client(io.get_executor());
    auto task = [&]() -> boost::asio::awaitable<http::ClientResponse> { co_return co_await client.request(request); };
    auto future = boost::asio::co_spawn(io, task, boost::asio::use_future);
    io.run();
    auto response = future.get();
    if (response.error == http::ClientError::connection_failed)
      throw AdminFailure{3, "the server at " + base_ + " is not running or not reachable (" + response.message +
                                "); start it with `domovoy serve` or give --server URL"};
    if (!response.ok()) throw AdminFailure{3, "no answer from " + base_ + ": " + response.message};
    json::value parsed;
    try {
      parsed = parse_untrusted_json(response.body);
    } catch (const std::exception&) {
      throw AdminFailure{1, "the server answered " + std::to_string(response.status) + " without JSON"};
    }
    if (!response.success()) {
      std::string errcode, error;
      if (parsed.is_object()) {
        if (const auto* code = parsed.as_object().if_contains("errcode"); code && code->is_string()) errcode = code->as_string();
        if (const auto* text = parsed.as_object().if_contains("error"); text && text->is_string()) error = text->as_string();
      }
      throw AdminFailure{1, "refused (" + std::to_string(response.status) + " " + errcode + "): " + error};
    }
    return parsed;
  }

 private:
  std::string base_;
  std::string token_;
  std::string secret_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AdminFailure{2, "cannot read " + path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void print_json(const json::value& value) { std::cout << json::serialize(value) << "\n"; }

}  // namespace

std::function<int()> add_admin_command(CLI::App& app) {
  auto options = std::make_shared<AdminOptions>();
  auto* admin = app.add_subcommand("admin", "Operator tasks against a running server (through the admin API)");
  admin->require_subcommand(1);
  admin->add_option("--server", options->server, "Base URL of the server (default: the config's listen address)");
  admin->add_option("--config", options->config_file, "The server's configuration file")->check(CLI::ExistingFile);
  admin->add_option("--data-dir", options->data_dir, "The server's data directory (for its operator.secret)");
  admin->add_option("--token", options->token, "An admin's access token (or DOMOVOY_ADMIN_TOKEN)");
  auto chosen = std::make_shared<std::function<void(AdminClient&)>>();

  auto* import = admin->add_subcommand("import-registry", "Import an address registry file (docs/housing.md)");
  auto file = std::make_shared<std::string>();
  import->add_option("FILE", *file, "The registry file (JSON)")->required()->check(CLI::ExistingFile);
  import->callback([chosen, file] {
    *chosen = [file](AdminClient& client) {
      print_json(client.call(verb::post, "/_domovoy/admin/v1/registry", read_file(*file)));
    };
  });

  auto* codes = admin->add_subcommand("issue-codes", "Issue verification codes; prints a CSV for the paper bills");
  auto building = std::make_shared<std::string>();
  auto apartment = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>();
  auto valid_days = std::make_shared<int>(0);
  codes->add_option("--building", *building, "Building id (FIAS/GAR GUID)")->required();
  codes->add_option("--apartment", *apartment, "One apartment (default: every apartment)");
  codes->add_option("--role", *role, "owner or tenant (default: both)")->check(CLI::IsMember({"owner", "tenant"}));
  codes->add_option("--valid-days", *valid_days, "Days until the codes expire")->check(CLI::Range(1, 3650));
  codes->callback([chosen, building, apartment, role, valid_days] {
    *chosen = [=](AdminClient& client) {
      json::object body;
      if (!apartment->empty()) body["apartment"] = *apartment;
      if (!role->empty()) body["role"] = *role;
      if (*valid_days > 0) body["valid_days"] = *valid_days;
      auto answer = client.call(verb::post, "/_domovoy/admin/v1/buildings/" + segment(*building) + "/codes", to_json(body));
      std::cout << "building_id,apartment,role,code,expires_at\n";
      for (const auto& code : answer.at("codes").as_array()) {
        const auto& row = code.as_object();
        auto text = [&](const char* key) { return std::string_view(row.at(key).as_string()); };
        std::cout << text("building_id") << "," << text("apartment") << "," << text("role") << "," << text("code") << ","
                  << text("expires_at") << "\n";
      }
    };
  });

  auto* make_admin = admin->add_subcommand("make-admin", "Make a user a server admin");
  auto user = std::make_shared<std::string>();
  auto revoke_admin = std::make_shared<bool>(false);
  make_admin->add_option("USER", *user, "User id, e.g. @alice:example.org")->required();
  make_admin->add_flag("--revoke", *revoke_admin, "Take the admin flag away instead");
  make_admin->callback([chosen, user, revoke_admin] {
    *chosen = [=](AdminClient& client) {
      print_json(client.call(verb::put, "/_domovoy/admin/v1/users/" + segment(*user) + "/admin",
                             to_json(json::object{{"admin", !*revoke_admin}})));
    };
  });

  auto* buildings = admin->add_subcommand("buildings", "List the buildings and their rooms");
  buildings->callback([chosen] {
    *chosen = [](AdminClient& client) { print_json(client.call(verb::get, "/_domovoy/admin/v1/buildings")); };
  });

  auto* residents = admin->add_subcommand("residents", "List a building's verified residents");
  auto residents_building = std::make_shared<std::string>();
  residents->add_option("--building", *residents_building, "Building id")->required();
  residents->callback([chosen, residents_building] {
    *chosen = [=](AdminClient& client) {
      print_json(client.call(verb::get, "/_domovoy/admin/v1/buildings/" + segment(*residents_building) + "/residents"));
    };
  });

  auto* revoke = admin->add_subcommand("revoke", "Revoke a resident's verification (they leave the building's rooms)");
  auto revoke_building = std::make_shared<std::string>();
  auto revoke_user = std::make_shared<std::string>();
  revoke->add_option("--building", *revoke_building, "Building id")->required();
  revoke->add_option("--user", *revoke_user, "User id")->required();
  revoke->callback([chosen, revoke_building, revoke_user] {
    *chosen = [=](AdminClient& client) {
      print_json(client.call(verb::delete_, "/_domovoy/admin/v1/buildings/" + segment(*revoke_building) + "/residents/" +
                                                segment(*revoke_user)));
    };
  });

  auto* company = admin->add_subcommand("set-management-company", "Hand a building to another management company");
  auto company_building = std::make_shared<std::string>();
  auto company_id = std::make_shared<std::string>();
  company->add_option("--building", *company_building, "Building id")->required();
  company->add_option("--company", *company_id, "Management company id")->required();
  company->callback([chosen, company_building, company_id] {
    *chosen = [=](AdminClient& client) {
      print_json(client.call(verb::put, "/_domovoy/admin/v1/buildings/" + segment(*company_building) + "/management_company",
                             to_json(json::object{{"id", *company_id}})));
    };
  });

  return [options, chosen, admin]() -> int {
    if (!admin->parsed()) return -1;  // not the admin command
    try {
      AdminClient client(*options);
      (*chosen)(client);
      return 0;
    } catch (const AdminFailure& failure) {
      std::cerr << "domovoy admin: " << failure.message << "\n";
      return failure.code;
    }
  };
}

}  // namespace domovoy
