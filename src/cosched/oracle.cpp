#include "modewise/cosched/oracle.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include <fmt/ranges.h>

#include "modewise/device/grid.h"
#include "modewise/profile/profile.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cosched {

// ---- ModeLattice ----

ModeLattice::ModeLattice(device::GridAxes axes) : axes_(std::move(axes)) {
  levels_ = {static_cast<int>(axes_.cores.size()), static_cast<int>(axes_.cpu_mhz.size()),
             static_cast<int>(axes_.gpu_mhz.size()), static_cast<int>(axes_.emc_mhz.size())};
  size_ = axes_.size();
  available_count_ = size_;
}

ModeLattice::ModeLattice(device::GridAxes axes, const std::vector<device::PowerMode>& available)
    : ModeLattice(std::move(axes)) {
  available_.assign(size_, false);
  available_count_ = 0;
  for (const auto& m : available) {
    auto i = find(m);
    MW_CHECK(i.has_value());
    if (!available_[*i]) ++available_count_;
    available_[*i] = true;
  }
}

ModeLattice::Coords ModeLattice::coords(size_t index) const {
  Coords c{};
  for (int a = kAxes - 1; a >= 0; --a) {
    c[a] = static_cast<int>(index % levels_[a]);
    index /= levels_[a];
  }
  return c;
}

size_t ModeLattice::index(const Coords& c) const {
  size_t i = 0;
  for (int a = 0; a < kAxes; ++a) i = i * levels_[a] + c[a];
  return i;
}

bool ModeLattice::contains(const Coords& c) const {
  for (int a = 0; a < kAxes; ++a)
    if (c[a] < 0 || c[a] >= levels_[a]) return false;
  return true;
}

double ModeLattice::value(int axis, int level) const {
  switch (axis) {
    case 0: return axes_.cores[level];
    case 1: return axes_.cpu_mhz[level];
    case 2: return axes_.gpu_mhz[level];
    default: return axes_.emc_mhz[level];
  }
}

device::PowerMode ModeLattice::mode(size_t index) const {
  Coords c = coords(index);
  return {axes_.cores[c[0]], axes_.cpu_mhz[c[1]], axes_.gpu_mhz[c[2]], axes_.emc_mhz[c[3]]};
}

std::vector<size_t> ModeLattice::available_indices() const {
  std::vector<size_t> v;
  v.reserve(available_count_);
  for (size_t i = 0; i < size_; ++i)
    if (available(i)) v.push_back(i);
  return v;
}

std::optional<size_t> ModeLattice::find(const device::PowerMode& m) const {
  auto level = [](const std::vector<double>& table, double v) -> int {
    for (size_t i = 0; i < table.size(); ++i)
      if (device::to_khz(table[i]) == device::to_khz(v)) return static_cast<int>(i);
    return -1;
  };
  Coords c{};
  auto it = std::find(axes_.cores.begin(), axes_.cores.end(), m.cores);
  if (it == axes_.cores.end()) return std::nullopt;
  c[0] = static_cast<int>(it - axes_.cores.begin());
  c[1] = level(axes_.cpu_mhz, m.cpu_mhz);
  c[2] = level(axes_.gpu_mhz, m.gpu_mhz);
  c[3] = level(axes_.emc_mhz, m.emc_mhz);
  if (c[1] < 0 || c[2] < 0 || c[3] < 0) return std::nullopt;
  return index(c);
}

// ---- ProfileOracle ----

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A standard normal drawn deterministically from a key (Box-Muller on two hashed uniforms).
double normal_from(uint64_t key) {
  const uint64_t a = splitmix64(key), b = splitmix64(a ^ 0x5851F42D4C957F2DULL);
  const double u1 = (static_cast<double>(a >> 11) + 0.5) / 9007199254740992.0;
  const double u2 = static_cast<double>(b >> 11) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

TaskPoint noisy(TaskPoint p, const NoiseModel& n, uint64_t key) {
  if (n.time_rel_sd > 0) p.time_ms *= std::max(0.5, 1.0 + n.time_rel_sd * normal_from(key * 2 + 0));
  if (n.power_rel_sd > 0) p.power_w *= std::max(0.5, 1.0 + n.power_rel_sd * normal_from(key * 2 + 1));
  return p;
}

}  // namespace

ProfileOracle::ProfileOracle(const ModeLattice& lattice, Workloads workloads, ProfileSource source, NoiseModel noise)
    : lattice_(lattice), workloads_(std::move(workloads)), source_(std::move(source)), noise_(noise) {}

ModeProfile ProfileOracle::draw(size_t index, int repeat) const {
  ModeProfile p = source_(index);
  MW_CHECK(p.infer.size() == workloads_.infer_batch_sizes.size());
  if (!noise_.none()) {
    // repeat 0 keeps the draw of earlier versions (a mode reads the same whoever measures it first)
    uint64_t key = noise_.seed ^ splitmix64(index + 1);
    if (repeat > 0) key ^= splitmix64(0x7E9EA7ULL + static_cast<uint64_t>(repeat));
    const uint64_t base = splitmix64(key) * 64;
    p.train = noisy(p.train, noise_, base);
    for (size_t k = 0; k < p.infer.size(); ++k) p.infer[k] = noisy(p.infer[k], noise_, base + 1 + k);
  }
  return p;
}

