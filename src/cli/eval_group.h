// The `modewise eval` subcommand group, shared by several command files (eval transfer, eval cosched, ...).
// Each file calls eval_group(app) from its Registrar and adds its own subcommand under it.
#pragma once
#include <CLI/CLI.hpp>

namespace modewise::cli {

// The existing `eval` subcommand of `app`, or a new one (requiring exactly one evaluation) if none exists.
CLI::App* eval_group(CLI::App& app);

}  // namespace modewise::cli
