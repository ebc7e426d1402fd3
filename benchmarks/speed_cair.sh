#!/usr/bin/env bash
# Steps/s of each CAIR script on one task: plain RL (--il none, lambda = 0), CAIR with CAGrad off
# (--cagrad-c 0), full CAIR, measured one after the other in one command, one thread.
# Usage: bash benchmarks/speed_cair.sh ["scripts"] [env] [learning steps]
#   (defaults: "cair_sac.py cair_ddpg.py" FetchPush-v4 3000; MODES="..." with modes separated by
#   commas to choose others). The figure is the learning phase only (after 100 random steps),
#   evaluation and the demonstrator rollouts excluded; "x plain" is the time per step relative to
#   the same script's first mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts=${1:-cair_sac.py cair_ddpg.py}; env=${2:-FetchPush-v4}; steps=${3:-3000}
py=${PYTHON:-$PWD/.venv/bin/python}
export OMP_NUM_THREADS=1
IFS=, read -ra modes <<< "${MODES:---il none,--il bc --cagrad-c 0,--il bc,--il dagger}"
work=$(mktemp -d)
common=(--env "$env" --learning-starts 100 --total-timesteps $((steps + 100)) --eval-freq 100000000 --seed 1)
echo "machine: $(nproc --all) cores, $(lscpu | sed -n 's/^Model name: *//p'), torch threads 1"
echo "$env, $steps learning steps each (100 random steps first)"
printf "%-14s %-26s %10s %8s\n" script mode "steps/s" "x plain"
for script in $scripts; do
  base=""
  for mode in "${modes[@]}"; do
    line=$(cd "$work" && $py "$OLDPWD/$script" "${common[@]}" $mode 2> "$work/err" | grep "steps/s while learning") \
      || { cat "$work/err"; exit 1; }
    sps=$(echo "$line" | sed -E 's/.*; ([0-9.]+) steps\/s.*/\1/')
    base=${base:-$sps}
    printf "%-14s %-26s %10s %8.2f\n" "$script" "$mode" "$sps" "$(awk "BEGIN{print $base / $sps}")"
  done
done
rm -rf "$work"
