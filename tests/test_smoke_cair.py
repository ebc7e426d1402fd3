"""End to end runs of the CAIR scripts for a few hundred steps, through the actor updates and lambda updates."""
import numpy as np
import pytest

SCRIPTS = ["cair_sac.py", "cair_ddpg.py"]
TINY = ["--total-timesteps", "300", "--learning-starts", "100", "--batch-size", "32", "--hidden", "64", "--eval-freq", "300",
        "--eval-episodes", "1", "--demo-episodes", "2", "--lambda-interval", "5", "--save-model"]


def eval_rows(proc):
    (csv,) = proc.runs.glob("*/eval.csv")
    return [line.split(",") for line in csv.read_text().strip().splitlines()[1:]]


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("env", ["FetchPush-v4", "Hammer"])
@pytest.mark.parametrize("il", ["bc", "dagger"])
def test_cair_runs_through_actor_and_lambda_updates(run_script, script, env, il):
    proc = run_script(script, *TINY, "--env", env, "--il", il)
    assert "200 actor updates" in proc.stdout
    (row,) = eval_rows(proc)
    lam = float(row[4])
    assert 0 <= lam < 1  # 40 lambda updates moved it down from 1
    assert float(row[3]) == {"FetchPush-v4": 0.455, "Hammer": 0.405}[env]  # the demonstrator's bar beside the curve


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("flags, expected", [
    (["--il", "none"], 0.0),
    (["--lambda-schedule", "constant", "--cagrad-c", "0"], 1.0),
    (["--lambda-schedule", "fixed-step", "--lambda-delta", "0.02"], 1.0 - 40 * 0.02),
])
def test_lambda_schedules(run_script, script, flags, expected):
    proc = run_script(script, *TINY, "--env", "Push", *flags)
    (row,) = eval_rows(proc)
    assert float(row[4]) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("args, message", [
    (["--env", "FetchReach-v4"], "known tasks: FetchPickAndPlace-v4, FetchPush-v4"),
    (["--cagrad-c", "1"], "--cagrad-c must be in [0, 1)"),
    (["--lambda-init", "1.5"], "--lambda-init must be in [0, 1]"),
])
def test_bad_input_fails_at_start_with_a_clear_error(run_script, script, args, message):
    proc = run_script(script, *args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout
