#!/usr/bin/env bash
# Every script on CUDA beside the same run on one CPU core (--no-cuda --threads 1), a short budget each,
# and a stop-and-resume on CUDA. The CPU runs go in parallel (one core each), the CUDA runs one after the other.
# Usage: bash benchmarks/speed_device.sh OUT [learning steps, default 2000]   (PPO: 16 x as many steps)
# Prints one table (learning steps/s, evaluation excluded; GILD in gild mode on Hopper-sparse, CAIR with BC
# on FetchPush-v4, PPO with DAgger); every run's log is in OUT/.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "$1"); steps=${2:-2000}; py=${PYTHON:-python3}; root=$PWD
mkdir -p "$out/work"
export OMP_NUM_THREADS=1 PYTHONPATH=$PWD DEMONSTRATORS_CACHE=$out/work/cache
gild="--env Hopper-sparse --mode gild --demo-episodes 2 --learning-starts 1000 --total-timesteps $((steps + 1000))"
cair="--env Push --il bc --demo-episodes 100 --learning-starts 1000 --total-timesteps $((steps + 1000))"
ppo="--env Push --il dagger --demo-episodes 100 --total-timesteps $((steps * 16))"
declare -A flags=([gild_td3.py]=$gild [gild_sac.py]=$gild [gild_ddpg.py]=$gild [cair_ddpg.py]=$cair [cair_sac.py]=$cair
  [cair_ppo_dagger.py]=$ppo)
scripts="gild_td3.py gild_sac.py gild_ddpg.py cair_ddpg.py cair_sac.py cair_ppo_dagger.py"
common="--eval-freq 100000000 --checkpoint-every 0 --progress-interval 0 --threads 1"
# the offline sets first, once (the runs would otherwise build them side by side)
(cd "$out/work" && $py -c "import demonstrators; demonstrators.offline_dataset('FetchPush-v4', 100, 1)" >/dev/null)
for s in $scripts; do
  (mkdir -p "$out/work/cpu-$s" && cd "$out/work/cpu-$s" && $py "$root/$s" ${flags[$s]} $common --no-cuda \
    >"$out/cpu-$s.log" 2>&1) &
done
for s in $scripts; do
  (mkdir -p "$out/work/cuda-$s" && cd "$out/work/cuda-$s" && $py "$root/$s" ${flags[$s]} $common >"$out/cuda-$s.log" 2>&1)
done
wait
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader)
echo "machine: $(nproc --all) cores, $(lscpu | sed -n 's/^Model name: *//p'); $gpu"
printf "%-20s %-48s %12s %12s %8s\n" script flags "cpu steps/s" "cuda steps/s" "cuda/cpu"
for s in $scripts; do
  c=$(sed -nE 's/.*; ([0-9.]+) steps\/s while learning.*/\1/p' "$out/cpu-$s.log")
  g=$(grep -q "; cuda, " "$out/cuda-$s.log" && sed -nE 's/.*; ([0-9.]+) steps\/s while learning.*/\1/p' "$out/cuda-$s.log")
  printf "%-20s %-48s %12s %12s %8s\n" "$s" "$(echo "${flags[$s]}" | cut -c1-48)" "${c:-failed}" "${g:-failed}" \
    "$( [ -n "$c" ] && [ -n "$g" ] && awk "BEGIN{printf \"%.2f\", $g / $c}")"
done
# stop and resume on CUDA: SIGTERM once the first evaluation is printed, then --resume to the end
cd "$out/work" && mkdir -p resume && cd resume
$py -u "$root/gild_td3.py" $gild --eval-freq 500 --progress-interval 0 >"$out/resume.log" 2>&1 &
pid=$!
until grep -q "evaluation at step" "$out/resume.log" || ! kill -0 $pid 2>/dev/null; do sleep 0.5; done
kill -TERM $pid; wait $pid; echo "CUDA stop: exit $? ($(grep -o 'SIGTERM: stopped at step [0-9]*' "$out/resume.log"))"
$py "$root/gild_td3.py" --resume runs/* >>"$out/resume.log" 2>&1; echo "CUDA resume: exit $?; $(tail -1 "$out/resume.log")"
