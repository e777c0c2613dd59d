// Profiling for the co-scheduler. A ProfileOracle answers "what are the training and inference time and
// power at this mode?" and counts the distinct power modes it measured (the profiling cost reported as
// profiled_modes). It is backed by the emulator (sim::estimate, optionally with measurement noise), by a
// precomputed table (the evaluation), or by a replayed profile CSV holding both workloads.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "modewise/cosched/model.h"
#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"

namespace modewise::cosched {

// The modes a planner may choose from as a 4-D lattice: cores x CPU x GPU x EMC levels (ascending).
// Points missing from a replayed profile are unavailable.
class ModeLattice {
 public:
  static constexpr int kAxes = 4;  // 0 cores, 1 cpu, 2 gpu, 3 emc
  using Coords = std::array<int, kAxes>;

  ModeLattice() = default;
  explicit ModeLattice(device::GridAxes axes);  // every point available
  ModeLattice(device::GridAxes axes, const std::vector<device::PowerMode>& available);

  size_t size() const { return size_; }
  int levels(int axis) const { return levels_[axis]; }
  Coords coords(size_t index) const;
  size_t index(const Coords& c) const;
  bool contains(const Coords& c) const;  // inside the box (not necessarily available)
  device::PowerMode mode(size_t index) const;
  double value(int axis, int level) const;  // cores or MHz
  bool available(size_t index) const { return available_.empty() || available_[index]; }
  size_t available_count() const { return available_count_; }
  std::vector<size_t> available_indices() const;
  std::optional<size_t> find(const device::PowerMode& m) const;
  const device::GridAxes& axes() const { return axes_; }

 private:
  device::GridAxes axes_;
  Coords levels_{};
  size_t size_ = 0;
  std::vector<bool> available_;  // empty: all
  size_t available_count_ = 0;
};

// The two workloads of a co-scheduling problem.
struct Workloads {
  std::string train_workload;
  std::string infer_workload;
  int train_batch_size = 16;
  std::vector<int> infer_batch_sizes = {1, 4, 16, 32, 64};
};

// True (noise-free) profile of a mode, by lattice index.
using ProfileSource = std::function<ModeProfile(size_t mode_index)>;
using ProfileTable = std::vector<ModeProfile>;  // indexed by lattice index; unavailable points empty

// Measurement noise: each measured time and power is the truth times (1 + rel_sd * z), z standard normal,
// drawn from (seed, mode, task, batch size) so a mode reads the same whoever measures it first.
struct NoiseModel {
  double time_rel_sd = 0;
  double power_rel_sd = 0;
  uint64_t seed = 1;
  bool none() const { return time_rel_sd <= 0 && power_rel_sd <= 0; }
};

class ProfileOracle {
 public:
  ProfileOracle(const ModeLattice& lattice, Workloads workloads, ProfileSource source, NoiseModel noise = {});

  // Profile one mode (training and every inference batch size). A mode measured before costs nothing more.
  const ModeProfile& measure(size_t mode_index);
  // Measure a profiled mode again: a fresh noisy draw (repeat r of the mode has its own noise), averaged into
  // the mode's profile, so its noise sd shrinks as 1/sqrt(times_measured). Costs one more measurement
  // (measurements()), not one more profiled mode. Without noise the profile does not change.
  const ModeProfile& remeasure(size_t mode_index);
  bool measured(size_t mode_index) const { return cache_.count(mode_index) > 0; }
  const ModeProfile* find(size_t mode_index) const;  // nullptr when not measured
  int times_measured(size_t mode_index) const;       // 0 when not measured
  // Distinct modes profiled; measurements() also counts repeats (each costs a profiling run on a board).
  int profiled_modes() const { return static_cast<int>(order_.size()); }
  int measurements() const { return profiled_modes() + repeats_; }
  const std::vector<size_t>& measured_modes() const { return order_; }  // in measurement order

  const ModeLattice& lattice() const { return lattice_; }
  const Workloads& workloads() const { return workloads_; }
  const NoiseModel& noise() const { return noise_; }

 private:
  ModeLattice lattice_;
  Workloads workloads_;
  ProfileSource source_;
  NoiseModel noise_;
  std::unordered_map<size_t, ModeProfile> cache_;
  std::unordered_map<size_t, int> count_;  // times measured, for modes measured more than once
  std::vector<size_t> order_;
  int repeats_ = 0;

  ModeProfile draw(size_t mode_index, int repeat) const;
};

// Sources.
ProfileSource emulator_source(const device::DeviceSpec& spec, const Workloads& workloads, const ModeLattice& lattice);
ProfileSource table_source(std::shared_ptr<const ProfileTable> table);
// Evaluate a source at every available lattice point (with `threads` worker threads).
ProfileTable build_table(const ProfileSource& source, const ModeLattice& lattice, int threads = 1);

// A recorded profile holding both workloads (rows with task train and infer and their batch sizes).
struct ReplayProblem {
  std::string device;  // the file's device column ("" when absent)
  std::string provenance;  // of the rows used, replayed: "replayed (emulated)", "replayed (measured)", ... (profile.h)
  ModeLattice lattice;
  Workloads workloads;  // batch sizes resolved against the file
  std::shared_ptr<const ProfileTable> table;
};
// Reads FILE; train rows at workloads.train_batch_size (or the file's only training batch size when the
// requested one is absent and `train_batch_explicit` is false), inference rows at the requested batch sizes
// (when `infer_batches_explicit` is false: the sizes the file has among them, else all the file's sizes).
// Modes are those with every needed row. Throws Error naming the file and what is missing.
ReplayProblem load_replay(const std::string& path, Workloads workloads, bool train_batch_explicit,
                          bool infer_batches_explicit);

// A co-scheduling problem ready to profile. Devices: "sim:<device>" or a bare built-in name / device .json
// (the emulator: noise-free sim::estimate), or "replay:<file.csv>" (a recorded profile holding both
// workloads). Throws UsageError for other backends (a real board: profile both workloads first, then replay).
struct Problem {
  std::string device_arg;
  std::string device;                   // device name ("" when a replay file has no device column)
  bool replayed = false;                // else emulated
  std::string provenance;               // "emulated", or for a replay the origin kept: "replayed (emulated)", ...
  std::optional<device::DeviceSpec> spec;  // the emulated device
  std::string grid;                     // grid name, or "replay" for a file's modes
  ModeLattice lattice;
  Workloads workloads;
  ProfileSource source;                 // true profiles
};
Problem open_problem(const std::string& device_arg, Workloads workloads, const std::string& grid,
                     bool train_batch_explicit = false, bool infer_batches_explicit = false);

// The default grid for co-scheduling on a device: "fulcrum" where the device has it, else "powertrain", else "full".
std::string default_grid(const device::DeviceSpec& spec);

}  // namespace modewise::cosched
