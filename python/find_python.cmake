# The Python package (MODEWISE_WITH_PYTHON, python/CMakeLists.txt): whether it is built. The static libraries the
# extension links are compiled as position-independent code (python/CMakeLists.txt sets it on those targets).
# The interpreter is Debian's /usr/bin/python3 (Python3_EXECUTABLE), never another python3 first on PATH: the tests
# use Debian's pytest, numpy and torch. AUTO builds the package when pybind11 (pybind11-dev / python3-pybind11) and
# the interpreter's headers (python3-dev) are there; a cross build never does (the host interpreter cannot load an
# aarch64 extension), nor does a sanitizer build.
set(python_detail "")
set(python_found OFF)
if(NOT MODEWISE_WITH_PYTHON STREQUAL "OFF")
  if(CMAKE_CROSSCOMPILING)
    set(python_detail "cross-compiling (the host Python cannot load the extension)")
  elseif(MODEWISE_SANITIZE)
    set(python_detail "sanitizer build (the Python interpreter would need the sanitizer runtime preloaded)")
  else()
    if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
      set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "The Python of the modewise package (Debian's)")
    endif()
    find_package(Python3 QUIET COMPONENTS Interpreter Development.Module)
    if(NOT Python3_FOUND)
      set(python_detail "no Python interpreter with headers at ${Python3_EXECUTABLE} (install python3-dev)")
    else()
      if(NOT DEFINED pybind11_DIR)
        execute_process(COMMAND ${Python3_EXECUTABLE} -m pybind11 --cmakedir OUTPUT_VARIABLE pybind11_cmakedir
                        OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      endif()
      find_package(pybind11 CONFIG QUIET HINTS ${pybind11_cmakedir})
      if(pybind11_FOUND)
        set(python_found ON)
        set(python_detail " (Python ${Python3_VERSION} ${Python3_EXECUTABLE}, pybind11 ${pybind11_VERSION})")
      else()
        set(python_detail "pybind11 not found (install pybind11-dev python3-pybind11: scripts/install-deps.sh)")
      endif()
    endif()
  endif()
endif()
modewise_feature_result(PYTHON ${python_found} "${python_detail}")
