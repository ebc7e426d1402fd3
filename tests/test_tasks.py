"""The sparse locomotion tasks (gated dense reward) and the --env check."""

import numpy as np
import pytest

import gild_td3
from demonstrators import point2d


def step_from(env, x, action):
    """Put the root at x (the rest of the state as after reset) and take one step."""
    u = env.unwrapped
    qpos, qvel = u.data.qpos.copy(), u.data.qvel.copy()
    qpos[0] = x
    u.set_state(qpos, qvel)
    return env.step(action)


@pytest.mark.parametrize("name", list(gild_td3.SPARSE_THRESHOLDS))
def test_gated_reward_zero_before_threshold_dense_after(name):
    threshold = gild_td3.SPARSE_THRESHOLDS[name]
    sparse, dense = gild_td3.make_env(f"{name}-sparse"), gild_td3.make_env(f"{name}-v5")
    action = np.full(sparse.action_space.shape, 0.3, dtype=np.float32)
    for x, gated in [(threshold - 0.3, False), (threshold + 0.3, True)]:
        sparse.reset(seed=3)
        dense.reset(seed=3)
        _, r_sparse, _, _, info = step_from(sparse, x, action)
        _, r_dense, *_ = step_from(dense, x, action)
        assert r_dense != 0.0
        assert info["dense_reward"] == pytest.approx(r_dense)
        assert r_sparse == (pytest.approx(r_dense) if gated else 0.0)


def test_gate_uses_the_nominal_start_not_the_reset_position():
    env = gild_td3.make_env("Hopper-sparse")
    env.reset(seed=0)
    assert env.x_init == 0.0 and env.threshold == 1.0


def test_dense_id():
    assert gild_td3.dense_id("Walker2d-sparse") == "Walker2d-v5"
    assert gild_td3.dense_id("Hopper-v5") == "Hopper-v5"


@pytest.mark.parametrize("bad", ["Hopper", "Hoper-sparse", "Humanoid-sparse", "Hopper-v9"])
def test_unknown_env_lists_known_ones(bad):
    with pytest.raises(SystemExit, match="known tasks: Hopper-sparse, Walker2d-sparse, HalfCheetah-sparse, Ant-sparse"):
        gild_td3.check_env_id(bad)


# ------------------------------------------------------------------------------------ Point2D
def test_point2d_reward_termination_and_time_limit():
    env = gild_td3.make_env("Point2D")
    obs, _ = env.reset(seed=0)
    assert np.array_equal(obs, [0, 0]) and env.observation_space.shape == env.action_space.shape == (2,)
    rewards, term = [], False
    while not term and len(rewards) < 100:  # straight at the goal: a step of 0.1 whatever the action's length
        obs, r, term, trunc, info = env.step(5 * (point2d.GOAL - obs))
        rewards.append(r)
    t = len(rewards)
    d = [np.linalg.norm(point2d.GOAL - 0.1 * k * point2d.GOAL / np.linalg.norm(point2d.GOAL)) for k in range(1, t + 1)]
    assert t == 7 and info["is_success"] and not trunc
    assert rewards[-1] == 100 - 7  # 100 - t on reaching the goal
    assert rewards[:-1] == [pytest.approx(1 - x) if x <= 0.2 else 0.0 for x in d[:-1]]  # 1 - d within 0.2, else 0
    assert sum(r > 0 for r in rewards[:-1]) == 1
    env.reset(seed=0)
    for t in range(100):  # a zero action stays put: no reward, truncated (not terminated) at 100 steps
        obs, r, term, trunc, _ = env.step(np.zeros(2, np.float32))
        assert r == 0.0 and not term and trunc == (t == 99)


def test_point2d_demonstrator_reaches_the_goal_the_long_way():
    states, actions, returns, success = point2d.rollout(200, seed=0, with_returns=True, with_success=True)
    steps = len(states) / 200
    assert success.mean() >= 0.95  # measured: 1.00
    assert 1.5 * 7 < steps < 3 * 7  # the straight line takes 7 steps; measured: 14.1
    assert returns.mean() < 93.8  # the straight line's return is 93.9
    pi = point2d.Point2DDemonstrator(seed=3)
    a = pi(np.random.default_rng(0).uniform(-1, 1, (50, 2)))
    assert a.shape == (50, 2) and np.allclose(np.linalg.norm(a, axis=1), 1)
    s3, a3 = point2d.rollout(3, seed=0)  # deterministic per seed: the first 3 of the 200 episodes above
    assert np.array_equal(s3, states[: len(s3)]) and np.array_equal(a3, actions[: len(a3)])
    assert not np.array_equal(point2d.rollout(3, seed=1)[1][:5], a3[:5])
