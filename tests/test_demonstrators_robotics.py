"""The rule-based Fetch and Adroit Hammer demonstrators, their experts, the cached offline set and the transitions format."""

import numpy as np
import pytest

import demonstrators
from conftest import run_python
from demonstrators import fetch, hammer, robotics

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out

FETCH = ("FetchPickAndPlace-v4", "FetchPush-v4", "FetchSlide-v4")
TASKS = robotics.ROBOTICS_TASKS


def observations(env_id, n=8, seed=0):
    """n flat observations from the task: resets and a few random steps, so phases differ."""
    env = robotics.make_env(env_id)
    rng, out = np.random.default_rng(seed), []
    for i in range(n):
        obs, _ = env.reset(seed=seed + i)
        for _ in range(int(rng.integers(0, 20))):
            obs, *_ = env.step(env.action_space.sample())
        out.append(robotics.flatten_obs(obs))
    env.close()
    return np.stack(out)


@pytest.mark.parametrize("env_id", TASKS)
def test_valid_actions_for_a_batch_and_a_single_observation(env_id):
    x = observations(env_id)
    assert x.shape == (8, robotics.OBS_DIM[env_id])
    pi = robotics.make_demonstrator(env_id, seed=0)
    for a in (pi(x), pi.clean(x)):
        assert a.shape == (8, robotics.ACT_DIM[env_id]) and a.dtype == np.float32
        assert np.all(np.isfinite(a)) and np.all(np.abs(a) <= 1)
    single = pi(x[0])
    assert single.shape == (robotics.ACT_DIM[env_id],)
    # The clean controller is a pure function of the observation: a batch equals its rows.
    assert np.allclose(pi.clean(x), np.concatenate([pi.clean(r[None]) for r in x]))
    with pytest.raises(ValueError, match="expected observations"):
        pi(np.zeros((2, 5)))


@pytest.mark.parametrize("env_id", TASKS)
def test_same_seed_same_actions_other_seed_other_noise(env_id):
    x = observations(env_id, n=4)
    a1 = [robotics.make_demonstrator(env_id, seed=3)(x) for _ in range(2)]
    pi, pj = robotics.make_demonstrator(env_id, seed=3), robotics.make_demonstrator(env_id, seed=4)
    seq_i, seq_j = [pi(x) for _ in range(3)], [pj(x) for _ in range(3)]
    assert np.array_equal(a1[0], a1[1])
    assert np.array_equal(seq_i[0], a1[0])
    assert not np.array_equal(np.stack(seq_i), np.stack(seq_j))
    noise_free = robotics.make_demonstrator(env_id, seed=3, noise=0)
    assert np.array_equal(noise_free(x), pi.clean(x))
    assert np.array_equal(pi.clean(x[0]), pi.clean(x)[0])  # a single observation works too
    expert, episode = robotics.make_demonstrator(env_id, expert=True), robotics.rollout_dataset(env_id, 1, seed=0)["states"]
    assert expert.noise == 0 and not np.allclose(expert.clean(episode), pi.clean(episode))  # the flaw is in the controller


def test_flatten_obs_single_and_batched():
    env = robotics.make_env("FetchPush-v4")
    obs, _ = env.reset(seed=0)
    flat = robotics.flatten_obs(obs)
    assert flat.shape == (28,) and np.array_equal(flat[25:], obs["desired_goal"].astype(np.float32))
    batched = {k: np.stack([v, v]) for k, v in obs.items()}
    assert np.array_equal(robotics.flatten_obs(batched), np.stack([flat, flat]))
    env.close()


@pytest.mark.parametrize("env_id,episodes", [("FetchPickAndPlace-v4", 3), (robotics.HAMMER, 2)])
def test_rollout_dataset_shapes_boundaries_and_determinism(env_id, episodes):
    d = robotics.rollout_dataset(env_id, episodes, seed=7)
    T, L = episodes * robotics.EPISODE_STEPS[env_id], robotics.EPISODE_STEPS[env_id]
    assert d["states"].shape == d["next_states"].shape == (T, robotics.OBS_DIM[env_id])
    assert d["actions"].shape == (T, robotics.ACT_DIM[env_id])
    assert d["rewards"].shape == d["dones"].shape == d["timeouts"].shape == d["episode_starts"].shape == (T,)
    assert d["success"].shape == (episodes,) and d["success"].dtype == bool
    assert np.all(np.abs(d["actions"]) <= 1)
    # Labels: the noise-free action at each visited state; the actions taken carry the acting noise.
    assert np.array_equal(d["labels"], robotics.make_demonstrator(env_id).clean(d["states"]))
    assert not np.allclose(d["labels"], d["actions"])
    assert not d["dones"].any()  # these tasks never terminate
    assert np.array_equal(np.flatnonzero(d["episode_starts"]), np.arange(0, T, L))
    assert np.array_equal(np.flatnonzero(d["timeouts"]), np.arange(L - 1, T, L))
    inside = ~d["timeouts"][:-1]
    assert np.array_equal(d["next_states"][:-1][inside], d["states"][1:][inside])
    assert not np.array_equal(d["next_states"][L - 1], d["states"][L])  # a new episode resets
    again, other = robotics.rollout_dataset(env_id, episodes, seed=7), robotics.rollout_dataset(env_id, episodes, seed=8)
    for k in d:
        assert np.array_equal(d[k], again[k]), k
    assert not np.array_equal(d["actions"], other["actions"])


