"""run_utils, the run plumbing every script imports, tested once here: the arguments of `--resume`, checkpoints
written atomically and read without running code, the stop signals, the replay buffer's state, the run folder's logs
cut back to the checkpoint, and every shipped task's environment state restored bit for bit. End-to-end resumes of
the scripts themselves are in test_resume.py."""

import importlib.util
import json
import os
import random
import signal
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import pytest
import torch

import demonstrators
import run_utils
from demonstrators import robotics


@dataclass
class Args(run_utils.RunArgs):
    exp_name: str = "toy"
    env: str = "Toy-v0"
    seed: int = 1
    threads: int = 1
    gamma: float = 0.99
    total_timesteps: int = 300


def make_run(folder, script="toy.py", step=300, **args):
    """A run folder as a script leaves it: args.json, and a checkpoint taken at `step`."""
    folder.mkdir(parents=True)
    (folder / "args.json").write_text(json.dumps({"script": script, **vars(Args(**args))}))
    run_utils.write_checkpoint(folder, {"logger": {"step": step}, "weights": np.arange(3.0)})
    return folder


def resume(monkeypatch, folder, *flags):
    monkeypatch.setattr("sys.argv", ["toy.py", "--resume", str(folder), *flags])
    args = run_utils.resumed_args(Args(resume=str(folder)), Args, "/somewhere/toy.py")
    return args, run_utils.read_checkpoint(args)


# ------------------------------------------------------------------------------------------ flags
def test_out_of_range_names_each_bad_flag_with_its_value():
    ranges = {"gamma": "(0, 1]", "total_timesteps": ">= 1", "seed": "[0, 10)", "threads": "> 0", "wandb_entity": ">= 0"}
    assert run_utils.out_of_range(Args(), ranges) == []  # wandb_entity None: a per-task default, unset, is skipped
    bad = Args(gamma=0.0, total_timesteps=-5, seed=10, threads=0)
    assert run_utils.out_of_range(bad, ranges) == [
        "--gamma must be in (0, 1], not 0.0",
        "--total-timesteps must be >= 1, not -5",
        "--seed must be in [0, 10), not 10",
        "--threads must be > 0, not 0",
    ]
    assert run_utils.out_of_range(Args(gamma=1.0, seed=0), ranges) == []  # the closed ends are in
    assert run_utils.out_of_range(Args(gamma=float("nan")), {"gamma": "(0, 1]"}) == ["--gamma must be in (0, 1], not nan"]


def test_run_name_shows_the_ablations_that_differ_from_their_defaults(monkeypatch):
    monkeypatch.setattr("run_utils.args.time.time", lambda: 1700000000.5)
    ablations = ("gamma", "track", "wandb_project_name")
    assert run_utils.run_name(Args(), "bc", ablations) == "Toy-v0__toy__bc__1__1700000000"
    named = run_utils.run_name(Args(gamma=0.5, track=True, wandb_project_name="p", seed=3), "bc", ablations)
    assert named == "Toy-v0__toy__bc-gamma-0.5-track-wandb-project-name-p__3__1700000000"
    assert run_utils.run_name(Args(gamma=1e-5), "gild", ablations).split("__")[2] == "gild-gamma-1e-05"


