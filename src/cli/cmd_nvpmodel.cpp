// modewise nvpmodel: list the modes of an nvpmodel.conf, or write a power mode as a custom POWER_MODEL block.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/telemetry/nvpmodel.h"
#include "modewise/telemetry/sysfs.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct NvpmodelOptions {
  std::string file;
  bool json = false;
  bool write_mode = false;
  int id = 100;
  std::string name = "MODEWISE";
  int cores = 0;
  double cpu_mhz = 0, gpu_mhz = 0, emc_mhz = 0;
};

std::string cap(const std::optional<double>& v) { return v ? util::format_number(*v) : "uncapped"; }

void run_nvpmodel(const NvpmodelOptions& o, const GlobalOptions& g) {
  std::string path = o.file.empty() ? telemetry::SysfsRoot(g.sysfs_root).host_path("/etc/nvpmodel.conf") : o.file;
  auto conf = telemetry::read_nvpmodel_conf(path);
  if (o.write_mode) {
    if (!(o.cores > 0 && o.cpu_mhz > 0 && o.gpu_mhz > 0 && o.emc_mhz > 0))
      throw UsageError("--write-mode needs --cores N --cpu-mhz F --gpu-mhz F --emc-mhz F");
    if (conf.find(o.id)) throw UsageError("{} already has POWER_MODEL ID={} (choose another --id)", path, o.id);
    std::cout << telemetry::format_power_model(conf, {o.cores, o.cpu_mhz, o.gpu_mhz, o.emc_mhz}, o.id, o.name);
    info(fmt::format("append the block above to {} and select it with `sudo nvpmodel -m {}` (the values are not "
                     "checked against the board's tables here; `modewise apply --dry-run` does that)",
                     path, o.id));
    return;
  }
  if (o.json) {
    std::cout << telemetry::to_json(conf).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  util::TextTable t({"id", "name", "default", "online_cores", "cpu_max_mhz", "gpu_max_mhz", "emc_max_mhz"});
  for (const auto& m : conf.models)
    t.add({std::to_string(m.id), m.name, conf.default_id && *conf.default_id == m.id ? "yes" : "",
           m.online_cores ? std::to_string(*m.online_cores) : "all", cap(m.cpu_max_mhz), cap(m.gpu_max_mhz),
           cap(m.emc_max_mhz)});
  t.print(std::cout);
  info(fmt::format("{} power model(s) in {}", conf.models.size(), path));
}

Registrar reg(74, "nvpmodel", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<NvpmodelOptions>();
  auto* cmd = app.add_subcommand("nvpmodel", "List the power modes of an nvpmodel.conf, or write a mode as a POWER_MODEL block");
  cmd->add_option("file", o->file, "nvpmodel.conf (default: /etc/nvpmodel.conf under --sysfs-root)");
  cmd->add_flag("--json", o->json, "JSON: default_id, default_name, modes [{id, name, online_cores, cpu/gpu/emc_max_mhz (null = uncapped)}]");
  cmd->add_flag("--write-mode", o->write_mode, "Print a custom POWER_MODEL block pinning the mode given below");
  cmd->add_option("--id", o->id, "POWER_MODEL ID of the block")->capture_default_str();
  cmd->add_option("--name", o->name, "POWER_MODEL NAME of the block")->capture_default_str();
  cmd->add_option("--cores", o->cores, "Online cores");
  cmd->add_option("--cpu-mhz", o->cpu_mhz, "CPU frequency, MHz");
  cmd->add_option("--gpu-mhz", o->gpu_mhz, "GPU frequency, MHz");
  cmd->add_option("--emc-mhz", o->emc_mhz, "EMC frequency, MHz");
  cmd->callback([o, &g] { run_nvpmodel(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
