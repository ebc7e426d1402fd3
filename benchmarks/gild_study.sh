#!/usr/bin/env bash
# The GILD study (issue: what the defaults do, the authors' weight decay 1e-4 included, and what it takes for a learned
# IL loss to help), resumable in pieces like benchmarks/cair_push_study.sh.
# Usage: bash benchmarks/gild_study.sh [point2d|hopper|hopper-decay|paths|point2d-others|hopper-others|meta-loss|sac-logdet]
#        [seeds...]
#   point2d  gild_td3.py on Point2D: rl, il, gild at weight decay 1e-4 (the authors' code's; the default: the paper
#            states none), 1e-5, 1e-6 and 0, and the authors' warm start (GILD for the first 1e4 updates); seeds 1-5,
#            $POINT2D_STEPS steps (default 15000: on a pilot seed, 0, rl and il reach the goal by 4k-6k), learning from
#            step 1000 (episodes last at most 100 steps).
#   hopper   gild_td3.py on Hopper-sparse: rl, il, gild (default decay 1e-4), gild at $DECAY (the best decay on
#            Point2D; default 0) and the authors' warm start; seeds 1-3, $HOPPER_STEPS steps (default 200000).
#   hopper-decay  whether GILD stays alive on Hopper-sparse at the default decay 1e-4 and smaller ones (1e-6, 1e-7,
#            0): seed 0 (a pilot seed, not one of the study's), 30k steps (20k of learning); read the gild/*
#            diagnostics, not the returns.
#   paths    Figure 4 (left): rl, il, gild and gild at $DECAY on Point2D, seed 1, policy snapshots at 2k, 5k, 10k steps
#            and $POINT2D_STEPS.
#   point2d-others  gild_sac.py and gild_ddpg.py on Point2D, seed 1 (the issue's "one seed each"): rl, il, gild and
#            gild at $DECAY, as in point2d.
#   hopper-others   gild_sac.py and gild_ddpg.py on Hopper-sparse, seed 1: il and gild at $DECAY, as in hopper.
#   meta-loss  the paper's Table 2 ablation on Point2D: gild_td3.py with the intuitive meta-loss E[Q(s, phi'(s))] at
#            $DECAY (default 1e-5, where GILD stays alive), seeds 1-5, as in point2d; Eq. (8) at 1e-5 is point2d's.
#   sac-logdet  gild_sac.py on Point2D with the authors' exact tanh log-determinant (--exact-tanh-logdet): rl and gild
#            at $DECAY (default 1e-5), seed 1, beside point2d-others' runs.
# Every GILD run logs the diagnostics (gild/*) every 1000 steps. Figures: benchmarks/plot.py on sweeps/gild_*.
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-point2d}; shift || true
py=${PYTHON:-.venv/bin/python}
sweep() { $py benchmarks/sweep.py --workers "${WORKERS:-2}" "$@"; }
point2d_extra="--total-timesteps ${POINT2D_STEPS:-15000} --learning-starts 1000 --eval-freq 1000 --checkpoint-every 5000"
hopper_extra="--total-timesteps ${HOPPER_STEPS:-200000} --checkpoint-every 10000 --progress-interval 120"
gild_modes=("--mode gild" "--mode gild --gild-weight-decay 1e-5" "--mode gild --gild-weight-decay 1e-6"
  "--mode gild --gild-weight-decay 0" "--mode gild --gild-warm-start-updates 10000")
case $part in
  point2d)
    sweep --scripts gild_td3.py --out sweeps/gild_point2d --envs Point2D --seeds ${*:-1 2 3 4 5} \
      --modes "--mode rl" "--mode il" "${gild_modes[@]}" --extra "$point2d_extra" ;;
  point2d-others)
    sweep --scripts gild_sac.py gild_ddpg.py --out sweeps/gild_point2d_others --envs Point2D --seeds ${*:-1} \
      --modes "--mode rl" "--mode il" "--mode gild" "--mode gild --gild-weight-decay ${DECAY:-0}" --extra "$point2d_extra" ;;
  hopper)
    sweep --scripts gild_td3.py --out sweeps/gild_hopper --envs Hopper-sparse --seeds ${*:-1 2 3} \
      --modes "--mode rl" "--mode il" "--mode gild" "--mode gild --gild-weight-decay ${DECAY:-0}" \
      "--mode gild --gild-warm-start-updates 10000" --extra "$hopper_extra" ;;
  hopper-decay)
    sweep --scripts gild_td3.py --out sweeps/gild_hopper_decay --envs Hopper-sparse --seeds ${*:-0} \
      --modes "--mode gild" "--mode gild --gild-weight-decay 1e-6" "--mode gild --gild-weight-decay 1e-7" \
      "--mode gild --gild-weight-decay 0" \
      --extra "--total-timesteps 30000 --checkpoint-every 10000 --progress-interval 120" ;;
  hopper-others)
    sweep --scripts gild_sac.py gild_ddpg.py --out sweeps/gild_hopper_others --envs Hopper-sparse --seeds ${*:-1} \
      --modes "--mode il" "--mode gild --gild-weight-decay ${DECAY:-0}" --extra "$hopper_extra" ;;
  meta-loss)
    sweep --scripts gild_td3.py --out sweeps/gild_point2d_meta_loss --envs Point2D --seeds ${*:-1 2 3 4 5} \
      --modes "--mode gild --gild-weight-decay ${DECAY:-1e-5} --meta-loss intuitive" --extra "$point2d_extra" ;;
  sac-logdet)
    sweep --scripts gild_sac.py --out sweeps/gild_point2d_meta_loss --envs Point2D --seeds ${*:-1} \
      --modes "--mode gild --gild-weight-decay ${DECAY:-1e-5} --exact-tanh-logdet" "--mode rl --exact-tanh-logdet" \
      --extra "$point2d_extra" ;;
  paths)
    $py -m benchmarks.point2d_paths train --out sweeps/gild_point2d_paths --steps 2000 5000 10000 "${POINT2D_STEPS:-15000}" \
      --modes "--mode rl" "--mode il" "--mode gild" "--mode gild --gild-weight-decay ${DECAY:-0}" --seed "${1:-1}" \
      --extra "--learning-starts 1000"
    $py -m benchmarks.point2d_paths plot sweeps/gild_point2d_paths --out docs/figures/gild_point2d_paths.png ;;
  *) echo "usage: bash benchmarks/gild_study.sh PART [seeds...]; PART: point2d, hopper, hopper-decay, paths," \
      "point2d-others, hopper-others, meta-loss or sac-logdet" >&2
    exit 2 ;;
esac
