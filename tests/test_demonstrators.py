"""The locomotion behaviour policies, the package's entry points (make_demonstrator, the command
line), and the demonstration file format with its errors."""

import io
import os
import pickle

import numpy as np
import pytest

import demonstrators
from conftest import run_python
from demonstrators import files, locomotion, robotics

SHIPPED = locomotion.behaviour_policies()  # the behaviour policies' tasks


# ------------------------------------------------------------------------------------ the behaviour policies
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


def test_missing_demonstrator_says_how_to_bring_your_own():
    assert not demonstrators.has_behaviour_policy("Swimmer-v5")
    with pytest.raises(ValueError, match="--demo-path"):
        demonstrators.load_behaviour_policy("Swimmer-v5")


def test_the_default_task_has_its_demonstrator():
    assert "Hopper-v5" in SHIPPED  # `python gild_td3.py --env Hopper-sparse` needs it


@pytest.mark.parametrize("env_id", SHIPPED)
def test_shipped_behaviour_policy_is_sub_optimal_in_its_band(env_id):
    lo, hi = locomotion.RETURN_BANDS[env_id]
    _, _, returns = demonstrators.rollout(env_id, 10, seed=0, with_returns=True)  # as demonstrators/README.md
    assert lo <= returns.mean() <= hi, f"{env_id}: {returns.mean():.0f} outside [{lo}, {hi}]"


# ------------------------------------------------------------------------------------ the demonstration file
STATES, ACTIONS = np.ones((4, 11)), np.zeros((4, 3))


def test_demonstration_file_round_trip(tmp_path):
    demonstrators.save_demonstrations(tmp_path / "d.npz", STATES, ACTIONS.astype(int))
    s, a = demonstrators.load_demonstrations(tmp_path / "d.npz")
    assert s.dtype == a.dtype == np.float32 and np.array_equal(s, STATES) and np.array_equal(a, ACTIONS)


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def with_nan(array, row):
    array = array.copy()
    array[row, 0] = np.nan
    return array


def damaged(data):
    """One flipped byte inside the first stored array: the zip's checksum no longer matches."""
    data = bytearray(data)
    data[data.index(b"\x93NUMPY") + 200] ^= 0xFF
    return bytes(data)


