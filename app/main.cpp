// The `domovoy` executable: `domovoy serve` (the default) runs the homeserver, `domovoy housing`
// the housing bots beside it, `domovoy admin` the operator's commands.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "federation/server_signing_key.hpp"
#include "homeserver/appservice/registration.hpp"
#include "app/admin_command.hpp"
#include "app/federation_list_command.hpp"
#include "app/housing_child.hpp"
#include "app/housing_command.hpp"
#include "app/homeserver.hpp"
#include "homeserver/core/clock.hpp"
#include "storage/database.hpp"

namespace {

using namespace domovoy;

void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int serve(Config config, bool with_housing) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  // Block the stop signals before any thread exists, so every thread inherits the mask and only
  // the waiter below receives them (otherwise a pool thread could take the default action).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::unique_ptr<HousingChild> housing_bots;
  std::unique_ptr<Homeserver> server;
  try {
    if (with_housing) housing_bots = std::make_unique<HousingChild>(config);
    server = std::make_unique<Homeserver>(config);
  } catch (const appservice::RegistrationError& error) {
    std::cerr << "domovoy: bad appservice registration: " << error.what() << "\n";
    return 2;
  } catch (const storage::IncompatibleSchema& error) {
    std::cerr << "domovoy: refusing to start: " << error.what() << "\n";
    return 3;
  } catch (const federation::SigningKeyFileError& error) {
    // Never start with a new key in place of one that is there but unusable: restore the file.
    std::cerr << "domovoy: refusing to start: " << error.what() << "\n";
    return 5;
  }
  unsigned short port = 0;
  try {
    port = server->listen();
  } catch (const std::exception& error) {
    std::cerr << "domovoy: cannot listen on " << config.listen_address << ":" << config.listen_port << ": "
              << error.what() << "\n";
    return 4;
  }
  unsigned short federation_port = 0;
  try {
    federation_port = server->listen_federation();
  } catch (const std::exception& error) {
    std::cerr << "domovoy: cannot start the federation listener on " << config.federation.listen_address << ":"
              << config.federation.listen_port << ": " << error.what() << "\n";
    return 4;
  }
  std::cout << "Domovoy " << config.server_name << " listening on http://" << config.listen_address << ":" << port
            << "/" << std::endl;
  if (federation_port)
    std::cout << "Federation listening on https://" << config.federation.listen_address << ":" << federation_port << "/"
              << std::endl;
  if (housing_bots) {
    housing_bots->start(port, config.housing.demo);
    std::cout << "Housing bots (domovoy housing) started at " << housing_bots->url() << ", data in " << config.data_dir
              << "/housing" << std::endl;
  }
  if (!server->demo_codes_file().empty())
    std::cout << "Demo region: two buildings in Saint Petersburg. Register in Element at http://" << config.listen_address
              << ":" << port << "/, start a chat with @" << config.housing.bot_localpart << ":" << config.server_name
              << " and send it a code.\n"
              << "  fresh verification codes (owner and tenant): " << server->demo_codes_file() << "\n"
              << "  demo admin @admin:" << config.server_name << ", password in " << server->demo_admin_password_file()
              << std::endl;

