"""End to end runs of the GILD scripts for a few hundred steps, through the learning updates."""
import signal
import subprocess
import sys

import numpy as np
import pytest

import demonstrators
from conftest import ROOT

TINY = ["--env", "Hopper-sparse", "--total-timesteps", "400", "--learning-starts", "100", "--batch-size", "32",
        "--eval-freq", "200", "--eval-episodes", "1", "--save-model"]


@pytest.fixture
def demo_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "demos.npz"
    demonstrators.save_demonstrations(path, rng.normal(size=(64, 11)), rng.uniform(-1, 1, size=(64, 3)))
    return str(path)


def saved(proc, key_prefix):
    (model,) = proc.runs.glob("*/model.npz")
    with np.load(model) as f:
        return {k: f[k] for k in f.files if k.startswith(key_prefix)}


def eval_rows(proc):
    (csv,) = proc.runs.glob("*/eval.csv")
    return csv.read_text().strip().splitlines()[1:]


SCRIPTS = ["gild_td3.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_mode_runs_and_gild_learns_omega(run_script, demo_file, script):
    out = {}
    for mode, extra in [("rl", []), ("il", []), ("gild", []), ("gild-code", ["--unit-il-weights", "--tanh-of-means",
                                                                               "--meta-on-actor-steps-only"])]:
        proc = run_script(script, *TINY, "--mode", mode.split("-")[0], "--demo-path", demo_file, *extra)
        assert len(eval_rows(proc)) == 2
        assert "steps/s while learning" in proc.stdout
        out[mode] = saved(proc, "gild/")
    for k in out["il"]:  # same seed, same initial omega; only GILD's meta steps move it
        assert np.array_equal(out["il"][k], out["rl"][k])
    for mode in ("gild", "gild-code"):
        assert any(not np.array_equal(out[mode][k], out["il"][k]) for k in out["il"])


@pytest.mark.parametrize("script", SCRIPTS)
def test_warm_start_stops_gild(run_script, demo_file, script):
    # 400 steps with --gild-warm-start 0.01: 4 GILD updates, then plain TD3 for the rest
    on = saved(run_script(script, *TINY, "--mode", "gild", "--demo-path", demo_file, "--gild-warm-start", "0.01"), "gild/")
    off = saved(run_script(script, *TINY, "--mode", "gild", "--demo-path", demo_file, "--gild-warm-start", "0"), "gild/")
    full = saved(run_script(script, *TINY, "--mode", "gild", "--demo-path", demo_file), "gild/")
    assert any(not np.array_equal(on[k], off[k]) for k in on)
    assert any(not np.array_equal(on[k], full[k]) for k in on)


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("args, message", [
    (["--env", "Hopper"], "known tasks: Hopper-sparse"),
    (["--gamma", "1.5"], "--gamma must be in (0, 1]"),
    (["--gild-warm-start", "2"], "--gild-warm-start must be in [0, 1]"),
    (["--env", "Swimmer-v5", "--mode", "gild"], "--demo-path"),
])
def test_bad_input_fails_at_start_with_a_clear_error(run_script, script, args, message):
    proc = run_script(script, *args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_interrupted_run_keeps_its_log(tmp_path, script):
    proc = subprocess.Popen([sys.executable, str(ROOT / script), *TINY[:-1], "--mode", "rl", "--total-timesteps", "100000"],
                            cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("step=200"):
            break
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    (csv,) = (tmp_path / "runs").glob("*/eval.csv")
    assert csv.read_text().splitlines()[1].startswith("200,")
