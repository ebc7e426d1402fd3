"""End to end runs of the GILD scripts for a few hundred steps, through the learning updates."""

import signal

import numpy as np
import pytest

import demonstrators
from conftest import ROOT, eval_rows, start_python

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out

TINY = (
    "--env Hopper-sparse --total-timesteps 400 --learning-starts 100 --batch-size 32 --eval-freq 200 "
    "--eval-episodes 1 --save-model --progress-interval 1e-9"
).split()


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


# each script's flags for the authors' code's behaviour (see its docstring)
CODE_FLAGS = {
    "gild_td3.py": ["--unit-il-weights", "--meta-loss", "tanh-of-means", "--meta-every-iteration", "--xavier-critic"],
    "gild_sac.py": [
        *("--unit-il-weights", "--meta-loss", "tanh-of-means", "--gild-on-replay-states", "--il-pre-tanh"),
        *("--xavier-critic", "--xavier-actor", "--exact-tanh-logdet"),
        *("--autotune", "True", "--authors-alpha-loss", "--target-network-frequency", "2"),
    ],
    "gild_ddpg.py": ["--unit-il-weights", "--meta-loss", "tanh-of-means"],
}
SCRIPTS = list(CODE_FLAGS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_mode_runs_and_gild_learns_omega(run_script, demo_file, script):
    out = {}
    for mode, extra in [("rl", []), ("il", []), ("gild", []), ("gild-flags", CODE_FLAGS[script])]:
        proc = run_script(script, *TINY, "--mode", mode.split("-")[0], "--demo-path", demo_file, *extra)
        assert len(eval_rows(proc)) == 2
        assert "steps/s while learning" in proc.stdout
        assert f"mode {mode.split('-')[0]}, seed 1; cpu, 1 torch thread(s); 400 steps; logging to runs/" in proc.stdout
        assert "399/400 steps (99.8%)" in proc.stdout and "left; last evaluation: step 200: eval_return_mean" in proc.stdout
        out[mode] = saved(proc, "gild/")
        if mode == "gild":  # 300 updates; TD3 meta-steps with its delayed actor updates, SAC and DDPG with every one
            assert f"300 updates, {150 if script == 'gild_td3.py' else 300} meta steps" in proc.stdout
    for k in out["il"]:  # same seed in every mode, so il's omega is gild's initial omega
        assert np.array_equal(out["il"][k], out["rl"][k])
    for mode in ("gild", "gild-flags"):
        assert any(not np.array_equal(out[mode][k], out["il"][k]) for k in out["il"])


@pytest.mark.parametrize(
    "script, flags, meta_steps",
    [
        # 400 steps, N = 4: GILD while the update count (from 1) is below N, as the authors count: updates 1-3,
        ("gild_td3.py", ["--gild-warm-start", "0.01"], 1),  # of which TD3's delayed actor steps on update 2
        ("gild_td3.py", ["--gild-warm-start", "0.01", "--meta-every-iteration"], 3),
        ("gild_td3.py", ["--gild-warm-start", "0"], 0),
        ("gild_td3.py", ["--gild-warm-start-updates", "20"], 9),  # the authors' N = 20: 9 meta steps with TD3,
        ("gild_sac.py", ["--gild-warm-start-updates", "20", "--gild-warm-start", "0.5"], 19),  # 19 with SAC and DDPG
        ("gild_ddpg.py", ["--gild-warm-start-updates", "20"], 19),
        ("gild_sac.py", ["--gild-warm-start", "0.01"], 3),  # SAC and DDPG: a meta step with every update
        ("gild_ddpg.py", ["--gild-warm-start", "0.01"], 3),
    ],
)
def test_meta_step_count_follows_warm_start_and_cadence(run_script, demo_file, script, flags, meta_steps):
    proc = run_script(script, *TINY, "--mode", "gild", "--demo-path", demo_file, *flags)
    assert f"300 updates, {meta_steps} meta steps" in proc.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_interrupted_run_keeps_its_log_and_model(tmp_path, script):
    proc = start_python(ROOT / script, *TINY, "--mode", "rl", "--total-timesteps", "100000", cwd=tmp_path)
    for line in proc.stdout:
        if line.startswith("evaluation at step 200:"):
            break
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 3  # stopped at the end of the step, with a checkpoint (tests/test_resume.py)
    (run,) = (tmp_path / "runs").glob("*")
    assert (run / "eval.csv").read_text().splitlines()[1].startswith("200,")
    assert (run / "model.npz").exists() and (run / "checkpoint.pt").exists()  # written on the way out


@pytest.mark.parametrize("script", SCRIPTS)
def test_point2d_with_its_shipped_demonstrator(run_script, script):
    proc = run_script(
        script,
        "--env",
        "Point2D",
        "--mode",
        "gild",
        "--total-timesteps",
        "300",
        "--learning-starts",
        "100",
        "--batch-size",
        "32",
        "--eval-freq",
        "300",
        "--eval-episodes",
        "2",
    )
    assert "demonstration pairs" in proc.stdout and "200 updates, " in proc.stdout
    assert len(eval_rows(proc)) == 1


@pytest.mark.parametrize("script", SCRIPTS)
def test_gild_diagnostics_are_logged_and_finite(run_script, demo_file, script):
    from conftest import tb_scalars

    flags = ["--total-timesteps", "1000", "--learning-starts", "900"]  # a meta step at step 1000, when they are logged
    proc = run_script(script, *TINY, "--mode", "gild", "--demo-path", demo_file, *flags)
    tags = ["actor_grad_norm_gild", "actor_grad_norm_rl", "actor_grad_norm_il", "cos_gild_rl", "cos_gild_il"]
    values = {tag: tb_scalars(proc, f"gild/{tag}") for tag in [*tags, "output_std", "meta_grad_above_decay"]}
    assert all(len(v) == 1 and np.isfinite(v[0]) for v in values.values()), values
    assert values["actor_grad_norm_gild"][0] > 0 and 0 <= values["meta_grad_above_decay"][0] <= 1


CRITIC, SAC_ACTOR = ["qf1/fc1", "qf1/fc2", "qf1/fc3"], ["actor/fc1", "actor/fc2", "actor/fc_mean", "actor/fc_logstd"]


@pytest.mark.parametrize(
    "script, flags, xavier, default",
    [
        ("gild_td3.py", ["--xavier-critic"], CRITIC, []),
        ("gild_sac.py", ["--xavier-critic"], CRITIC, SAC_ACTOR),
        ("gild_sac.py", ["--xavier-actor"], SAC_ACTOR, CRITIC),
    ],
)
def test_xavier_flags_are_the_authors_init(run_script, script, flags, xavier, default):
    proc = run_script(script, *TINY, "--mode", "rl", "--learning-starts", "400", *flags)  # no update
    model = saved(proc, "")
    for layer in xavier + default:
        w, b = model[f"{layer}.weight"], model[f"{layer}.bias"]
        bound = np.sqrt(6 / sum(w.shape))  # xavier_uniform's
        if layer in xavier:
            assert np.all(b == 0) and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound, layer
        else:  # PyTorch's default: biases uniform in +-1/sqrt(fan_in)
            assert np.all(b != 0), layer


@pytest.mark.parametrize("script", SCRIPTS)
def test_intuitive_meta_loss_runs_its_meta_steps(run_script, demo_file, script):
    """RQ3's meta-loss through the whole update (its gradient is pinned in tests/test_gild_math.py)."""
    proc = run_script(script, *TINY, "--mode", "gild", "--demo-path", demo_file, "--meta-loss", "intuitive")
    assert f"300 updates, {150 if script == 'gild_td3.py' else 300} meta steps" in proc.stdout
    (run,) = proc.runs.glob("*")
    assert "meta-loss-intuitive" in run.name  # the folder names the ablation
    assert np.isfinite(saved(proc, "gild/")["gild/fc3.weight"]).all()


def test_sac_target_critics_follow_their_interval(run_script):
    import torch

    def checkpoint(*flags):
        proc = run_script("gild_sac.py", *TINY, "--mode", "rl", "--total-timesteps", "300", *flags)
        (path,) = proc.runs.glob("*/checkpoint.pt")
        return torch.load(path, weights_only=True)["modules"]

    initial = checkpoint("--learning-starts", "300")  # no update: the critics as initialised
    never = checkpoint("--target-network-frequency", "1000")  # 200 updates, none of them of the targets
    every_other = checkpoint("--target-network-frequency", "2")
    for k, v in initial["qf1_target"].items():
        assert torch.equal(never["qf1_target"][k], v) and not torch.equal(every_other["qf1_target"][k], v)
        assert not torch.equal(never["qf1"][k], initial["qf1"][k])  # the critics themselves did learn
