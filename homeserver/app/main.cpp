// The `domovoy` executable: `domovoy serve` (the default) runs the homeserver.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>
#include <sodium.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "federation/key_server.hpp"
#include "federation/server_signing_key.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/config.hpp"
#include "homeserver/http/server.hpp"

namespace {

using namespace domovoy;

void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int serve(const Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  std::filesystem::create_directories(config.data_dir);
  std::unique_ptr<storage::Database> database;
  try {
    database = storage::Database::open({config.data_dir + "/db", config.sync_writes, config.block_cache_mb});
  } catch (const storage::IncompatibleSchema& error) {
    std::cerr << "domovoy: refusing to start: " << error.what() << "\n";
    return 3;
  }
  ServerIdentity identity{config.server_name, federation::load_or_create_signing_key(config.data_dir)};

  StreamTracker stream(*database);
  StateStore states(*database);
  RoomEngine rooms(*database, identity, stream, states);
  AccountStore accounts(*database, {config.password_ops_limit, config.password_mem_limit_mb << 20});
  AccountDataStore account_data(*database, stream);
  ReceiptStore receipts(*database, stream);
  TypingTracker typing;
  Notifier notifier;
  UserInteractiveAuth uia;
  rooms.set_listener([&notifier](const EventPtr&, const std::vector<std::string>& users) { notifier.wake(users); });

  ClientServices services{config, *database, rooms, accounts, account_data, receipts, typing, notifier, uia};
  boost::asio::io_context io(static_cast<int>(config.network_threads));
  boost::asio::thread_pool blocking_pool(config.blocking_threads);

  http::Router router;
  register_discovery_routes(router, services);
  register_account_routes(router, services);
  register_device_routes(router, services);
  register_profile_routes(router, services);
  register_room_creation_routes(router, services);
  register_membership_routes(router, services);
  register_room_event_routes(router, services);
  register_directory_routes(router, services);
  register_ephemeral_routes(router, services);
  register_account_data_routes(router, services);
  register_push_rule_routes(router, services);
  register_sync_routes(router, services, blocking_pool);
  federation::register_key_server_routes(router, config, identity);

  http::ServerLimits limits;
  limits.max_body_bytes = config.max_body_bytes;
  limits.max_connections = config.max_connections;
  limits.header_timeout = std::chrono::seconds(config.header_timeout_s);
  limits.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
  http::RateLimits rate_limits;
  rate_limits.enabled = config.rate_limits_enabled;
  rate_limits.per_user = {config.rate_per_user.per_second, config.rate_per_user.burst};
  rate_limits.per_address = {config.rate_per_address.per_second, config.rate_per_address.burst};
  rate_limits.login = {config.rate_login.per_second, config.rate_login.burst};

  auto resolve = [&accounts](const std::string& token) -> std::optional<http::Session> {
    auto owner = accounts.resolve_token(token);
    if (!owner) return std::nullopt;
    return http::Session{owner->user_id, owner->device_id, owner->token_hash};
  };
  http::Server server(io, blocking_pool, router, resolve, limits, rate_limits);
  unsigned short port = 0;
  try {
    port = server.listen(config.listen_address, config.listen_port);
  } catch (const std::exception& error) {
    std::cerr << "domovoy: cannot listen on " << config.listen_address << ":" << config.listen_port << ": "
              << error.what() << "\n";
    return 4;
  }
  std::cout << "Domovoy " << config.server_name << " listening on http://" << config.listen_address << ":" << port
            << "/" << std::endl;

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    spdlog::info("signal {} received, shutting down", signal);
    server.stop();
    io.stop();
  });
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.network_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  blocking_pool.join();
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
  auto* serve_command = app.add_subcommand("serve", "Run the homeserver");
  for (auto* command : {&app, serve_command}) {
    command->add_option("--config", config_file, "YAML configuration file")->check(CLI::ExistingFile);
    command->add_option("--server-name", server_name, "The server name in user and room ids");
    command->add_option("--listen", listen, "ADDRESS:PORT to listen on (port 0 picks a free one)");
    command->add_option("--data-dir", data_dir, "Directory of the database and signing key");
    command->add_option("--log-level", log_level, "trace, debug, info, warn, error");
    command->add_flag("--no-rate-limits", no_rate_limits, "Disable rate limiting (benchmarks, load tests)");
  }
  CLI11_PARSE(app, argc, argv);

  Config config;
  try {
    if (!config_file.empty()) config = load_config_file(config_file);
    if (!server_name.empty()) config.server_name = server_name;
    if (!listen.empty()) parse_listen(config, listen);
    if (!data_dir.empty()) config.data_dir = data_dir;
    if (!log_level.empty()) config.log_level = log_level;
    if (no_rate_limits) config.rate_limits_enabled = false;
    validate_config(config);
  } catch (const ConfigError& error) {
    std::cerr << "domovoy: bad configuration: " << error.what() << "\n";
    return 2;
  }
  try {
    return serve(config);
  } catch (const std::exception& error) {
    std::cerr << "domovoy: fatal: " << error.what() << "\n";
    return 1;
  }
}
