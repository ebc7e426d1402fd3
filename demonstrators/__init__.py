"""Sub-optimal demonstrators shared by the top-level scripts, queryable at any state.

Bring your own demonstrations: an .npz file with two float arrays,
    states   (N, obs_dim)   the observations, as the environment returns them
    actions  (N, act_dim)   the demonstrator's action at each state, inside the action box
written by `save_demonstrations` and read by `load_demonstrations` (no pickle).
"""
import numpy as np

from demonstrators.locomotion import (  # noqa: F401
    BehaviourPolicy,
    has_behaviour_policy,
    load_behaviour_policy,
    no_demonstrator_message,
    rollout,
)


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
