"""The sparse locomotion tasks (gated dense reward) and the --env check."""
import numpy as np
import pytest

import gild_td3


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
