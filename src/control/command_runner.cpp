#include "modewise/control/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "modewise/control/probe_protocol.h"
#include "modewise/control/signals.h"
#include "modewise/telemetry/sampler.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

extern char** environ;

namespace modewise::control {

namespace {

long long now_ns() { return static_cast<long long>(telemetry::monotonic_s() * 1e9); }

// A private directory with the FIFO in it; removed on destruction.
class TempFifo {
 public:
  TempFifo() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/modewise-probe-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw Error("cannot create a directory for the probe FIFO ({}): {}", pattern, std::strerror(errno));
    dir_ = buf.data();
    path_ = dir_ + "/probe.fifo";
    if (::mkfifo(path_.c_str(), 0600) != 0) {
      int err = errno;
      ::rmdir(dir_.c_str());
      throw Error("cannot create the probe FIFO '{}': {}", path_, std::strerror(err));
    }
    read_fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    // A writer of our own keeps the FIFO from reporting hang-up between the workload's opens and closes.
    keep_fd_ = read_fd_ >= 0 ? ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    if (read_fd_ < 0 || keep_fd_ < 0) {
      int err = errno;
      cleanup();
      throw Error("cannot open the probe FIFO '{}': {}", path_, std::strerror(err));
    }
  }
  ~TempFifo() { cleanup(); }
  const std::string& path() const { return path_; }
  int fd() const { return read_fd_; }

