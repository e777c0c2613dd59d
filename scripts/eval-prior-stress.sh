#!/usr/bin/env bash
# Stress test of the gp transfer's bottleneck prior against a structure it cannot represent (docs/BENCHMARKS.md,
# "Profiling fewer modes", "Does the prior only fit the emulator?"). The emulator computes time and power with the
# same max-of-terms and voltage-knee shapes as the prior, which favours the prior on emulated data. Here every
# emulated profile is multiplied by smooth random fields over the four normalised log clocks (random Fourier
# features, fixed seeds): a device field shared by the reference and NEW (a board's own quirks) and a workload field
# for NEW only, each with a log-sd of about AMP for time and AMP/2 for power; then 20 adaptive modes are transferred with --prior none
# (the reference's prediction as offset) and --prior auto (the default), and the MAPE is against the distorted truth.
# All numbers are EMULATED and then distorted on purpose: nothing here was measured on a board.
#
# Usage: scripts/eval-prior-stress.sh [PROFILES_DIR] [OUT_DIR]
#   PROFILES_DIR: the profiles of `STEP=profiles scripts/eval-transfer.sh` (default eval-transfer-out)
# Environment: MODEWISE (default build/modewise), AMPS (default "0.03 0.06"), REPEATS (default 10), SAMPLES (20).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
M=${MODEWISE:-$ROOT/build/modewise}
case "$M" in /*) ;; *) M="$(pwd)/$M" ;; esac  # the evaluations run inside OUT_DIR
SRC=$(cd "${1:-eval-transfer-out}" && pwd)
OUT=${2:-prior-stress-out}
AMPS=${AMPS:-0.03 0.06}
REPEATS=${REPEATS:-10}
SAMPLES=${SAMPLES:-20}
WORKLOADS="resnet50 mobilenetv3 yolov8n bert-base lstm bert-large"
[ -f "$SRC/ref.csv" ] || { echo "eval-prior-stress.sh: no $SRC/ref.csv: run STEP=profiles scripts/eval-transfer.sh first" >&2; exit 1; }
mkdir -p "$OUT"
for amp in $AMPS; do
  d="$OUT/amp-$amp"
  mkdir -p "$d"
  [ -f "$d/ref.csv" ] || /usr/bin/python3 "$ROOT/scripts/distort_profiles.py" "$SRC" "$d" "$amp" ref.csv $(for w in $WORKLOADS; do echo "$w.csv"; done)
  for w in $WORKLOADS; do
    for p in none auto; do
      f="$d/acc-$w-$p.json"
      [ -s "$f" ] && continue
      echo "eval-prior-stress.sh: amp $amp $w --prior $p" >&2
      (cd "$d" && "$M" eval transfer --ref ref.csv --new "$w.csv" --samples "$SAMPLES" --repeats "$REPEATS" --methods gp \
        --budgets 10 --sampling adaptive --prior "$p" --json > "acc-$w-$p.json.tmp" 2>/dev/null) && mv "$f.tmp" "$f"
    done
  done
done
/usr/bin/python3 - "$OUT" "$AMPS" "$WORKLOADS" <<'PY'
import json, statistics, sys
out, amps, wls = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
print("| distortion (log-sd time / power) | workload | --prior none: time / power MAPE % | --prior auto (default) |")
print("|---|---|---|---|")
for amp in amps:
    for w in wls:
        cells = []
        for p in ("none", "auto"):
            r = json.load(open(f"{out}/amp-{amp}/acc-{w}-{p}.json"))["results"][0]
            t, pw = r["mape_time_pct_repeats"], r["mape_power_pct_repeats"]
            cells.append(f"{statistics.median(t):.2f} ({max(t):.2f}) / {statistics.median(pw):.2f} ({max(pw):.2f})")
        print(f"| {float(amp)*100:g}% / {float(amp)*50:g}% | {w} | {cells[0]} | {cells[1]} |")
PY
