"""Sub-optimal rule-based demonstrators for the CAIR tasks (Fetch and Adroit Hammer).

    policy = make_demonstrator("FetchPush-v4", seed=0)   # callable: (N, obs_dim) -> (N, act_dim)
    actions = policy(flatten_obs(obs))                     # a single observation works too
    data = rollout_dataset("FetchPush-v4", 50, seed=0)     # the offline set (BC)
    measure_success("FetchPush-v4", 200, seed=0)           # the documented success rate

Each demonstrator is a clean controller, a pure function of the observation (`fetch.py`,
`hammer.py`), made sub-optimal by noise drawn from its own `np.random.Generator(seed)`: Gaussian
action noise of std `noise`, then with probability `random_share` per state a uniform random
action, clipped to [-1, 1]. Same seed and same queries: same actions. `SUBOPTIMALITY` holds the
shipped settings; `noise=0, random_share=0` gives the clean controller.

Flat observations: Fetch `np.concatenate([obs["observation"], obs["desired_goal"]])` (28, see
`fetch.py`, built by `flatten_obs`); AdroitHandHammerSparse-v1 the 46-d observation as is (see
`hammer.py`). Success: Fetch info["is_success"] at the last of the 50 steps; Hammer
info["success"] (nail driven) at more than 25 of the 200 steps.
"""
import gymnasium as gym
import numpy as np

from demonstrators import fetch, hammer

HAMMER = "AdroitHandHammerSparse-v1"
ROBOTICS_TASKS = ("FetchPickAndPlace-v4", "FetchPush-v4", "FetchSlide-v4", HAMMER)
EPISODE_STEPS = {"FetchPickAndPlace-v4": 50, "FetchPush-v4": 50, "FetchSlide-v4": 50, HAMMER: 200}
OBS_DIM = {"FetchPickAndPlace-v4": 28, "FetchPush-v4": 28, "FetchSlide-v4": 28, HAMMER: 46}
ACT_DIM = {"FetchPickAndPlace-v4": 4, "FetchPush-v4": 4, "FetchSlide-v4": 4, HAMMER: 26}
HAMMER_SUCCESS_STEPS = 25  # an episode counts as a success when the nail is in for more steps than this
# The shipped sub-optimality (measured success rates: demonstrators/README.md).
SUBOPTIMALITY = {
    "FetchPickAndPlace-v4": dict(noise=0.1, random_share=0.1),
    "FetchPush-v4": dict(noise=0.1, random_share=0.1),
    "FetchSlide-v4": dict(noise=0.05, random_share=0.05),  # the clean controller is already weak
    HAMMER: dict(noise=0.1, random_share=0.2),  # the clean, tuned controller drives every nail
}
# Their success rates, 200 episodes (seeds 0-199, demonstrator seed 0): the bar a learner must beat.
MEASURED_SUCCESS = {"FetchPickAndPlace-v4": 0.625, "FetchPush-v4": 0.455, "FetchSlide-v4": 0.165, HAMMER: 0.405}
_CLEAN = dict(fetch.CONTROLLERS, **{HAMMER: hammer.controller})


def _check(env_id):
    if env_id not in ROBOTICS_TASKS:
        raise ValueError(f"no rule-based demonstrator for {env_id!r}; have {', '.join(ROBOTICS_TASKS)}")


def make_env(env_id, **kwargs):
    """gym.make after registering gymnasium-robotics."""
    import gymnasium_robotics

    gym.register_envs(gymnasium_robotics)
    return gym.make(env_id, **kwargs)


def flatten_obs(obs):
    """The flat float32 observation the demonstrators (and the CAIR scripts) take: a Fetch dict,
    single or batched, becomes observation + desired_goal (28); an array passes through."""
    if isinstance(obs, dict):
        return fetch.flatten_obs(obs)
    return np.asarray(obs, dtype=np.float32)


