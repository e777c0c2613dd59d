# modewise: two-command quick start. `make run` and `make test` install missing Debian packages,
# configure, build, then run the main job or the whole test suite.
BUILD ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= Release

.PHONY: all deps configure build run test bench sanitize clean

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
# (kept in build/run.db, so a rerun reuses it), profile 50 modes of mobilenetv3 training, transfer, print the
# predicted Pareto front and the recommended mode for RUN_BUDGET_W watts, and draw the front as build/pareto.svg.
RUN_BUDGET_W ?= 30
run: build
	./$(BUILD)/modewise --db $(BUILD)/run.db run --power-w $(RUN_BUDGET_W) --svg $(BUILD)/pareto.svg

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/bench/modewise_bench

# Fuzz-style robustness tests of every parser under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMODEWISE_SANITIZE=ON -DMODEWISE_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L fuzz

clean:
	rm -rf $(BUILD) build-asan