def test_transitions_file_round_trip_extends_the_demonstration_format(tmp_path):
    d = robotics.rollout_dataset("FetchPush-v4", 2, seed=0)
    demonstrators.save_transitions(tmp_path / "t.npz", d)
    back = demonstrators.load_transitions(tmp_path / "t.npz")
    assert set(back) == {"states", "actions", "rewards", "next_states", "dones", "timeouts", "episode_starts"}
    for k in back:
        assert np.array_equal(back[k], d[k]), k
    s, a = demonstrators.load_demonstrations(tmp_path / "t.npz")  # the older reader still works
    assert np.array_equal(s, d["states"]) and np.array_equal(a, d["actions"])
    # Only states and actions are required (a bring-your-own file, e.g. human Hammer demos).
    demonstrators.save_demonstrations(tmp_path / "sa.npz", d["states"], d["actions"])
    assert set(demonstrators.load_transitions(tmp_path / "sa.npz")) == {"states", "actions"}
    np.savez(tmp_path / "bad.npz", states=d["states"], actions=d["actions"], rewards=d["rewards"][:-1])
    with pytest.raises(ValueError, match="`rewards` must have shape"):
        demonstrators.load_transitions(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", observations=d["states"])
    with pytest.raises(ValueError, match="missing arrays"):
        demonstrators.load_transitions(tmp_path / "bad2.npz")


def test_hammer_phase_is_read_off_the_observation():
    x = observations(robotics.HAMMER, n=1)
    grasp, aim, strike = hammer.phases(x)
    assert grasp.all() and not aim.any() and not strike.any()  # the hammer starts on the table
    lifted = x.copy()
    lifted[:, 38] = 0.2  # the same state with the hammer up is no longer a grasp
    assert not hammer.phases(lifted)[0].any()


def _largest_jump(env_id, x0, dim, lo, hi, n=400):
    """The largest change of any action entry between neighbours when observation entry `dim` of x0
    sweeps [lo, hi] in n steps (the noise-free demonstrator)."""
    xs = np.repeat(np.asarray(x0, dtype=np.float64)[None], n, axis=0)
    xs[:, dim] = np.linspace(lo, hi, n)
    return float(np.abs(np.diff(robotics.make_demonstrator(env_id).clean(xs), axis=0)).max())


def test_slide_and_hammer_blend_their_phases_smoothly():
    """Sweeping an observation across a phase threshold moves the action gradually (smoothstep blends):
    the switching controllers they replaced jumped by 0.5-1.6 between neighbouring points of these sweeps."""
    env = robotics.make_env("FetchSlide-v4")
    x = robotics.flatten_obs(env.reset(seed=0)[0]).astype(np.float64)
    env.close()
    u = (x[25:27] - x[3:5]) / np.linalg.norm(x[25:27] - x[3:5])
    x[0:2], x[2] = x[3:5] - 0.06 * u, x[5] + 0.003  # low, at the spot behind the puck: about to strike
    assert _largest_jump("FetchSlide-v4", x, 2, x[5] - 0.005, x[5] + 0.06) < 0.1  # gripper height: descend, strike
    assert _largest_jump("FetchSlide-v4", x, 0, x[3] - 0.12, x[3] + 0.02) < 0.1  # along the line: approach, strike
    x[2] = x[5] + 0.05
    assert _largest_jump("FetchSlide-v4", x, 14, -0.01, 0.01) < 0.1  # the puck's speed: wait while it slides
    x = observations(robotics.HAMMER, n=1)[0].astype(np.float64)
    assert _largest_jump(robotics.HAMMER, x, 38, 0.0, 0.2) < 0.15  # hammer height: grasp, then aim
    assert _largest_jump(robotics.HAMMER, x, 35, x[38], x[38] + 0.2) < 0.15  # palm height: descend, close
    x[38] = 0.2  # lifted: the nail's position moves the striking point on and off its axis (aim, strike)
    assert _largest_jump(robotics.HAMMER, x, 43, x[43] - 0.2, x[43] + 0.2) < 0.15


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="no rule-based demonstrator"):
        robotics.make_demonstrator("FetchReach-v4")


