#!/usr/bin/python3
"""Checks the fleet manifests with a YAML parser (python3-yaml): what docs/FLEET.md promises about them.

Usage: check_manifests.py DIR  (exit 0: fine; 1: a problem, printed; 77: no YAML parser here)
"""
import re
import sys

try:
    import yaml
except ImportError:
    print("python3-yaml is not installed (scripts/install-deps.sh installs it)")
    sys.exit(77)

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


d = sys.argv[1]
fleet = list(yaml.safe_load_all(open(f"{d}/modewise-fleet.yaml")))
merge = list(yaml.safe_load_all(open(f"{d}/modewise-merge.yaml")))
jobs = [x for x in fleet if x and x.get("kind") == "Job"]
pvcs = [x for x in fleet if x and x.get("kind") == "PersistentVolumeClaim"]
check(len(jobs) == 1, "modewise-fleet.yaml: expected one Job")
check(len(pvcs) == 1, "modewise-fleet.yaml: expected the results PersistentVolumeClaim")
job = jobs[0]
spec = job["spec"]
check(job["apiVersion"] == "batch/v1", "profile Job: apiVersion batch/v1")
check(spec.get("completionMode") == "Indexed", "profile Job: completionMode Indexed (JOB_COMPLETION_INDEX)")
n = spec.get("completions")
check(isinstance(n, int) and n >= 1, "profile Job: completions N")
check(spec.get("parallelism") == n, "profile Job: parallelism == completions")
pod = spec["template"]["spec"]
check(pod.get("restartPolicy") == "Never", "profile pod: restartPolicy Never")
sel = pod.get("nodeSelector", {})
check(any("gpu.product" in k or "jetson" in k.lower() for k in sel), "profile pod: nodeSelector on the Jetson model label")
(c,) = pod["containers"]
check(c.get("securityContext", {}).get("privileged") is True, "profile container: privileged")
script = " ".join(c.get("command", []) + c.get("args", []))
m = re.search(r"--shard auto/(\d+)", script)
check(m is not None and int(m.group(1)) == n, f"profile container: --shard auto/N with N = completions ({n})")
check("--db" in script and "profile" in script, "profile container: modewise --db ... profile")
mounts = {v["name"]: v["mountPath"] for v in c.get("volumeMounts", [])}
vols = {v["name"]: v for v in pod.get("volumes", [])}
sys_vols = [name for name, p in mounts.items() if p == "/sys"]
check(len(sys_vols) == 1 and vols.get(sys_vols[0], {}).get("hostPath", {}).get("path") == "/sys",
      "profile pod: the host's /sys mounted at /sys")
stores = [name for name, p in mounts.items() if p != "/sys" and "hostPath" in vols.get(name, {})]
check(len(stores) >= 1, "profile pod: the store on a hostPath volume")
check(any("persistentVolumeClaim" in vols.get(name, {}) for name in mounts), "profile pod: the shared results volume")

mjobs = [x for x in merge if x and x.get("kind") == "Job"]
check(len(mjobs) == 1, "modewise-merge.yaml: expected one Job")
mscript = " ".join(mjobs[0]["spec"]["template"]["spec"]["containers"][0].get("args", []))
check("db merge" in mscript and "db export" in mscript, "merge Job: db merge then db export")
claim = pvcs[0]["metadata"]["name"] if pvcs else None
mvols = mjobs[0]["spec"]["template"]["spec"].get("volumes", [])
check(any(v.get("persistentVolumeClaim", {}).get("claimName") == claim for v in mvols),
      "merge Job: mounts the results claim of the profile Job")

for p in problems:
    print("problem:", p)
sys.exit(1 if problems else 0)
