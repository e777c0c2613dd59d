#!/usr/bin/env python3
# Multiplies emulated profiles by smooth mode-dependent fields that the gp transfer's bottleneck prior cannot
# represent (scripts/eval-prior-stress.sh): a device field shared by ref.csv and every NEW (a board's own quirks)
# and a workload field per NEW file; random Fourier features over the four normalised log clocks, fixed seeds,
# each with a log-sd of about AMP for time and AMP/2 for power. energy_j is recomputed; every other column is kept.
# Usage: distort_profiles.py SRC_DIR DST_DIR AMP FILE.csv... (ref.csv gets the device field only)
import csv, math, random, sys
src, dst, amp = sys.argv[1], sys.argv[2], float(sys.argv[3])
files = sys.argv[4:]
def field(seed, k=6):
    r = random.Random(seed)
    feats = [([r.gauss(0, 3) for _ in range(4)], r.uniform(0, 2*math.pi)) for _ in range(k)]
    return lambda u: sum(math.cos(sum(w*x for w, x in zip(ws, u)) + ph) for ws, ph in feats) * math.sqrt(2.0/k)
rng = {'cores': (2, 12), 'cpu_mhz': (268.8, 2201.6), 'gpu_mhz': (114.75, 1300.5), 'emc_mhz': (204, 3199)}
def unit(row):
    out = []
    for c, (lo, hi) in rng.items():
        v = float(row[c]); out.append((math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)))
    return out
dev_t, dev_p = field(101), field(102)
for i, name in enumerate(files):
    wl_t, wl_p = field(200 + i), field(300 + i)
    rows = list(csv.DictReader(open(f"{src}/{name}")))
    with open(f"{dst}/{name}", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys()); w.writeheader()
        for row in rows:
            u = unit(row)
            ft = math.exp(amp * (dev_t(u) + (0 if name == 'ref.csv' else wl_t(u))))
            fp = math.exp(amp * 0.5 * (dev_p(u) + (0 if name == 'ref.csv' else wl_p(u))))
            row['time_ms'] = repr(float(row['time_ms']) * ft)
            row['power_w'] = repr(float(row['power_w']) * fp)
            row['energy_j'] = repr(float(row['time_ms']) * float(row['power_w']) / 1000.0)
            w.writerow(row)
