#pragma once
// `domovoy admin ...`: operators' tasks against a running server, through the admin API (the
// way operators use synadm against Synapse). It authenticates with an admin's access token
// (--token or DOMOVOY_ADMIN_TOKEN) or signs each request with the operator secret
// (registration.shared_secret of --config, or DATA_DIR/operator.secret).
#include <CLI/CLI.hpp>

#include <functional>

namespace domovoy {

// Adds the `admin` subcommand and its commands to the app; the returned function runs the
// chosen one after parsing and gives the exit code.
std::function<int()> add_admin_command(CLI::App& app);

}  // namespace domovoy
