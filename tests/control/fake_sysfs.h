// Fake Jetson sysfs trees for tests (header-only so the telemetry, control, cli and fuzz tests can all use it).
// Each tree is built in a fresh temporary directory and removed afterwards. Layouts follow the real boards:
//   orin_agx_jp5   AGX Orin, L4T R35.2.1: GPU /sys/devices/17000000.ga10b/devfreq/17000000.ga10b (306 + n*102 MHz
//                  table), hwmon INA3221 (1-0040: VDD_GPU_SOC, VDD_CPU_CV, VIN_SYS_5V0; 1-0041: NC,
//                  VDDQ_VDD2_1V8AO, NC), EMC table in debugfs (Hz)
//   orin_agx_jp6   AGX Orin, L4T R36.3.0: GPU /sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu (13-value
//                  table), of_node by absolute link, i2c device by relative link, no readable EMC table (non-root)
//   orin_nano_jp6  Orin Nano: 6 cores in clusters 0-3 and 4-5, rails VDD_IN (total), VDD_CPU_GPU_CV, VDD_SOC
//   xavier_agx_jp4 AGX Xavier, L4T R32.4.3: 8 cores in 4 clusters, gv11b, iio INA3221x rails GPU CPU SOC / CV VDDRQ
//                  SYS5V (no input rail: total = sum)
//   nano_jp4       Nano, L4T R32.7.1: 4 cores in one cluster, cpu0 has no online file, iio rails POM_5V_IN (total),
//                  POM_5V_GPU, POM_5V_CPU, EMC table in kHz from /sys/kernel/debug/clk/emc/clk_possible_rates
//   orin_agx_jp7   AGX Orin, L4T R38.4.0 (JetPack 7; assumed layout): as JP6, but no GPU load file and the INA3221
//                  found only through /sys/class/hwmon (no i2c driver links), a USB-C ucsi hwmon entry to skip
//   orin_nano_super_jp62  Orin Nano Super, L4T R36.4.3: CPU up to 1728 MHz, GPU up to 1020 MHz, EMC up to 3199 MHz,
//                  /etc/nvpmodel.conf with 15W (ID 0), 25W (1), MAXN_SUPER (2, current), 7W (3); 15W and 7W change
//                  the GPU TPC power gating (applied by nvpmodel at boot)
//   thor_jp7       AGX Thor, L4T R38.2.0 (tegra264; layout from FACTS.md §2, tables synthetic): 14 cores in 2
//                  clusters, GPU devfreq gpu-gpc-0 (max 1575 MHz) beside the video engine gpu-nvd-0 (both of_node
//                  "gpu"), memory devfreq bwmgr (max 4266 MHz; no emc_iso_cap), INA3221 module rails VDD_GPU,
//                  VDD_CPU_SOC_MSS, VIN_SYS_5V0 and an INA238 "VIN" (power1_input in uW) found through
//                  /sys/class/hwmon, a ucsi USB-PD entry to skip, /etc/nvpmodel.conf with MAXN (0), 120W (1),
//                  90W (2, TPC gating differs)
#pragma once
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace modewise::testing {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "modewise-test") {
    std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }
  // A file in the directory by name; q() gives it single-quoted for a shell command line (mkdtemp names need no
  // escaping, a name with a quote is refused).
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string q(const std::string& name) const {
    if (name.find('\'') != std::string::npos) throw std::invalid_argument("TempDir::q: quote in " + name);
    return "'" + file(name) + "'";
  }
  // Writes `text` to the file `name` in the directory (created or truncated); returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = file(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::string path_;
};

enum class Board {
  orin_agx_jp5,
  orin_agx_jp6,
  orin_nano_jp6,
  xavier_agx_jp4,
  nano_jp4,
  orin_agx_jp7,
  orin_nano_super_jp62,
  thor_jp7
};

// Every board, for tests that run on all trees.
inline std::vector<Board> all_boards() {
  return {Board::orin_agx_jp5, Board::orin_agx_jp6, Board::orin_nano_jp6, Board::xavier_agx_jp4, Board::nano_jp4,
          Board::orin_agx_jp7, Board::orin_nano_super_jp62, Board::thor_jp7};
}

