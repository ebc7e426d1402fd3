#!/usr/bin/env bash
# One learning run per mode of a GILD script (seed 1), each its own process with one thread,
# at most $JOBS at a time. Usage: bash benchmarks/learning_gild.sh [script] [env] [steps]
# (defaults: gild_td3.py Hopper-sparse 100000). Each run's eval.csv lands under runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
script=${1:-gild_td3.py}; env=${2:-Hopper-sparse}; steps=${3:-100000}
py=${PYTHON:-.venv/bin/python}; export OMP_NUM_THREADS=1
logs=$(mktemp -d)
i=0
for mode in "rl" "il" "gild" "gild --gild-warm-start 0.01"; do
  $py "$script" --env "$env" --total-timesteps "$steps" --seed 1 --mode $mode > "$logs/$i.log" 2>&1 &
  i=$((i + 1))
  while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; do sleep 5; done
done
wait
grep -h "done:" "$logs"/*.log