 private:
  void cleanup() {
    if (read_fd_ >= 0) ::close(read_fd_);
    if (keep_fd_ >= 0) ::close(keep_fd_);
    read_fd_ = keep_fd_ = -1;
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, path_;
  int read_fd_ = -1, keep_fd_ = -1;
};

// The command's process group; stopped (TERM, then KILL) and reaped on destruction unless already reaped.
class Child {
 public:
  Child(pid_t pid, double grace_s) : pid_(pid), grace_s_(grace_s) {}
  ~Child() { stop(); }
  pid_t pid() const { return pid_; }
  bool reaped() const { return reaped_; }
  int status() const { return status_; }
  bool poll_exit() {
    if (reaped_) return true;
    pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) reaped_ = true;
    return reaped_;
  }
  void signal_group(int sig) {
    if (!reaped_ && ::kill(-pid_, sig) != 0) ::kill(pid_, sig);
  }
  void stop() {
    if (reaped_) return;
    signal_group(SIGTERM);
    double deadline = telemetry::monotonic_s() + grace_s_;
    while (!poll_exit() && telemetry::monotonic_s() < deadline) ::usleep(10000);
    if (!reaped_) {
      signal_group(SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
  }

 private:
  pid_t pid_;
  double grace_s_;
  bool reaped_ = false;
  int status_ = 0;
};

// The forked child, before anything else: a supervisor in the command's new process group. It runs /bin/sh -c COMMAND
// as its own child and exits with the same status (or dies of the same signal), so to modewise it looks like the
// command itself. Its purpose: when modewise dies without stopping the command (kill -9, a crash), the kernel sends it
// SIGUSR1 (PR_SET_PDEATHSIG), and it stops the whole group (SIGTERM, SIGKILL after the grace period), DataLoader
// workers and other grandchildren included, so no workload outlives modewise. Only async-signal-safe calls: modewise
// is multithreaded (the sampler) and this runs between fork() and _exit().
[[noreturn]] void supervise(pid_t parent, double grace_s, char* const argv[], char* const envp[]) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  const int watched[] = {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP};
  sigset_t watch, old;
  sigemptyset(&watch);
  for (int sig : watched) {
    ::sigaction(sig, &dfl, nullptr);  // not modewise's handlers (SignalCatcher), which this process inherited
    sigaddset(&watch, sig);
  }
  ::sigprocmask(SIG_BLOCK, &watch, &old);
  ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (::getppid() != parent) ::_exit(127);  // modewise died before prctl(): start nothing
  pid_t cmd = ::fork();
  if (cmd < 0) ::_exit(127);
  if (cmd == 0) {
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }
  for (;;) {
    int sig = ::sigwaitinfo(&watch, nullptr);
    if (sig == SIGCHLD) {
      int status = 0;
      if (::waitpid(cmd, &status, WNOHANG) != cmd) continue;
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
      int killer = WTERMSIG(status);  // die of the same signal, so modewise reports it as before
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, killer);
      ::sigaction(killer, &dfl, nullptr);
      ::kill(::getpid(), killer);
      ::sigprocmask(SIG_UNBLOCK, &one, nullptr);
      ::_exit(128 + killer);
    }
    if (sig == SIGUSR1) {  // modewise is gone: stop the group, wait for the command, then kill what is left
      ::kill(-::getpid(), SIGTERM);  // blocked here, so it reaches the command's processes only
      struct timespec tick {0, 10 * 1000 * 1000};
      for (double waited = 0; waited < grace_s; waited += 0.01) {
        int status = 0;
        if (::waitpid(cmd, &status, WNOHANG) == cmd) break;
        ::nanosleep(&tick, nullptr);
      }
      ::kill(-::getpid(), SIGKILL);  // stragglers of the group, and this supervisor
      ::_exit(1);
    }
    // SIGTERM/SIGINT/SIGHUP sent to the group (modewise stopping the command) reach the command too: wait for it.
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "unknown status";
}

// Aggregate CPU busy/total jiffies from /proc/stat.
std::optional<std::pair<double, double>> cpu_jiffies(const telemetry::SysfsRoot& root) {
  auto text = root.try_read("/proc/stat");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string label;
  in >> label;
  if (label != "cpu") return std::nullopt;
  double v, total = 0, idle = 0;
  for (int i = 0; i < 8 && in >> v; ++i) {
    total += v;
    if (i == 3 || i == 4) idle += v;  // idle, iowait
  }
  return std::make_pair(total - idle, total);
}

double mem_used_mb(const telemetry::SysfsRoot& root) {
  auto text = root.try_read("/proc/meminfo");
  if (!text) return device::kUnknown;
  double total = -1, avail = -1;
  for (const auto& line : util::split(*text, '\n')) {
    std::istringstream in(line);
    std::string key;
    double kb;
    if (!(in >> key >> kb)) continue;
    if (key == "MemTotal:") total = kb;
    if (key == "MemAvailable:") avail = kb;
  }
  return total >= 0 && avail >= 0 ? (total - avail) / 1024.0 : device::kUnknown;
}

}  // namespace

std::map<std::string, std::string> workload_env(const device::WorkloadRequest& w, const device::PowerMode& m) {
  using util::format_number;
  return {{"MODEWISE_WORKLOAD", w.workload},
          {"MODEWISE_TASK", w.task},
          {"MODEWISE_BATCH_SIZE", std::to_string(w.batch_size)},
          {"MODEWISE_WORKERS", std::to_string(w.workers)},
          {"MODEWISE_STORAGE", w.storage},
          {"MODEWISE_MODE", m.key()},
          {"MODEWISE_CORES", std::to_string(m.cores)},
          {"MODEWISE_CPU_MHZ", format_number(m.cpu_mhz)},
          {"MODEWISE_GPU_MHZ", format_number(m.gpu_mhz)},
          {"MODEWISE_EMC_MHZ", format_number(m.emc_mhz)}};
}

device::RunTrace run_command(const std::string& command, int minibatches, telemetry::PowerSensor& sensor,
                             const telemetry::SysfsRoot& root, const CommandOptions& o) {
  if (util::trim(command).empty())
    throw Error("no command to run: the hardware backends run your own workload, e.g. --command \"python train.py\" "
                "(see docs/HARDWARE.md)");
  if (minibatches < 1) throw Error("minibatches must be at least 1, got {}", minibatches);
  auto log = [&](const std::string& m) {
    if (o.log) o.log(m);
  };
  SignalCatcher catcher;
  TempFifo fifo;

  // Environment and argv, built before fork (the child may only call async-signal-safe functions).
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : o.env) env[k] = v;
  env["MODEWISE_PIPE"] = fifo.path();
  env["MODEWISE_MINIBATCHES"] = std::to_string(minibatches);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  telemetry::SamplerOptions so;
  so.interval_s = o.sample_interval_s;
  so.keep_history = true;
  telemetry::PowerSampler sampler(sensor, so);
  sampler.start();
  auto cpu_before = cpu_jiffies(root);
  long long t0_ns = now_ns();
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const double grace_s = o.stop_grace_s;
  pid_t pid = ::fork();
  if (pid < 0) {
    if (devnull >= 0) ::close(devnull);
    throw Error("cannot start the command: fork failed: {}", std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(2, 1);
    supervise(parent, grace_s, argv, envp.data());  // never returns
  }
  ::setpgid(pid, pid);
  if (devnull >= 0) ::close(devnull);
  Child child(pid, o.stop_grace_s);
  log(fmt::format("running `{}` (pid {}) for {} minibatches", command, pid, minibatches));

  MinibatchAssembler assembler(t0_ns);
  std::string pending;
  int line_no = 0;
  bool stop_sent = false;
  double stop_deadline = 0, last_activity = telemetry::monotonic_s();
  double gpu_load_sum = 0;
  int gpu_load_n = 0;
  auto drain = [&] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fifo.fd(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      last_activity = telemetry::monotonic_s();
    }
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      ++line_no;
      std::string where = fmt::format("$MODEWISE_PIPE line {}", line_no);
      if (auto ev = parse_probe_line(line, where)) assembler.add(*ev, now_ns(), where);
    }
    if (pending.size() > 4096) throw Error("$MODEWISE_PIPE line {}: longer than 4096 bytes without a newline", line_no + 1);
  };
  for (;;) {
    struct pollfd fds[2] = {{fifo.fd(), POLLIN, 0}, {SignalCatcher::fd(), POLLIN, 0}};
    ::poll(fds, SignalCatcher::fd() >= 0 ? 2 : 1, 50);
    drain();
    double now = telemetry::monotonic_s();
    if (!stop_sent && static_cast<int>(assembler.records().size()) >= minibatches) {
      child.signal_group(SIGTERM);
      stop_sent = true;
      stop_deadline = now + o.stop_grace_s;
    }
    if (child.poll_exit()) {
      drain();
      break;
    }
    if (int sig = SignalCatcher::caught()) {
      child.stop();
      sampler.stop();
      throw Interrupted(sig);
    }
    if (stop_sent && now > stop_deadline) child.signal_group(SIGKILL);
    if (!stop_sent && now - last_activity > o.idle_timeout_s) {
      child.stop();
      throw Error("`{}` reported nothing on $MODEWISE_PIPE for {:.0f} s after {} minibatches; stopped it", command,
                  o.idle_timeout_s, assembler.records().size());
    }
    if (!o.gpu_load_file.empty())
      if (auto load = root.try_read_int(o.gpu_load_file)) {
        gpu_load_sum += static_cast<double>(*load) / 1000.0;
        ++gpu_load_n;
      }
  }
  sampler.stop();
  size_t got = assembler.records().size();
  if (!stop_sent) {
    int st = child.status();
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok)
      throw Error("`{}` ended with {} after {} of {} minibatches (its output is above, on stderr)", command,
                  describe_status(st), got, minibatches);
    if (got == 0)
      throw Error("`{}` exited without reporting a minibatch on $MODEWISE_PIPE: wrap the training loop with "
                  "python/modewise_probe.py (see docs/HARDWARE.md)",
                  command);
    if (static_cast<int>(got) < minibatches)
      log(fmt::format("warning: `{}` exited after {} of {} minibatches", command, got, minibatches));
  }

  device::RunTrace trace;
  const auto& recs = assembler.records();
  trace.minibatches.assign(recs.begin(), recs.begin() + std::min<size_t>(recs.size(), static_cast<size_t>(minibatches)));
  double t0_s = static_cast<double>(t0_ns) / 1e9;
  auto history = sampler.history();
  for (const auto& s : history) trace.power.push_back({s.t_s - t0_s, s.power_w[0]});
  if (gpu_load_n > 0) trace.gpu_util = gpu_load_sum / gpu_load_n;
  if (auto after = cpu_jiffies(root); after && cpu_before && after->second > cpu_before->second)
    trace.cpu_util = (after->first - cpu_before->first) / (after->second - cpu_before->second);
  trace.mem_used_mb = mem_used_mb(root);
  trace.extra["power_sample_rate_hz"] = sampler.achieved_rate_hz();
  trace.extra["power_sample_errors"] = static_cast<double>(sampler.errors());
  trace.extra["minibatches_reported"] = static_cast<double>(got);
  trace.extra["start_monotonic_s"] = t0_s;  // t_s = 0 of the trace on CLOCK_MONOTONIC, to align other logs
  if (!trace.minibatches.empty() && !history.empty()) {
    const auto& first = trace.minibatches.front();
    const auto& last = trace.minibatches.back();
    double b = t0_s + first.start_s, e = t0_s + last.start_s + last.time_ms / 1000.0;
    auto w = sampler.measure(b, e, "minibatches");
    for (size_t c = 0; c < w.channels.size(); ++c) trace.extra["power_" + w.channels[c] + "_w"] = w.mean_power_w[c];
  }
  if (sampler.errors() > 0) log(fmt::format("warning: {} power samples failed: {}", sampler.errors(), sampler.last_error()));
  return trace;
}

}  // namespace modewise::control
