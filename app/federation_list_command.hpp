#pragma once
// `domovoy federation-list ...`: the federation operator's tools for the signed federation list
// (docs/federation.md, "The signed federation list"): `keygen` makes (or shows) the operator's
// ed25519 key, `sign` turns a list of servers into the signed file every server checks.
#include <CLI/CLI.hpp>

#include <functional>

namespace domovoy {

// Adds the subcommand; the returned function runs it when it was chosen (its exit code), or
// returns -1 when another command was.
std::function<int()> add_federation_list_command(CLI::App& app);

}  // namespace domovoy
