"""Sub-optimal demonstrators shared by the top-level scripts, queryable at any state.

Bring your own demonstrations: an .npz file with two float arrays,
    states   (N, obs_dim)   the observations, as the environment returns them
    actions  (N, act_dim)   the demonstrator's action at each state, inside the action box
written by `save_demonstrations` and read by `load_demonstrations` (no pickle).
Transitions (the robotics tasks) extend the same file with optional arrays, one row per transition:
rewards (N,), next_states (N, obs_dim), dones (N,) terminated, timeouts (N,) True at an episode's
last step, episode_starts (N,) True at its first; `save_transitions` / `load_transitions`.
"""
import numpy as np

from demonstrators import locomotion, point2d
from demonstrators.locomotion import BehaviourPolicy, has_behaviour_policy, load_behaviour_policy  # noqa: F401
from demonstrators.point2d import Point2DDemonstrator  # noqa: F401  (importing registers `Point2D`)
from demonstrators.robotics import (  # noqa: F401  (Fetch and Adroit Hammer rule-based demonstrators)
    ROBOTICS_TASKS, flatten_obs, load_transitions, make_demonstrator, measure_success, offline_dataset, rollout_dataset,
    save_transitions,
)


def has_demonstrator(env_id):
    """A shipped demonstrator for this gymnasium id: a behaviour policy, or Point2D's rule."""
    return env_id == "Point2D" or has_behaviour_policy(env_id)


def rollout(env_id, n_episodes=10, seed=0, **kwargs):
    """(states, actions) of the shipped demonstrator over n_episodes, deterministic per seed
    (keyword options: those of point2d.rollout or locomotion.rollout)."""
    if env_id == "Point2D":
        return point2d.rollout(n_episodes, seed, **kwargs)
    return locomotion.rollout(env_id, n_episodes, seed, **kwargs)


def no_demonstrator_message(env_id):
    return locomotion.no_demonstrator_message(env_id).replace("(shipped: ", "(shipped: Point2D, ")


def save_demonstrations(path, states, actions):
    np.savez(path, states=np.asarray(states, dtype=np.float32), actions=np.asarray(actions, dtype=np.float32))


def load_demonstrations(path):
    """(states, actions) from an .npz of the documented format, with a clear error otherwise."""
    with np.load(path, allow_pickle=False) as f:
        missing = {"states", "actions"} - set(f.files)
        if missing:
            raise ValueError(f"{path}: missing arrays {sorted(missing)}; expected `states` (N, obs_dim) and `actions` (N, act_dim)")
        states, actions = f["states"].astype(np.float32), f["actions"].astype(np.float32)
    if states.ndim != 2 or actions.ndim != 2 or len(states) != len(actions) or len(states) == 0:
        raise ValueError(f"{path}: need 2-d `states` and `actions` with the same number (> 0) of rows; "
                         f"got {states.shape} and {actions.shape}")
    return states, actions
