// The replay:<file.csv> backend: answers from a recorded profile (profile.h schema) instead of a board.
//   - rows are matched on workload, task and batch_size where the file has those columns (an empty cell or a
//     missing column matches anything);
//   - run() returns N minibatches exactly at the recorded time_ms, with board power samples exactly at the
//     recorded power_w (so summarize_run() gives back the recording); stall_fraction/fetch_ms and the
//     utilization columns are replayed when present;
//   - a mode or workload the file lacks is an Error naming the file and what it has;
//   - spec(): the built-in device named in the file's device column when there is one and every mode of the
//     file is in its tables; otherwise a spec derived from the file (one CPU cluster of the largest core count,
//     frequency tables = the distinct values in the file, no grids or presets, no GPU/memory peak figures).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/profile/profile.h"

namespace modewise::profile {

class ReplayBackend : public device::Backend {
 public:
  explicit ReplayBackend(const std::string& path);  // throws Error for an unreadable or malformed file
  std::string name() const override { return "replay:" + path_; }
  device::Provenance provenance() const override { return device::Provenance::replayed; }
  const device::DeviceSpec& spec() const override { return spec_; }
  void apply(const device::PowerMode& mode) override;  // Error when no row of the file has this mode
  device::PowerMode current_mode() const override { return current_; }
  device::RunTrace run(const device::WorkloadRequest& workload, int minibatches) override;

  // Rows for a workload, in file order. Throws Error listing the workloads the file has when none match.
  std::vector<ProfileRow> rows_for(const device::WorkloadRequest& workload) const;
  std::vector<device::PowerMode> modes_for(const device::WorkloadRequest& workload) const;
  // Throws the Error run() would give for the first of `modes` the file lacks for this workload.
  void check_modes(const device::WorkloadRequest& workload, const std::vector<device::PowerMode>& modes) const;
  // The provenance of the rows replayed for a workload: the recorded origin is kept (profile.h):
  // "replayed (emulated)" for emulated rows, "replayed (measured)" for measured ones, "replayed" when unknown.
  std::string provenance_for(const device::WorkloadRequest& workload) const;
  // The same over every row of the file.
  std::string file_provenance() const;
  const Profile& profile() const { return profile_; }
  bool spec_is_derived() const { return spec_derived_; }
  const std::string& content_hash() const { return content_hash_; }  // FNV-1a 64 of the file, 16 hex digits

  static constexpr int kPowerSamplesPerMinibatch = 4;

 private:
  std::vector<size_t> matching(const device::WorkloadRequest& workload) const;  // indices into profile_.rows
  std::string describe_modes(const std::vector<size_t>& rows, const device::PowerMode& near) const;

  std::string path_;
  Profile profile_;
  std::vector<int> lines_;  // CSV line of each row
  device::DeviceSpec spec_;
  bool spec_derived_ = false;
  std::string content_hash_;
  device::PowerMode current_;
  bool applied_ = false;
};

std::unique_ptr<device::Backend> make_replay_backend(const std::string& path);

// The provenance value (profile.h) of the rows a backend produces for a workload: to_string(provenance()),
// except for a replay, which keeps the origin of what was recorded ("replayed (emulated)", ...).
std::string provenance_of(const device::Backend& backend, const device::WorkloadRequest& workload);
// The same for the whole backend (a replay: over every row of its file).
std::string provenance_of(const device::Backend& backend);

// A device spec covering every mode of a profile (see above); `name` becomes its name.
device::DeviceSpec spec_from_profile(const Profile& profile, const std::string& name);

}  // namespace modewise::profile
