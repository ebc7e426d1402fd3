"""A CAIR run's policy at a checkpoint beside its demonstrator, on the same episodes: more episodes than a run's
evaluation (50) and a paired comparison, for the question "has imitation reached the demonstrator?".

    python -m benchmarks.cair_policy_eval runs/FetchSlide-v4__cair_ddpg__*/checkpoint.pt --episodes 200

For each cair_ddpg.py, cair_sac.py or cair_ppo_dagger.py checkpoint: the success rate of its deterministic policy
(`act`, what the scripts evaluate: DDPG's mu(s), SAC's tanh of the mean, PPO's clipped mean), of the demonstrator
(with its acting noise) and of the demonstrator's noise-free controller (what imitation copies), each over the same
--episodes episodes (episode i resets with seed run_seed + --seed-offset + i; the default offset 20000 keeps them
apart from the run's own evaluation episodes, run_seed + 10000 ...). Rates carry their binomial standard error; the
differences are paired (per episode), with their standard errors.
"""

import argparse
import json
import pathlib

import numpy as np
import torch

import cair_ddpg
import cair_ppo_dagger
import cair_sac
import demonstrators

# script -> (module, the checkpoint's policy entry, its policy class, the state key of its first layer's weight)
SCRIPTS = {
    "cair_ddpg.py": (cair_ddpg, "actor", cair_ddpg.Actor, "fc1.weight"),
    "cair_sac.py": (cair_sac, "actor", cair_sac.Actor, "fc1.weight"),
    "cair_ppo_dagger.py": (cair_ppo_dagger, "policy", cair_ppo_dagger.Policy, "body.0.weight"),
}


class Greedy:
    """A saved actor as a demonstrator-like callable (one observation -> one action) for rollout_dataset."""

    def __init__(self, actor):
        self.actor = actor

    def __call__(self, obs):
        with torch.no_grad():
            return self.actor.act(torch.as_tensor(np.asarray(obs, dtype=np.float32))[None])[0].numpy()


def load_actor(checkpoint_path):
    """The checkpoint's actor, rebuilt from its run's args.json; returns (actor, args, the checkpoint's step)."""
    path = pathlib.Path(checkpoint_path)
    bad = f"error: {checkpoint_path} is not a run's checkpoint.pt beside its args.json"
    try:
        args = json.loads((path.parent / "args.json").read_text())
        script = SCRIPTS.get(args["script"])
    except Exception as e:  # no args.json beside it, or not a run's
        raise SystemExit(f"{bad} ({type(e).__name__})") from None
    if script is None:
        raise SystemExit(f"error: {checkpoint_path} is a {args['script']} run; this tool reads {', '.join(SCRIPTS)}")
    module, entry, policy_class, first_layer = script
    try:
        ckpt = torch.load(path, weights_only=False, map_location="cpu")
        state, step = ckpt["modules"][entry], ckpt["global_step"]
    except Exception as e:  # not a torch file, or not a checkpoint
        raise SystemExit(f"{bad} ({type(e).__name__})") from None
    obs_dim, act_dim = state[first_layer].shape[1], demonstrators.ACT_DIM[args["env"]]
    normalize = module.Normalize(state["normalize.mean"], state["normalize.std"]) if "normalize.mean" in state else None
    actor = policy_class(obs_dim, act_dim, args["hidden"], normalize)
    actor.load_state_dict(state)
    return actor.eval(), args, step


def rate(x):
    """Mean +- standard error, of a per-episode array (a rate, or a paired difference)."""
    return f"{x.mean():.3f} +- {x.std(ddof=1) / np.sqrt(len(x)):.3f}"


def measure(checkpoint_path, episodes, seed_offset):
    """Per-episode success (float arrays of 0 and 1) of the checkpoint's policy, its demonstrator and the noise-free
    controller on the same episodes, the policy's mean return, and what they were run on."""
    actor, args, step = load_actor(checkpoint_path)
    env, seed = args["env"], args["seed"] + seed_offset
    out = {"env": env, "script": args["script"], "run_seed": args["seed"], "step": step, "seed": seed}
    data = demonstrators.rollout_dataset(env, episodes, seed, demonstrator=Greedy(actor))
    out["policy"], out["policy_return"] = data["success"].astype(float), float(data["rewards"].sum() / episodes)
    for name, noise in (("demonstrator", None), ("noise-free", 0.0)):
        pi = demonstrators.make_demonstrator(env, seed, noise=noise)
        out[name] = demonstrators.rollout_dataset(env, episodes, seed, demonstrator=pi)["success"].astype(float)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoints", nargs="+", help="cair_ddpg.py, cair_sac.py or cair_ppo_dagger.py checkpoint.pt files")
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
        head = f"{m['env']}, {m['script']} seed {m['run_seed']}, step {m['step']}"
        print(f"{path}: {head}, {a.episodes} episodes from seed {m['seed']}")
        print(f"  policy {rate(m['policy'])}   demonstrator {rate(m['demonstrator'])}   noise-free {rate(m['noise-free'])}")
        paired = f"policy - demonstrator {rate(m['policy'] - m['demonstrator'])}"
        print(f"  paired, per episode: {paired}   policy - noise-free {rate(m['policy'] - m['noise-free'])}", flush=True)


if __name__ == "__main__":
    main()
