// A progress bar with ETA on stderr, drawn only when stderr is a terminal (quiet in pipes, CI and tests).
#pragma once
#include <chrono>
#include <string>

namespace modewise::util {

class Progress {
 public:
  Progress(std::string label, size_t total, bool enabled);
  ~Progress();
  void update(size_t done, std::string_view note = {});
  void finish();
  static bool stderr_is_terminal();

 private:
  std::string label_;
  size_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "12s"

}  // namespace modewise::util
