"""The locomotion behaviour policies and the demonstration file format."""
import numpy as np
import pytest

import demonstrators
from demonstrators import locomotion


@pytest.fixture
def policy(tmp_path):
    """A random actor in the shipped weight format (so these tests need no trained weights)."""
    rng = np.random.default_rng(0)
    shapes = {"fc1": (256, 11), "fc2": (256, 256), "fc_mu": (3, 256)}
    arrays = {f"{n}.weight": rng.normal(0, 1 / np.sqrt(s[1]), s) for n, s in shapes.items()}
    arrays.update({f"{n}.bias": np.zeros(s[0]) for n, s in shapes.items()})
    np.savez(tmp_path / "p.npz", action_scale=np.ones(3), action_bias=np.zeros(3), **arrays)
    return demonstrators.BehaviourPolicy(tmp_path / "p.npz")


def test_batch_query_matches_single_states(policy):
    states = np.random.default_rng(1).normal(size=(7, 11))
    batch = policy(states)
    assert batch.shape == (7, 3) and batch.dtype == np.float32
    assert np.all(np.abs(batch) <= 1)
    assert np.allclose(batch, np.concatenate([policy(x[None]) for x in states]))


def test_rollout_is_deterministic_per_seed_with_right_shapes(policy):
    s1, a1, r1 = demonstrators.rollout("Hopper-v5", 3, seed=5, policy=policy, with_returns=True)
    s2, a2 = demonstrators.rollout("Hopper-v5", 3, seed=5, policy=policy)
    s3, _ = demonstrators.rollout("Hopper-v5", 3, seed=6, policy=policy)
    assert s1.shape[1] == 11 and a1.shape == (len(s1), 3) and s1.dtype == a1.dtype == np.float32
    assert len(r1) == 3
    assert np.array_equal(s1, s2) and np.array_equal(a1, a2)
    assert not (len(s1) == len(s3) and np.array_equal(s1, s3))


def test_demonstration_file_round_trip_and_errors(tmp_path):
    states, actions = np.ones((4, 11)), np.zeros((4, 3))
    demonstrators.save_demonstrations(tmp_path / "d.npz", states, actions)
    s, a = demonstrators.load_demonstrations(tmp_path / "d.npz")
    assert np.array_equal(s, states) and np.array_equal(a, actions)
    np.savez(tmp_path / "bad.npz", obs=states)
    with pytest.raises(ValueError, match="missing arrays"):
        demonstrators.load_demonstrations(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", states=states, actions=actions[:2])
    with pytest.raises(ValueError, match="same number"):
        demonstrators.load_demonstrations(tmp_path / "bad2.npz")


def test_missing_demonstrator_says_how_to_bring_your_own():
    assert not demonstrators.has_behaviour_policy("Swimmer-v5")
    with pytest.raises(ValueError, match="--demo-path"):
        demonstrators.load_behaviour_policy("Swimmer-v5")


SHIPPED = sorted(p.stem for p in locomotion.WEIGHTS.glob("*.npz"))


def test_the_default_task_has_its_demonstrator():
    assert "Hopper-v5" in SHIPPED  # `python gild_td3.py --env Hopper-sparse` needs it


@pytest.mark.parametrize("env_id", SHIPPED)
def test_shipped_behaviour_policy_is_sub_optimal_in_its_band(env_id):
    lo, hi = locomotion.RETURN_BANDS[env_id]
    _, _, returns = demonstrators.rollout(env_id, 10, seed=0, with_returns=True)  # as demonstrators/README.md
    assert lo <= returns.mean() <= hi, f"{env_id}: {returns.mean():.0f} outside [{lo}, {hi}]"
