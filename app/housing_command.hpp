#pragma once
// `domovoy housing ...`: the housing appservices' process (docs/housing.md, "The housing bots").
#include <CLI/CLI.hpp>

#include <functional>

namespace domovoy {

// Adds the subcommand; the returned function runs it when it was chosen (its exit code), or
// returns -1 when another command was.
std::function<int()> add_housing_command(CLI::App& app);

}  // namespace domovoy
