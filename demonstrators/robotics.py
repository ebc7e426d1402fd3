"""Sub-optimal rule-based demonstrators for the CAIR tasks (Fetch and Adroit Hammer), their experts,
and the offline demonstration set.

    policy = make_demonstrator("FetchPush-v4", seed=0)   # callable: (N, obs_dim) -> (N, act_dim)
    actions = policy(flatten_obs(obs))                     # a single observation works too
    policy.clean(x)                                        # the noise-free (flawed) controller: the labels
    expert = make_demonstrator("FetchPush-v4", expert=True)  # the same controller without its flaw
    data = offline_dataset("FetchPush-v4", 1000, seed=0)   # the offline set (BC), cached on disk
    measure_success("FetchPush-v4", 200, seed=0)           # the documented success rate

Each demonstrator is a controller that is a pure function of the observation (`fetch.py`,
`hammer.py`) with a systematic flaw that behaviour cloning copies (`FLAWS`): it carries the
object slowly (PickAndPlace), pushes slowly (Push), strikes the puck too weakly (Slide), follows
through too little when it strikes the nail (Hammer). `EXPERTS` holds the same controllers
without the flaw. While it acts, Gaussian action noise (std `NOISE`, from its own
`np.random.Generator(seed)`) widens the states it visits; the noise barely changes its success
rate (demonstrators/README.md). The offline set labels every visited state with the noise-free
action (`clean`), and so do DAgger's queries: the learner imitates the flaw, not the noise.

Flat observations: Fetch `np.concatenate([obs["observation"], obs["desired_goal"]])` (28, see
`fetch.py`, built by `flatten_obs`); AdroitHandHammerSparse-v1 the 46-d observation as is (see
`hammer.py`). Success: Fetch info["is_success"] at the last of the 50 steps; Hammer
info["success"] (nail driven) at more than 25 of the 200 steps.
"""

import functools
import hashlib
import os
import pathlib
import tempfile

import gymnasium as gym
import numpy as np

from demonstrators import fetch, hammer
from demonstrators.rollout import run_episodes

HAMMER = "AdroitHandHammerSparse-v1"
ROBOTICS_TASKS = ("FetchPickAndPlace-v4", "FetchPush-v4", "FetchSlide-v4", HAMMER)
EPISODE_STEPS = {"FetchPickAndPlace-v4": 50, "FetchPush-v4": 50, "FetchSlide-v4": 50, HAMMER: 200}
OBS_DIM = {"FetchPickAndPlace-v4": 28, "FetchPush-v4": 28, "FetchSlide-v4": 28, HAMMER: 46}
ACT_DIM = {"FetchPickAndPlace-v4": 4, "FetchPush-v4": 4, "FetchSlide-v4": 4, HAMMER: 26}
HAMMER_SUCCESS_STEPS = 25  # an episode counts as a success when the nail is in for more steps than this
CONTROLLERS = dict(fetch.CONTROLLERS, **{HAMMER: lambda x, **p: hammer.controller(x, dict(hammer.PARAMS, **p))})
# The demonstrators' flaw, as settings of their controller, and the experts (the flaw removed).
FLAWS = {
    "FetchPickAndPlace-v4": dict(carry_speed=0.15),  # carries the object at 0.75 cm a step
    "FetchPush-v4": dict(push_speed=0.15),  # pushes the block at 0.75 cm a step
    "FetchSlide-v4": dict(strike_gain=0.85),  # strikes too weakly, straight at the goal with the fingers' flat face
    HAMMER: dict(through=0.01),  # a weak strike: it drives the hammer only 1 cm past the nail head
}
EXPERTS = {
    "FetchPickAndPlace-v4": dict(carry_speed=1.0),
    "FetchPush-v4": dict(push_speed=0.5),
    "FetchSlide-v4": dict(strike_gain=1.25, aim=1.0),  # aimed: where friction curves the puck onto the goal, a corner
    HAMMER: dict(through=hammer.PARAMS["through"]),
}
# Acting noise, for coverage: small enough that the noise-free controller scores the same (more would help Hammer's).
NOISE = {"FetchPickAndPlace-v4": 0.1, "FetchPush-v4": 0.1, "FetchSlide-v4": 0.05, HAMMER: 0.05}
# Success rates over 200 episodes (seeds 0-199, demonstrator seed 0; demonstrators/README.md): the
# demonstrator's is the bar a learner must beat, the expert's what is possible above it.
MEASURED_SUCCESS = {
    "FetchPickAndPlace-v4": {"demonstrator": 0.395, "expert": 1.0},
    "FetchPush-v4": {"demonstrator": 0.395, "expert": 0.825},
    "FetchSlide-v4": {"demonstrator": 0.11, "expert": 0.745},
    HAMMER: {"demonstrator": 0.36, "expert": 1.0},
}


