// The knobs a power mode sets, their state, and the safe order of writes between two states.
//   cores:  /sys/devices/system/cpu/cpuN/online (1/0); exactly N cores online, cpu0 first
//   CPU:    every online cluster's scaling_min_freq = scaling_max_freq = F (kHz)
//   GPU:    devfreq min_freq = max_freq = F (Hz)
//   EMC:    /sys/kernel/nvpmodel_emc_cap/emc_iso_cap = F (Hz); on Thor the bwmgr devfreq min_freq = max_freq = F (Hz)
// Safe order (plan_transition): first everything that lowers a limit (clusters about to go offline get their new
// values, cores go offline highest first, clocks whose maximum goes down), then everything that raises one (cores
// come online lowest first, clocks whose maximum goes up). Within a clock: when the new range lies below the
// current minimum, min is written before max (lowering); otherwise max before min (raising, or a narrowing range:
// cap first, then floor). So min <= max holds after every write, no cap or core count rises before every one that
// falls has fallen, and the board never draws more than the larger of the two modes allows.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/control/board.h"
#include "modewise/device/power_mode.h"
#include "modewise/telemetry/sysfs.h"

namespace modewise::control {

struct CoreKnob {
  int cpu = 0;
  std::string file;  // board path of cpuN/online
  bool online = true;
};

struct ClockKnob {
  std::string name;      // "cpu0-3", "gpu", "emc"
  std::string unit;      // "kHz" or "Hz"
  std::string min_file;  // empty for a cap-only knob (EMC)
  std::string max_file;
  std::vector<int> cpus;  // a CPU cluster's CPUs (the knob only applies while one is online); empty otherwise
  std::optional<long long> min, max;  // nullopt: unreadable
};

struct KnobState {
  std::vector<CoreKnob> cores;   // CPUs that can be offlined, ascending
  std::vector<ClockKnob> clocks;  // clusters, then gpu, then emc
};

struct KnobWrite {
  std::string file;   // board path
  std::string value;
  std::string what;   // "offline cpu11", "gpu max 1300500000 Hz", ...
};

// A requested mode snapped to the board's tables: a frequency within 1 MHz of a table value becomes that value;
// anything further away, or a core count the board cannot have, throws Error listing the valid values.
struct ResolvedMode {
  device::PowerMode mode;               // in MHz, exactly table values
  std::vector<long long> cluster_khz;   // per cluster (tables may differ)
  long long gpu_hz = 0, emc_hz = 0;
};
ResolvedMode resolve_mode(const JetsonBoard& board, const device::PowerMode& requested);

KnobState read_knobs(const telemetry::SysfsRoot& root, const JetsonBoard& board);
// The state `mode` asks for, starting from `current` (clusters that end up offline keep their values).
KnobState target_state(const JetsonBoard& board, const KnobState& current, const ResolvedMode& mode);
// The mode a state corresponds to (cores online, first online cluster's max, GPU max, EMC cap; 0 = unknown).
device::PowerMode mode_of(const JetsonBoard& board, const KnobState& state);

std::vector<KnobWrite> plan_transition(const KnobState& from, const KnobState& to);
// Throws Error naming the first file this process may not write (and that root is needed).
void check_writable(const telemetry::SysfsRoot& root, const std::vector<KnobWrite>& writes);
// Write in order and read each value back; throws Error naming the file, the value written and the value read.
void execute_writes(const telemetry::SysfsRoot& root, const std::vector<KnobWrite>& writes);

nlohmann::json to_json(const KnobState& state);
// Throws Error naming `source` and the field for anything malformed (the state file is user-visible).
KnobState knob_state_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace modewise::control
