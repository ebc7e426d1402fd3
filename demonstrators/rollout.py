"""The one episode loop behind every demonstrator rollout (point2d.rollout, locomotion.rollout,
robotics.rollout_dataset): episode i resets with seed + i, the policy acts on each observation,
and every transition is recorded."""

import numpy as np

FLOAT_COLUMNS = ("states", "actions", "rewards", "next_states")
BOOL_COLUMNS = ("dones", "timeouts", "episode_starts")


def run_episodes(env, policy, n_episodes, seed=0, observe=None, success=None):
    """Roll `policy` (a callable: one observation -> one action) out in `env` for `n_episodes`;
    episode i resets with seed + i. `observe` maps what the environment returns to what the policy
    sees and the arrays hold (default: as returned); `success(infos)` scores a finished episode
    from its per-step infos. Returns a dict of arrays, one row per step unless said otherwise:
        states, actions, rewards, next_states   float32
        dones (terminated), timeouts (truncated and not terminated), episode_starts   bool
        returns (n_episodes,) the undiscounted return, summed in step order
        success (n_episodes,) bool, only when `success` is given."""
    observe = observe or (lambda obs: obs)
    cols = {k: [] for k in FLOAT_COLUMNS + BOOL_COLUMNS}
    returns, successes = [], []
    for ep in range(n_episodes):
        obs, _ = env.reset(seed=seed + ep)
        x, infos, ret, t, done = observe(obs), [], 0.0, 0, False
        while not done:
            a = policy(x)
            obs, r, term, trunc, info = env.step(a)
            nx = observe(obs)
            for k, v in zip(cols, (x, a, r, nx, term, trunc and not term, t == 0)):
                cols[k].append(v)
            infos.append(info)
            ret += r
            x, t, done = nx, t + 1, term or trunc
        returns.append(ret)
        if success is not None:
            successes.append(success(infos))
    data = {k: np.asarray(v, dtype=np.float32 if k in FLOAT_COLUMNS else bool) for k, v in cols.items()}
    data["returns"] = np.array(returns)
    if success is not None:
        data["success"] = np.asarray(successes, dtype=bool)
    return data
