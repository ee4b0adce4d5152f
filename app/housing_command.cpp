#include "app/housing_command.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include "app/housing_process.hpp"
#include "homeserver/appservice/registration.hpp"
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
};

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
  return [command, options]() -> int {
    if (!command->parsed()) return -1;
    try {
      return run_housing(*options);
    } catch (const std::exception& error) {
      std::cerr << "domovoy housing: fatal: " << error.what() << "\n";
      return 1;
    }
  };
}

}  // namespace domovoy
