#!/usr/bin/env bash
# GILD's cost against its own script's plain RL, measured in pairs: the same command with --mode rl, then with
# --mode gild, repeated, one thread; the figure is the median over the pairs of the ratio of the two runs' time per
# learning step (after 1000 random steps; evaluation excluded), so that a change in the machine's speed during the
# command moves both runs of a pair alike. Usage: bash benchmarks/speed_paired.sh ["scripts"] [env] [learning steps] [pairs]
#   (defaults: "gild_td3.py gild_sac.py gild_ddpg.py" Hopper-sparse 1500 5; MODE="gild --gild-warm-start 0.01" for another).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts=${1:-gild_td3.py gild_sac.py gild_ddpg.py}; env=${2:-Hopper-sparse}; steps=${3:-1500}; pairs=${4:-5}
py=${PYTHON:-$PWD/.venv/bin/python}
export OMP_NUM_THREADS=1
demo=$(mktemp -d)
# Speed does not depend on what the demonstrations say: 5000 random (s, a) pairs of the task's shape.
$py -m benchmarks.random_demos "$env" "$demo/demos.npz"
common=(--env "$env" --learning-starts 1000 --total-timesteps $((steps + 1000)) --eval-freq 100000000 --seed 1
  --demo-path "$demo/demos.npz")
sps() { (cd "$demo" && $py "$OLDPWD/$1" "${common[@]}" --mode $2 | sed -nE 's/.*; ([0-9.]+) steps\/s while learning.*/\1/p'); }
cpu=$(lscpu | sed -n 's/^Model name: *//p')
echo "machine: $(nproc --all) cores, $cpu, torch threads 1; $env, $steps learning steps per run"
for script in $scripts; do
  ratios=()
  for k in $(seq "$pairs"); do
    rl=$(sps "$script" rl); gild=$(sps "$script" "${MODE:-gild}")
    ratios+=("$(awk "BEGIN{printf \"%.3f\", $rl / $gild}")")
    echo "$script pair $k: rl $rl steps/s, ${MODE:-gild} $gild steps/s, ratio ${ratios[-1]}"
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  echo "$script: median ratio $median over $pairs pairs"
done
rm -rf "$demo"
