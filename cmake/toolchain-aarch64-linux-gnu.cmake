# Cross-compiling for aarch64 (Jetson: JetPack 6/7 are aarch64 Ubuntu) with Debian's cross toolchain
# (crossbuild-essential-arm64) against multiarch :arm64 -dev packages in /usr/lib/aarch64-linux-gnu.
# `make arm64` uses it (scripts/install-deps-arm64.sh installs what it needs); the tests run under qemu-user:
# CMAKE_CROSSCOMPILING_EMULATOR prefixes every test command, and tests that start the `modewise` CLI run it through
# a wrapper script that does the same (tests/CMakeLists.txt), since binfmt_misc is usually not registered in
# containers and CI.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Programs (protoc, ccache) come from the build machine; libraries, headers and CMake packages from the target's
# multiarch directories (CMake searches <prefix>/lib/aarch64-linux-gnu for them because of CMAKE_LIBRARY_ARCHITECTURE).
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

find_program(MODEWISE_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(MODEWISE_QEMU_AARCH64)
  # -L: where the aarch64 dynamic loader and libraries live; / works with Debian's multiarch libc6:arm64.
  set(CMAKE_CROSSCOMPILING_EMULATOR "${MODEWISE_QEMU_AARCH64};-L;/")
endif()
