#!/usr/bin/env bash
# Regenerates docs/BENCHMARKS.md, "Profiling fewer modes (issue 13)": transfer accuracy against the number of
# profiled modes (10, 20, 30, 50) for random, spread and adaptive sampling (the default gp transfer), on every
# emulated workload and the two cross-device cases, then recommendation quality after 20 modes with and without
# confirmation. All numbers are EMULATED (sim: profiles made by scripts/eval-transfer.sh STEP=profiles).
#
# Usage: scripts/eval-sampling.sh [OUT_DIR]   (default: eval-transfer-out, the profiles of eval-transfer.sh)
# Environment: MODEWISE (default build/modewise), REPEATS (default 10), JOBS (parallel evaluations, default 2),
# STEP (accuracy | recommend | table | all; default all).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
M=${MODEWISE:-$ROOT/build/modewise}
OUT=${1:-eval-transfer-out}
REPEATS=${REPEATS:-10}
JOBS=${JOBS:-2}
STEP=${STEP:-all}
want() { [ "$STEP" = all ] || [ "$STEP" = "$1" ]; }
cd "$OUT"
[ -f ref.csv ] || { echo "eval-sampling.sh: no $OUT/ref.csv: run STEP=profiles scripts/eval-transfer.sh $OUT first" >&2; exit 1; }
NEW="resnet50 mobilenetv3 yolov8n bert-base lstm bert-large xavier-resnet18 xavier-mobilenetv3 nano-resnet18 nano-mobilenetv3"
mkdir -p sampling
export M REPEATS
if want accuracy; then
  for w in $NEW; do for s in random spread adaptive; do echo "$w $s"; done; done |
    xargs -P "$JOBS" -L 1 sh -c '[ -s sampling/acc-$0-$1.json ] || { "$M" eval transfer --ref ref.csv --new $0.csv \
      --samples 10,20,30,50 --repeats "$REPEATS" --methods gp --budgets 10 --sampling $1 --json > sampling/acc-$0-$1.json.tmp \
      && mv sampling/acc-$0-$1.json.tmp sampling/acc-$0-$1.json; }'
fi
if want recommend; then
  for w in resnet50 mobilenetv3 yolov8n bert-base lstm bert-large; do for s in random adaptive; do for c in 0 8; do
    echo "$w $s $c"; done; done; done |
    xargs -P "$JOBS" -L 1 sh -c '[ -s sampling/rec-$0-$1-$2.json ] || { "$M" eval transfer --ref ref.csv --new $0.csv \
      --samples 20 --repeats "$REPEATS" --methods gp --sampling $1 --confirm $2 --json > sampling/rec-$0-$1-$2.json.tmp \
      && mv sampling/rec-$0-$1-$2.json.tmp sampling/rec-$0-$1-$2.json; }'
fi
if want table; then
  /usr/bin/python3 - "$NEW" <<'PY'
import json, os, statistics, sys
new = sys.argv[1].split()
print("Accuracy: time MAPE % / power MAPE % over every mode of NEW, median (worst) over seeds")
print("| NEW | sampling | 10 modes | 20 modes | 30 modes | 50 modes |\n|---|---|---|---|---|---|")
for w in new:
    for s in ("random", "spread", "adaptive"):
        f = f"sampling/acc-{w}-{s}.json"
        if not os.path.exists(f): continue
        j = json.load(open(f))
        cells = {c["samples"]: c for c in j["results"] if c["method"] == "gp"}
        row = []
        for n in (10, 20, 30, 50):
            c = cells.get(n)
            if not c: row.append("-"); continue
            t, p = c["mape_time_pct_repeats"], c["mape_power_pct_repeats"]
            row.append(f"{statistics.median(t):.2f} ({max(t):.2f}) / {statistics.median(p):.2f} ({max(p):.2f})")
        print(f"| {w} | {s} | " + " | ".join(row) + " |")
print()
print("Recommendation after 20 profiled modes (25 budgets x repeats)")
print("| NEW | sampling | confirm | mean gap % | max gap % | within 5% | violations | no mode | confirm modes | time MAPE % | power MAPE % |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
agg = {}
for w in new:
    for s in ("random", "adaptive"):
        for k in ("0", "8"):
            f = f"sampling/rec-{w}-{s}-{k}.json"
            if not os.path.exists(f): continue
            j = json.load(open(f))
            c = [c for c in j["results"] if c["method"] == "gp"][0]
            print(f"| {w} | {s} | {k} | {c['mean_gap_pct']:.2f} | {c['max_gap_pct']:.2f} | {100*c['within_5pct']:.0f}% | "
                  f"{c['violations']}/{c['recommendations']} | {c['no_recommendation']} | {c['mean_confirm_measurements']:.1f} | "
                  f"{c['mape_time_pct']:.2f} | {c['mape_power_pct']:.2f} |")
            agg.setdefault((s, k), []).append(c)
print()
print("| sampling | confirm | mean gap % (average over workloads) | worst workload's mean gap % | within 5% | violations | max overshoot % |")
print("|---|---|---|---|---|---|---|")
for (s, k), cs in agg.items():
    n = sum(c['recommendations'] for c in cs)
    print(f"| {s} | {k} | {statistics.mean(c['mean_gap_pct'] for c in cs):.2f} | {max(c['mean_gap_pct'] for c in cs):.2f} | "
          f"{100*sum(c['within_5pct']*c['recommendations'] for c in cs)/n:.0f}% | {sum(c['violations'] for c in cs)}/{n} | "
          f"{max(c['max_violation_pct'] for c in cs):.2f} |")
PY
fi
