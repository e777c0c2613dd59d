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

# Until the predictor's `modewise run` lands: profile 50 random modes of resnet18 training on the emulated AGX Orin
# (stored, so a rerun resumes instantly) and print the fastest profiled modes under 30 W. Numbers are emulated.
RUN_BUDGET_W ?= 30
run: build
	./$(BUILD)/modewise --db $(BUILD)/run.db profile --device sim:orin-agx --workload resnet18 --modes random:50 \
	  --seed 1 --out $(BUILD)/run-profile.csv
	@echo "Fastest profiled modes under $(RUN_BUDGET_W) W (emulated, sim:orin-agx, resnet18 train, batch 16):"
	@awk -F, 'NR==1 {printf "%5s %8s %8s %8s %9s %8s\n", "cores", "cpu_mhz", "gpu_mhz", "emc_mhz", "time_ms", "power_w"; next} $$10 <= $(RUN_BUDGET_W) \
	  {printf "%s %s %s %s %.1f %.2f\n", $$5, $$6, $$7, $$8, $$9, $$10}' $(BUILD)/run-profile.csv \
	  | sort -k5,5g | head -n 6

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
