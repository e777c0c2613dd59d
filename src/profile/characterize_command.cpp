// Characterization sweeps, the command-line side: --sweep parsing, the user's command per configuration
// (placeholders, environment, docker wrapping) and dropping the page cache on a real board.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "modewise/device/grid.h"
#include "modewise/profile/characterize.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

namespace {

// A number in a command-line argument: a malformed one is a usage error (exit code 2).
template <typename F>
auto usage_number(F parse) {
  try {
    return parse();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError("{}", e.what());
  }
}

std::string axis_of(const std::string& name) {
  std::string n = util::to_lower(util::trim(name));
  std::replace(n.begin(), n.end(), '_', '-');
  if (n == "batch-size" || n == "batch" || n == "bs") return "batch-size";
  if (n == "workers" || n == "num-workers") return "workers";
  if (n == "storage" || n == "media" || n == "medium") return "storage";
  if (n == "mode" || n == "modes" || n == "power-mode") return "mode";
  return "";
}

std::vector<std::string> items_of(const std::string& arg, const std::string& values) {
  std::vector<std::string> items;
  for (const auto& raw : util::split(values, ',')) {
    std::string v = util::trim(raw);
    if (v.empty()) throw UsageError("--sweep '{}': empty value in the list (expected NAME=V1,V2,...)", arg);
    if (std::find(items.begin(), items.end(), v) != items.end())
      throw UsageError("--sweep '{}': value '{}' is repeated", arg, v);
    items.push_back(v);
  }
  return items;
}

// "12c/2201.6/1300.5/3199" -> a mode; nullopt when the text does not have that shape.
std::optional<device::PowerMode> parse_mode_key(const std::string& text) {
  auto parts = util::split(text, '/');
  if (parts.size() != 4 || parts[0].size() < 2 || util::to_lower(parts[0]).back() != 'c') return std::nullopt;
  device::PowerMode m;
  std::string ctx = fmt::format("--sweep mode '{}'", text);
  m.cores = static_cast<int>(util::parse_int(parts[0].substr(0, parts[0].size() - 1), ctx, "a number of cores"));
  m.cpu_mhz = util::parse_double(parts[1], ctx, "a CPU clock in MHz");
  m.gpu_mhz = util::parse_double(parts[2], ctx, "a GPU clock in MHz");
  m.emc_mhz = util::parse_double(parts[3], ctx, "an EMC clock in MHz");
  return m;
}

std::vector<NamedMode> modes_of(const std::string& arg, const std::string& item, const device::DeviceSpec& spec) {
  if (auto m = usage_number([&] { return parse_mode_key(item); })) {
    try {
      device::validate_mode(spec, *m);
    } catch (const Error& e) {
      throw UsageError("--sweep '{}': mode {}: {}", arg, item, e.what());
    }
    return {{item, *m}};
  }
  std::string lower = util::to_lower(item);
  bool many = lower == "all" || util::starts_with(lower, "random:") ||
              (lower.size() > 4 && lower.substr(lower.size() - 4) == ".csv");
  if (many) {
    std::vector<NamedMode> out;
    for (const auto& m : resolve_modes(spec, item, "full", 1)) out.push_back({m.key(), m});
    return out;
  }
  try {
    return {{item, device::named_mode(spec, item)}};
  } catch (const UsageError& e) {
    throw UsageError("--sweep '{}': '{}' is not a mode (expected a named mode, a key like 12c/2201.6/1300.5/3199, "
                     "random:N or FILE.csv): {}",
                     arg, item, e.what());
  }
}

int positive_int(const std::string& arg, const std::string& item, int min_value, const char* what) {
  long long v = usage_number([&] { return util::parse_int(item, fmt::format("--sweep '{}'", arg), what); });
  if (v < min_value || v > 1000000)
    throw UsageError("--sweep '{}': expected {} from {}, found {}", arg, what, min_value, item);
  return static_cast<int>(v);
}

}  // namespace

std::string sweep_axis_names() { return "batch-size, workers, storage, mode"; }

void parse_sweep(const std::string& arg, const device::DeviceSpec& spec, SweepAxes& axes) {
  auto eq = arg.find('=');
  if (eq == std::string::npos)
    throw UsageError("--sweep '{}': expected NAME=V1,V2,... with NAME one of {}", arg, sweep_axis_names());
  std::string axis = axis_of(arg.substr(0, eq));
  if (axis.empty())
    throw UsageError("--sweep '{}': unknown axis '{}' (expected one of {})", arg, util::trim(arg.substr(0, eq)),
                     sweep_axis_names());
  auto items = items_of(arg, arg.substr(eq + 1));
  if (items.empty()) throw UsageError("--sweep '{}': no values (expected {}=V1,V2,...)", arg, axis);
  if (axis == "batch-size") {
    axes.batch_sizes.clear();
    for (const auto& i : items) axes.batch_sizes.push_back(positive_int(arg, i, 1, "a batch size"));
  } else if (axis == "workers") {
    axes.workers.clear();
    for (const auto& i : items) axes.workers.push_back(positive_int(arg, i, 0, "a number of workers"));
  } else if (axis == "storage") {
    axes.storage.clear();
    for (const auto& i : items) axes.storage.push_back(util::to_lower(i));
  } else {
    axes.modes.clear();
    std::set<std::string> seen;
    for (const auto& i : items)
      for (auto& m : modes_of(arg, i, spec)) {
        if (!seen.insert(m.mode.key()).second)
          throw UsageError("--sweep '{}': mode {} ({}) appears twice", arg, m.name, m.mode.key());
        axes.modes.push_back(std::move(m));
      }
  }
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\"'\"'";
    else
      out += c;
  }
  return out + "'";
}

