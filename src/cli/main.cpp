// modewise: thin command-line front end. Parses, calls the library, formats. Exit codes: 0 success,
// 1 runtime error, 2 usage error. Data goes to stdout, diagnostics to stderr.
#include <algorithm>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "modewise/util/error.h"

namespace modewise::cli {
std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}
}  // namespace modewise::cli

int main(int argc, char** argv) {
  using namespace modewise;
  CLI::App app{
      "modewise: choose Jetson power modes for DNN training and inference within a power budget.\n"
      "Measure (profile), predict (fit/transfer/predict/recommend), explain (analyze/roofline) and "
      "co-schedule (cosched). Devices: sim:<board> (emulated), replay:<file.csv> (recorded), jetson (real board)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", MODEWISE_VERSION);
  cli::GlobalOptions global;
  app.add_option("--sysfs-root", global.sysfs_root, "Root under which every hardware path is resolved")
      ->capture_default_str();
  app.add_option("--db", global.db_path, "SQLite store (default $MODEWISE_DB or ~/.local/share/modewise/modewise.db)");
  app.add_flag("-v,--verbose", global.verbose, "More diagnostics on stderr");
  app.fallthrough();

  auto& registry = cli::command_registry();
  std::sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  for (auto& entry : registry) entry.fn(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const UsageError& e) {
    fmt::print(stderr, "modewise: error: {}\n", e.what());
    return 2;
  } catch (const Error& e) {
    fmt::print(stderr, "modewise: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "modewise: internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