def _check(env_id):
    if env_id not in ROBOTICS_TASKS:
        raise ValueError(f"no rule-based demonstrator for {env_id!r}; have {', '.join(ROBOTICS_TASKS)}")


def make_env(env_id, **kwargs):
    """gym.make after registering gymnasium-robotics. Its import prints a notice that the *dense* Adroit v1 rewards
    changed in its 1.2.1; the sparse Hammer task used here returns 10 on success and -0.1 otherwise in every version,
    so the notice is dropped rather than shown on every run."""
    try:
        from farama_notifications import notifications

        notifications.pop("gymnasium_robotics", None)
    except ImportError:
        pass
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
    """A task's controller (with its flaw, or as the expert) plus seeded acting noise; call it on
    flat observations (N, obs_dim) or (obs_dim,) to get float32 actions (N, act_dim) or (act_dim,)
    in [-1, 1]. `clean` is the same without the noise."""

    def __init__(self, env_id, seed=0, expert=False, noise=None, random_share=0.0):
        _check(env_id)
        self.env_id, self.obs_dim, self.act_dim, self.expert = env_id, OBS_DIM[env_id], ACT_DIM[env_id], expert
        self.noise = (0.0 if expert else NOISE[env_id]) if noise is None else float(noise)
        self.random_share = float(random_share)  # share of uniformly random actions (a test's broken demonstrator)
        self.rng = np.random.default_rng(seed)
        self._controller = functools.partial(CONTROLLERS[env_id], **(EXPERTS if expert else FLAWS)[env_id])

    def clean(self, obs):
        """The noise-free controller's actions: (N, obs_dim) -> (N, act_dim), or (obs_dim,) -> (act_dim,)."""
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        x = x[None] if single else x
        if x.ndim != 2 or x.shape[1] != self.obs_dim:
            raise ValueError(f"{self.env_id}: expected observations of shape (N, {self.obs_dim}), got {x.shape}")
        a = np.clip(self._controller(x), -1.0, 1.0).astype(np.float32)
        return a[0] if single else a

    def __call__(self, obs):
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        a = self.clean(x[None] if single else x).astype(np.float64)
        if self.noise > 0:
            a = a + self.noise * self.rng.standard_normal(a.shape)
        if self.random_share > 0:
            swap = self.rng.random(len(a)) < self.random_share
            a = np.where(swap[:, None], self.rng.uniform(-1.0, 1.0, a.shape), a)
        a = np.clip(a, -1.0, 1.0).astype(np.float32)
        return a[0] if single else a


def make_demonstrator(env_id, seed=0, expert=False, noise=None, random_share=0.0):
    """The task's demonstrator (with its flaw, acting with `NOISE`), or its expert (no flaw, no noise); seeded."""
    return Demonstrator(env_id, seed=seed, expert=expert, noise=noise, random_share=random_share)


def episode_success(env_id, infos):
    """Success of one finished episode from its per-step infos, by the task's standard metric."""
    if env_id == HAMMER:
        return bool(sum(bool(i["success"]) for i in infos) > HAMMER_SUCCESS_STEPS)
    return bool(infos[-1]["is_success"])


