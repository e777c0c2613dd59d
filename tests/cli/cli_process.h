// Background CLI processes in tests: start the built CLI (MODEWISE_CLI) without a shell, and poll for a condition
// with a deadline, and the shell quoting that matches. Shared by the CLI tests that signal, kill or scrape a running modewise.
#pragma once
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace modewise::test