std::string container_command(const std::string& image, const std::string& command,
                              const std::vector<std::pair<std::string, std::string>>& env,
                              const std::vector<std::string>& read_only_dirs) {
  if (util::trim(image).empty()) throw UsageError("--container: expected a Docker image name");
  // Variables the backend sets for the command (control/command_runner.h), passed on into the container.
  static const char* const forwarded[] = {"MODEWISE_PIPE", "MODEWISE_MINIBATCHES", "MODEWISE_WORKLOAD", "MODEWISE_TASK",
                                          "MODEWISE_MODE", "MODEWISE_CORES", "MODEWISE_CPU_MHZ", "MODEWISE_GPU_MHZ",
                                          "MODEWISE_EMC_MHZ"};
  std::string s = "docker run --rm --runtime nvidia --network host --ipc host";
  for (const char* name : forwarded) s += fmt::format(" -e {}", name);
  s += " -v \"$MODEWISE_PIPE:$MODEWISE_PIPE\"";
  for (const auto& [name, value] : env) s += fmt::format(" -e {}", shell_quote(name + "=" + value));
  for (const auto& dir : read_only_dirs) s += fmt::format(" -v {}", shell_quote(dir + ":" + dir + ":ro"));
  return s + fmt::format(" {} sh -c {}", shell_quote(image), shell_quote(command));
}

std::string configuration_command(const CharacterizationSpec& spec, const Configuration& c) {
  if (util::trim(spec.workload.command).empty()) return "";
  std::string data_dir;
  if (auto it = spec.storage_paths.find(c.storage); it != spec.storage_paths.end()) {
    data_dir = it->second;
  } else if (spec.axes.storage.size() > 1) {
    throw UsageError("storage '{}' has no dataset directory: sweeping storage on a real board needs "
                     "--storage-path {}=DIR for every medium",
                     c.storage, c.storage);
  }
  int epochs = std::max(spec.epochs, 1);
  const std::vector<std::pair<std::string, std::string>> values = {
      {"batch_size", std::to_string(c.batch_size)}, {"workers", std::to_string(c.workers)},
      {"storage", c.storage},                       {"data_dir", data_dir},
      {"epochs", std::to_string(epochs)}};
  std::string cmd;
  const std::string& t = spec.workload.command;
  for (size_t i = 0; i < t.size();) {
    bool replaced = false;
    if (t[i] == '{' && (i == 0 || t[i - 1] != '$'))
      for (const auto& [name, value] : values)
        if (t.compare(i + 1, name.size() + 1, name + "}") == 0) {
          cmd += value;
          i += name.size() + 2;
          replaced = true;
          break;
        }
    if (!replaced) cmd += t[i++];
  }
  std::vector<std::pair<std::string, std::string>> env = {
      {"MODEWISE_BATCH_SIZE", values[0].second}, {"MODEWISE_WORKERS", values[1].second},
      {"MODEWISE_STORAGE", c.storage},           {"MODEWISE_DATA_DIR", data_dir},
      {"MODEWISE_EPOCHS", values[4].second}};
  if (!spec.container.empty()) {
    std::vector<std::string> dirs;
    if (!data_dir.empty()) dirs.push_back(data_dir);
    return container_command(spec.container, cmd, env, dirs);
  }
  std::string exports = "export";
  for (const auto& [name, value] : env) exports += " " + name + "=" + shell_quote(value);
  return exports + "; " + cmd;
}

std::string drop_page_cache(const std::string& sysfs_root) {
  ::sync();
  std::string root = sysfs_root.empty() ? "/" : sysfs_root;
  if (root.back() != '/') root += '/';
  std::string path = root + "proc/sys/vm/drop_caches";
  std::ofstream f(path);
  if (!f) {
    int err = errno;
    return fmt::format("cannot drop the page cache: cannot write '{}': {}{}", path, std::strerror(err),
                       err == EACCES || err == EPERM ? " (needs root: run modewise with sudo)" : "");
  }
  f << "3\n";
  f.flush();
  if (!f) return fmt::format("cannot drop the page cache: writing '{}' failed: {}", path, std::strerror(errno));
  return "";
}

}  // namespace modewise::profile
