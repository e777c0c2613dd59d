// Measuring one power mode of a workload on a backend, for the commands that confirm a prediction by measurement
// (`recommend --confirm`, `run --confirm`): apply the mode, run kConfirmMinibatches minibatches and summarize the
// last kConfirmWindowMinibatches (profile/warmup.h: mean time per minibatch, median board power).
#pragma once
#include "modewise/device/backend.h"
#include "modewise/optimize/confirm.h"

namespace modewise::cli {

inline constexpr int kConfirmMinibatches = 50;
inline constexpr int kConfirmWindowMinibatches = 40;

// Throws Error when the backend returns no usable time or power for the mode.
optimize::MeasuredPoint measure_mode(device::Backend& backend, const device::WorkloadRequest& workload,
                                     const device::PowerMode& mode);
// The same as an optimize::MeasureFn (the backend must outlive it).
optimize::MeasureFn mode_measurer(device::Backend& backend, const device::WorkloadRequest& workload);

// UsageError when the backend cannot run the workload: the emulator's catalog lacks it, or the replay file has no
// rows for it (the message names the file and the workloads it has).
void check_backend_workload(device::Backend& backend, const device::WorkloadRequest& workload);

}  // namespace modewise::cli