# Success over episodes with seeds 0-49 (demonstrator seed 0). The documented rates (README) are
# over 200 episodes. With 50 episodes the binomial std is at most sqrt(0.25 / 50) = 0.07, so each
# band is about the 200-episode rate +- 0.2 (3 std; the seeds are fixed, so the test is
# deterministic on one machine and the margin absorbs simulator and platform drift).
BANDS = {
    "FetchPickAndPlace-v4": (0.2, 0.6),
    "FetchPush-v4": (0.2, 0.6),
    "FetchSlide-v4": (0.02, 0.25),
    robotics.HAMMER: (0.2, 0.6),
}
BAND_EPISODES = 50
# Hammer's expert drives the nail in every episode (200 of 200): 20 episodes (a 200-step episode is
# slow) show it above the band as surely, and keep the slowest test of the suite shorter.
EXPERT_EPISODES = {robotics.HAMMER: 20}


@pytest.mark.parametrize("env_id", TASKS)
def test_demonstrator_in_its_band_its_flaw_not_its_noise_and_the_expert_above(env_id):
    lo, hi = BANDS[env_id]
    rate = robotics.measure_success(env_id, BAND_EPISODES, seed=0)
    assert lo <= rate <= hi, f"{env_id}: success {rate:.2f} over {BAND_EPISODES} episodes, band [{lo}, {hi}]"
    # The flaw, not the acting noise, makes it sub-optimal: noise-free, it scores the same on the same
    # episodes (within about 2 std of the difference), so imitation's ceiling is the demonstrator.
    noise_free = robotics.measure_success(env_id, BAND_EPISODES, seed=0, noise=0)
    assert abs(noise_free - rate) <= 0.12, f"{env_id}: noise-free {noise_free:.2f}, with noise {rate:.2f}"
    # The expert (the flaw removed) leaves room above (documented over 200 episodes: 0.43 above on Push, more elsewhere).
    expert = robotics.measure_success(env_id, EXPERT_EPISODES.get(env_id, BAND_EPISODES), seed=0, expert=True)
    assert expert >= rate + 0.25 and expert > hi, f"{env_id}: expert {expert:.2f}, demonstrator {rate:.2f}"


@pytest.mark.parametrize("env_id", ["FetchPickAndPlace-v4", robotics.HAMMER])
def test_the_band_test_can_fail(env_id):
    lo, hi = BANDS[env_id]
    assert robotics.measure_success(env_id, 20, seed=0, noise=0, random_share=1.0) < lo  # random actions
    assert robotics.measure_success(env_id, 20, seed=0, noise=0.5) < lo  # acting noise that breaks the demonstrator


# ------------------------------------------------------------------------------------ the offline set's cache
@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(robotics.CACHE_ENV, str(tmp_path / "cache"))
    calls = []
    rollout = robotics.rollout_dataset
    monkeypatch.setattr(robotics, "rollout_dataset", lambda *a, **k: calls.append(a) or rollout(*a, **k))
    return tmp_path / "cache", calls


def test_offline_set_is_cached_and_read_back(cache):
    folder, calls = cache
    said = []
    first = robotics.offline_dataset("FetchPush-v4", 2, seed=5, log=said.append)
    (path,) = folder.glob("*.npz")
    assert path.name == f"FetchPush-v4__2ep__seed5__{robotics.demonstrator_version()}.npz"
    again = robotics.offline_dataset("FetchPush-v4", 2, seed=5, log=said.append)
    assert len(calls) == 1  # the second call read the file
    assert said == [  # a first run says why it waits, and where the set goes; a later one that it was read back
        f"building the offline set: 2 demonstrator episodes (1,000 take about a minute), to be cached in {folder}",
        f"offline set read from the cache {path}",
    ]
    assert (
        set(again)
        == set(first)
        == {"states", "actions", "labels", "rewards", "next_states", "dones", "timeouts", "episode_starts", "success"}
    )
    for k in first:
        assert np.array_equal(first[k], again[k]), k
    robotics.offline_dataset("FetchPush-v4", 2, seed=6)  # another key: another file
    assert len(calls) == 2 and len(list(folder.glob("*.npz"))) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other key"])
