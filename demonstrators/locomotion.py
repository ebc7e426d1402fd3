"""Behaviour policies for the MuJoCo locomotion tasks (the GILD paper's "Behavior" demonstrators).

Each is the actor of a TD3 run of this project's own `gild_td3.py --mode rl` on the dense v5 task,
stopped early (`--stop-at-return`) at roughly a third to a half of a good TD3 return. The weights
are plain numpy arrays in `weights/<task>.npz` (loaded with allow_pickle=False: no code runs on
load). Measured dense returns and the commands that retrain them: `demonstrators/README.md`.
"""

import pathlib

import gymnasium as gym
import numpy as np

from demonstrators.rollout import run_episodes

WEIGHTS = pathlib.Path(__file__).parent / "weights"

# The band each shipped behaviour policy's dense return must lie in: a third to a half of a good
# TD3 return on the v5 task (Hopper ~3500, Walker2d ~4500, HalfCheetah ~10000, Ant ~5000);
# Walker2d's and Ant's lower ends sit at ~0.3x, where their shipped policies measure (demonstrators/README.md).
RETURN_BANDS = {"Hopper-v5": (1150, 1750), "Walker2d-v5": (1300, 2250), "HalfCheetah-v5": (3300, 5000), "Ant-v5": (1600, 2500)}


def has_behaviour_policy(env_id):
    return (WEIGHTS / f"{env_id}.npz").exists()


def behaviour_policies():
    """The gymnasium ids with a shipped behaviour policy, sorted."""
    return sorted(p.stem for p in WEIGHTS.glob("*.npz"))


def no_demonstrator_message(env_id, shipped=None):
    """Why `env_id` has no demonstrator and how to bring one; `shipped` lists the tasks that have
    one (default: those with a behaviour policy)."""
    shipped = behaviour_policies() if shipped is None else shipped
    return (
        f"no demonstrator is shipped for {env_id!r} (shipped: {', '.join(shipped) or 'none'}). Bring your own: "
        "save an .npz with float arrays `states` (N, obs_dim) and `actions` (N, act_dim), for instance with "
        "demonstrators.save_demonstrations(path, states, actions), and pass --demo-path path. "
        "Or train a behaviour policy as demonstrators/README.md describes."
    )


class BehaviourPolicy:
    """A deterministic MLP actor (256-256 ReLU, tanh, rescaled to the action box) run in numpy."""

    def __init__(self, path):
        with np.load(path, allow_pickle=False) as f:
            self.layers = [
                (f[f"{n}.weight"].astype(np.float64), f[f"{n}.bias"].astype(np.float64)) for n in ("fc1", "fc2", "fc_mu")
            ]
            self.scale, self.bias = f["action_scale"].astype(np.float64), f["action_bias"].astype(np.float64)
        self.obs_dim, self.act_dim = self.layers[0][0].shape[1], self.layers[-1][0].shape[0]

    def __call__(self, states):
        """Actions for a batch of states (N, obs_dim) -> (N, act_dim); a single state works too."""
        x = np.asarray(states, dtype=np.float64)
        for i, (w, b) in enumerate(self.layers):
            x = x @ w.T + b
            x = np.maximum(x, 0.0) if i < len(self.layers) - 1 else np.tanh(x)
        return (x * self.scale + self.bias).astype(np.float32)


def load_behaviour_policy(env_id):
    if not has_behaviour_policy(env_id):
        raise ValueError(no_demonstrator_message(env_id))
    return BehaviourPolicy(WEIGHTS / f"{env_id}.npz")


def rollout(env_id, n_episodes=10, seed=0, policy=None, with_returns=False):
    """Roll the behaviour policy out on the dense task: (states, actions) as float32 arrays, and
    the episodes' returns if `with_returns`. Deterministic for a given seed (episode i resets
    with seed + i)."""
    policy = policy or load_behaviour_policy(env_id)
    with gym.make(env_id) as env:
        data = run_episodes(env, lambda obs: policy(obs[None])[0], n_episodes, seed)
    states, actions = data["states"], data["actions"]
    return (states, actions, data["returns"]) if with_returns else (states, actions)


def export_actor(model_path, env_id):
    """Copy the actor of a `gild_td3.py --save-model` file into weights/<env_id>.npz."""
    with np.load(model_path, allow_pickle=False) as f:
        actor = {k[len("actor/") :]: f[k] for k in f.files if k.startswith("actor/")}
    WEIGHTS.mkdir(exist_ok=True)
    np.savez(WEIGHTS / f"{env_id}.npz", **actor)
    return WEIGHTS / f"{env_id}.npz"
