#include "modewise/util/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace modewise::util {

bool Progress::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

std::string format_duration(double s) {
  if (s < 0 || s != s) return "?";
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, static_cast<int>((t % 3600) / 60));
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, static_cast<int>(t % 60));
  return fmt::format("{}s", t);
}

void Progress::update(size_t done, std::string_view note) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  int width = 28, filled = static_cast<int>(frac * width);
  std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
  std::string eta = done ? format_duration(elapsed / static_cast<double>(done) * static_cast<double>(total_ - done)) : "?";
  fmt::print(stderr, "\r\033[K{} [{}] {}/{} {:3.0f}% ETA {} {}", label_, bar, done, total_, frac * 100, eta, note);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace modewise::util
