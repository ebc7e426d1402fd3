#!/usr/bin/env bash
# The CAIR study on FetchPush-v4 with --il bc (docs/report.md, "CAIR as the paper specifies it"): one sweep
# folder, sweeps/cair_push, resumable. Usage: bash benchmarks/cair_push_study.sh [ddpg|sac|ppo|all] [seeds...]
# (defaults: all, seeds 1 2 3). Running it again skips finished runs and resumes the others from their
# checkpoints, so it can be run in pieces that fit a session; SIGTERM to its process group stops every run
# with a checkpoint. Then: python -m benchmarks.cair_claims sweeps/cair_push (the four claims, with numbers).
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}; shift || true
seeds=${*:-1 2 3}
py=${PYTHON:-.venv/bin/python}
eval="--eval-episodes 50 --eval-freq 10000 --checkpoint-every 10000 --progress-interval 120"
sweep() { $py benchmarks/sweep.py --out sweeps/cair_push --envs FetchPush-v4 --seeds $seeds --workers "${WORKERS:-2}" "$@"; }
cair="--lambda-schedule cair"
fixed="--lambda-schedule fixed-step --lambda-delta 0.2"  # Figure 3's fast step, at Algorithm 2's cadence
if [[ $part == ddpg || $part == all ]]; then  # five modes: CAIR, CAGrad off, fixed-step, RL only, BC only
  sweep --scripts cair_ddpg.py --extra "--il bc --total-timesteps 150000 $eval" \
    --modes "$cair" "$fixed" "--cagrad-c 0" "--lambda-schedule constant --cagrad-c 0" "--il none"
fi
if [[ $part == sac || $part == all ]]; then
  sweep --scripts cair_sac.py --extra "--il bc --total-timesteps 150000 $eval" --modes "$cair" "$fixed" "--cagrad-c 0"
fi
if [[ $part == ppo || $part == all ]]; then  # PPO + DAgger: CAIR and plain PPO
  sweep --scripts cair_ppo_dagger.py --extra "--total-timesteps 1000000 $eval" --modes "--il dagger" "--il none"
fi