  // Signals are waited for on a thread of their own so that stopping never races the server's threads.
  std::thread waiter([&server, signals]() {
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("signal {} received, shutting down", received);
    server->stop();
  });
  server->run();
  waiter.join();
  if (housing_bots) housing_bots->stop();
  server.reset();
  std::cout << "Domovoy stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "domovoy: libsodium failed to initialise\n";
    return 1;
  }
  raise_file_limit();
  CLI::App app{"Domovoy: a Matrix homeserver for apartment buildings"};
  app.require_subcommand(0, 1);
  std::string config_file, server_name, listen, data_dir, log_level;
  bool no_rate_limits = false;
  bool use_test_clock = false;
  bool with_housing = false;
  std::vector<std::string> appservice_files;
  std::string federation_listen, tls_cert, tls_key, federation_ca;
  std::vector<std::string> federation_allow, federation_allow_ip, trusted_key_servers, federation_list_keys;
  std::string federation_list;
  bool federation_open = false;
  auto* serve_command = app.add_subcommand("serve", "Run the homeserver (the default)");
  for (auto* command : {&app, serve_command}) {
    command->add_option("--config", config_file, "YAML configuration file")->check(CLI::ExistingFile);
    command->add_option("--server-name", server_name, "The server name in user and room ids");
    command->add_option("--listen", listen, "ADDRESS:PORT to listen on (port 0 picks a free one)");
    command->add_option("--data-dir", data_dir, "Directory of the database and signing key");
    command->add_option("--log-level", log_level, "trace, debug, info, warn, error");
    command->add_flag("--no-rate-limits", no_rate_limits, "Disable rate limiting (benchmarks, load tests)");
    command->add_flag("--test-clock", use_test_clock,
                      "Let admins set the server's clock (PUT /_domovoy/admin/v1/test/clock); for tests only");
    command->add_option("--appservice", appservice_files, "Appservice registration file (repeatable)")
        ->check(CLI::ExistingFile);
    command->add_option("--federation-listen", federation_listen, "ADDRESS:PORT of the federation listener (TLS)");
    command->add_option("--tls-cert", tls_cert, "PEM certificate chain of the federation listener");
    command->add_option("--tls-key", tls_key, "PEM private key of the federation listener");
    command->add_option("--federation-ca", federation_ca,
                        "PEM certificate authorities that outbound federation trusts instead of the system's");
    command->add_option("--federation-allow", federation_allow,
                        "A server name or *.suffix allowed to federate (repeatable)");
    command->add_flag("--federation-open", federation_open,
                      "Federate with any server, not only those --federation-allow names");
    command->add_option("--federation-allow-ip", federation_allow_ip,
                        "An address range let through the outbound deny list (repeatable)");
    command->add_option("--federation-trusted-key-server", trusted_key_servers,
                        "A notary asked for keys a server cannot be reached for (repeatable)");
    command->add_option("--federation-list", federation_list,
                        "The signed federation list: a path or an https:// URL (docs/federation.md)");
    command->add_option("--federation-list-key", federation_list_keys,
                        "ed25519:ID=BASE64, a public key the federation list may be signed with (repeatable)");
    command->add_flag("--with-housing", with_housing,
                      "Start the housing bots (domovoy housing) beside the server, with their data in <data-dir>/housing");
  }
  auto run_admin = add_admin_command(app);
  auto run_housing = add_housing_command(app);
  auto run_federation_list = add_federation_list_command(app);
  CLI11_PARSE(app, argc, argv);
  if (int code = run_admin(); code >= 0) return code;
  if (int code = run_housing(); code >= 0) return code;
  if (int code = run_federation_list(); code >= 0) return code;

  Config config;
  try {
    // No configuration file: the embedded default, with the demo region (docs/housing.md).
    if (config_file.empty()) config.housing.demo = true;
    if (!config_file.empty()) config = load_config_file(config_file);
    if (!server_name.empty()) config.server_name = server_name;
    if (!listen.empty()) parse_listen(config, listen);
    if (!data_dir.empty()) config.data_dir = data_dir;
    if (!log_level.empty()) config.log_level = log_level;
    if (no_rate_limits) config.rate_limits_enabled = false;
    for (const auto& file : appservice_files) config.appservice_files.push_back(file);
    if (!federation_listen.empty()) parse_federation_listen(config, federation_listen);
    if (!tls_cert.empty()) config.federation.tls_cert_file = tls_cert;
    if (!tls_key.empty()) config.federation.tls_key_file = tls_key;
    if (!federation_ca.empty()) config.federation.ca_file = federation_ca;
    for (const auto& pattern : federation_allow) config.federation.allow.push_back(pattern);
    for (const auto& range : federation_allow_ip) config.federation.allow_ip.push_back(range);
    if (federation_open) config.federation.open = true;
    for (const auto& notary : trusted_key_servers) config.federation.trusted_key_servers.push_back(notary);
    if (!federation_list.empty()) config.federation.signed_list.source = federation_list;
    for (const auto& key : federation_list_keys) {
      auto equals = key.find('=');
      if (equals == std::string::npos) throw ConfigError("--federation-list-key must be ed25519:ID=BASE64");
      config.federation.signed_list.keys[key.substr(0, equals)] = key.substr(equals + 1);
    }
    validate_config(config);
  } catch (const ConfigError& error) {
    std::cerr << "domovoy: bad configuration: " << error.what() << "\n";
    return 2;
  }
  if (use_test_clock) {
    test_clock::enable();
    std::cerr << "domovoy: WARNING: running on a test clock that admins may move; never use this in production\n";
  }
  try {
    return serve(config, with_housing);
  } catch (const std::exception& error) {
    std::cerr << "domovoy: fatal: " << error.what() << "\n";
    return 1;
  }
}
