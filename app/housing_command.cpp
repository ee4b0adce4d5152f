#include "app/housing_command.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <iostream>
#include <memory>
#include <thread>

#include "app/housing_process.hpp"
#include "homeserver/appservice/registration.hpp"
#include "homeserver/core/json.hpp"
#include "housing/process/homeserver_api.hpp"
#include "housing/process/registration_writer.hpp"
#include "storage/database.hpp"

namespace domovoy {

namespace {

struct HousingOptions {
  std::string config_file;
  std::string homeserver;
  std::string server_name;
  std::string registration;
  std::string listen;
  std::string data_dir;
  std::string log_level;
  std::string write_registration;
  std::string url;
  bool demo = false;
  // `domovoy housing publish`
  std::string bots;
  std::string token;
  std::string building;
  std::string capital_repair_file;
  std::string outage_file;
  std::string bill_file;
};

// POSTs one file to the bots' publishing API: 0 done, 1 refused, 2 local problem, 3 not running.
int run_publish(const HousingOptions& options) {
  std::string token = options.token;
  if (token.empty()) {
    if (options.registration.empty()) {
      std::cerr << "domovoy housing publish: give --registration FILE (its as_token) or --token TOKEN\n";
      return 2;
    }
    try {
      token = appservice::load_registration_file(options.registration).as_token;
    } catch (const std::exception& error) {
      std::cerr << "domovoy housing publish: " << error.what() << "\n";
      return 2;
    }
  }
  int given = !options.capital_repair_file.empty() + !options.outage_file.empty() + !options.bill_file.empty();
  if (given != 1) {
    std::cerr << "domovoy housing publish: give one of --capital-repair FILE, --outage FILE or --bill FILE\n";
    return 2;
  }
  const auto& file = !options.capital_repair_file.empty() ? options.capital_repair_file
                     : !options.outage_file.empty()       ? options.outage_file
                                                          : options.bill_file;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "domovoy housing publish: cannot read " << file << "\n";
    return 2;
  }
  std::ostringstream text;
  text << in.rdbuf();
  boost::json::value body;
  try {
    body = parse_untrusted_json(text.str());
  } catch (const std::exception&) {
    std::cerr << "domovoy housing publish: " << file << " is not JSON\n";
    return 2;
  }
  auto base = options.bots.empty() ? std::string("http://127.0.0.1:9008") : options.bots;
  while (!base.empty() && base.back() == '/') base.pop_back();
  housing::HomeserverApi bots(base, token);
  auto path = "/_domovoy/housing/v1/buildings/" + housing::HomeserverApi::segment(options.building) +
              (!options.capital_repair_file.empty() ? "/capital_repair" : !options.outage_file.empty() ? "/outages" : "/bills");
  auto answer = bots.call(boost::beast::http::verb::post, path, &body);
  if (answer.status == 0) {
    std::cerr << "domovoy housing publish: the housing bots at " << base << " are not running (" << answer.transport_error << ")\n";
    return 3;
  }
  if (!answer.ok()) {
    std::cerr << "domovoy housing publish: refused (" << answer.status << " " << answer.errcode() << "): " << answer.error() << "\n";
    return 1;
  }
  std::cout << (options.bill_file.empty() ? "Published; posted to the building's announcements room."
                                          : "Published; the apartment's residents are told by @billing.")
            << std::endl;
  return 0;
}

int run_housing(const HousingOptions& options) {
  housing::ProcessConfig config;
  try {
    if (!options.config_file.empty()) config = housing::load_process_config(options.config_file);
    if (!options.homeserver.empty()) config.homeserver_url = options.homeserver;
    if (!options.server_name.empty()) config.server_name = options.server_name;
    if (!options.registration.empty()) config.registration_file = options.registration;
    if (!options.listen.empty()) housing::parse_process_listen(config, options.listen);
    if (!options.data_dir.empty()) config.data_dir = options.data_dir;
    if (!options.log_level.empty()) config.log_level = options.log_level;
    if (options.demo) config.demo = true;
    if (!options.write_registration.empty()) {
      auto url = options.url.empty() ? "http://" + config.listen_address + ":" + std::to_string(config.listen_port) : options.url;
      housing::write_registration(options.write_registration, url, config);
      std::cout << "Wrote the housing appservice registration to " << options.write_registration
                << "; list it under `appservices:` in the homeserver's configuration (or pass --appservice)." << std::endl;
      return 0;
    }
    housing::validate_process_config(config);
  } catch (const housing::ProcessConfigError& error) {
    std::cerr << "domovoy housing: bad configuration: " << error.what() << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::unique_ptr<HousingProcess> process;
  try {
    process = std::make_unique<HousingProcess>(config);
  } catch (const appservice::RegistrationError& error) {
    std::cerr << "domovoy housing: bad appservice registration: " << error.what() << "\n";
    return 2;
  } catch (const housing::ProcessConfigError& error) {
    std::cerr << "domovoy housing: bad configuration: " << error.what() << "\n";
    return 2;
  } catch (const storage::IncompatibleSchema& error) {
    std::cerr << "domovoy housing: refusing to start: " << error.what() << "\n";
    return 3;
  }
  unsigned short port = 0;
  try {
    port = process->listen();
  } catch (const std::exception& error) {
    std::cerr << "domovoy housing: cannot listen on " << config.listen_address << ":" << config.listen_port << ": "
              << error.what() << "\n";
    return 4;
  }
  std::cout << "Domovoy housing bots for " << config.server_name << " listening on http://" << config.listen_address << ":"
            << port << "/, homeserver " << config.homeserver_base() << std::endl;
  std::thread waiter([&process, signals]() {
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("signal {} received, shutting down", received);
    process->stop();
  });
  process->run();
  // run() returns on stop(): wake the waiter if the stop came from elsewhere.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  process.reset();
  std::cout << "Domovoy housing stopped" << std::endl;
  return 0;
}

}  // namespace

std::function<int()> add_housing_command(CLI::App& app) {
  auto options = std::make_shared<HousingOptions>();
  auto* command = app.add_subcommand("housing", "Run the housing bots (an appservice process beside the homeserver)");
  command->add_option("--config", options->config_file, "YAML configuration file")->check(CLI::ExistingFile);
  command->add_option("--homeserver", options->homeserver, "Base URL of the homeserver (http://127.0.0.1:8008)");
  command->add_option("--server-name", options->server_name, "The homeserver's server name");
  command->add_option("--registration", options->registration, "The appservice registration file");
  command->add_option("--listen", options->listen, "ADDRESS:PORT for the homeserver's transactions (default 127.0.0.1:9008)");
  command->add_option("--data-dir", options->data_dir, "Directory of the bots' own database");
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error");
  command->add_flag("--demo", options->demo, "Seed the demo region's tariffs, readings, bills and a meeting");
  command->add_option("--write-registration", options->write_registration,
                      "Write the appservice registration to FILE and exit");
  command->add_option("--url", options->url, "With --write-registration: the URL the homeserver reaches the bots at");
  auto* publish = command->add_subcommand("publish", "Publish a capital-repair plan, a planned outage or a supplier's bill to a building");
  publish->add_option("--bots", options->bots, "Base URL of the running housing bots (http://127.0.0.1:9008)");
  publish->add_option("--registration", options->registration, "The bots' registration (its as_token authenticates)");
  publish->add_option("--token", options->token, "An appservice token instead (a utility's)");
  publish->add_option("--building", options->building, "The building's FIAS/GAR id")->required();
  publish->add_option("--capital-repair", options->capital_repair_file,
                      "JSON {works: [{work, year}], fund_balance_kopecks, fund_owner?}")->check(CLI::ExistingFile);
  publish->add_option("--outage", options->outage_file, "JSON {service, from, to, details?}")->check(CLI::ExistingFile);
  publish->add_option("--bill", options->bill_file,
                      "JSON {apartment, period, service, amount_kopecks, due_date?}: a supplier's bill")->check(CLI::ExistingFile);
  return [command, publish, options]() -> int {
    if (!command->parsed()) return -1;
    if (publish->parsed()) return run_publish(*options);
    try {
      return run_housing(*options);
    } catch (const std::exception& error) {
      std::cerr << "domovoy housing: fatal: " << error.what() << "\n";
      return 1;
    }
  };
}

}  // namespace domovoy
