"""Every bad input a user can give fails at start-up with one clear line on stderr, never a traceback."""

import importlib.util

import numpy as np
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out

GILD = ["gild_td3.py", "gild_sac.py", "gild_ddpg.py"]
CAIR = ["cair_sac.py", "cair_ddpg.py", "cair_ppo_dagger.py"]
# the flags that make each script read a demonstrations file (Hopper-sparse: 11-d states, 3-d actions; Push: 28 and 4)
DEMO_FLAGS = {**{s: ["--mode", "il"] for s in GILD}, **{s: ["--env", "Push", "--il", "bc"] for s in CAIR}}


def assert_clear_error(proc, message):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert message in proc.stderr.strip().splitlines()[-1], proc.stderr[-2000:]


@pytest.mark.parametrize(
    "script, args, message",
    [
        *[(s, ["--env", "FetchReach-v4"], "CAIR's tasks: FetchPickAndPlace-v4, FetchPush-v4") for s in CAIR],
        *[(s, ["--cagrad-c", "1"], "--cagrad-c must be in [0, 1)") for s in CAIR],
        *[(s, ["--lambda-init", "1.5"], "--lambda-init must be in [0, 1]") for s in CAIR],
        ("cair_ppo_dagger.py", ["--minibatch-size", "1000"], "--minibatch-size must divide num_envs x num_steps = 2048"),
        ("cair_ppo_dagger.py", ["--cos-ema", "1"], "--cos-ema must be in [0, 1)"),
        ("cair_sac.py", ["--no-autotune", "--alpha", "-0.1"], "--alpha must be >= 0, not -0.1"),
        ("cair_sac.py", ["--alpha", "0.2"], "--alpha is the temperature held with --no-autotune"),
        *[(s, ["--il", "dagger", "--demo-path", "x.npz"], "--demo-path is for bc") for s in CAIR[:2]],
        *[(s, ["--env", "Hopper"], "known tasks: Hopper-sparse") for s in GILD],
        *[(s, ["--gamma", "1.5"], "--gamma must be in (0, 1]") for s in GILD],
        *[(s, ["--gild-warm-start", "2"], "--gild-warm-start must be in [0, 1]") for s in GILD],
        *[(s, ["--env", "Swimmer-v5", "--mode", "gild"], "--demo-path") for s in GILD],
        *[(s, ["--buffer-size", "0"], "--buffer-size must be >= 1") for s in GILD],
        *[(s, ["--buffer-size", "0"], "--buffer-size must be >= 1, not 0") for s in CAIR[:2]],
        *[(s, ["--total-timesteps", "-5"], "--total-timesteps must be >= 1, not -5") for s in ("gild_ddpg.py", "cair_sac.py")],
        ("cair_ppo_dagger.py", ["--minibatch-size", "0"], "--minibatch-size must be >= 1, not 0"),
        ("gild_td3.py", ["--env", "FetchPush-v4"], "is a CAIR task: run it with cair_ddpg.py"),
        ("cair_ddpg.py", ["--env", "Hopper-sparse"], "run with gild_td3.py, gild_sac.py and gild_ddpg.py"),
        *[(s, ["--gild-weight-decay", "-1e-4"], "--gild-weight-decay must be >= 0") for s in GILD],
        *[(s, ["--env", "CartPole-v1"], "continuous (Box) actions and observations only") for s in GILD],
    ],
)
def test_bad_arguments(run_script, script, args, message):
    assert_clear_error(run_script(script, *args, check=False), message)


def write_bad_file(tmp_path, kind):
    """A --demo-path file with one kind of problem, and the words its error must contain."""
    path = tmp_path / f"{kind}.npz"
    states, actions = np.zeros((8, 11), np.float32), np.zeros((8, 3), np.float32)
    if kind == "missing":
        return path, "no such file"
    if kind == "not-npz":
        path.write_text("states,actions\n0,1\n")
        return path, "not an .npz"
    if kind == "missing-array":
        np.savez(path, states=states)
        return path, "missing arrays ['actions']"
    if kind == "nan":
        states[3, 2] = np.nan
        np.savez(path, states=states, actions=actions)
        return path, "NaN or inf"
    if kind == "wrong-dimensions":
        np.savez(path, states=np.zeros((8, 5), np.float32), actions=np.zeros((8, 2), np.float32))
        return path, "demonstrations are 5-d states and 2-d actions"
    raise ValueError(kind)


KINDS = ["missing", "not-npz", "missing-array", "nan", "wrong-dimensions"]


# every kind of bad file through one script of each family (the reader is demonstrators/files.py, tested on its own in
# test_demonstrators.py), and the check of the dimensions, which each script makes, through every script
@pytest.mark.parametrize(
    "script, kind",
    [(s, k) for s in ("gild_td3.py", "cair_ddpg.py") for k in KINDS] + [(s, KINDS[-1]) for s in GILD[1:] + CAIR[::2]],
)
def test_bad_demonstrations_file(run_script, tmp_path, script, kind):
    path, message = write_bad_file(tmp_path, kind)
    proc = run_script(script, *DEMO_FLAGS[script], "--demo-path", str(path), check=False)
    assert_clear_error(proc, message)
    assert proc.stderr.strip().splitlines()[-1].startswith(f"--demo-path: {path}: ")  # every file error names the file
    assert not proc.runs.exists()  # refused before the run's folder is made


@pytest.mark.skipif(importlib.util.find_spec("wandb") is not None, reason="wandb is installed")
@pytest.mark.parametrize("script", ["gild_sac.py", "cair_ppo_dagger.py"])  # run_utils.RunLogs, in test_run_utils.py too
def test_track_without_wandb(run_script, script):
    assert_clear_error(run_script(script, "--track", check=False), "pip install wandb")


@pytest.mark.parametrize("script", ["gild_sac.py", "cair_ddpg.py"])
def test_help_says_what_the_script_is(run_script, script):
    proc = run_script(script, "--help")
    first = (ROOT / script).read_text().split('"""')[1].splitlines()[0]  # the module docstring's first line
    assert first in proc.stdout and "if toggled" not in proc.stdout, proc.stdout[:500]
    assert script != "gild_sac.py" or "--autotune {True,False}" in proc.stdout