class Demonstrator:
    """A clean controller plus seeded sub-optimality; call it on flat observations (N, obs_dim)
    or (obs_dim,) to get float32 actions (N, act_dim) or (act_dim,) in [-1, 1]."""

    def __init__(self, env_id, seed=0, noise=None, random_share=None):
        _check(env_id)
        self.env_id, self.obs_dim, self.act_dim = env_id, OBS_DIM[env_id], ACT_DIM[env_id]
        self.noise = SUBOPTIMALITY[env_id]["noise"] if noise is None else float(noise)
        self.random_share = SUBOPTIMALITY[env_id]["random_share"] if random_share is None else float(random_share)
        self.rng = np.random.default_rng(seed)
        self._clean = _CLEAN[env_id]

    def clean(self, obs):
        """The noise-free controller's actions (N, obs_dim) -> (N, act_dim)."""
        x = np.asarray(obs, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.obs_dim:
            raise ValueError(f"{self.env_id}: expected observations of shape (N, {self.obs_dim}), got {x.shape}")
        return np.clip(self._clean(x), -1.0, 1.0).astype(np.float32)

    def __call__(self, obs):
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        a = self.clean(x[None] if single else x).astype(np.float64)
        n = len(a)
        if self.noise > 0:
            a = a + self.noise * self.rng.standard_normal(a.shape)
        if self.random_share > 0:
            swap = self.rng.random(n) < self.random_share
            a = np.where(swap[:, None], self.rng.uniform(-1.0, 1.0, a.shape), a)
        a = np.clip(a, -1.0, 1.0).astype(np.float32)
        return a[0] if single else a


def make_demonstrator(env_id, seed=0, noise=None, random_share=None):
    """The task's sub-optimal demonstrator (`SUBOPTIMALITY` unless overridden), seeded."""
    return Demonstrator(env_id, seed=seed, noise=noise, random_share=random_share)


def episode_success(env_id, infos):
    """Success of one finished episode from its per-step infos, by the task's standard metric."""
    if env_id == HAMMER:
        return bool(sum(bool(i["success"]) for i in infos) > HAMMER_SUCCESS_STEPS)
    return bool(infos[-1]["is_success"])


def rollout_dataset(env_id, n_episodes=50, seed=0, demonstrator=None):
    """Roll a demonstrator out for `n_episodes` (episode i resets with seed + i; the demonstrator,
    unless given, is make_demonstrator(env_id, seed)). Returns a dict of arrays:
        states (T, obs_dim), actions (T, act_dim), rewards (T,), next_states (T, obs_dim),
        dones (T,) terminated (always False here: these tasks never terminate),
        timeouts (T,) True at each episode's last step, episode_starts (T,) True at its first,
        success (n_episodes,) bool, by the task's standard metric.
    Deterministic for a given seed."""
    _check(env_id)
    pi = demonstrator if demonstrator is not None else make_demonstrator(env_id, seed=seed)
    env = make_env(env_id)
    cols = {k: [] for k in ("states", "actions", "rewards", "next_states", "dones", "timeouts", "episode_starts")}
    success = []
    for ep in range(n_episodes):
        obs, _ = env.reset(seed=seed + ep)
        x, infos, t, done = flatten_obs(obs), [], 0, False
        while not done:
            a = pi(x)
            obs, r, term, trunc, info = env.step(a)
            nx = flatten_obs(obs)
            for k, v in zip(cols, (x, a, r, nx, term, trunc and not term, t == 0)):
                cols[k].append(v)
            infos.append(info)
            x, t, done = nx, t + 1, term or trunc
        success.append(episode_success(env_id, infos))
    env.close()
    data = {k: np.asarray(v, dtype=np.float32 if k in ("states", "actions", "rewards", "next_states") else bool)
            for k, v in cols.items()}
    data["success"] = np.asarray(success, dtype=bool)
    return data


def measure_success(env_id, n_episodes=200, seed=0, **demonstrator_kwargs):
    """Success rate of the demonstrator over `n_episodes` (seeds seed .. seed + n - 1)."""
    pi = make_demonstrator(env_id, seed=seed, **demonstrator_kwargs)
    return float(rollout_dataset(env_id, n_episodes, seed, demonstrator=pi)["success"].mean())


# Bring your own transitions: the demonstration .npz (`states`, `actions`, readable by
# demonstrators.load_demonstrations) with these optional arrays, one row per transition.
OPTIONAL_ARRAYS = {"rewards": "float", "next_states": "float", "dones": "bool", "timeouts": "bool", "episode_starts": "bool"}


def save_transitions(path, data):
    """Write a dict like rollout_dataset's (states and actions required; rewards, next_states,
    dones, timeouts, episode_starts optional; other keys ignored) as a plain .npz."""
    keys = ["states", "actions"] + [k for k in OPTIONAL_ARRAYS if k in data]
    arrays = {k: np.asarray(data[k], dtype=bool if OPTIONAL_ARRAYS.get(k) == "bool" else np.float32) for k in keys}
    _validate(arrays, path)
    np.savez(path, **arrays)


def load_transitions(path):
    """The arrays of a transitions .npz as a dict (float32 / bool), checked, with clear errors."""
    with np.load(path, allow_pickle=False) as f:
        missing = {"states", "actions"} - set(f.files)
        if missing:
            raise ValueError(f"{path}: missing arrays {sorted(missing)}; expected `states` (N, obs_dim) and "
                             f"`actions` (N, act_dim), optionally {', '.join(OPTIONAL_ARRAYS)}")
        data = {k: f[k] for k in ["states", "actions"] + [k for k in OPTIONAL_ARRAYS if k in f.files]}
    data = {k: v.astype(bool) if OPTIONAL_ARRAYS.get(k) == "bool" else v.astype(np.float32) for k, v in data.items()}
    _validate(data, path)
    return data


def _validate(d, path):
    s, a = d["states"], d["actions"]
    if s.ndim != 2 or a.ndim != 2 or len(s) != len(a) or len(s) == 0:
        raise ValueError(f"{path}: need 2-d `states` and `actions` with the same number (> 0) of rows; got {s.shape} and {a.shape}")
    for k in OPTIONAL_ARRAYS:
        if k in d:
            want = s.shape if k == "next_states" else (len(s),)
            if d[k].shape != want:
                raise ValueError(f"{path}: `{k}` must have shape {want} (one per transition), got {d[k].shape}")
