// SIGINT/SIGTERM during a long campaign: finish the current unit of work (a mode, a configuration), then stop.
// A second signal takes the default action (kills). The previous handlers are restored on destruction.
#pragma once
#include <atomic>
#include <csignal>

namespace modewise::cli {

class StopSignals {
 public:
  // unit: what is finished before stopping, e.g. "mode" -> "stopping after the current mode".
  explicit StopSignals(const char* unit);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Set by the first signal; stays valid for the life of the program.
  static std::atomic<bool>* flag();

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

}  // namespace modewise::cli
