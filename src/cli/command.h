// Subcommand registry: each src/cli/cmd_*.cpp registers itself with a static Registrar, so adding a
// command touches no other file. Commands are listed in --help in `order`.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace modewise::cli {

struct GlobalOptions {
  std::string sysfs_root = "/";  // every hardware path is resolved under this root
  std::string db_path;           // SQLite store; empty: default location
  bool verbose = false;
  // Everything after the first "--" on the command line, byte for byte (main.cpp cuts it off before CLI11 parses,
  // so brackets, commas, braces, empty strings and a second "--" reach the command unchanged). Only `apply` takes
  // them; `passthrough_given` is true when "--" was present (even with nothing after it).
  std::vector<std::string> passthrough;
  bool passthrough_given = false;
};

using RegisterFn = std::function<void(CLI::App& app, GlobalOptions& global)>;

struct CommandEntry {
  int order;
  std::string name;
  RegisterFn fn;
};

std::vector<CommandEntry>& command_registry();

struct Registrar {
  Registrar(int order, std::string name, RegisterFn fn) {
    command_registry().push_back({order, std::move(name), std::move(fn)});
  }
};

}  // namespace modewise::cli