# ------------------------------------------------------------------------------------------ --resume
def test_resume_takes_the_runs_own_arguments_and_the_safe_changes(tmp_path, monkeypatch):
    folder = make_run(tmp_path / "runs" / "r", step=200, gamma=0.9)
    args, checkpoint = resume(monkeypatch, str(folder) + "/", "--threads", "2", "--total-timesteps", "400")
    assert (args.gamma, args.threads, args.total_timesteps, args.resume) == (0.9, 2, 400, str(folder))
    assert checkpoint["logger"]["step"] == 200 and torch.equal(checkpoint["weights"], torch.arange(3.0, dtype=torch.float64))


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--seed", "2", "--gamma", "0.5"], "--seed, --gamma cannot change"),
        (["--total-timesteps", "200"], "--total-timesteps (only upward) cannot change"),
        ([], "the run finished at step 300; give a larger --total-timesteps"),
    ],
)
def test_resume_refuses_what_would_change_the_run(tmp_path, monkeypatch, flags, message):
    folder = make_run(tmp_path / "r")
    with pytest.raises(SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        resume(monkeypatch, folder, *flags)
    assert len(str(e.value.code).splitlines()) == 1


def test_resume_names_what_is_wrong_with_the_folder(tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="no checkpoint.pt and args.json there"):
        resume(monkeypatch, tmp_path)
    monkeypatch.setattr("sys.orig_argv", [".venv/bin/python", "scripts/toy.py"])
    with pytest.raises(SystemExit, match=r"a run of other.py; run `.venv/bin/python other.py --resume"):
        resume(monkeypatch, make_run(tmp_path / "other", script="other.py"))  # beside sys.argv[0], toy.py
    folder = make_run(tmp_path / "broken", step=100)
    (folder / "checkpoint.pt").write_bytes((folder / "checkpoint.pt").read_bytes()[:100])
    with pytest.raises(SystemExit, match="checkpoint.pt cannot be read"):
        resume(monkeypatch, folder)
    (folder / "args.json").write_text('{"script": "toy.py", "no_such_flag": 1}')
    with pytest.raises(SystemExit, match="args.json is not this script's"):
        resume(monkeypatch, folder)


def test_a_checkpoint_is_replaced_whole_and_runs_no_code(tmp_path):
    run_utils.write_checkpoint(tmp_path, {"a": np.ones(2), "n": np.int64(3), "nested": [(np.zeros(1), 1.5)]})
    run_utils.write_checkpoint(tmp_path, {"a": np.zeros(2)})
    assert os.listdir(tmp_path) == ["checkpoint.pt"]  # no temporary file left
    assert torch.equal(torch.load(tmp_path / "checkpoint.pt", weights_only=True)["a"], torch.zeros(2, dtype=torch.float64))


def test_random_generators_are_restored_through_a_checkpoint(tmp_path):
    run_utils.write_checkpoint(tmp_path, {"rng": run_utils.rng_states()})
    first = (np.random.rand(), float(torch.rand(1)), random.random())
    run_utils.set_rng_states(torch.load(tmp_path / "checkpoint.pt", weights_only=True)["rng"])
    assert (np.random.rand(), float(torch.rand(1)), random.random()) == first


# ------------------------------------------------------------------------------------------ stop signals
def test_sigterm_asks_for_a_checkpoint_and_a_stop():
    old = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        stop = run_utils.StopSignal()
        assert not stop.checkpoint_due(7, 1, 0, 100)
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.name == "SIGTERM" and stop.checkpoint_due(7, 1, 0, 100)
    finally:
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGINT, old[1])


def test_the_stop_line_says_how_to_continue_as_the_user_ran_it(monkeypatch, capsys):
    monkeypatch.setattr("sys.orig_argv", [".venv/bin/python", "../gild_td3.py", "--env", "Point2D"])
    monkeypatch.setattr("sys.argv", ["../gild_td3.py", "--env", "Point2D"])
    stop = run_utils.StopSignal.__new__(run_utils.StopSignal)
    stop.name = "SIGINT"
    stop.stopped("runs/my run", "gild_td3.py", 1200)
    out = capsys.readouterr().out
    assert out == "SIGINT: stopped at step 1200; checkpoint written; continue with: " + (
        ".venv/bin/python ../gild_td3.py --resume 'runs/my run'\n"
    )


@pytest.mark.parametrize(
    "step, stride, every, last, due",
    [(10, 1, 5, 100, True), (11, 1, 5, 100, False), (12, 4, 10, 100, True), (100, 1, 0, 100, False), (99, 2, 50, 100, True)],
)
def test_periodic_checkpoints(step, stride, every, last, due):
    stop = run_utils.StopSignal.__new__(run_utils.StopSignal)  # no handlers installed
    stop.name = None
    assert stop.checkpoint_due(step, stride, every, last) == due


# ------------------------------------------------------------------------------------------ replay buffer
def test_replay_buffer_state_round_trip_and_growth():
    rb = run_utils.ReplayBuffer(4, 2, 1, "cpu")
    for i in range(6):  # wraps around
        rb.add(np.full(2, i), np.full(2, i + 1), np.full(1, -i), i, i % 2 == 0)
    same, larger = run_utils.ReplayBuffer(4, 2, 1, "cpu"), run_utils.ReplayBuffer(10, 2, 1, "cpu")
    same.load_state_dict(rb.state_dict())
    larger.load_state_dict(rb.state_dict())
    assert (same.ptr, same.full) == (2, True) and torch.equal(same.obs, rb.obs) and torch.equal(same.dones, rb.dones)
    assert (larger.ptr, larger.full) == (4, False) and torch.equal(larger.rewards[:4], rb.rewards)
    torch.manual_seed(0)
    batch = same.sample(5)
    torch.manual_seed(0)
    assert all(torch.equal(x, y) for x, y in zip(batch, rb.sample(5)))


