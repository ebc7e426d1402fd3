"""`python -m demonstrators export MODEL ENV_ID` | `python -m demonstrators measure ENV_ID` |
`python -m demonstrators measure-robotics ENV_ID [--episodes 200] [--expert] [--noise 0]`."""
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
r = sub.add_parser("measure-robotics", help="success rate of a rule-based demonstrator (Fetch, Adroit Hammer)")
r.add_argument("env_id")
r.add_argument("--episodes", type=int, default=200)
r.add_argument("--seed", type=int, default=0)
r.add_argument("--expert", action="store_true", help="the expert: the same controller without the demonstrator's flaw")
r.add_argument("--noise", type=float, default=None, help="override the acting noise (0: the noise-free controller)")
a = p.parse_args()
if a.cmd == "export":
    print("wrote", locomotion.export_actor(a.model_path, a.env_id))
elif a.cmd == "measure-robotics":
    from demonstrators import robotics

    rate = robotics.measure_success(a.env_id, a.episodes, a.seed, expert=a.expert, noise=a.noise)
    who = "expert" if a.expert else "demonstrator"
    noise = a.noise if a.noise is not None else 0.0 if a.expert else robotics.NOISE[a.env_id]
    print(f"{a.env_id} {who} (acting noise {noise}): success {rate:.3f} over {a.episodes} episodes "
          f"(seeds {a.seed}-{a.seed + a.episodes - 1})")
else:
    s, _, r = locomotion.rollout(a.env_id, a.episodes, a.seed, with_returns=True)
    print(f"{a.env_id}: dense return {r.mean():.1f} +- {r.std():.1f} over {a.episodes} episodes, {len(s)} (s, a) pairs")
