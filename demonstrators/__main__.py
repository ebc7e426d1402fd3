"""`python -m demonstrators export MODEL ENV_ID` | `python -m demonstrators measure ENV_ID`."""
import argparse

from demonstrators import locomotion

p = argparse.ArgumentParser(description="export a behaviour policy, or measure a shipped one")
sub = p.add_subparsers(dest="cmd", required=True)
e = sub.add_parser("export", help="weights/<env-id>.npz from the actor of a gild_td3.py --save-model file")
e.add_argument("model_path")
e.add_argument("env_id")
m = sub.add_parser("measure", help="mean dense return of a shipped behaviour policy")
m.add_argument("env_id")
m.add_argument("--episodes", type=int, default=10)
m.add_argument("--seed", type=int, default=0)
a = p.parse_args()
if a.cmd == "export":
    print("wrote", locomotion.export_actor(a.model_path, a.env_id))
else:
    s, _, r = locomotion.rollout(a.env_id, a.episodes, a.seed, with_returns=True)
    print(f"{a.env_id}: dense return {r.mean():.1f} +- {r.std():.1f} over {a.episodes} episodes, {len(s)} (s, a) pairs")
