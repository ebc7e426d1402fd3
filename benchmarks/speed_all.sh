#!/usr/bin/env bash
# Steps/s of every script and mode, each on one task, in one command (one run after the other, one
# torch thread): the GILD scripts on Hopper-sparse, then the CAIR scripts on FetchPush-v4.
# Usage: bash benchmarks/speed_all.sh [GILD learning steps] [CAIR off-policy learning steps]
#   (defaults 2000 and 1000; PPO runs PPO_STEPS=8192, four rollouts). The tables it prints are in
#   docs/report.md with the machine they ran on.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== GILD =="
bash benchmarks/speed_gild.sh "gild_td3.py gild_sac.py gild_ddpg.py" Hopper-sparse "${1:-2000}"
echo "== CAIR =="
bash benchmarks/speed_cair.sh "cair_sac.py cair_ddpg.py cair_ppo_dagger.py" FetchPush-v4 "${2:-1000}"