int ProfileOracle::times_measured(size_t index) const {
  if (!measured(index)) return 0;
  auto it = count_.find(index);
  return it == count_.end() ? 1 : it->second;
}

const ModeProfile& ProfileOracle::remeasure(size_t index) {
  if (!measured(index)) return measure(index);
  const int n = times_measured(index);
  ModeProfile& mean = cache_.at(index);
  const ModeProfile fresh = draw(index, n);
  auto avg = [n](TaskPoint& m, const TaskPoint& f) {
    m.time_ms = (m.time_ms * n + f.time_ms) / (n + 1);
    m.power_w = (m.power_w * n + f.power_w) / (n + 1);
  };
  avg(mean.train, fresh.train);
  for (size_t k = 0; k < mean.infer.size(); ++k) avg(mean.infer[k], fresh.infer[k]);
  count_[index] = n + 1;
  ++repeats_;
  return mean;
}

const ModeProfile& ProfileOracle::measure(size_t index) {
  if (auto it = cache_.find(index); it != cache_.end()) return it->second;
  MW_CHECK(index < lattice_.size() && lattice_.available(index));
  ModeProfile p = draw(index, 0);
  order_.push_back(index);
  return cache_.emplace(index, std::move(p)).first->second;
}

const ModeProfile* ProfileOracle::find(size_t index) const {
  auto it = cache_.find(index);
  return it == cache_.end() ? nullptr : &it->second;
}

// ---- sources ----

ProfileSource emulator_source(const device::DeviceSpec& spec, const Workloads& w, const ModeLattice& lattice) {
  return [spec, w, lattice](size_t index) {
    const device::PowerMode m = lattice.mode(index);
    ModeProfile p;
    device::WorkloadRequest train;
    train.workload = w.train_workload, train.task = "train", train.batch_size = w.train_batch_size;
    sim::Estimate t = sim::estimate(spec, train, m);
    p.train = {t.time_ms, t.power_w};
    for (int b : w.infer_batch_sizes) {
      device::WorkloadRequest infer;
      infer.workload = w.infer_workload, infer.task = "infer", infer.batch_size = b;
      sim::Estimate e = sim::estimate(spec, infer, m);
      p.infer.push_back({e.time_ms, e.power_w});
    }
    return p;
  };
}

ProfileSource table_source(std::shared_ptr<const ProfileTable> table) {
  return [table](size_t index) { return (*table)[index]; };
}

ProfileTable build_table(const ProfileSource& source, const ModeLattice& lattice, int threads) {
  ProfileTable table(lattice.size());
  const std::vector<size_t> idx = lattice.available_indices();
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < idx.size();) table[idx[k]] = source(idx[k]);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return table;
}

std::string default_grid(const device::DeviceSpec& spec) {
  if (spec.grids.count("fulcrum")) return "fulcrum";
  if (spec.grids.count("powertrain")) return "powertrain";
  return "full";
}

// ---- problems ----

Problem open_problem(const std::string& arg, Workloads w, const std::string& grid, bool train_batch_explicit,
                     bool infer_batches_explicit) {
  if (w.train_batch_size < 1) throw UsageError("--train-batch-size must be >= 1, found {}", w.train_batch_size);
  for (int b : w.infer_batch_sizes)
    if (b < 1) throw UsageError("--infer-batch-sizes: batch sizes must be >= 1, found {}", b);
  if (w.infer_batch_sizes.empty()) throw UsageError("--infer-batch-sizes: give at least one batch size");
  Problem p;
  p.device_arg = arg;
  if (util::starts_with(arg, "replay:")) {
    ReplayProblem rp = load_replay(arg.substr(7), std::move(w), train_batch_explicit, infer_batches_explicit);
    if (!grid.empty() && grid != "replay")
      throw UsageError("--grid does not apply to replay:FILE (the file's modes are the grid)");
    p.device = rp.device;
    p.replayed = true;
    p.provenance = rp.provenance;
    p.grid = "replay";
    p.lattice = std::move(rp.lattice);
    p.workloads = std::move(rp.workloads);
    p.source = table_source(rp.table);
    return p;
  }
  if (arg == "jetson" || util::starts_with(arg, "nvml:"))
    throw UsageError("co-scheduling plans from the emulator (sim:<device>) or a recorded profile (replay:FILE.csv); "
                     "on a real board profile both workloads first (modewise profile) and pass replay:FILE.csv");
  const device::DeviceSpec spec = device::resolve_device(util::starts_with(arg, "sim:") ? arg.substr(4) : arg);
  for (const auto* name : {&w.train_workload, &w.infer_workload})
    if (!sim::is_catalog_workload(*name))
      throw UsageError("unknown workload '{}' (the emulator knows: {})", *name, fmt::join(sim::workload_names(), ", "));
  p.device = spec.name;
  p.provenance = "emulated";
  p.spec = spec;
  p.grid = grid.empty() ? default_grid(spec) : grid;
  p.lattice = ModeLattice(device::grid_axes(spec, p.grid));
  p.workloads = std::move(w);
  p.source = emulator_source(spec, p.workloads, p.lattice);
  return p;
}

