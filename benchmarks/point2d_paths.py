"""The GILD paper's Figure 4 (left) on Point2D: the deterministic path of each mode's policy from the start, at a few
points of training, beside the demonstrator's detour and the straight line to the goal.

    python -m benchmarks.point2d_paths train --out sweeps/point2d_paths --steps 5000 10000 20000 40000 --seed 1
    python -m benchmarks.point2d_paths plot sweeps/point2d_paths --out docs/figures/gild_point2d_paths.png

`train` runs each mode (default: `--mode rl`, `--mode il`, `--mode gild`) as one run of the GILD script, in pieces: it
starts the run with --total-timesteps at the first of `--steps`, then resumes it (`--resume`) with each larger total,
and after each piece keeps the saved policy as `snapshots/model_<step>.npz` in the mode's folder,
<out>/<script>/<mode>/seed<k>/. On Point2D the replay buffer holds the whole run, so the pieces compute what one run
to the last total would (GILD's warm start as a fraction would not: give `--gild-warm-start-updates` instead).
Running `train` again skips the snapshots it has. `plot` draws one panel per step, one path per mode (and seed), and
prints the steps each path takes to the goal (the optimum is 7; the demonstrator's noise-free detour 13).
Needs matplotlib for `plot` (`pip install matplotlib==3.11.2`).
"""

import argparse
import importlib
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train each mode in pieces, keeping a policy snapshot after each")
    t.add_argument("--out", default="sweeps/point2d_paths", help="the study's folder")
    t.add_argument("--script", default="gild_td3.py", help="the GILD script")
    t.add_argument("--modes", nargs="+", default=["--mode rl", "--mode il", "--mode gild"], help="flag strings, quoted")
    t.add_argument("--steps", nargs="+", type=int, default=[5000, 10000, 20000, 40000], help="the snapshots' steps")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--extra", default="", help="flags added to every run, quoted (for instance the learning starts)")
    t.add_argument("--python", default=sys.executable)
    q = sub.add_parser("plot", help="draw the paths of every snapshot")
    q.add_argument("study", help="the folder `train` wrote")
    q.add_argument("--out", default="point2d_paths.png", help="the PNG to write")
    q.add_argument("--title", help="a title over the panels (for instance the machine and the budget)")
    return p.parse_args(argv)


def slug(mode):
    return re.sub(r"[^A-Za-z0-9.]+", "-", mode).strip("-") or "default"


def train(args):
    steps = sorted(set(args.steps))
    if not steps or steps[0] < 1:
        raise SystemExit("--steps must be positive")
    for mode in args.modes:
        folder = pathlib.Path(args.out) / pathlib.Path(args.script).stem / slug(mode) / f"seed{args.seed}"
        (folder / "snapshots").mkdir(parents=True, exist_ok=True)
        for total in steps:
            snapshot = folder / "snapshots" / f"model_{total}.npz"
            if snapshot.exists():
                continue
            runs = sorted((folder / "runs").glob("*/checkpoint.pt"))
            if runs:  # the same run, one piece further
                cmd = ["--resume", str(runs[-1].parent.relative_to(folder)), "--total-timesteps", str(total)]
            else:
                cmd = ["--env", "Point2D", "--seed", str(args.seed), *args.extra.split(), *mode.split()]
                cmd += ["--total-timesteps", str(total)]
            cmd = [args.python, str(ROOT / args.script), *cmd, "--save-model", "--progress-interval", "0"]
            print(" ".join(cmd[1:]), flush=True)
            env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
            with open(folder / "log.txt", "a") as log:
                if subprocess.run(cmd, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env).returncode != 0:
                    raise SystemExit(f"failed: see {folder}/log.txt")
            (model,) = (folder / "runs").glob("*/model.npz")
            shutil.copy(model, snapshot)
    return 0


def policy_path(script, model_file, start=(0.0, 0.0)):
    """The positions the deterministic policy of a saved model visits from `start` until the goal or the time limit."""
    import gymnasium as gym
    import torch

    import demonstrators  # noqa: F401  (registers Point2D)

    module = importlib.import_module(script)
    env = gym.make("Point2D")
    actor = module.Actor(2, 2, env.action_space.low, env.action_space.high)
    with np.load(model_file) as f:
        actor.load_state_dict({k[len("actor/") :]: torch.as_tensor(f[k]) for k in f.files if k.startswith("actor/")})
    obs, _ = env.reset(seed=0)
    path, done = [obs], False
    while not done:
        with torch.no_grad():
            action = actor.act(torch.as_tensor(obs)[None])[0].numpy()
        obs, _, terminated, truncated, _ = env.step(action)
        path.append(obs)
        done = terminated or truncated
    env.close()
    return np.array(path), bool(terminated)


def demonstrator_path():
    """The demonstrator's noise-free detour from the start."""
    from demonstrators import point2d

    env, demo = point2d.Point2DEnv(), point2d.Point2DDemonstrator(angle_noise=0.0)
    obs, _ = env.reset(seed=0)
    path = [obs]
    for _ in range(point2d.HORIZON):
        obs, _, terminated, _, _ = env.step(demo(obs))
        path.append(obs)
        if terminated:
            break
    return np.array(path)


def read_study(study):
    """{step: {(script, mode, seed): model file}}."""
    snapshots = {}
    for f in sorted(pathlib.Path(study).glob("*/*/seed*/snapshots/model_*.npz")):
        script, mode, seed = f.parts[-5:-2]
        snapshots.setdefault(int(f.stem.split("_")[1]), {})[(script, mode, seed)] = f
    return snapshots


def plot(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from demonstrators import point2d

    snapshots = read_study(args.study)
    if not snapshots:
        raise SystemExit(f"no snapshots under {args.study} (expected <study>/<script>/<mode>/seed<k>/snapshots/)")
    demo = demonstrator_path()
    fig, axes = plt.subplots(1, len(snapshots), figsize=(3.6 * len(snapshots), 3.8), squeeze=False)
    print("| step | script | mode | seed | steps to the goal (100: not reached) |")
    print("|---|---|---|---|---|")
    for ax, (step, runs) in zip(axes[0], sorted(snapshots.items())):
        ax.plot(demo[:, 0], demo[:, 1], "k--", lw=1, label=f"demonstrator ({len(demo) - 1} steps)")
        ax.plot([0, point2d.GOAL[0]], [0, point2d.GOAL[1]], color="0.7", lw=1, label="straight line (7 steps)")
        for (script, mode, seed), model in sorted(runs.items()):
            path, reached = policy_path(script, model)
            n = len(path) - 1 if reached else point2d.HORIZON
            print(f"| {step} | {script} | {mode} | {seed} | {n} |")
            ax.plot(path[:, 0], path[:, 1], marker=".", ms=3, lw=1, label=f"{mode} {seed} ({n if reached else 'no goal'})")
        ax.add_patch(plt.Circle(point2d.GOAL, point2d.RADIUS, color="g", alpha=0.3))
        ax.set(title=f"{step} steps", xlim=(-0.3, 1.0), ylim=(-0.3, 1.0), aspect="equal")
        ax.legend(fontsize=6, loc="lower right")
    if args.title:
        fig.suptitle(args.title, fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    parsed = parse_args()
    sys.exit(train(parsed) if parsed.command == "train" else plot(parsed))
