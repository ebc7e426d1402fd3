"""A CAIR run's policy at a checkpoint beside its demonstrator, on the same episodes: more episodes than a run's
evaluation (50) and a paired comparison, for the question "has imitation reached the demonstrator?".

    python -m benchmarks.cair_policy_eval runs/FetchSlide-v4__cair_ddpg__*/checkpoint.pt --episodes 200

For each cair_ddpg.py or cair_sac.py checkpoint: the success rate of its deterministic policy (`actor.act`, what
the scripts evaluate), of the demonstrator (with its acting noise) and of the demonstrator's noise-free
controller (what imitation copies), each over the same --episodes episodes (episode i resets with seed
run_seed + --seed-offset + i; the default offset 20000 keeps them apart from the run's own evaluation episodes,
run_seed + 10000 ...). Rates carry their binomial standard error; "policy - noise-free" is the paired difference
(per episode), with its standard error.
"""

import argparse
import json
import pathlib

import numpy as np
import torch

import cair_ddpg
import cair_sac
import demonstrators

SCRIPTS = {"cair_ddpg.py": cair_ddpg, "cair_sac.py": cair_sac}


class Greedy:
    """A saved actor as a demonstrator-like callable (one observation -> one action) for rollout_dataset."""

    def __init__(self, actor):
        self.actor = actor

    def __call__(self, obs):
        with torch.no_grad():
            return self.actor.act(torch.as_tensor(np.asarray(obs, dtype=np.float32))[None])[0].numpy()


def load_actor(checkpoint_path):
    """The checkpoint's actor, rebuilt from its run's args.json; returns (actor, args)."""
    path = pathlib.Path(checkpoint_path)
    if not path.is_file() or not (path.parent / "args.json").is_file():
        raise SystemExit(f"error: {checkpoint_path} is not a run's checkpoint.pt (a file beside the run's args.json)")
    args = json.loads((path.parent / "args.json").read_text())
    script = SCRIPTS.get(args.get("script"))
    if script is None:
        raise SystemExit(f"error: {checkpoint_path} is a {args.get('script')} run; this tool reads {', '.join(SCRIPTS)}")
    try:
        state = torch.load(path, weights_only=False, map_location="cpu")["modules"]["actor"]
    except Exception as e:  # not a torch file, or not a run's checkpoint
        raise SystemExit(f"error: {checkpoint_path} is not a run's checkpoint.pt ({type(e).__name__})") from None
    obs_dim, act_dim = state["fc1.weight"].shape[1], demonstrators.ACT_DIM[args["env"]]
    normalize = script.Normalize(state["normalize.mean"], state["normalize.std"]) if "normalize.mean" in state else None
    actor = script.Actor(obs_dim, act_dim, args["hidden"], normalize)
    actor.load_state_dict(state)
    return actor.eval(), args


def rate(success):
    return f"{success.mean():.3f} +- {success.std(ddof=1) / np.sqrt(len(success)):.3f}"


def measure(checkpoint_path, episodes, seed_offset):
    """Per-episode success (bool arrays) of the checkpoint's policy, its demonstrator and the noise-free controller
    on the same episodes, and what they were run on."""
    actor, args = load_actor(checkpoint_path)
    env, seed = args["env"], args["seed"] + seed_offset
    step = torch.load(checkpoint_path, weights_only=False, map_location="cpu")["global_step"]
    out = {"env": env, "script": args["script"], "run_seed": args["seed"], "step": step, "seed": seed}
    out["policy"] = demonstrators.rollout_dataset(env, episodes, seed, demonstrator=Greedy(actor))["success"]
    for name, noise in (("demonstrator", None), ("noise-free", 0.0)):
        pi = demonstrators.make_demonstrator(env, seed, noise=noise)
        out[name] = demonstrators.rollout_dataset(env, episodes, seed, demonstrator=pi)["success"]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoints", nargs="+", help="cair_ddpg.py or cair_sac.py checkpoint.pt files")
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--seed-offset", type=int, default=20_000, help="episode i resets with run_seed + offset + i")
    a = p.parse_args(argv)
    if a.episodes < 2:
        raise SystemExit(f"error: --episodes must be at least 2 (got {a.episodes})")
    torch.set_num_threads(1)
    for path in a.checkpoints:  # every path checked before anything runs
        load_actor(path)
    for path in a.checkpoints:
        m = measure(path, a.episodes, a.seed_offset)
        diff = m["policy"].astype(float) - m["noise-free"]
        head = f"{m['env']}, {m['script']} seed {m['run_seed']}, step {m['step']}"
        print(f"{path}: {head}, {a.episodes} episodes from seed {m['seed']}")
        print(f"  policy {rate(m['policy'])}   demonstrator {rate(m['demonstrator'])}   noise-free {rate(m['noise-free'])}")
        print(f"  policy - noise-free {diff.mean():+.3f} +- {diff.std(ddof=1) / np.sqrt(len(diff)):.3f} (paired)", flush=True)


if __name__ == "__main__":
    main()
