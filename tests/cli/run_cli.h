// Run the built modewise CLI in a test: captures stdout, stderr and the exit code.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace modewise::test {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// args is appended to the CLI path as a shell command line (quote paths yourself).
inline CliResult run_cli(const std::string& args, const std::string& stdin_text = "") {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("modewise_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  auto out = dir / "out", err = dir / "err", in = dir / "in";
  std::ofstream(in) << stdin_text;
  std::string cmd = std::string(MODEWISE_CLI) + " " + args + " <'" + in.string() + "' >'" + out.string() + "' 2>'" +
                    err.string() + "'";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace modewise::test
