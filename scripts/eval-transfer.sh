#!/usr/bin/env bash
# Regenerates every table of docs/BENCHMARKS.md, "Prediction and transfer": emulated profiles (sim:), then
# `modewise eval transfer` per workload, method and sample count, across devices, and the prediction benchmarks.
# All numbers are emulated (the sim: backend), never measured.
#
# Usage: scripts/eval-transfer.sh [OUT_DIR]        (default: eval-transfer-out)
# Environment: MODEWISE (the CLI, default build/modewise), MODEWISE_BENCH (default build/bench/modewise_bench;
# skipped when absent), REPEATS (default 10), STEP (profiles | eval | cross | bench | all; default all).
# Cost on one core: profiles ~3 min, eval ~15 min, cross ~6 min, bench ~1 min.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
M=${MODEWISE:-$ROOT/build/modewise}
B=${MODEWISE_BENCH:-$ROOT/build/bench/modewise_bench}
OUT=${1:-eval-transfer-out}
REPEATS=${REPEATS:-10}
STEP=${STEP:-all}
WORKLOADS="resnet50 mobilenetv3 yolov8n bert-base lstm bert-large"
mkdir -p "$OUT"
cd "$OUT"
DB=(--db eval.db)

want() { [ "$STEP" = all ] || [ "$STEP" = "$1" ]; }

if want profiles; then
  # Reference: resnet18 training over 1,100 random modes of the 4,368-mode powertrain grid of the AGX Orin.
  [ -f ref.csv ] || "$M" "${DB[@]}" profile --device sim:orin-agx --workload resnet18 --modes random:1100 \
    --grid powertrain --seed 1 --out ref.csv
  # Six other workloads over every mode of the powertrain grid (the truth the transfers are scored against).
  for w in $WORKLOADS; do
    [ -f "$w.csv" ] || "$M" "${DB[@]}" profile --device sim:orin-agx --workload "$w" --modes all --grid powertrain \
      --seed 2 --out "$w.csv"
  done
  # Other devices: every mode of the Xavier AGX powertrain grid (504) and of the Orin Nano full grid (960).
  for w in resnet18 mobilenetv3; do
    [ -f "xavier-$w.csv" ] || "$M" "${DB[@]}" profile --device sim:xavier-agx --workload "$w" --modes all \
      --grid powertrain --seed 3 --out "xavier-$w.csv"
    [ -f "nano-$w.csv" ] || "$M" "${DB[@]}" profile --device sim:orin-nano --workload "$w" --modes all --grid full \
      --seed 3 --out "nano-$w.csv"
  done
fi

if want eval; then
  for w in $WORKLOADS; do
    # Every method but the 5-network ensemble at 10, 20, 50 and 100 modes; the ensemble (5x the cost of
    # powertrain) at 50 modes only.
    "$M" eval transfer --ref ref.csv --new "$w.csv" --samples 10,20,50,100 --repeats "$REPEATS" \
      --methods gp,residual,powertrain,scratch,linear,poly,gbt --per-budget > "eval-$w.txt"
    "$M" eval transfer --ref ref.csv --new "$w.csv" --samples 50 --repeats "$REPEATS" --methods ensemble \
      > "eval-$w-ensemble.txt"
    # The fine-tuning methods started from the default reference (physical inputs, no dropout) instead of the
    # published network: the published transfer given the better starting point.
    "$M" eval transfer --ref ref.csv --new "$w.csv" --samples 50 --repeats "$REPEATS" \
      --methods powertrain,head,head+ft,freeze,ensemble --finetune-default-ref > "eval-$w-ft-default.txt"
    # The default transfer without the calibrated power margin (sd multiplier 0), for the caution trade-off.
    "$M" eval transfer --ref ref.csv --new "$w.csv" --samples 50 --repeats "$REPEATS" --methods gp \
      --sd-multiplier 0 > "eval-$w-k0.txt"
    "$M" eval transfer --ref ref.csv --new "$w.csv" --samples 50 --repeats "$REPEATS" --methods gp \
      --sd-multiplier 2 > "eval-$w-k2.txt"
    # Recommendations confirmed by profiling up to 8 modes near each budget instead of a margin.
    "$M" eval transfer --ref ref.csv --new "$w.csv" --samples 50 --repeats "$REPEATS" --methods gp \
      --confirm 8 > "eval-$w-confirm8.txt"
  done
fi

if want cross; then
  for d in xavier nano; do
    for w in resnet18 mobilenetv3; do
      "$M" eval transfer --ref ref.csv --new "$d-$w.csv" --samples 10,20,50,100 --repeats "$REPEATS" \
        --methods gp,residual,powertrain,scratch,linear,poly > "cross-$d-$w.txt"
    done
  done
fi

if want bench; then
  if [ -x "$B" ]; then
    taskset -c 0 "$B" --benchmark_filter='BM_FitReference|BM_Transfer|BM_PredictFullGridAndPareto' > bench.txt 2>&1 ||
      taskset -c 0 "$B" --benchmark_filter='BM_FitReference|BM_Transfer|BM_PredictFullGridAndPareto' > bench.txt
  else
    echo "eval-transfer.sh: no benchmark binary at $B (build the modewise_bench target); skipped" >&2
  fi
fi

# The summary rows: every method at 50 modes, per workload.
for f in eval-*.txt cross-*.txt; do
  [ -f "$f" ] || continue
  echo "== $f"
  grep -E '^(method|gp|residual|powertrain|ensemble|scratch|linear|poly|gbt|nvpmodel-preset) ' "$f" | head -40
done > summary.txt
echo "eval-transfer.sh: results in $OUT (summary.txt)" >&2
