// SIGINT/SIGTERM/SIGHUP without dying mid-write: while a SignalCatcher lives, those signals only record their
// number and write a byte to a self-pipe (async-signal-safe), and the main flow restores the board's mode and exits.
// A previously installed handler function is still called (chained). A second signal of the same kind while the
// first is still pending falls back to the default action (so a stuck program can still be stopped; the state file
// then restores the mode at the next start).
#pragma once
#include "modewise/util/error.h"

namespace modewise::control {

class SignalCatcher {
 public:
  SignalCatcher();   // installs (nested catchers share one installation)
  ~SignalCatcher();  // uninstalls when the last one goes
  SignalCatcher(const SignalCatcher&) = delete;
  SignalCatcher& operator=(const SignalCatcher&) = delete;

  static int caught();      // 0, or the number of the first signal caught
  static int fd();          // read end of the self-pipe (readable after a signal), -1 when not installed
  static void clear();      // forget a caught signal
  // Sleep until a signal arrives or timeout_s passes; true when a signal is pending.
  static bool wait(double timeout_s);
};

// Thrown by the hardware backends when a signal asked them to stop; its message says the mode was restored.
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace modewise::control
