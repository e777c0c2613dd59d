#include "modewise/control/signals.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>

namespace modewise::control {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

volatile sig_atomic_t g_caught = 0;
int g_pipe[2] = {-1, -1};
struct sigaction g_previous[3];
std::mutex g_mutex;
int g_users = 0;

int slot_of(int sig) {
  for (int i = 0; i < 3; ++i)
    if (kSignals[i] == sig) return i;
  return -1;
}

extern "C" void on_signal(int sig, siginfo_t* info, void* ctx) {
  int saved_errno = errno;
  int slot = slot_of(sig);
  if (g_caught == sig && slot >= 0) {
    // Second time: give up waiting for the main flow, act as if we were never installed.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    errno = saved_errno;
    return;
  }
  if (g_caught == 0) g_caught = sig;
  if (g_pipe[1] >= 0) {
    char b = static_cast<char>(sig);
    ssize_t r = ::write(g_pipe[1], &b, 1);
    (void)r;
  }
  if (slot >= 0) {
    const struct sigaction& prev = g_previous[slot];
    if (prev.sa_flags & SA_SIGINFO) {
      if (prev.sa_sigaction) prev.sa_sigaction(sig, info, ctx);
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
      prev.sa_handler(sig);
    }
  }
  errno = saved_errno;
}

}  // namespace

SignalCatcher::SignalCatcher() {
  std::lock_guard lock(g_mutex);
  if (g_users++ > 0) return;
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    --g_users;
    throw Error("cannot create the signal pipe: {}", std::strerror(errno));
  }
  g_caught = 0;
  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &g_previous[i]);
}

SignalCatcher::~SignalCatcher() {
  std::lock_guard lock(g_mutex);
  if (--g_users > 0) return;
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
  ::close(g_pipe[0]);
  ::close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

int SignalCatcher::caught() { return g_caught; }
int SignalCatcher::fd() { return g_pipe[0]; }

void SignalCatcher::clear() {
  g_caught = 0;
  char buf[64];
  if (g_pipe[0] >= 0)
    while (::read(g_pipe[0], buf, sizeof buf) > 0) {
    }
}

bool SignalCatcher::wait(double timeout_s) {
  if (g_caught) return true;
  if (g_pipe[0] < 0) {
    ::usleep(static_cast<useconds_t>(std::max(0.0, timeout_s) * 1e6));
    return g_caught != 0;
  }
  struct pollfd p {g_pipe[0], POLLIN, 0};
  int ms = timeout_s < 0 ? -1 : static_cast<int>(std::ceil(timeout_s * 1000));
  ::poll(&p, 1, ms);
  return g_caught != 0;
}

Interrupted::Interrupted(int signal)
    : Error("interrupted by {} (the board's previous power mode is restored)", strsignal(signal)), signal_(signal) {}

}  // namespace modewise::control
