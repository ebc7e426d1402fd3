#!/usr/bin/env bash
# The CAIR study on FetchPush-v4 (docs/report.md, "CAIR as the paper specifies it"): one sweep folder, resumable.
# Usage: [OUT=folder] [WORKERS=n] bash benchmarks/cair_push_study.sh PART [seeds...]   (seeds default to 1 2 3)
#   ddpg       cair_ddpg --il bc, 150k: CAIR, fixed-step, CAGrad off, BC only, RL only
#   ddpg-unit  the same with unit gradients (--normalize-grads): CAIR and CAGrad off
#   ddpg-c     CAIR at c = 0.25 and 0.9 (the paper: c in [0.45, 0.95] behaves alike)
#   sac        cair_sac --il bc, 150k: CAIR, fixed-step, CAGrad off
#   sac-unit   CAIR on unit gradients, with alpha tuned and held at 1 (--no-autotune: does the temperature drive the fall?)
#   ppo        cair_ppo_dagger, 1M: CAIR with --il dagger, and plain PPO
#   all        ddpg, sac and ppo
# Running it again skips finished runs and resumes the others from their checkpoints (every 5k steps), so it can
# run in pieces; SIGTERM to its process group stops every run with a checkpoint. OUT defaults to sweeps/cair_push;
# keep a long study's folder outside the work tree. Then: python -m benchmarks.cair_claims OUT (the four claims).
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}; shift || true
seeds=${*:-1 2 3}
py=${PYTHON:-.venv/bin/python}
eval="--eval-episodes 50 --eval-freq 10000 --checkpoint-every 5000 --progress-interval 120"
sweep() {
  $py benchmarks/sweep.py --out "${OUT:-sweeps/cair_push}" --envs FetchPush-v4 --seeds $seeds --workers "${WORKERS:-2}" "$@"
}
cair="--lambda-schedule cair"
fixed="--lambda-schedule fixed-step --lambda-delta 0.2"  # Figure 3's fast step, at Algorithm 2's cadence
ddpg="--il bc --total-timesteps 150000 $eval"
case $part in
  ddpg|ddpg-unit|ddpg-c|sac|sac-unit|ppo|all) ;;
  *) echo "unknown part '$part': ddpg, ddpg-unit, ddpg-c, sac, sac-unit, ppo or all" >&2; exit 2 ;;
esac
if [[ $part == ddpg || $part == all ]]; then  # five modes: CAIR, CAGrad off, fixed-step, RL only, BC only
  sweep --scripts cair_ddpg.py --extra "$ddpg" \
    --modes "$cair" "$fixed" "--cagrad-c 0" "--lambda-schedule constant --cagrad-c 0" "--il none"
fi
if [[ $part == ddpg-unit ]]; then  # does combining unit gradients remove the dip below BC?
  sweep --scripts cair_ddpg.py --extra "$ddpg" --modes "$cair --normalize-grads" "--cagrad-c 0 --normalize-grads"
fi
if [[ $part == ddpg-c ]]; then
  sweep --scripts cair_ddpg.py --extra "$ddpg" --modes "$cair --cagrad-c 0.25" "$cair --cagrad-c 0.9"
fi
if [[ $part == sac || $part == all ]]; then
  sweep --scripts cair_sac.py --extra "--il bc --total-timesteps 150000 $eval" --modes "$cair" "$fixed" "--cagrad-c 0"
fi
if [[ $part == sac-unit ]]; then
  sweep --scripts cair_sac.py --extra "--il bc --total-timesteps 150000 $eval" \
    --modes "$cair --normalize-grads" "$cair --normalize-grads --no-autotune"
fi
if [[ $part == ppo || $part == all ]]; then  # PPO + DAgger: CAIR and plain PPO
  sweep --scripts cair_ppo_dagger.py --extra "--total-timesteps 1000000 $eval" --modes "--il dagger" "--il none"
fi
