"""Resumable runs (`--checkpoint-every`, `--resume`): a run stopped by a signal wherever it happens to be, or killed
outright after a checkpoint, and then resumed, ends exactly as the same run left alone: the same eval.csv (wall time
aside) and bit-identical networks. Bad `--resume` input gets one line and leaves the run's files untouched."""

import hashlib
import shutil
import signal

import numpy as np
import pytest

from conftest import ROOT, run_python, start_python

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out

OFF_POLICY = "--learning-starts 100 --batch-size 32 --eval-episodes 1"
CAIR = "--env Push --hidden 64 --demo-episodes 2 --lambda-interval 1"  # Algorithm 2 after every episode
# short runs that learn, take meta or lambda steps, and cross episode ends: TD3 and SAC (the temperature) of GILD, SAC
# on Hammer and PPO with DAgger (its rollout state) of CAIR, each stopped one way; the checkpoint mechanics are
# run_utils' (test_run_utils.py), and the DDPG scripts, not run here, list the same state as their TD3 and SAC siblings
CASES = {
    "gild_td3.py": f"--env Hopper-sparse --mode gild --total-timesteps 500 --eval-freq 100 {OFF_POLICY}",
    "gild_sac.py": f"--env Hopper-sparse --mode gild --autotune True --total-timesteps 400 --eval-freq 100 {OFF_POLICY}",
    "cair_sac.py": f"{CAIR} --env Hammer --il bc --total-timesteps 500 --eval-freq 100 {OFF_POLICY}",
    "cair_ppo_dagger.py": f"{CAIR} --il dagger --total-timesteps 1280 --num-envs 2 --num-steps 64 --minibatch-size 64 "
    "--update-epochs 2 --eval-freq 256 --eval-episodes 1",
}


def start(script, flags, cwd):
    cwd.mkdir(parents=True, exist_ok=True)
    args = [ROOT / script, *flags, "--save-model", "--progress-interval", "0"]
    return start_python(*args, cwd=cwd, PYTHONPATH=str(ROOT), DEMONSTRATORS_CACHE=str(cwd.parent))


def finished(script, flags, cwd):
    proc = start(script, flags, cwd)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-3000:]
    (run,) = (cwd / "runs").glob("*")
    return run


def stop_after_first_evaluation(proc, sig):
    """Send `sig` once the run prints its first evaluation (it then stops wherever it is); returns the output after."""
    for line in proc.stdout:
        if line.startswith("evaluation at step"):
            break
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=600)
    return out


def resume(script, run, *flags):
    return run_python(ROOT / script, "--resume", run, *flags, cwd=run.parent.parent, timeout=600)


@pytest.fixture(scope="module")
def left_alone(tmp_path_factory):
    """Each script's run of CASES left alone, made once (how often it checkpoints does not change what it computes)."""
    runs = {}

    def get(script):
        if script not in runs:
            runs[script] = finished(script, CASES[script].split(), tmp_path_factory.mktemp("alone"))
        return runs[script]

    return get


def assert_same_run(a, b):
    csv_a, csv_b = ([row.rsplit(",", 1)[0] for row in (r / "eval.csv").read_text().splitlines()] for r in (a, b))
    assert csv_a == csv_b  # every evaluation, wall time aside
    with np.load(a / "model.npz") as fa, np.load(b / "model.npz") as fb:
        assert fa.files == fb.files
        for k in fa.files:
            assert np.array_equal(fa[k], fb[k]), k


@pytest.mark.parametrize("script", ["gild_sac.py", "cair_ppo_dagger.py"])  # one end-to-end case per family and way
def test_a_run_stopped_by_sigterm_and_resumed_ends_as_one_left_alone(tmp_path, left_alone, script):
    flags = CASES[script].split()
    proc = start(script, flags + ["--checkpoint-every", "0"], tmp_path / "stopped")
    out = stop_after_first_evaluation(proc, signal.SIGTERM)
    assert proc.returncode == 3, out[-3000:]  # CHECKPOINTED: stopped, resumable
    assert "SIGTERM: stopped at step" in out and "--resume" in out
    (run,) = (tmp_path / "stopped" / "runs").glob("*")
    stopped_rows = len((run / "eval.csv").read_text().splitlines())
    resumed = resume(script, run)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "resuming" in resumed.stdout and len((run / "eval.csv").read_text().splitlines()) > stopped_rows
    assert_same_run(left_alone(script), run)


@pytest.mark.parametrize("script", ["gild_td3.py", "cair_sac.py"])
def test_a_run_killed_after_a_checkpoint_resumes_from_it(tmp_path, left_alone, script):
    """SIGKILL leaves the last periodic checkpoint; evaluations logged after it are dropped and done again."""
    flags = CASES[script].split() + ["--checkpoint-every", "256" if script == "cair_ppo_dagger.py" else "150"]
    proc = start(script, flags, tmp_path / "killed")
    for line in proc.stdout:
        if line.startswith(("evaluation at step 400", "evaluation at step 768")):
            break
    proc.kill()
    proc.wait()
    (run,) = (tmp_path / "killed" / "runs").glob("*")
    assert not (run / "checkpoint.pt.tmp").exists() or (run / "checkpoint.pt").exists()
    resumed = resume(script, run)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert_same_run(left_alone(script), run)


def test_a_finished_run_continues_to_a_larger_total(tmp_path, finished_run):
    run = tmp_path / "runs" / finished_run.name
    shutil.copytree(finished_run, run)
    resumed = resume("gild_td3.py", run, "--total-timesteps", "450", "--checkpoint-every", "1000")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "done: 450 steps" in resumed.stdout
    steps = [row.split(",")[0] for row in (run / "eval.csv").read_text().splitlines()[1:]]
    assert steps == ["100", "200", "300", "400", "450"]  # every --eval-freq steps, and at the end


# ------------------------------------------------------------------------------------------ bad input
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished gild_td3 run on Point2D, with its final checkpoint."""
    flags = "--env Point2D --mode rl --total-timesteps 300 --learning-starts 100 --eval-freq 100 --eval-episodes 1"
    return finished("gild_td3.py", flags.split() + ["--checkpoint-every", "100"], tmp_path_factory.mktemp("finished"))


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def corrupt(run, tmp_path):
    copy = tmp_path / "corrupt" / run.name
    shutil.copytree(run, copy)
    data = (copy / "checkpoint.pt").read_bytes()
    (copy / "checkpoint.pt").write_bytes(data[: len(data) // 2])
    return copy


@pytest.mark.parametrize(  # every refusal is tested on run_utils itself (test_run_utils.py); these go through a script
    "script, make_folder, flags, message",
    [
        ("cair_ddpg.py", None, [], "a run of gild_td3.py; run `"),
        ("gild_td3.py", corrupt, ["--total-timesteps", "400"], "checkpoint.pt cannot be read"),
    ],
)
def test_bad_resume_gets_one_line_and_touches_nothing(tmp_path, finished_run, script, make_folder, flags, message):
    folder = make_folder(finished_run, tmp_path) if make_folder else finished_run
    before = digest(folder)
    proc = resume(script, folder, *flags)
    assert proc.returncode != 0
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert digest(folder) == before
