"""Watch a policy: episodes rendered offscreen (MuJoCo through EGL) into a GIF, several policies side by side.

    python -m benchmarks.render FetchPush-v4 demonstrator expert --out push.gif
    python -m benchmarks.render FetchPush-v4 demonstrator runs/RUN --out push.gif   # RUN: a run made with --save-model

A policy is `demonstrator` or `expert` (the shipped rule-based ones of the CAIR tasks, noise-free; on the GILD
locomotion tasks `demonstrator` is the behaviour policy), or a run's folder holding `model.npz` and `args.json`: its
script's actor is rebuilt from them and acts deterministically, as the script's evaluation does. Every policy plays
the same episode seeds. Needs an offscreen OpenGL: `MUJOCO_GL=egl` is set unless you set another.
"""

import argparse
import importlib
import json
import os
import pathlib
import sys

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")  # before mujoco is imported


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("env", help="the task: a CAIR task (FetchPush-v4, ...), or a GILD one (Hopper-v5, Hopper-sparse, ...)")
    p.add_argument("policies", nargs="+", help="demonstrator, expert, or a run's folder with model.npz (side by side)")
    p.add_argument("--episodes", type=int, default=2, help="episodes per policy, one after the other")
    p.add_argument("--seed", type=int, default=0, help="episode i resets with seed + i")
    p.add_argument("--size", type=int, default=240, help="each panel's width and height in pixels")
    p.add_argument("--fps", type=int, default=25, help="frames per second of the GIF")
    p.add_argument("--out", default="policy.gif", help="the GIF to write")
    return p.parse_args(argv)


def make_env(env_id):
    """The task with rgb_array rendering, and its observation as the policies take it (Fetch: flat)."""
    import gymnasium as gym

    import demonstrators

    if env_id in demonstrators.ROBOTICS_TASKS:
        return demonstrators.make_env(env_id, render_mode="rgb_array"), demonstrators.flatten_obs
    dense = env_id.replace("-sparse", "-v5") if env_id.endswith("-sparse") else env_id
    return gym.make(dense, render_mode="rgb_array"), lambda obs: np.asarray(obs, dtype=np.float32)


def load_policy(name, env_id, env, obs_dim):
    """observation (flat float32) -> action, for `demonstrator`, `expert` or a run's folder."""
    import demonstrators

    if name in ("demonstrator", "expert"):
        if env_id in demonstrators.ROBOTICS_TASKS:
            return demonstrators.make_demonstrator(env_id, expert=name == "expert", noise=0.0)
        if name == "demonstrator" and demonstrators.has_behaviour_policy(env_id.replace("-sparse", "-v5")):
            return demonstrators.load_behaviour_policy(env_id.replace("-sparse", "-v5"))
        raise SystemExit(f"no {name} for {env_id}")
    return load_run(pathlib.Path(name), env, obs_dim)


def load_run(folder, env, obs_dim):
    """The actor of a run made with --save-model, rebuilt with its script's own classes."""
    import torch

    if not ((folder / "model.npz").is_file() and (folder / "args.json").is_file()):
        raise SystemExit(f"{folder}: no model.npz and args.json (run the script with --save-model)")
    args = json.loads((folder / "args.json").read_text())
    script = importlib.import_module(pathlib.Path(args["script"]).stem)
    act_dim = env.action_space.shape[0]
    if args["script"].startswith("gild_"):
        actor, prefix = script.Actor(obs_dim, act_dim, env.action_space.low, env.action_space.high), "actor/"
    else:  # CAIR: the input normalisation's statistics come with the weights
        normalize = script.Normalize(np.zeros(obs_dim), np.ones(obs_dim)) if args["normalize_obs"] else None
        ppo = args["script"] == "cair_ppo_dagger.py"
        actor = (script.Policy if ppo else script.Actor)(obs_dim, act_dim, args["hidden"], normalize)
        prefix = "policy/" if ppo else "actor/"
    with np.load(folder / "model.npz") as f:
        actor.load_state_dict({k[len(prefix) :]: torch.as_tensor(f[k]) for k in f.files if k.startswith(prefix)})
    actor.eval()

    def act(obs):
        with torch.no_grad():
            return actor.act(torch.as_tensor(obs, dtype=torch.float32)[None])[0].numpy()

    return act


def frames_of(env_id, name, episodes, seed, size):
    from PIL import Image

    env, flat = make_env(env_id)
    policy = load_policy(name, env_id, env, len(flat(env.reset(seed=seed)[0])))
    frames = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        done = False
        while not done:
            frames.append(np.asarray(Image.fromarray(env.render()).resize((size, size))))
            obs, _, terminated, truncated, _ = env.step(policy(flat(obs)))
            done = terminated or truncated
        frames.append(np.asarray(Image.fromarray(env.render()).resize((size, size))))
    env.close()
    return frames


def main(args):
    import imageio.v3 as iio

    panels = [frames_of(args.env, name, args.episodes, args.seed, args.size) for name in args.policies]
    n = max(len(p) for p in panels)
    panels = [p + [p[-1]] * (n - len(p)) for p in panels]  # a shorter episode holds its last frame
    frames = [np.concatenate([p[i] for p in panels], axis=1) for i in range(n)]
    iio.imwrite(args.out, frames, duration=1000 / args.fps, loop=0)
    print(f"wrote {args.out}: {args.env}, {' | '.join(args.policies)}, {args.episodes} episode(s) each, {n} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
