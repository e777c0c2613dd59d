# modewise: two-command quick start. `make run` and `make test` install missing Debian packages,
# configure, build, then run the main job or the whole test suite.
BUILD ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= Release

.PHONY: all deps configure build run test bench sanitize arm64 gcc11 noonnx clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the emulated AGX Orin (numbers are emulated): profile resnet18 training once as the reference
# (kept in build/run.db, so a rerun reuses it), profile RUN_MODES modes of mobilenetv3 training chosen by
# RUN_SAMPLING (adaptive: while profiling, from the reference model; or spread, random), transfer, print the
# predicted Pareto front and the recommended mode for RUN_BUDGET_W watts, confirm it by profiling up to 8 modes near
# the budget, say how many modes were measured, and draw the front as build/pareto.svg.
RUN_BUDGET_W ?= 30
RUN_MODES ?= 20
RUN_SAMPLING ?= adaptive
run: build
	./$(BUILD)/modewise --db $(BUILD)/run.db run --power-w $(RUN_BUDGET_W) --modes $(RUN_MODES) \
	  --sampling $(RUN_SAMPLING) --svg $(BUILD)/pareto.svg

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/bench/modewise_bench

# Fuzz-style robustness tests of every parser under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMODEWISE_SANITIZE=ON -DMODEWISE_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L fuzz

# The board's architecture: cross-build for aarch64 with Debian's toolchain (cmake/toolchain-aarch64-linux-gnu.cmake)
# and run the whole suite under qemu-user, except the tests labelled no_qemu (each says why user-mode emulation
# cannot run it; docs/HARDWARE.md, "Architectures, compilers and releases tested in CI"). No benchmarks.
# The fuzz tests run MODEWISE_FUZZ_SCALE (default 0.25) of their inputs: emulation is about 10x slower.
# MODEWISE_UNDER_QEMU=1 skips the one accuracy evaluation that takes minutes there (test_transfer_eval_adaptive.cpp).
ARM64_BUILD ?= build-arm64
arm64:
	@bash scripts/install-deps.sh
	@bash scripts/install-deps-arm64.sh $(ARM64_BUILD)/onnx-arm64
	cmake -S . -B $(ARM64_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/toolchain-aarch64-linux-gnu.cmake -DMODEWISE_WITH_BENCHMARK=OFF \
	  -DONNX_DIR=$(CURDIR)/$(ARM64_BUILD)/onnx-arm64/usr/lib/aarch64-linux-gnu/cmake/ONNX
	cmake --build $(ARM64_BUILD) -j $(JOBS)
	cd $(ARM64_BUILD) && MODEWISE_FUZZ_SCALE=$${MODEWISE_FUZZ_SCALE:-0.25} MODEWISE_UNDER_QEMU=1 ctest --output-on-failure -j $(JOBS) --timeout 600 -LE no_qemu

# JetPack 6's compiler: g++ 11 (Debian 12 has it), no benchmarks.
GCC11_BUILD ?= build-gcc11
gcc11:
	@bash scripts/install-deps.sh g++-11
	cmake -S . -B $(GCC11_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_CXX_COMPILER=g++-11 -DMODEWISE_WITH_BENCHMARK=OFF
	cmake --build $(GCC11_BUILD) -j $(JOBS)
	cd $(GCC11_BUILD) && ctest --output-on-failure -j $(JOBS)

# A build without the optional components (as on a release whose archive lacks libonnx-dev): analyze,
# roofline --model and tune-inference say "built without ONNX support"; the tests that need ONNX skip.
NOONNX_BUILD ?= build-noonnx
noonnx:
	@bash scripts/install-deps.sh
	cmake -S . -B $(NOONNX_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMODEWISE_WITH_ONNX=OFF -DMODEWISE_WITH_BENCHMARK=OFF
	cmake --build $(NOONNX_BUILD) -j $(JOBS)
	cd $(NOONNX_BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) build-asan $(ARM64_BUILD) $(GCC11_BUILD) $(NOONNX_BUILD)