# ------------------------------------------------------------------------------------------ the run's logs
class Logs(run_utils.RunLogs):
    def evaluation(self, step, value):
        self.csv.write(f"{step},{value},0\n")


def test_logs_are_cut_back_to_the_checkpoint_on_resume(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = Args(progress_interval=0)
    logs = Logs(__file__, args, "r", "mode", "cpu", {"x": ("", "eval/x")})
    for step in (100, 200, 300):
        logs.evaluation(step, step / 100)
        if step == 200:
            state = logs.state(step)
    logs.close()
    assert json.loads((tmp_path / "runs/r/args.json").read_text())["script"] == "test_run_utils.py"
    logs = Logs(__file__, Args(resume="runs/r", progress_interval=0), "r", "mode", "cpu", {"x": ("", "eval/x")}, state)
    logs.evaluation(300, 9)
    logs.close()
    assert (tmp_path / "runs/r/eval.csv").read_text().splitlines() == [
        "global_step,x,wall_time",
        "100,1.0,0",
        "200,2.0,0",
        "300,9,0",
    ]


@pytest.mark.skipif(importlib.util.find_spec("wandb") is not None, reason="wandb is installed")
def test_track_without_wandb_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="pip install wandb"):
        Logs(__file__, Args(track=True), "r", "mode", "cpu", {})
    assert not (tmp_path / "runs").exists()


def test_progress_line_waits_for_the_loop_and_takes_the_time_left_from_the_learning_speed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    now = [0.0]
    monkeypatch.setattr("run_utils.logs.time.time", lambda: now[0])
    logs = Logs(__file__, Args(progress_interval=10, total_timesteps=10_000), "r", "mode", "cpu", {})
    capsys.readouterr()
    lines = []
    for now[0], step in [(70, 1), (75, 500), (80, 1001), (90, 1101), (130, 1111)]:  # 70 s of set-up, then the loop
        if step == 1001:
            logs.learning_started(step)  # after a fast random warm-up
        logs.progress(step)
        lines.append(capsys.readouterr().out.split("; last evaluation")[0])
    logs.close()
    assert lines[:2] == ["", ""]  # no line for the set-up, the first one 10 s into the loop
    assert lines[2] == "1001/10000 steps (10.0%), 100.1 steps/s, time left: once learning has run a while"
    assert lines[3] == "1101/10000 steps (11.0%), 10.0 steps/s, 0h14m left"  # at 10 steps/s, not the warm-up's 100
    assert lines[4] == "1111/10000 steps (11.1%), 0.2 steps/s, 1h07m left"  # an evaluation: not one interval's 9.9 h


# ------------------------------------------------------------------------------------------ environment state
def trace(env, actions):
    """Observations, rewards and episode ends of `actions` played in `env`, resetting at each end."""
    out = []
    for a in actions:
        obs, r, term, trunc, _ = env.step(a)
        out.append(np.concatenate([robotics.flatten_obs(obs).astype(np.float64).ravel(), [r, term, trunc]]))
        if term or trunc:
            out.append(robotics.flatten_obs(env.reset()[0]).astype(np.float64).ravel())
    return np.concatenate(out)


@pytest.mark.parametrize(
    "env_id, steps",
    [("Hopper-v5", 37), ("Walker2d-v5", 37), ("HalfCheetah-v5", 37), ("Ant-v5", 37), ("Point2D", 37)]
    + [("FetchPickAndPlace-v4", 23), ("FetchPush-v4", 50), ("FetchSlide-v4", 31)]
    + [(demonstrators.HAMMER, 77), (demonstrators.HAMMER, 200)],
)
def test_a_restored_environment_repeats_the_original_bit_for_bit(env_id, steps):
    """Every shipped task, mid-episode and across episode ends (Hammer's 200 is one), on a fresh env reset with
    another seed."""
    make = robotics.make_env if env_id in robotics.ROBOTICS_TASKS else gym.make
    env, copy = make(env_id), make(env_id)
    actions = np.random.default_rng(0).uniform(-1, 1, (steps + 260, env.action_space.shape[0])).astype(np.float32)
    env.reset(seed=3)
    trace(env, actions[:steps])
    state = run_utils.env_state(env)
    copy.reset(seed=99)
    trace(copy, actions[:5])
    run_utils.set_env_state(copy, state)
    assert np.array_equal(trace(env, actions[steps:]), trace(copy, actions[steps:]))
