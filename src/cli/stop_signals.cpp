#include "cli/stop_signals.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace modewise::cli {
namespace {

std::atomic<bool> g_stop{false};
char g_message[160];  // written before the handler is installed, only read inside it
size_t g_message_len = 0;

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
  ssize_t ignored = write(STDERR_FILENO, g_message, g_message_len);
  (void)ignored;
}

}  // namespace

StopSignals::StopSignals(const char* unit) {
  g_stop.store(false);
  int n = std::snprintf(g_message, sizeof g_message,
                        "\nmodewise: stopping after the current %s (signal again to abort now)\n", unit);
  g_message_len = n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof g_message - 1);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

std::atomic<bool>* StopSignals::flag() { return &g_stop; }

}  // namespace modewise::cli
