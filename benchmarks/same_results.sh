#!/usr/bin/env bash
# One short run of every script (seed 1, one thread), then a digest of each eval.csv with the
# wall-clock column dropped. Run it before and after a change that must not change behaviour and
# compare the digests:   bash benchmarks/same_results.sh OUT_DIR   (prints one line per script)
set -euo pipefail
out=$(realpath -m "${1:-/tmp/same_results}")
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$root/.venv/bin/python}
mkdir -p "$out"
export OMP_NUM_THREADS=1 DEMONSTRATORS_CACHE="$out/cache" PYTHONPATH="$root"
OFF="--total-timesteps 1500 --learning-starts 500 --eval-freq 500 --eval-episodes 2 --seed 1"
run() {  # name script args...
  local name=$1 script=$2; shift 2
  rm -rf "$out/$name" && mkdir -p "$out/$name"
  (cd "$out/$name" && "$py" "$root/$script" "$@" > log.txt 2>&1)
  local csv=$(ls "$out/$name"/runs/*/eval.csv)
  # drop the wall-clock column(s)
  python3 - "$csv" > "$out/$name/eval_nowall.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
keep = [i for i, c in enumerate(rows[0]) if "wall" not in c]
for r in rows:
    print(",".join(r[i] for i in keep))
PY
  echo "$name $(sha256sum < "$out/$name/eval_nowall.csv" | cut -c1-16) $(tail -1 "$out/$name/eval_nowall.csv")"
}
run gild_td3 gild_td3.py --env Hopper-sparse $OFF --batch-size 64 --demo-episodes 2
run gild_sac gild_sac.py --env Hopper-sparse $OFF --batch-size 64 --demo-episodes 2
run gild_ddpg gild_ddpg.py --env Hopper-sparse $OFF --batch-size 64 --demo-episodes 2
run cair_ddpg cair_ddpg.py --env Push $OFF --batch-size 64 --hidden 64 --demo-episodes 4 --il dagger
run cair_sac cair_sac.py --env PickAndPlace $OFF --batch-size 64 --hidden 64 --demo-episodes 4
run cair_ppo_dagger cair_ppo_dagger.py --env Push --total-timesteps 2048 --num-envs 2 --num-steps 256 \
  --minibatch-size 128 --update-epochs 2 --eval-freq 1024 --eval-episodes 2 --hidden 64 --demo-episodes 4 --seed 1
