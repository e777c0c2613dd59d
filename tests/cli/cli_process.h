// Background CLI processes in tests: start the built CLI (MODEWISE_CLI) without a shell, and poll for a condition
// with a deadline, and the shell quoting that matches; run the CLI through the shell with an environment; find the
// live processes a test started. Shared by the CLI tests that signal, kill or scrape a running modewise.
#pragma once
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "control/fake_sysfs.h"

namespace modewise::test {

// `s` single-quoted for a shell command line (a quote inside becomes '\'').
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The words of an argv, each quoted, as one shell command line (run_cli's form of what spawn_cli_argv takes).
inline std::string shell_words(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += shell_quote(a);
  }
  return out;
}

// MODEWISE_CLI with `args` as its argv (no shell): stdin from /dev/null, stdout and stderr to the given files
// (created or truncated). Returns the child's pid.
inline pid_t spawn_cli_argv(const std::vector<std::string>& args, const std::string& out_path,
                            const std::string& err_path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::dup2(in, 0);
    std::vector<std::string> full{MODEWISE_CLI};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Polls `cond` every 20 ms until it holds or `seconds` have passed; returns its last value.
inline bool wait_for(const std::function<bool()>& cond, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

// A whole file ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct ShellResult {
  int rc = -1;  // the exit status, or 128 + the signal that ended the CLI
  std::string out, err;
};

// MODEWISE_CLI through the shell: `args` is a shell command line (quote paths yourself), `env` is put before the
// command (e.g. "MODEWISE_SETTLE_S=0"), `stdin_file` fed to stdin (/dev/null when empty).
inline ShellResult cli(const std::string& args, const std::string& env = "", const std::string& stdin_file = "") {
  modewise::testing::TempDir io("modewise-cli");
  std::string cmd = env + " " + shell_quote(MODEWISE_CLI) + " " + args + " >" + io / "out" + " 2>" + io / "err" +
                    (stdin_file.empty() ? " </dev/null" : " <" + shell_quote(stdin_file));
  int status = std::system(cmd.c_str());
  ShellResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(io / "out");
  r.err = read_text(io / "err");
  return r;
}

// A /proc file of a process that may vanish while it is read: "" then.
inline std::string read_proc(const std::filesystem::path& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

struct Proc {
  int pid = 0, pgid = 0;
  char state = '?';
};

// Live (not zombie) processes outside this test's process group (the test and the modewise it started, whose
// arguments may hold the marker) whose command line contains `marker`, or whose process group is in `groups`.
inline std::vector<Proc> find_processes(const std::string& marker, const std::set<int>& groups = {}) {
  std::vector<Proc> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_proc(e.path() / "stat");
    size_t rp = stat.rfind(')');
    if (rp == std::string::npos) continue;
    std::istringstream rest(stat.substr(rp + 2));
    Proc p;
    int ppid = 0;
    rest >> p.state >> ppid >> p.pgid;
    p.pid = std::stoi(name);
    if (p.state == 'Z' || p.state == 'X') continue;
    if (p.pgid == ::getpgrp()) continue;
    std::string cmdline = read_proc(e.path() / "cmdline");
    if ((!marker.empty() && cmdline.find(marker) != std::string::npos) || groups.count(p.pgid)) out.push_back(p);
  }
  return out;
}

}  // namespace modewise::test