// ---- replay ----

namespace {
std::string join_ints(const std::set<int>& v) {
  return fmt::format("{}", fmt::join(v, ","));
}
}  // namespace

ReplayProblem load_replay(const std::string& path, Workloads w, bool train_batch_explicit,
                          bool infer_batches_explicit) {
  const profile::Profile prof = profile::read_profile_csv(path);
  if (!prof.has_workload_columns)
    throw Error("{}: a co-scheduling replay needs the columns device,workload,task,batch_size (rows for both the "
                "training and the inference workload)", path);
  const auto train_rows = profile::select_rows(prof, w.train_workload, "train", 0);
  const auto infer_rows = profile::select_rows(prof, w.infer_workload, "infer", 0);

  std::set<int> train_sizes, infer_sizes;
  for (const auto& r : train_rows) train_sizes.insert(r.batch_size);
  for (const auto& r : infer_rows) infer_sizes.insert(r.batch_size);
  if (!train_sizes.count(w.train_batch_size)) {
    if (train_batch_explicit || train_sizes.size() != 1)
      throw Error("{}: no training rows of '{}' at batch size {} (the file has batch sizes {})", path,
                  w.train_workload, w.train_batch_size, join_ints(train_sizes));
    w.train_batch_size = *train_sizes.begin();
  }
  std::vector<int> sizes;
  for (int b : w.infer_batch_sizes) {
    if (infer_sizes.count(b)) sizes.push_back(b);
    else if (infer_batches_explicit)
      throw Error("{}: no inference rows of '{}' at batch size {} (the file has batch sizes {})", path,
                  w.infer_workload, b, join_ints(infer_sizes));
  }
  if (sizes.empty()) sizes.assign(infer_sizes.begin(), infer_sizes.end());
  w.infer_batch_sizes = sizes;

  // Per mode: the training point and each inference batch size (averaged if a row repeats).
  struct Acc { double t = 0, p = 0; int n = 0; };
  std::map<device::PowerMode, std::pair<Acc, std::vector<Acc>>> by_mode;
  for (const auto& r : train_rows) {
    if (r.batch_size != w.train_batch_size) continue;
    auto& e = by_mode[r.mode];
    e.second.resize(sizes.size());
    e.first.t += r.time_ms, e.first.p += r.power_w, ++e.first.n;
  }
  for (const auto& r : infer_rows) {
    auto k = std::find(sizes.begin(), sizes.end(), r.batch_size);
    if (k == sizes.end()) continue;
    auto& e = by_mode[r.mode];
    e.second.resize(sizes.size());
    Acc& a = e.second[k - sizes.begin()];
    a.t += r.time_ms, a.p += r.power_w, ++a.n;
  }
  std::vector<device::PowerMode> complete;
  std::vector<std::string> provenances;  // of the rows used: the origin travels with the numbers
  for (const auto* rows : {&train_rows, &infer_rows})
    for (const auto& r : *rows) provenances.push_back(r.provenance);
  std::set<int> cores;
  std::set<long long> cpu, gpu, emc;
  for (const auto& [m, e] : by_mode) {
    if (e.first.n == 0 || std::any_of(e.second.begin(), e.second.end(), [](const Acc& a) { return a.n == 0; }))
      continue;
    complete.push_back(m);
    cores.insert(m.cores), cpu.insert(device::to_khz(m.cpu_mhz)), gpu.insert(device::to_khz(m.gpu_mhz)),
        emc.insert(device::to_khz(m.emc_mhz));
  }
  if (complete.empty())
    throw Error("{}: no power mode has both a training row of '{}' (batch size {}) and inference rows of '{}' at "
                "batch sizes {}", path, w.train_workload, w.train_batch_size, w.infer_workload,
                join_ints(std::set<int>(sizes.begin(), sizes.end())));
  device::GridAxes axes;
  axes.cores.assign(cores.begin(), cores.end());
  for (long long k : cpu) axes.cpu_mhz.push_back(k / 1000.0);
  for (long long k : gpu) axes.gpu_mhz.push_back(k / 1000.0);
  for (long long k : emc) axes.emc_mhz.push_back(k / 1000.0);

  ReplayProblem rp;
  rp.device = prof.rows.empty() ? "" : prof.rows.front().device;
  rp.provenance = profile::replayed_provenance(profile::combine_provenance(provenances));
  rp.lattice = ModeLattice(axes, complete);
  rp.workloads = w;
  auto table = std::make_shared<ProfileTable>(rp.lattice.size());
  for (const auto& m : complete) {
    const auto& e = by_mode.at(m);
    ModeProfile p;
    p.train = {e.first.t / e.first.n, e.first.p / e.first.n};
    for (const Acc& a : e.second) p.infer.push_back({a.t / a.n, a.p / a.n});
    (*table)[*rp.lattice.find(m)] = std::move(p);
  }
  rp.table = std::move(table);
  return rp;
}

}  // namespace modewise::cosched
