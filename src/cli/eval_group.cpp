#include "cli/eval_group.h"

namespace modewise::cli {

CLI::App* eval_group(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "eval"; })) return sub;
  CLI::App* eval = app.add_subcommand("eval", "Evaluate methods on emulated or recorded data (accuracy, optimization quality)");
  eval->require_subcommand(1);
  return eval;
}

}  // namespace modewise::cli