def rollout_dataset(env_id, n_episodes=50, seed=0, demonstrator=None):
    """Roll a demonstrator out for `n_episodes` (episode i resets with seed + i; the demonstrator,
    unless given, is make_demonstrator(env_id, seed)). Returns a dict of arrays:
        states (T, obs_dim), actions (T, act_dim) the action taken, labels (T, act_dim) the
        demonstrator's noise-free action (what imitation copies), rewards (T,), next_states (T, obs_dim),
        dones (T,) terminated (always False here: these tasks never terminate),
        timeouts (T,) True at each episode's last step, episode_starts (T,) True at its first,
        success (n_episodes,) bool, by the task's standard metric.
    Deterministic for a given seed."""
    _check(env_id)
    pi = demonstrator if demonstrator is not None else make_demonstrator(env_id, seed=seed)
    with make_env(env_id) as env:
        steps = run_episodes(
            env, pi, n_episodes, seed, observe=flatten_obs, success=lambda infos: episode_success(env_id, infos)
        )
    data = {k: steps[k] for k in ("states", "actions", "rewards", "next_states", "dones", "timeouts", "episode_starts")}
    data["labels"] = pi.clean(data["states"]) if hasattr(pi, "clean") else data["actions"]
    data["success"] = steps["success"]
    return data


def measure_success(env_id, n_episodes=200, seed=0, **demonstrator_kwargs):
    """Success rate of the demonstrator (or, with expert=True, its expert) over `n_episodes` (seeds seed .. seed + n - 1)."""
    pi = make_demonstrator(env_id, seed=seed, **demonstrator_kwargs)
    return float(rollout_dataset(env_id, n_episodes, seed, demonstrator=pi)["success"].mean())


# ------------------------------------------------------------------------- the offline set, cached
CACHE_ENV = "DEMONSTRATORS_CACHE"
_SOURCES = (
    "robotics.py",
    "rollout.py",
    "fetch.py",
    "hammer.py",
    "hammer_params.json",
)  # what decides the demonstrators' actions


def cache_dir():
    """Where offline sets are cached: $DEMONSTRATORS_CACHE, else $XDG_CACHE_HOME/cair-demonstrations
    (~/.cache/cair-demonstrations). Delete the folder to clear it."""
    if os.environ.get(CACHE_ENV):
        return pathlib.Path(os.environ[CACHE_ENV])
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "cair-demonstrations"


def demonstrator_version():
    """A fingerprint of everything that decides the demonstrators' actions and the simulation: the
    controllers' source, the tuned Hammer constants, and the mujoco and gymnasium-robotics versions.
    Any edit gives a new fingerprint, so a cached set made by an older demonstrator is never used."""
    import importlib.metadata as md

    h = hashlib.sha256()
    for name in _SOURCES:
        h.update((pathlib.Path(__file__).parent / name).read_bytes())
    for package in ("mujoco", "gymnasium-robotics", "gymnasium"):
        h.update(f"{package}=={md.version(package)}".encode())
    return h.hexdigest()[:16]


def offline_dataset(env_id, n_episodes, seed=0, log=print):
    """rollout_dataset(env_id, n_episodes, seed), cached in `cache_dir()` under the task, size, seed and
    `demonstrator_version()`. A cache file that cannot be read, or whose contents do not match its key,
    is rebuilt, never used. Written atomically (a crash mid-write leaves no half file)."""
    _check(env_id)
    key = dict(env_id=env_id, n_episodes=int(n_episodes), seed=int(seed), version=demonstrator_version())
    path = cache_dir() / f"{env_id}__{n_episodes}ep__seed{seed}__{key['version']}.npz"
    why = None
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                data = {k: f[k] for k in f.files}
            meta = {k: data.pop(k).item() for k in ("env_id", "n_episodes", "seed", "version")}
            rows = n_episodes * EPISODE_STEPS[env_id]
            if meta != key or len(data["states"]) != rows or len(data["labels"]) != rows or len(data["success"]) != n_episodes:
                raise ValueError(f"made for {meta}")
            log(f"offline set read from the cache {path}")
            return data
        except Exception as e:  # unreadable, truncated or for another key: rebuild
            why = f"rebuilding the cached offline set {path} ({type(e).__name__}: {e})"
    building = f"building the offline set: {n_episodes} demonstrator episodes (1,000 take about a minute)"
    log(why or f"{building}, to be cached in {path.parent}")
    data = rollout_dataset(env_id, n_episodes, seed)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    except OSError as e:  # the run goes on without the cache
        log(f"cannot cache the offline set in {path.parent} ({e}); set {CACHE_ENV} to a writable folder")
        return data
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **data, **{k: np.asarray(v) for k, v in key.items()})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return data
