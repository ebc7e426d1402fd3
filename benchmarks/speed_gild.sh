#!/usr/bin/env bash
# Steps/s of each GILD script and mode on one task, measured one after the other in one command,
# one thread. Usage: bash benchmarks/speed_gild.sh ["scripts"] [env] [learning steps]
#   (defaults: "gild_td3.py gild_sac.py gild_ddpg.py" Hopper-sparse 5000; MODES="rl gild" to
#   measure only those). The figure is the learning phase only (after 1000 random steps),
#   evaluation excluded; "x rl" is the time per step relative to the same script's rl mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts=${1:-gild_td3.py gild_sac.py gild_ddpg.py}; env=${2:-Hopper-sparse}; steps=${3:-5000}
py=${PYTHON:-$PWD/.venv/bin/python}
export OMP_NUM_THREADS=1
demo=$(mktemp -d)
# Speed does not depend on what the demonstrations say: 5000 random (s, a) pairs of the task's shape.
$py -m benchmarks.random_demos "$env" "$demo/demos.npz"
common=(--env "$env" --learning-starts 1000 --total-timesteps $((steps + 1000)) --eval-freq 100000000 --seed 1
  --demo-path "$demo/demos.npz")
echo "machine: $(nproc --all) cores, $(lscpu | sed -n 's/^Model name: *//p'), torch threads 1"
echo "$env, $steps learning steps each (1000 random steps first)"
printf "%-14s %-32s %10s %8s\n" script mode "steps/s" "x rl"
for script in $scripts; do
  modes=("rl" "il" "gild" "gild --gild-warm-start 0.01")
  [ "$script" = gild_td3.py ] && modes+=("gild --meta-every-iteration")
  [ -n "${MODES:-}" ] && read -ra modes <<< "$MODES"
  rl=""
  for mode in "${modes[@]}"; do
    line=$(cd "$demo" && $py "$OLDPWD/$script" "${common[@]}" --mode $mode | grep "steps/s while learning")
    sps=$(echo "$line" | sed -E 's/.*; ([0-9.]+) steps\/s.*/\1/')
    rl=${rl:-$sps}
    printf "%-14s %-32s %10s %8.2f\n" "$script" "$mode" "$sps" "$(awk "BEGIN{print $rl / $sps}")"
  done
done
rm -rf "$demo"
