#!/usr/bin/env bash
# A throwaway single-node Slurm cluster for tests (docs/FLEET.md): munged, slurmctld and slurmd started directly
# (no systemd, no cgroups: proctrack/linuxproc, task/none), as root or as an ordinary user, with a generated
# slurm.conf, a fresh munge key and free ports, everything under DIR. Runs COMMAND with SLURM_CONF pointing at the
# cluster, then kills the daemons whatever happened (trap on EXIT, INT, TERM).
#
#   scripts/slurm-test-cluster.sh DIR COMMAND [ARGS...]
#
# Exit status: COMMAND's; 77 when the cluster cannot be started here (Slurm or munge not installed, a daemon that
# does not come up): the reason is written to DIR/skip_reason and stderr, so a test can skip and say why.
set -uo pipefail

dir=${1:?usage: slurm-test-cluster.sh DIR COMMAND [ARGS...]}
shift
[ $# -ge 1 ] || { echo "usage: slurm-test-cluster.sh DIR COMMAND [ARGS...]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

skip() {
  echo "$*" > "$dir/skip_reason"
  echo "slurm-test-cluster: cannot start a Slurm cluster here: $*" >&2
  exit 77
}

# Daemons may live in /usr/sbin, which is not on every PATH.
export PATH="$PATH:/usr/sbin:/sbin"
for tool in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
  command -v "$tool" >/dev/null || skip "'$tool' is not installed (Debian packages slurm-wlm and munge: scripts/install-deps.sh installs them with WITH_SLURM=1 or CI=true)"
done

pids=()
cleanup() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -s "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  # Job steps left behind (a job still running when COMMAND failed): slurmstepd processes of this cluster.
  for p in $(pgrep -f "slurmstepd.*" 2>/dev/null); do
    grep -qs "$dir" "/proc/$p/environ" && kill -9 "$p" 2>/dev/null
  done
  return 0
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free TCP port: a random start, then the first port nothing listens on.
free_port() {
  local p=$((20000 + RANDOM % 20000))
  for _ in $(seq 200); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
    p=$((p + 1))
  done
  echo 0
}

user=$(id -un)
host=$(hostname -s 2>/dev/null || hostname)
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/jobs"
chmod 700 "$dir/munge"

# munge: its own key, socket, pid and log under DIR (--force: munged refuses some setups, e.g. root, without it).
head -c 1024 /dev/urandom > "$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
  >"$dir/munge/munged.out" 2>&1 || skip "munged did not start: $(tail -n 3 "$dir/munge/munged.out" "$dir/munge/munged.log" 2>/dev/null | tr '\n' ' ')"
for _ in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$dir/munge/munge.socket" ] || skip "munged did not create its socket: $(tail -n 3 "$dir/munge/munged.log" 2>/dev/null | tr '\n' ' ')"

ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
cpus=4  # job array tasks run side by side even on a 2-core machine (config_overrides: the node is not checked)
cat > "$dir/slurm.conf" <<CONF
ClusterName=modewise-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$dir/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$dir/slurmd.out" 2>&1 &
pids+=($!)

# Up when the node is idle (or mixed/allocated) in sinfo.
state=""
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1)
  case "$state" in idle*|mixed*|alloc*) break ;; esac
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || skip "a Slurm daemon exited: $(tail -n 3 "$dir/slurmctld.out" "$dir/slurmd.out" "$dir/slurmctld.log" "$dir/slurmd.log" 2>/dev/null | tr '\n' ' ')"; done
  sleep 0.2
done
case "$state" in
  idle*|mixed*|alloc*) ;;
  *) skip "the Slurm node did not become idle within 20 s (state '$state'): $(tail -n 3 "$dir/slurmctld.log" "$dir/slurmd.log" 2>/dev/null | tr '\n' ' ')" ;;
esac

"$@"
