"""Tune the Hammer controller's constants (`hammer.SPACE`) by the cross-entropy method, numpy only.

    OMP_NUM_THREADS=1 python -m benchmarks.tune_hammer --generations 30 --out demonstrators/hammer_params.json

Run it from the repository root: `python -m` puts the root on the import path, so `demonstrators` imports.

Each candidate (constants scaled to [0, 1] within their ranges) plays `--episodes` episodes of the
clean controller on training seeds (10000 + ...; fresh ones every generation, shared by the
generation's candidates, disjoint from the seeds 0-199 the documented rate uses). Score: the
share of episodes with the nail in for more than 25 steps, plus `--shaping` x the mean deepest
insertion (as a fraction of the 0.09 m travel), which ranks candidates before any succeeds. The
best mean of the last generation, re-scored on `--final-episodes` fresh seeds against the
starting constants, is written as JSON (hammer.py loads it) if it does better.
"""

import argparse
import json
import time

import numpy as np

from demonstrators import hammer
from demonstrators.robotics import HAMMER, HAMMER_SUCCESS_STEPS, make_env

NAMES = list(hammer.SPACE)
LO = np.array([hammer.SPACE[k][1] for k in NAMES])
HI = np.array([hammer.SPACE[k][2] for k in NAMES])


def to_params(z):
    return dict(zip(NAMES, (LO + np.clip(z, 0.0, 1.0) * (HI - LO)).tolist()))


def to_unit(params):
    return (np.array([params[k] for k in NAMES]) - LO) / (HI - LO)


def evaluate(params, seeds, envs):
    """(success share, mean deepest insertion / 0.09) of the clean controller, episodes in lockstep."""
    scores, depth = [], []
    for i in range(0, len(seeds), len(envs)):
        batch = seeds[i : i + len(envs)]
        obs = np.stack([e.reset(seed=int(s))[0] for e, s in zip(envs, batch)])
        count, deepest = np.zeros(len(batch)), np.zeros(len(batch))
        for _ in range(200):
            act = np.clip(hammer.controller(obs, params), -1.0, 1.0)
            for j, e in enumerate(envs[: len(batch)]):
                obs[j], _, _, _, info = e.step(act[j])
                count[j] += info["success"]
            deepest = np.maximum(deepest, obs[:, 26])
        scores.append(count > HAMMER_SUCCESS_STEPS)
        depth.append(deepest / 0.09)
    return float(np.concatenate(scores).mean()), float(np.concatenate(depth).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--generations", type=int, default=30)
    ap.add_argument("--population", type=int, default=24)
    ap.add_argument("--elite", type=int, default=6)
    ap.add_argument("--episodes", type=int, default=16)
    ap.add_argument("--final-episodes", type=int, default=100)
    ap.add_argument("--sigma", type=float, default=0.12, help="initial std in the unit box")
    ap.add_argument("--shaping", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="demonstrators/hammer_params.json")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    envs = [make_env(HAMMER) for _ in range(16)]
    start = dict(hammer.PARAMS)
    mean, std = to_unit(start), np.full(len(NAMES), a.sigma)
    next_seed = 10000
    t0 = time.time()
    for g in range(a.generations):
        seeds = list(range(next_seed, next_seed + a.episodes))
        next_seed += a.episodes
        pop = np.clip(mean + std * rng.standard_normal((a.population, len(NAMES))), 0.0, 1.0)
        pop[0] = mean  # keep the current mean in the race
        res = [evaluate(to_params(z), seeds, envs) for z in pop]
        fit = np.array([s + a.shaping * d for s, d in res])
        elite = pop[np.argsort(-fit)[: a.elite]]
        mean = elite.mean(axis=0)
        std = np.maximum(0.7 * std + 0.3 * elite.std(axis=0), 0.02)
        print(
            f"gen {g:3d}  best {fit.max():.3f} (success {res[int(fit.argmax())][0]:.2f})  "
            f"mean-candidate {fit[0]:.3f} (success {res[0][0]:.2f})  {time.time() - t0:.0f}s",
            flush=True,
        )
    final_seeds = list(range(next_seed, next_seed + a.final_episodes))
    new, old = evaluate(to_params(mean), final_seeds, envs), evaluate(start, final_seeds, envs)
    print(
        f"final, {a.final_episodes} fresh seeds: tuned success {new[0]:.3f} (depth {new[1]:.2f}), "
        f"start {old[0]:.3f} (depth {old[1]:.2f})"
    )
    if new[0] + a.shaping * new[1] > old[0] + a.shaping * old[1]:
        with open(a.out, "w") as f:
            json.dump({k: round(v, 5) for k, v in to_params(mean).items()}, f, indent=1)
        print("wrote", a.out)


if __name__ == "__main__":
    main()
