"""benchmarks/render.py: a shipped demonstrator beside a saved model of a script, rendered offscreen into a GIF."""

import numpy as np
import pytest

from conftest import ROOT, run_python

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out


def test_a_demonstrator_beside_a_saved_cair_model(tmp_path):
    flags = "--env Push --total-timesteps 150 --learning-starts 100 --batch-size 16 --hidden 32 --demo-episodes 2"
    proc = run_python(
        ROOT / "cair_ddpg.py",
        *flags.split(),
        "--eval-freq",
        "150",
        "--eval-episodes",
        "1",
        "--save-model",
        cwd=tmp_path,
        PYTHONPATH=str(ROOT),
        DEMONSTRATORS_CACHE=str(tmp_path / "cache"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (run,) = (tmp_path / "runs").glob("*")
    gif = tmp_path / "push.gif"
    proc = run_python(
        "-m", "benchmarks.render", "FetchPush-v4", "demonstrator", run, "--episodes", "1", "--size", "64", "--out", gif
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "51 frames" in proc.stdout  # a 50-step episode and its last state
    import imageio.v3 as iio

    frames = iio.imread(gif, index=None)
    assert frames.shape == (51, 64, 128, 3) and np.ptp(frames) > 0  # two panels side by side, not blank


def test_a_folder_without_a_model_is_one_line(tmp_path):
    proc = run_python("-m", "benchmarks.render", "FetchPush-v4", tmp_path, "--out", tmp_path / "x.gif")
    assert proc.returncode != 0 and "no model.npz and args.json (run the script with --save-model)" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
