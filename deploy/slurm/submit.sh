#!/bin/bash
# Submit a fleet campaign to Slurm: the job array of N shards, then the merge job once every shard has ended.
#   MODEWISE_WORKLOAD=resnet50 MODEWISE_RESULTS_DIR=/shared/modewise/r50 deploy/slurm/submit.sh 16 [sbatch options]
# Every MODEWISE_* variable of profile-array.sbatch can be set in the environment (sbatch exports it).
# Prints "ARRAY_JOB_ID MERGE_JOB_ID" on stdout.
set -euo pipefail
n=${1:?usage: submit.sh N [sbatch options...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
export MODEWISE_SHARDS=$n
array=$(sbatch --parsable --array="0-$((n - 1))" "$@" "$here/profile-array.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" "$@" "$here/merge.sbatch")
echo "modewise: job array $array ($n shards), merge job $merge" >&2
echo "$array $merge"
