// The kiln CLI's subcommands register themselves here from their own files.
#pragma once

#include <functional>
#include <string>

#include "CLI/CLI.hpp"

namespace kiln::cli {

/// A subcommand: `setup` adds its options to `app` and returns the function that runs it
/// (after parsing), which returns the process exit code.
struct Command {
  std::string name;
  std::string help;
  std::function<std::function<int()>(CLI::App& app)> setup;
};

bool register_command(Command command);
const std::vector<Command>& commands();

}  // namespace kiln::cli

#define KILN_CLI_CONCAT_INNER_(a, b) a##b
#define KILN_CLI_CONCAT_(a, b) KILN_CLI_CONCAT_INNER_(a, b)
#define KILN_REGISTER_COMMAND(...)                                                                  \
  [[maybe_unused]] static const bool KILN_CLI_CONCAT_(kiln_command_registered_, __LINE__) =        \
      ::kiln::cli::register_command(::kiln::cli::Command __VA_ARGS__)
