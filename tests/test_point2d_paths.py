"""benchmarks/point2d_paths.py: Point2D runs trained in resumed pieces, a policy snapshot after each, and the paths."""

import numpy as np
import pytest

from benchmarks import point2d_paths
from conftest import run_python

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out

TINY = "--learning-starts 100 --batch-size 16 --eval-freq 300 --eval-episodes 1"


def test_pieces_snapshots_and_paths(tmp_path):
    out = tmp_path / "study"
    args = ["-m", "benchmarks.point2d_paths", "train", "--out", out, "--steps", "300", "600", f"--extra={TINY}"]
    proc = run_python(*args, "--modes", "--mode rl", "--mode gild")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for mode in ("mode-rl", "mode-gild"):
        folder = out / "gild_td3" / mode / "seed1"
        (run,) = (folder / "runs").glob("*")  # one run, resumed for the second piece
        assert [row.split(",")[0] for row in (run / "eval.csv").read_text().splitlines()[1:]] == ["300", "600"]
        first, second = (np.load(folder / "snapshots" / f"model_{n}.npz") for n in (300, 600))
        assert not np.array_equal(first["actor/fc1.weight"], second["actor/fc1.weight"])  # it went on learning
    proc = run_python(*args, "--modes", "--mode rl")  # again: nothing left to do
    assert proc.returncode == 0 and "--total-timesteps" not in proc.stdout

    path, reached = point2d_paths.policy_path("gild_td3", out / "gild_td3/mode-rl/seed1/snapshots/model_600.npz")
    assert np.array_equal(path[0], [0, 0]) and (reached or len(path) == 101)
    moves = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert abs(moves[0] - 0.1) < 1e-5 and np.all(moves < 0.1 + 1e-5)  # Point2D's fixed step (shorter at a wall)
    demo = point2d_paths.demonstrator_path()
    assert len(demo) - 1 == 13 and np.linalg.norm(demo[-1] - [0.5, 0.5]) <= 0.05  # the detour reaches the goal

    png = tmp_path / "paths.png"
    proc = run_python("-m", "benchmarks.point2d_paths", "plot", out, "--out", png)
    assert proc.returncode == 0, proc.stderr
    assert "| 600 | gild_td3 | mode-gild | seed1 |" in proc.stdout and png.stat().st_size > 10_000
