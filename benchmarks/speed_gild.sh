#!/usr/bin/env bash
# Steps/s of each GILD mode on one task, measured one after the other in one command, one thread.
# Usage: bash benchmarks/speed_gild.sh [script] [env] [learning steps]   (defaults: gild_td3.py Hopper-sparse 5000)
# The figure is the learning phase only (after 1000 random steps), evaluation excluded.
set -euo pipefail
cd "$(dirname "$0")/.."
script=${1:-gild_td3.py}; env=${2:-Hopper-sparse}; steps=${3:-5000}
py=${PYTHON:-$PWD/.venv/bin/python}
export OMP_NUM_THREADS=1
demo=$(mktemp -d)
# Speed does not depend on what the demonstrations say: 5000 random (s, a) pairs of the task's shape.
$py -c "
import sys, numpy as np, gymnasium as gym; sys.path.insert(0, '.'); import demonstrators
e = gym.make('$env'.replace('-sparse', '-v5')); n = 5000
demonstrators.save_demonstrations('$demo/demos.npz', np.random.default_rng(0).normal(size=(n, e.observation_space.shape[0])),
                                  np.random.default_rng(1).uniform(-1, 1, size=(n, e.action_space.shape[0])))"
common=(--env "$env" --learning-starts 1000 --total-timesteps $((steps + 1000)) --eval-freq 100000000 --seed 1 --demo-path "$demo/demos.npz")
declare -A sps
for mode in "rl" "il" "gild" "gild --meta-every-iteration" "gild --gild-warm-start 0.01"; do
  line=$(cd "$demo" && $py "$OLDPWD/$script" "${common[@]}" --mode $mode | grep "steps/s while learning")
  sps[$mode]=$(echo "$line" | sed -E 's/.*; ([0-9.]+) steps\/s.*/\1/')
done
echo "machine: $(nproc --all) cores, $(lscpu | sed -n 's/^Model name: *//p'), torch threads 1"
echo "$script on $env, $steps learning steps each (1000 random steps first)"
printf "%-40s %10s %10s\n" mode "steps/s" "x rl time"
for mode in "rl" "il" "gild" "gild --meta-every-iteration" "gild --gild-warm-start 0.01"; do
  printf "%-40s %10s %10.2f\n" "$mode" "${sps[$mode]}" "$(awk "BEGIN{print ${sps[rl]} / ${sps[$mode]}}")"
done
rm -rf "$demo"
