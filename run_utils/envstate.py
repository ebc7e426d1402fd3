"""An environment's complete state, to checkpoint a run in the middle of an episode and resume it exactly.

    state = env_state(env)        # numpy arrays, ints and dicts (the checkpoint converts the arrays)
    set_env_state(env, state)     # on an env made the same way and reset once: it continues bit for bit

What decides a shipped task's future, given the actions, and is therefore held:
  * MuJoCo's integration state (mj_getState with mjSTATE_INTEGRATION: time, qpos, qvel, act, the
    solver's warm start, ctrl, mocap, applied forces), and every array of mjData beside it. The
    derived arrays matter: after a step they describe the last substep, and the next step reads some
    of them before it integrates (Fetch's mocap weld reads xpos, Ant's observation cfrc_ext);
    recomputing them with mj_forward would differ in the last bits, and the trajectory after that.
  * model.body_pos, which Adroit Hammer randomises at reset (the nail board's height).
  * Python attributes a task keeps: Fetch's `goal`, Point2D's position and clock.
  * the time limit's step count and the random generators of the env and its spaces.
tests/test_run_utils.py checks, on every shipped task, that a restored copy repeats the original's
observations, rewards and resets bit for bit, mid-episode and across episode ends.
"""

import gymnasium as gym
import numpy as np

TASK_ATTRIBUTES = ("goal", "p", "t")  # Fetch's goal; Point2D's position and step count


def _wrappers(env):
    while isinstance(env, gym.Wrapper):
        yield env
        env = env.env


def _rng(space_or_env):
    rng = getattr(space_or_env, "_np_random", None)
    return None if rng is None else rng.bit_generator.state


def env_state(env):
    """Everything that decides `env`'s future given the actions (see the module docstring)."""
    u = env.unwrapped
    state = {
        "np_random": _rng(u),
        "action_space": _rng(env.action_space),
        "observation_space": _rng(env.observation_space),
        "elapsed_steps": [w._elapsed_steps for w in _wrappers(env) if isinstance(w, gym.wrappers.TimeLimit)],
        "attributes": {k: np.array(getattr(u, k)) for k in TASK_ATTRIBUTES if k in vars(u)},
    }
    if hasattr(u, "model") and hasattr(u, "data"):  # a MuJoCo task
        import mujoco

        spec = mujoco.mjtState.mjSTATE_INTEGRATION
        integration = np.empty(mujoco.mj_stateSize(u.model, spec))
        mujoco.mj_getState(u.model, u.data, integration, spec)
        arrays = {
            k: np.array(v) for k in dir(u.data) if not k.startswith("_") and isinstance(v := getattr(u.data, k), np.ndarray)
        }
        state["mujoco"] = {"integration": integration, "data": arrays, "body_pos": np.array(u.model.body_pos)}
    return state


def set_env_state(env, state):
    """Put `env` (made as the original was, and reset once) into `state`, from `env_state`."""
    u = env.unwrapped
    for target, key in ((u, "np_random"), (env.action_space, "action_space"), (env.observation_space, "observation_space")):
        if state[key] is not None:
            target.np_random.bit_generator.state = state[key]
    limits = [w for w in _wrappers(env) if isinstance(w, gym.wrappers.TimeLimit)]
    if len(limits) != len(state["elapsed_steps"]):
        raise ValueError("the environment's wrappers differ from those of the checkpointed one")
    for w, n in zip(limits, state["elapsed_steps"]):
        w._elapsed_steps = int(n)
    for k, v in state["attributes"].items():
        old = getattr(u, k)
        setattr(u, k, np.array(v, dtype=old.dtype) if isinstance(old, np.ndarray) else type(old)(np.asarray(v).item()))
    if "mujoco" in state:
        import mujoco

        m = state["mujoco"]
        u.model.body_pos[:] = np.asarray(m["body_pos"])
        mujoco.mj_setState(
            u.model, u.data, np.asarray(m["integration"], dtype=np.float64), mujoco.mjtState.mjSTATE_INTEGRATION
        )
        mujoco.mj_forward(u.model, u.data)  # sizes the constraint arrays; then every array as it was
        for k, v in m["data"].items():
            current = getattr(u.data, k)
            if current.shape == tuple(v.shape):
                current[...] = np.asarray(v)
