// modewise: thin command-line front end. Parses, calls the library, formats. Exit codes: 0 success,
// 1 runtime error (bad data), 2 usage error (bad command line). Data goes to stdout, diagnostics to stderr.
// Every error is one line "modewise: error: ..." with non-printable bytes escaped.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <functional>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}

namespace {

void print_error(const std::string& msg) {
  fmt::print(stderr, "modewise: error: {}\n", util::escape_nonprintable(msg));
}

// nan and inf are no numbers a user means: every floating-point option of every command rejects them (the
// range of each option is checked by the command, with the helpers of common.h).
void add_finite_checks(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (type.find("FLOAT") != std::string::npos) opt->check(finite_number_validator());
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_finite_checks(*sub);
}

// The command word: the first argument that is neither a global option nor its value. "" when there is none.
std::string command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--db" || a == "--sysfs-root") {
      ++i;
      continue;
    }
    if (a == "--") return i + 1 < argc ? argv[i + 1] : "";
    if (!a.empty() && a[0] == '-') continue;
    return a;
  }
  return "";
}

// "modewise x": unknown command 'x' (exit 2) instead of CLI11's "A subcommand is required".
void check_command_word(const CLI::App& app, int argc, char** argv) {
  std::string word = command_word(argc, argv);
  if (word.empty()) return;
  std::string known;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(word)) return;
    known += (known.empty() ? "" : ", ") + sub->get_name();
  }
  throw UsageError("unknown command '{}' (expected one of: {}; see modewise --help)", word, known);
}

// CLI11's parse errors, one line with the modewise prefix and where to find help.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
  std::string msg = e.what();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::string where = "modewise";
  for (const CLI::App* sub = &app; sub;) {
    const CLI::App* next = nullptr;
    for (const CLI::App* s : sub->get_subcommands())
      if (s->parsed()) next = s;
    if (next) where += " " + next->get_name();
    sub = next;
  }
  return fmt::format("{} (see {} --help)", util::trim(msg), where);
}

}  // namespace
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
  cli::add_finite_checks(app);

  // Arguments after the first "--" go to `apply`'s command byte for byte: CLI11 would split "[1, 2]" and "a,b".
  int parsed_argc = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") {
      global.passthrough.assign(argv + i + 1, argv + argc);
      global.passthrough_given = true;
      parsed_argc = i;
      break;
    }
  app.parse_complete_callback([&app, &global] {
    if (!global.passthrough_given) return;
    for (const auto* sub : app.get_subcommands())
      if (sub->get_name() == "apply") return;
    throw UsageError("arguments after '--' are taken only by `apply` (the command to run at the mode)");
  });

  try {
    cli::check_command_word(app, argc, argv);
    app.parse(parsed_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    cli::print_error(cli::parse_error_message(app, e));
    return 2;
  } catch (const UsageError& e) {
    cli::print_error(e.what());
    return 2;
  } catch (const Error& e) {
    cli::print_error(e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    cli::print_error("out of memory (the input asks for more than this machine has)");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "modewise: internal error: {}\n", util::escape_nonprintable(e.what()));
    return 1;
  }
  return 0;
}
