// Errors: what failed, where, what was expected. Two kinds cross module boundaries:
//   Error       a runtime failure the user can fix (bad file, missing mode, no permission) -> exit code 1
//   UsageError  the command line itself is wrong (unknown device, bad flag value)          -> exit code 2
// MW_CHECK guards invariants (bugs): it throws std::logic_error naming file:line and the expression.
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace modewise {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  template <typename... Args>
  explicit Error(fmt::format_string<Args...> f, Args&&... args)
      : std::runtime_error(fmt::format(f, std::forward<Args>(args)...)) {}
};

class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace modewise

#define MW_CHECK(cond)                                                                         \
  do {                                                                                         \
    if (!(cond))                                                                               \
      throw std::logic_error(fmt::format("{}:{}: internal check failed: {}", __FILE__, __LINE__, \
                                         #cond));                                              \
  } while (0)