def refuse(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def file_of(name, data):
    """A writer: puts `data` (bytes) in the folder as `name` and returns its path."""

    def write(folder, monkeypatch):
        (folder / name).write_bytes(data)
        return folder / name

    return write


GOOD = npz_bytes(states=STATES, actions=ACTIONS)


def unreadable(folder, monkeypatch):
    path = file_of("d.npz", GOOD)(folder, monkeypatch)
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: the loader's open fails as the OS's would
        monkeypatch.setattr(files, "open", refuse, raising=False)
    return path


BAD_FILES = {  # kind of bad input: (writer: (folder, monkeypatch) -> the path to load, what the error says)
    "missing file": (lambda folder, _: folder / "none.npz", "no such file"),
    "folder": (lambda folder, _: folder, "is a folder"),
    "unreadable": (unreadable, r"cannot read it \(Permission denied\)"),
    "empty file": (file_of("d.npz", b""), "not an .npz file"),
    "pickle": (file_of("d.pkl", pickle.dumps({"states": STATES})), "not an .npz file"),
    "text": (file_of("d.csv", b"1,2\n"), "not an .npz file"),
    "single .npy": (file_of("d.npy", npy_bytes(STATES)), "a single .npy array"),
    "truncated": (file_of("d.npz", GOOD[:300]), "or a truncated one"),
    "damaged": (file_of("d.npz", damaged(GOOD)), r"a damaged \.npz file \(BadZipFile"),
    "missing arrays": (file_of("d.npz", npz_bytes(obs=STATES)), r"missing arrays \['states', 'actions'\].*; it has obs"),
    "1-d states": (file_of("d.npz", npz_bytes(states=STATES[0], actions=ACTIONS)), r"need 2-d .* got \(11,\) and \(4, 3\)"),
    "rows differ": (file_of("d.npz", npz_bytes(states=STATES, actions=ACTIONS[:2])), "same number"),
    "zero rows": (file_of("d.npz", npz_bytes(states=STATES[:0], actions=ACTIONS[:0])), r"\(> 0\) of rows"),
    "strings": (
        file_of("d.npz", npz_bytes(states=STATES.astype(str), actions=ACTIONS)),
        "`states` has dtype <U.*; expected numbers",
    ),
    "objects": (file_of("d.npz", npz_bytes(states=np.array([None] * 4), actions=ACTIONS)), "`states` holds Python objects"),
    "NaN": (
        file_of("d.npz", npz_bytes(states=with_nan(STATES, 2), actions=ACTIONS)),
        "`states` has 1 NaN or infinite .* row 2",
    ),
    "inf as float32": (
        file_of("d.npz", npz_bytes(states=STATES, actions=ACTIONS + 1e300)),
        "`actions` has 12 NaN or infinite",
    ),
}


@pytest.mark.parametrize("load", [demonstrators.load_demonstrations, demonstrators.load_transitions])
@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_demonstration_file_is_refused_in_one_line_that_starts_with_its_path(tmp_path, monkeypatch, kind, load):
    write, message = BAD_FILES[kind]
    path = write(tmp_path, monkeypatch)
    with pytest.raises(ValueError, match=message) as e:
        load(path)
    assert str(e.value).startswith(f"{path}: ") and "\n" not in str(e.value)
    assert e.value.__context__ is None or e.value.__suppress_context__  # no numpy or zipfile traceback chained to it


# ------------------------------------------------------------------------------------ the entry points
def test_make_demonstrator_dispatches_on_the_task():
    x = np.random.default_rng(0).uniform(-1, 1, (5, 2))
    assert np.array_equal(demonstrators.make_demonstrator("Point2D", seed=3)(x), demonstrators.Point2DDemonstrator(3)(x))
    assert isinstance(demonstrators.make_demonstrator("Hopper-v5"), demonstrators.BehaviourPolicy)
    with pytest.raises(TypeError, match="takes no options"):
        demonstrators.make_demonstrator("Hopper-v5", noise=0.1)
    fetch = demonstrators.make_demonstrator("FetchPush-v4", seed=2, noise=0.3, random_share=0.5)
    same = robotics.make_demonstrator("FetchPush-v4", seed=2, noise=0.3, random_share=0.5)
    obs = np.random.default_rng(1).normal(size=(6, 28))
    for _ in range(2):  # the same noise draws, call after call
        assert np.array_equal(fetch(obs), same(obs))
    with pytest.raises(ValueError, match="Point2D, .*Hopper-v5.*FetchPush-v4.*AdroitHandHammerSparse-v1"):
        demonstrators.make_demonstrator("Swimmer-v5")
    assert demonstrators.shipped_tasks() == demonstrators.rollout_tasks() + list(demonstrators.ROBOTICS_TASKS)


def test_the_gild_scripts_are_told_which_tasks_rollout_serves():
    message = demonstrators.no_demonstrator_message("Swimmer-v5")
    assert f"(shipped: {', '.join(['Point2D', *SHIPPED])})" in message and "--demo-path" in message
    assert all(demonstrators.has_demonstrator(t) for t in demonstrators.rollout_tasks())
    assert not demonstrators.has_demonstrator("Swimmer-v5") and not demonstrators.has_demonstrator("FetchPush-v4")


def test_the_command_line_help_lists_each_subcommand_with_an_example():
    proc = run_python("-m", "demonstrators", "--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("measure", "measure-robotics", "export"):
        assert f"python -m demonstrators {command} " in proc.stdout
        assert any(line.strip().startswith(command) for line in proc.stdout.splitlines())  # listed with its summary
