#!/usr/bin/env bash
# Steps/s of each CAIR script on one task: plain RL (--il none, lambda = 0), CAIR with CAGrad off
# (--cagrad-c 0) and full CAIR, measured one after the other in one command, one thread.
# Usage: bash benchmarks/speed_cair.sh ["scripts"] [env] [learning steps]
#   (defaults: "cair_sac.py cair_ddpg.py cair_ppo_dagger.py" FetchPush-v4 2000; PPO runs
#   PPO_STEPS=8192, four rollouts; MODES="..." with modes separated by commas to choose others).
#   Off-policy figures are the learning phase only (after 100 random steps); all exclude evaluation
#   and the demonstrator rollouts. "x plain" is the time per step relative to the script's first mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts=${1:-cair_sac.py cair_ddpg.py cair_ppo_dagger.py}; env=${2:-FetchPush-v4}; steps=${3:-2000}
py=${PYTHON:-$PWD/.venv/bin/python}
export OMP_NUM_THREADS=1
work=$(mktemp -d)
echo "machine: $(nproc --all) cores, $(lscpu | sed -n 's/^Model name: *//p'), torch threads 1"
printf "%-20s %-26s %8s %10s %8s\n" script mode steps "steps/s" "x plain"
for script in $scripts; do
  if [ "$script" = cair_ppo_dagger.py ]; then
    common=(--env "$env" --total-timesteps "${PPO_STEPS:-8192}" --eval-freq 100000000 --seed 1)
    default="--il none,--il dagger --cagrad-c 0,--il dagger"
  else
    common=(--env "$env" --learning-starts 100 --total-timesteps $((steps + 100)) --eval-freq 100000000 --seed 1)
    default="--il none,--il bc --cagrad-c 0,--il bc,--il dagger"
  fi
  IFS=, read -ra modes <<< "${MODES:-$default}"
  base=""
  for mode in "${modes[@]}"; do
    line=$(cd "$work" && $py "$OLDPWD/$script" "${common[@]}" $mode 2> "$work/err" | grep "steps/s while learning") \
      || { cat "$work/err"; exit 1; }
    sps=$(echo "$line" | sed -E 's/.*; ([0-9.]+) steps\/s.*/\1/')
    n=$(echo "$line" | sed -E 's/done: ([0-9]+) steps.*/\1/')
    base=${base:-$sps}
    printf "%-20s %-26s %8s %10s %8.2f\n" "$script" "$env $mode" "$n" "$sps" "$(awk "BEGIN{print $base / $sps}")"
  done
done
rm -rf "$work"
