"""Sub-optimal demonstrators shared by the top-level scripts, queryable at any state: one import,
`import demonstrators`, gives everything a script needs.

    demonstrators.make_demonstrator(env_id, seed=0, ...)   # any task below: a callable, observations -> actions
    demonstrators.rollout(env_id, n_episodes, seed=0)      # (states, actions) of the GILD tasks' demonstrators
    demonstrators.offline_dataset(env_id, n_episodes, 0)   # the CAIR tasks' offline set (cached)

Shipped: the locomotion behaviour policies (`locomotion.py`, weights/<task>.npz) and Point2D's rule
(`point2d.py`), which `rollout` plays (the GILD scripts' demonstrations; `rollout_tasks()`), and
the rule-based Fetch and Adroit Hammer demonstrators (`robotics.py`; `ROBOTICS_TASKS`) with their
experts and offline sets (the CAIR scripts'). `python -m demonstrators --help` measures and exports them.

Bring your own demonstrations: an .npz file with two float arrays,
    states   (N, obs_dim)   the observations, as the environment returns them
    actions  (N, act_dim)   the demonstrator's action at each state, inside the action box
written by `save_demonstrations` and read by `load_demonstrations` (no pickle).
Transitions (the robotics tasks) extend the same file with optional arrays, one row per transition:
rewards (N,), next_states (N, obs_dim), dones (N,) terminated, timeouts (N,) True at an episode's
last step, episode_starts (N,) True at its first; `save_transitions` / `load_transitions` (`files.py`).
"""

from demonstrators import locomotion, point2d, robotics
from demonstrators.files import load_demonstrations, load_transitions, save_demonstrations, save_transitions
from demonstrators.locomotion import BehaviourPolicy, has_behaviour_policy, load_behaviour_policy
from demonstrators.point2d import Point2DDemonstrator  # importing point2d registers `Point2D`
from demonstrators.robotics import (
    ACT_DIM,
    HAMMER,
    MEASURED_SUCCESS,
    OBS_DIM,
    ROBOTICS_TASKS,
    episode_success,
    flatten_obs,
    make_env,
    measure_success,
    offline_dataset,
    rollout_dataset,
)

__all__ = [
    "ACT_DIM",
    "HAMMER",
    "MEASURED_SUCCESS",
    "OBS_DIM",
    "ROBOTICS_TASKS",
    "BehaviourPolicy",
    "Point2DDemonstrator",
    "episode_success",
    "flatten_obs",
    "has_behaviour_policy",
    "has_demonstrator",
    "load_behaviour_policy",
    "load_demonstrations",
    "load_transitions",
    "make_demonstrator",
    "make_env",
    "measure_success",
    "no_demonstrator_message",
    "offline_dataset",
    "rollout",
    "rollout_dataset",
    "rollout_tasks",
    "save_demonstrations",
    "save_transitions",
    "shipped_tasks",
]


def rollout_tasks():
    """The tasks whose shipped demonstrator `rollout` plays: Point2D and those with a behaviour policy."""
    return ["Point2D", *locomotion.behaviour_policies()]


def shipped_tasks():
    """Every task with a shipped demonstrator (what `make_demonstrator` takes)."""
    return [*rollout_tasks(), *ROBOTICS_TASKS]


def has_demonstrator(env_id):
    """A shipped demonstrator that `rollout` plays for this gymnasium id: a behaviour policy, or Point2D's rule."""
    return env_id == "Point2D" or has_behaviour_policy(env_id)


def no_demonstrator_message(env_id):
    """Why `rollout` has no demonstrator for `env_id` and how to bring one (--demo-path)."""
    return locomotion.no_demonstrator_message(env_id, shipped=rollout_tasks())


def rollout(env_id, n_episodes=10, seed=0, **kwargs):
    """(states, actions) of the shipped demonstrator over n_episodes, deterministic per seed
    (keyword options: those of point2d.rollout or locomotion.rollout)."""
    if env_id == "Point2D":
        return point2d.rollout(n_episodes, seed, **kwargs)
    return locomotion.rollout(env_id, n_episodes, seed, **kwargs)


def make_demonstrator(env_id, seed=0, **kwargs):
    """The shipped demonstrator of `env_id`, a callable from observations (N, obs_dim) or (obs_dim,)
    to float32 actions:
        Fetch and Adroit Hammer   robotics.make_demonstrator(env_id, seed, expert=False, noise=None, random_share=0.0)
        Point2D                   Point2DDemonstrator(seed, angle_noise=...)
        a behaviour policy        the deterministic actor (seed unused; no options)"""
    if env_id in ROBOTICS_TASKS:
        return robotics.make_demonstrator(env_id, seed=seed, **kwargs)
    if env_id == "Point2D":
        return Point2DDemonstrator(seed, **kwargs)
    if has_behaviour_policy(env_id):
        if kwargs:
            raise TypeError(f"{env_id}'s behaviour policy is deterministic and takes no options; got {', '.join(kwargs)}")
        return load_behaviour_policy(env_id)
    raise ValueError(locomotion.no_demonstrator_message(env_id, shipped=shipped_tasks()))