inline std::vector<long long> khz_ladder(long long base, long long step, long long max, std::vector<long long> extra = {}) {
  std::vector<long long> out;
  for (long long v = base; v <= max; v += step) out.push_back(v);
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

inline std::string join_values(const std::vector<long long>& v) {
  std::string out;
  for (long long x : v) out += std::to_string(x) + " ";
  return out;  // the kernel prints a trailing space
}

class FakeSysfs {
 public:
  struct Rail {
    std::string name;
    std::string dir;  // board path
    int channel;
    bool iio;
    int voltage_mv;
    bool ina238 = false;  // power1_input in uW
  };

  explicit FakeSysfs(Board board) : board_(board), dir_("modewise-sysfs") {
    switch (board) {
      case Board::orin_agx_jp5: build_orin_agx(false); break;
      case Board::orin_agx_jp6: build_orin_agx(true); break;
      case Board::orin_nano_jp6: build_orin_nano(); break;
      case Board::xavier_agx_jp4: build_xavier(); break;
      case Board::nano_jp4: build_nano(); break;
      case Board::orin_agx_jp7: build_orin_agx_jp7(); break;
      case Board::orin_nano_super_jp62: build_orin_nano_super(); break;
      case Board::thor_jp7: build_thor(); break;
    }
  }

  const std::string& root() const { return dir_.path(); }
  std::string host(const std::string& board_path) const { return dir_.path() + board_path; }

  // Write a file atomically (temporary file + rename), creating parent directories.
  void write(const std::string& board_path, const std::string& content) const {
    fs::path p = host(board_path);
    fs::create_directories(p.parent_path());
    std::string tmp = p.string() + ".tmp" + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary);
      out << content;
    }
    fs::rename(tmp, p);
  }
  std::string read(const std::string& board_path) const {
    std::ifstream in(host(board_path), std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
  }
  void link(const std::string& board_path, const std::string& target) const {
    fs::path p = host(board_path);
    fs::create_directories(p.parent_path());
    fs::create_symlink(target, p);
  }
  void remove(const std::string& board_path) const { fs::remove_all(host(board_path)); }

  // Set a rail's power: hwmon gets current = mW / V (integer mA), iio gets in_power (mW) and a matching current.
  void set_rail_mw(const std::string& name, double mw) const {
    for (const auto& r : rails_) {
      if (r.name != name) continue;
      long long ma = std::llround(mw * 1000.0 / r.voltage_mv);
      if (r.ina238) {
        write(r.dir + "/curr1_input", std::to_string(ma) + "\n");
        write(r.dir + "/power1_input", std::to_string(std::llround(mw * 1000.0)) + "\n");
      } else if (r.iio) {
        write(r.dir + "/in_current" + std::to_string(r.channel) + "_input", std::to_string(ma) + "\n");
        write(r.dir + "/in_power" + std::to_string(r.channel) + "_input", std::to_string(std::llround(mw)) + "\n");
      } else {
        write(r.dir + "/curr" + std::to_string(r.channel) + "_input", std::to_string(ma) + "\n");
      }
      return;
    }
    throw std::runtime_error("fake board has no rail " + name);
  }
  std::vector<std::string> rail_names() const {
    std::vector<std::string> out;
    for (const auto& r : rails_) out.push_back(r.name);
    return out;
  }

  // What the tree holds, for assertions.
  Board board() const { return board_; }
  int cores = 0;
  std::vector<std::vector<int>> clusters;
  std::vector<long long> cpu_khz, gpu_hz, emc_hz;
  std::string gpu_dir;  // board path of the devfreq directory
  std::string emc_min_file, emc_max_file;  // the memory clock's control files (max only: a cap)
  std::string model, builtin, l4t;
  std::vector<Rail> rails_;

 private:
  void cpus(int n, const std::vector<std::vector<int>>& cl, const std::vector<long long>& table, long long min_khz,
            long long max_khz, bool cpu0_online_file) {
    cores = n;
    clusters = cl;
    cpu_khz = table;
    std::string base = "/sys/devices/system/cpu";
    write(base + "/present", "0-" + std::to_string(n - 1) + "\n");
    write(base + "/possible", "0-" + std::to_string(n - 1) + "\n");
    write(base + "/online", "0-" + std::to_string(n - 1) + "\n");
    for (const auto& c : cl) {
      std::string pol = base + "/cpufreq/policy" + std::to_string(c.front());
      std::string related;
      for (int cpu : c) related += std::to_string(cpu) + " ";
      write(pol + "/related_cpus", related + "\n");
      write(pol + "/affected_cpus", related + "\n");
      write(pol + "/scaling_available_frequencies", join_values(table) + "\n");
      write(pol + "/scaling_min_freq", std::to_string(min_khz) + "\n");
      write(pol + "/scaling_max_freq", std::to_string(max_khz) + "\n");
      write(pol + "/scaling_cur_freq", std::to_string(max_khz) + "\n");
      write(pol + "/cpuinfo_min_freq", std::to_string(table.front()) + "\n");
      write(pol + "/cpuinfo_max_freq", std::to_string(table.back()) + "\n");
      write(pol + "/scaling_governor", "schedutil\n");
      for (int cpu : c) link(base + "/cpu" + std::to_string(cpu) + "/cpufreq", "../cpufreq/policy" + std::to_string(c.front()));
    }
    for (int cpu = 0; cpu < n; ++cpu)
      if (cpu > 0 || cpu0_online_file) write(base + "/cpu" + std::to_string(cpu) + "/online", "1\n");
  }

  // A devfreq device at `device_dir` (board path) named `node` in the device tree; `of_node_target` is the link target.
  void gpu(const std::string& device_dir, const std::string& name, const std::string& node,
           const std::string& of_node_dir, const std::string& of_node_target, const std::vector<long long>& table) {
    gpu_hz = table;
    gpu_dir = device_dir + "/devfreq/" + name;
    emc_min_file.clear();
    write(gpu_dir + "/available_frequencies", join_values(table) + "\n");
    write(gpu_dir + "/min_freq", std::to_string(table.front()) + "\n");
    write(gpu_dir + "/max_freq", std::to_string(table.back()) + "\n");
    write(gpu_dir + "/cur_freq", std::to_string(table.front()) + "\n");
    write(gpu_dir + "/governor", "nvhost_podgov\n");
    write(device_dir + "/load", "0\n");
    link(gpu_dir + "/device", "../..");
    write(of_node_dir + "/name", node + std::string(1, '\0'));
    link(device_dir + "/of_node", of_node_target);
    link("/sys/class/devfreq/" + name, "../../" + device_dir.substr(5) + "/devfreq/" + name);
  }

  // A devfreq device that is not the GPU (must be ignored by discovery).
  void decoy_devfreq() {
    std::string dev = "/sys/devices/platform/15340000.vic";
    write(dev + "/devfreq/15340000.vic/available_frequencies", "115200000 729600000 \n");
    write(dev + "/devfreq/15340000.vic/min_freq", "115200000\n");
    write(dev + "/devfreq/15340000.vic/max_freq", "729600000\n");
    link(dev + "/devfreq/15340000.vic/device", "../..");
    write("/sys/firmware/devicetree/base/vic@15340000/name", std::string("vic") + '\0');
    link(dev + "/of_node", "../../../firmware/devicetree/base/vic@15340000");
    link("/sys/class/devfreq/15340000.vic", "../../devices/platform/15340000.vic/devfreq/15340000.vic");
  }

  void emc(const std::vector<long long>& table_hz, const std::string& debugfs_file, bool khz_with_unit) {
    emc_hz = table_hz;
    emc_max_file = "/sys/kernel/nvpmodel_emc_cap/emc_iso_cap";
    write("/sys/kernel/nvpmodel_emc_cap/emc_iso_cap", "0\n");
    if (debugfs_file.empty()) return;
    std::string text;
    for (long long hz : table_hz) text += std::to_string(khz_with_unit ? hz / 1000 : hz) + " ";
    if (khz_with_unit) text += "(kHz)";
    write(debugfs_file, text + "\n");
  }

  void hwmon(const std::string& device_dir, const std::vector<std::string>& labels, int voltage_mv,
             bool class_link = false) {
    int index = hwmon_index_++;
    std::string dir = device_dir + "/hwmon/hwmon" + std::to_string(index);
    if (class_link) link("/sys/class/hwmon/hwmon" + std::to_string(index), "../../" + dir.substr(5));
    write(dir + "/name", "ina3221\n");
    for (size_t i = 0; i < labels.size(); ++i) {
      int ch = static_cast<int>(i) + 1;
      write(dir + "/in" + std::to_string(ch) + "_label", labels[i] + "\n");
      write(dir + "/in" + std::to_string(ch) + "_input", std::to_string(voltage_mv) + "\n");
      write(dir + "/curr" + std::to_string(ch) + "_input", "0\n");
      if (labels[i] != "NC") rails_.push_back({labels[i], dir, ch, false, voltage_mv});
    }
    write(dir + "/in7_label", "sum of shunt voltages\n");
    write(dir + "/in7_input", "120\n");
  }

  void iio(const std::string& device_dir, const std::vector<std::string>& names, int voltage_mv) {
    std::string dir = device_dir + "/iio:device" + std::to_string(iio_index_++);
    for (size_t i = 0; i < names.size(); ++i) {
      std::string ch = std::to_string(i);
      write(dir + "/rail_name_" + ch, names[i] + "\n");
      write(dir + "/in_voltage" + ch + "_input", std::to_string(voltage_mv) + "\n");
      write(dir + "/in_current" + ch + "_input", "0\n");
      write(dir + "/in_power" + ch + "_input", "0\n");
      rails_.push_back({names[i], dir, static_cast<int>(i), true, voltage_mv});
    }
  }

  void identity(const std::string& m, const std::string& release_line, const std::string& b, const std::string& l) {
    model = m;
    builtin = b;
    l4t = l;
    write("/proc/device-tree/model", m + std::string(1, '\0'));
    write("/etc/nv_tegra_release", release_line + "\n");
  }

  void build_orin_agx(bool jp6) {
    identity("NVIDIA Jetson AGX Orin Developer Kit",
             jp6 ? "# R36 (release), REVISION: 3.0, GCID: 36923193, BOARD: generic, EABI: aarch64, DATE: Fri Jul 19 "
                   "23:24:25 UTC 2024"
                 : "# R35 (release), REVISION: 2.1, GCID: 32413640, BOARD: t186ref, EABI: aarch64, DATE: Tue Jan 24 "
                   "23:38:33 UTC 2023",
             "orin-agx", jp6 ? "R36.3.0" : "R35.2.1");
    cpus(12, {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}}, khz_ladder(115200, 76800, 2188800, {2201600}), 729600,
         2201600, true);
    std::vector<long long> emc_table = {204000000, 665600000, 2133000000, 3199000000};
    if (jp6) {
      gpu("/sys/devices/platform/bus@0/17000000.gpu", "17000000.gpu", "gpu",
          "/sys/firmware/devicetree/base/bus@0/gpu@17000000", "/sys/firmware/devicetree/base/bus@0/gpu@17000000",
          {114750000, 216750000, 318750000, 420750000, 522750000, 624750000, 726750000, 828750000, 930750000,
           1032750000, 1134750000, 1236750000, 1300500000});
      emc(emc_table, "", false);  // debugfs not readable: built-in table
      std::string i2c = "/sys/devices/platform/bus@0/c240000.i2c/i2c-1";
      hwmon(i2c + "/1-0040", {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"}, 5000);
      hwmon(i2c + "/1-0041", {"NC", "VDDQ_VDD2_1V8AO", "NC"}, 5000);
      link("/sys/bus/i2c/drivers/ina3221/1-0040", "../../../../devices/platform/bus@0/c240000.i2c/i2c-1/1-0040");
      link("/sys/bus/i2c/drivers/ina3221/1-0041", "../../../../devices/platform/bus@0/c240000.i2c/i2c-1/1-0041");
    } else {
      std::vector<long long> table;
      for (long long mhz = 306; mhz <= 1224; mhz += 102) table.push_back(mhz * 1000000);
      table.push_back(1300500000);
      gpu("/sys/devices/17000000.ga10b", "17000000.ga10b", "ga10b", "/sys/firmware/devicetree/base/gpu@17000000",
          "../../firmware/devicetree/base/gpu@17000000", table);
      emc(emc_table, "/sys/kernel/debug/bpmp/debug/clk/emc/possible_rates", false);
      hwmon("/sys/bus/i2c/drivers/ina3221/1-0040", {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"}, 5000);
      hwmon("/sys/bus/i2c/drivers/ina3221/1-0041", {"NC", "VDDQ_VDD2_1V8AO", "NC"}, 5000);
    }
    decoy_devfreq();
  }

  void build_orin_nano() {
    identity("NVIDIA Jetson Orin Nano Developer Kit",
             "# R36 (release), REVISION: 3.0, GCID: 36923193, BOARD: generic, EABI: aarch64, DATE: Fri Jul 19 "
             "23:24:25 UTC 2024",
             "orin-nano", "R36.3.0");
    cpus(6, {{0, 1, 2, 3}, {4, 5}}, khz_ladder(115200, 76800, 1497600, {1510400}), 729600, 1510400, true);
    gpu("/sys/devices/platform/bus@0/17000000.gpu", "17000000.gpu", "gpu",
        "/sys/firmware/devicetree/base/bus@0/gpu@17000000", "/sys/firmware/devicetree/base/bus@0/gpu@17000000",
        {306000000, 408000000, 510000000, 624750000});
    emc({665600000, 2133000000}, "/sys/kernel/debug/bpmp/debug/clk/emc/possible_rates", false);
    hwmon("/sys/bus/i2c/drivers/ina3221/1-0040", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}, 5000);
  }

  void build_xavier() {
    identity("Jetson-AGX",
             "# R32 (release), REVISION: 4.3, GCID: 21589087, BOARD: t186ref, EABI: aarch64, DATE: Fri Jun 26 "
             "04:34:27 UTC 2020",
             "xavier-agx", "R32.4.3");
    cpus(8, {{0, 1}, {2, 3}, {4, 5}, {6, 7}}, khz_ladder(115200, 76800, 2265600), 1190400, 2265600, true);
    gpu("/sys/devices/17000000.gv11b", "17000000.gv11b", "gv11b", "/sys/firmware/devicetree/base/gpu@17000000",
        "../../firmware/devicetree/base/gpu@17000000",
        {114750000, 216750000, 318750000, 420750000, 522750000, 624750000, 675750000, 828750000, 905250000,
         1032750000, 1198500000, 1236750000, 1338750000, 1377000000});
    emc({204000000, 408000000, 665600000, 800000000, 1065600000, 1331200000, 1600000000, 1866000000, 2133000000},
        "/sys/kernel/debug/bpmp/debug/clk/emc/possible_rates", false);
    iio("/sys/bus/i2c/drivers/ina3221x/1-0040", {"GPU", "CPU", "SOC"}, 19000);
    iio("/sys/bus/i2c/drivers/ina3221x/1-0041", {"CV", "VDDRQ", "SYS5V"}, 19000);
  }

  void build_nano() {
    identity("NVIDIA Jetson Nano Developer Kit",
             "# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 "
             "17:05:08 UTC 2022",
             "", "R32.7.1");
    cpus(4, {{0, 1, 2, 3}},
         {102000, 204000, 307200, 403200, 518400, 614400, 710400, 825600, 921600, 1036800, 1132800, 1224000, 1326000,
          1428000, 1479000},
         102000, 1479000, false);
    gpu("/sys/devices/57000000.gpu", "57000000.gpu", "gpu", "/sys/firmware/devicetree/base/gpu@57000000",
        "../../firmware/devicetree/base/gpu@57000000",
        {76800000, 153600000, 230400000, 307200000, 384000000, 460800000, 537600000, 614400000, 691200000, 768000000,
         844800000, 921600000});
    emc({204000000, 408000000, 665600000, 800000000, 1065600000, 1331200000, 1600000000},
        "/sys/kernel/debug/clk/emc/clk_possible_rates", true);
    iio("/sys/bus/i2c/drivers/ina3221x/6-0040", {"POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"}, 5000);
  }

  // A devfreq node found by its name (JetPack 7, Thor): /sys/class/devfreq/<name> -> the device's devfreq directory.
  std::string devfreq_node(const std::string& device_dir, const std::string& name, const std::string& node,
                           const std::vector<long long>& table) {
    std::string dir = device_dir + "/devfreq/" + name;
    write(dir + "/available_frequencies", join_values(table) + "\n");
    write(dir + "/min_freq", std::to_string(table.front()) + "\n");
    write(dir + "/max_freq", std::to_string(table.back()) + "\n");
    write(dir + "/cur_freq", std::to_string(table.back()) + "\n");
    write(dir + "/governor", "nvhost_podgov\n");
    link(dir + "/device", "../..");
    if (!node.empty()) {
      write("/sys/firmware/devicetree/base/" + name + "/name", node + std::string(1, '\0'));
      link(device_dir + "/of_node", "/sys/firmware/devicetree/base/" + name);
    }
    link("/sys/class/devfreq/" + name, "../../" + device_dir.substr(5) + "/devfreq/" + name);
    return dir;
  }

  // A USB-C power-delivery hwmon entry (ucsi): not a rail.
  void ucsi_hwmon() {
    int index = hwmon_index_++;
    std::string dir = "/sys/devices/platform/USBC000:00/power_supply/ucsi-source-psy-USBC000:001/hwmon" +
                      std::to_string(index);
    write(dir + "/name", "ucsi_source_psy_USBC000:001\n");
    write(dir + "/in0_input", "20000\n");
    write(dir + "/curr1_input", "3000\n");
    write(dir + "/curr1_max", "5000\n");
    link("/sys/class/hwmon/hwmon" + std::to_string(index), "../../" + dir.substr(5));
  }

  void ina238_hwmon(const std::string& device_dir, int voltage_mv) {
    int index = hwmon_index_++;
    std::string dir = device_dir + "/hwmon/hwmon" + std::to_string(index);
    write(dir + "/name", "ina238\n");
    write(dir + "/in1_input", std::to_string(voltage_mv) + "\n");
    write(dir + "/curr1_input", "0\n");
    write(dir + "/power1_input", "0\n");
    link("/sys/class/hwmon/hwmon" + std::to_string(index), "../../" + dir.substr(5));
    Rail r{"VIN", dir, 1, false, voltage_mv};
    r.ina238 = true;
    rails_.push_back(r);
  }

  void build_orin_agx_jp7() {
    identity("NVIDIA Jetson AGX Orin Developer Kit",
             "# R38 (release), REVISION: 4.0, GCID: 41234567, BOARD: generic, EABI: aarch64, DATE: Mon Nov 10 "
             "10:00:00 UTC 2025",
             "orin-agx", "R38.4.0");
    write("/proc/device-tree/compatible", std::string("nvidia,p3737-0000+p3701-0005") + '\0' + "nvidia,tegra234" + '\0');
    cpus(12, {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}}, khz_ladder(115200, 76800, 2188800, {2201600}), 729600,
         2201600, true);
    gpu("/sys/devices/platform/bus@0/17000000.gpu", "17000000.gpu", "gpu",
        "/sys/firmware/devicetree/base/bus@0/gpu@17000000", "/sys/firmware/devicetree/base/bus@0/gpu@17000000",
        {114750000, 216750000, 318750000, 420750000, 522750000, 624750000, 726750000, 828750000, 930750000,
         1032750000, 1134750000, 1236750000, 1300500000});
    remove("/sys/devices/platform/bus@0/17000000.gpu/load");  // JetPack 7: no GPU load file
    emc({204000000, 665600000, 2133000000, 3199000000}, "", false);
    std::string i2c = "/sys/devices/platform/bus@0/c240000.i2c/i2c-1";
    hwmon(i2c + "/1-0040", {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"}, 5000, true);
    hwmon(i2c + "/1-0041", {"NC", "VDDQ_VDD2_1V8AO", "NC"}, 5000, true);
    ucsi_hwmon();
    decoy_devfreq();
  }

  void build_orin_nano_super() {
    identity("NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super",
             "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan  8 "
             "01:49:37 UTC 2025",
             "orin-nano", "R36.4.3");
    write("/proc/device-tree/compatible", std::string("nvidia,p3768-0000+p3767-0005-super") + '\0' + "nvidia,tegra234" + '\0');
    cpus(6, {{0, 1, 2, 3}, {4, 5}}, khz_ladder(115200, 76800, 1651200, {1728000}), 729600, 1728000, true);
    gpu("/sys/devices/platform/bus@0/17000000.gpu", "17000000.gpu", "gpu",
        "/sys/firmware/devicetree/base/bus@0/gpu@17000000", "/sys/firmware/devicetree/base/bus@0/gpu@17000000",
        {306000000, 408000000, 510000000, 612000000, 714000000, 816000000, 918000000, 1020000000});
    emc({665600000, 2133000000, 3199000000}, "/sys/kernel/debug/bpmp/debug/clk/emc/possible_rates", false);
    hwmon("/sys/bus/i2c/drivers/ina3221/1-0040", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}, 5000);
    write("/var/lib/nvpmodel/status", "pmode:0002 fmode:quiet\n");
    write("/etc/nvpmodel.conf", nvpmodel_conf({{0, "15W", 6, 1497600, 612000000, 2133000000, 252},
                                               {1, "25W", 6, 1344000, 918000000, 3199000000, 240},
                                               {2, "MAXN_SUPER", 6, -1, -1, 0, 240},
                                               {3, "7W", 4, 960000, 408000000, 665600000, 254}},
                                              2, 6));
  }

  void build_thor() {
    identity("NVIDIA Jetson AGX Thor Developer Kit",
             "# R38 (release), REVISION: 2.0, GCID: 41844464, BOARD: generic, EABI: aarch64, DATE: Fri Aug 22 "
             "00:00:00 UTC 2025",
             "", "R38.2.0");
    write("/proc/device-tree/compatible", std::string("nvidia,p3971-0080+p3834-0008") + '\0' + "nvidia,tegra264" + '\0');
    cpus(14, {{0, 1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12, 13}}, khz_ladder(115200, 76800, 2534400, {2601600}), 729600,
         2601600, true);
    std::vector<long long> gpc = {390000000, 588000000, 786000000, 984000000, 1182000000, 1380000000, 1575000000};
    gpu_hz = gpc;
    gpu_dir = devfreq_node("/sys/devices/platform/bus@0/gpu-gpc-0", "gpu-gpc-0", "gpu", gpc);
    devfreq_node("/sys/devices/platform/bus@0/gpu-nvd-0", "gpu-nvd-0", "gpu", {315000000, 630000000, 1035000000});
    emc_hz = {665600000, 2133000000, 3199000000, 4266000000};
    std::string bw = devfreq_node("/sys/devices/platform/bwmgr", "bwmgr", "", emc_hz);
    emc_min_file = bw + "/min_freq";
    emc_max_file = bw + "/max_freq";
    std::string i2c = "/sys/devices/platform/bus@0/c240000.i2c/i2c-1";
    hwmon(i2c + "/1-0040", {"VDD_GPU", "VDD_CPU_SOC_MSS", "VIN_SYS_5V0"}, 5000, true);
    ina238_hwmon("/sys/devices/platform/bus@0/c250000.i2c/i2c-2/2-0044", 48000);
    ucsi_hwmon();
    write("/var/lib/nvpmodel/status", "pmode:0000 fmode:quiet\n");
    write("/etc/nvpmodel.conf", nvpmodel_conf({{0, "MAXN", 14, -1, -1, 0, 0},
                                               {1, "120W", 14, 2304000, 1380000000, 0, 0},
                                               {2, "90W", 10, 1958400, 984000000, 3199000000, 192}},
                                              0, 14));
  }

  struct ConfMode {
    int id;
    std::string name;
    int cores;
    long long cpu_max_khz, gpu_max_hz, emc_max_hz;
    int tpc_pg_mask;
  };
  // A small nvpmodel.conf in NVIDIA's syntax (synthetic values): CPU_ONLINE, one CPU clock PARAM per cluster, GPU,
  // EMC and TPC_POWER_GATING.
  std::string nvpmodel_conf(const std::vector<ConfMode>& modes, int default_id, int ncpu) const {
    std::string t = "# synthetic nvpmodel.conf of a modewise fake tree\n< PARAM TYPE=FILE NAME=CPU_ONLINE >\n";
    for (int c = 0; c < ncpu; ++c)
      t += "CORE_" + std::to_string(c) + " /sys/devices/system/cpu/cpu" + std::to_string(c) + "/online\n";
    t += "< PARAM TYPE=FILE NAME=TPC_POWER_GATING >\nTPC_PG_MASK /sys/devices/gpu.0/tpc_pg_mask\n";
    for (size_t k = 0; k < clusters.size(); ++k) {
      std::string leader = std::to_string(clusters[k].front());
      t += "< PARAM TYPE=CLOCK NAME=CPU_" + std::to_string(k) + " >\n";
      t += "FREQ_TABLE /sys/devices/system/cpu/cpu" + leader + "/cpufreq/scaling_available_frequencies\n";
      t += "MAX_FREQ /sys/devices/system/cpu/cpu" + leader + "/cpufreq/scaling_max_freq\n";
      t += "MIN_FREQ /sys/devices/system/cpu/cpu" + leader + "/cpufreq/scaling_min_freq\n";
    }
    t += "< PARAM TYPE=CLOCK NAME=GPU >\nFREQ_TABLE " + gpu_dir + "/available_frequencies\nMAX_FREQ " + gpu_dir +
         "/max_freq\nMIN_FREQ " + gpu_dir + "/min_freq\n";
    t += "< PARAM TYPE=CLOCK NAME=EMC >\nMAX_FREQ /sys/kernel/nvpmodel_emc_cap/emc_iso_cap\n";
    for (const auto& m : modes) {
      t += "< POWER_MODEL ID=" + std::to_string(m.id) + " NAME=" + m.name + " >\n";
      for (int c = 0; c < ncpu; ++c) t += "CPU_ONLINE CORE_" + std::to_string(c) + (c < m.cores ? " 1\n" : " 0\n");
      t += "TPC_POWER_GATING TPC_PG_MASK " + std::to_string(m.tpc_pg_mask) + "\n";
      for (size_t k = 0; k < clusters.size(); ++k) {
        t += "CPU_" + std::to_string(k) + " MIN_FREQ -1\n";
        t += "CPU_" + std::to_string(k) + " MAX_FREQ " + std::to_string(m.cpu_max_khz) + "\n";
      }
      t += "GPU MIN_FREQ 0\nGPU MAX_FREQ " + std::to_string(m.gpu_max_hz) + "\n";
      t += "EMC MAX_FREQ " + std::to_string(m.emc_max_hz) + "\n";
    }
    t += "< PM_CONFIG DEFAULT=" + std::to_string(default_id) + " >\n";
    return t;
  }

  Board board_;
  TempDir dir_;
  int hwmon_index_ = 1, iio_index_ = 0;
};

}  // namespace modewise::testing