def test_a_stale_or_unreadable_cache_is_rebuilt(cache, damage):
    folder, calls = cache
    good = robotics.offline_dataset("FetchPush-v4", 2, seed=5)
    (path,) = folder.glob("*.npz")
    if damage == "garbage":
        path.write_bytes(b"not an npz")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    else:  # a file under this key that holds another set (say, from an older demonstrator)
        other = robotics.rollout_dataset("FetchPush-v4", 2, seed=6)
        np.savez(path, **other, env_id="FetchPush-v4", n_episodes=2, seed=6, version="older")
    messages = []
    back = robotics.offline_dataset("FetchPush-v4", 2, seed=5, log=messages.append)
    assert len(calls) == (3 if damage == "other key" else 2)  # rolled out again
    assert len(messages) == 1 and "rebuilding" in messages[0]
    for k in good:
        assert np.array_equal(back[k], good[k]), k
    said = []
    robotics.offline_dataset("FetchPush-v4", 2, seed=5, log=said.append)  # and the rebuilt file is good
    assert said == [f"offline set read from the cache {path}"]
    assert not list(folder.glob("*.tmp*"))


def test_a_new_demonstrator_version_is_a_new_key(cache, monkeypatch):
    folder, calls = cache
    robotics.offline_dataset("FetchPush-v4", 2, seed=5)
    monkeypatch.setattr(robotics, "demonstrator_version", lambda: "0" * 16)
    robotics.offline_dataset("FetchPush-v4", 2, seed=5)
    assert len(calls) == 2 and len(list(folder.glob("*.npz"))) == 2


def test_an_unwritable_cache_folder_is_said_in_one_line_and_the_set_still_returned(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(robotics.CACHE_ENV, str(blocker / "cache"))  # a folder inside a file cannot be made
    messages = []
    data = robotics.offline_dataset("FetchPush-v4", 1, seed=0, log=messages.append)
    assert len(data["states"]) == 50
    assert messages[0].startswith("building the offline set") and len(messages) == 2
    assert "cannot cache the offline set" in messages[1] and robotics.CACHE_ENV in messages[1]


def test_no_notice_about_the_dense_adroit_rewards():
    """gymnasium-robotics prints on import that its dense Adroit v1 rewards changed; the tasks here are not affected."""
    proc = run_python("-c", "import demonstrators; demonstrators.make_env('FetchPush-v4')")
    assert proc.returncode == 0 and "reward functions were updated" not in proc.stderr, proc.stderr


def _slide_under_pyramidal_friction(velocity, k=1.0, dt=1e-4):
    """Where a puck launched from 0 with `velocity` (N, 2) stops when its x + y and x - y velocity each slow at the
    rate k until they reach 0 (MuJoCo's pyramidal friction cone on a flat table), by small time steps."""
    p, q, position = velocity[:, 0] + velocity[:, 1], velocity[:, 0] - velocity[:, 1], np.zeros_like(velocity)
    while np.any(p != 0) or np.any(q != 0):
        p, q = (np.sign(v) * np.maximum(np.abs(v) - k * dt, 0.0) for v in (p, q))
        position += dt * np.stack([p + q, p - q], axis=1) / 2
    return position


def test_slide_expert_aims_where_friction_curves_the_puck_onto_the_goal():
    """fetch.friction_aim against a simulation of the friction it assumes: launched toward the aimed spot at the
    speed of a straight slide to it (sqrt(2 k max(|dx|, |dy|)), as along an axis), the puck stops on the goal;
    launched straight at the goal at the speed for its distance, it stops elsewhere (the test can fail)."""
    rng = np.random.default_rng(0)
    obj, goal = np.zeros((100, 3)), np.concatenate([rng.uniform(-0.4, 0.4, (100, 2)), np.zeros((100, 1))], axis=1)
    spot, w = fetch.friction_aim(obj, goal)
    assert np.allclose(np.linalg.norm(w, axis=1), 1) and np.allclose(spot, np.abs(goal[:, :2]).max(1, keepdims=True) * w)
    aimed = _slide_under_pyramidal_friction(w * np.sqrt(2 * np.abs(goal[:, :2]).max(1, keepdims=True)))
    assert np.abs(aimed - goal[:, :2]).max() < 1e-3
    dist = np.linalg.norm(goal[:, :2], axis=1, keepdims=True)
    straight = _slide_under_pyramidal_friction(goal[:, :2] / dist * np.sqrt(2 * dist))
    assert np.median(np.linalg.norm(straight - goal[:, :2], axis=1)) > 0.02
