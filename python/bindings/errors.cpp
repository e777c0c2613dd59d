// modewise::Error -> modewise.Error (a ValueError), modewise::UsageError -> modewise.UsageError (a subclass of
// Error), with the CLI's one-line message (non-printable bytes escaped as \xNN, as main() prints them).
#include "bindings.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::python {

void bind_errors(py::module_& m) {
  static py::exception<modewise::Error> error(m, "Error", PyExc_ValueError);
  static py::exception<modewise::UsageError> usage_error(m, "UsageError", error.ptr());
  error.attr("__doc__") = "A modewise error: bad input or a runtime failure; str(e) is the CLI's message after 'modewise: error: '.";
  usage_error.attr("__doc__") = "A bad argument (the CLI's exit code 2).";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const modewise::UsageError& e) {
      usage_error(util::escape_nonprintable(e.what()).c_str());
    } catch (const modewise::Error& e) {
      error(util::escape_nonprintable(e.what()).c_str());
    }
  });
}

}  // namespace modewise::python
