// kiln: build, run and inspect inference engines. Each subcommand lives in its own cmd_*.cc.
#include <iostream>

#include "command.h"

namespace kiln::cli {

static std::vector<Command>& command_list() {
  static std::vector<Command> list;
  return list;
}
bool register_command(Command command) {
  command_list().push_back(std::move(command));
  return true;
}
const std::vector<Command>& commands() { return command_list(); }

}  // namespace kiln::cli

int main(int argc, char** argv) {
  CLI::App app{"kiln: an inference optimizer and runtime for ONNX models"};
  app.require_subcommand(1);
  std::function<int()> chosen;
  for (const auto& cmd : kiln::cli::commands()) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.help);
    auto run = cmd.setup(*sub);
    sub->callback([&chosen, run] { chosen = run; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return chosen ? chosen() : 2;
  } catch (const std::exception& e) {
    std::cerr << "kiln: internal error: " << e.what() << "\n";
    return 3;
  }
}
