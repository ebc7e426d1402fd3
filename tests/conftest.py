import csv
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture
def run_script(tmp_path):
    """Run a top-level script in a scratch folder (its runs/ land there, the offline sets' cache beside them);
    returns the CompletedProcess."""

    calls = iter(range(10**6))

    def run(script, *args, check=True):
        cwd = tmp_path / f"call{next(calls)}"
        cwd.mkdir()
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), DEMONSTRATORS_CACHE=str(tmp_path / "cache"))
        proc = subprocess.run([sys.executable, str(ROOT / script), *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"{script} {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        proc.runs = cwd / "runs"
        return proc

    return run


def eval_rows(proc):
    """The rows of a run's eval.csv, as {column: value} dicts."""
    (path,) = proc.runs.glob("*/eval.csv")
    with path.open() as f:
        return list(csv.DictReader(f))


def tb_scalars(proc, tag):
    """The values a run logged to TensorBoard under `tag`, in step order (read as benchmarks/plot.py reads them)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from plot import read_tensorboard

    (run,) = proc.runs.glob("*/")
    return read_tensorboard(run, tag)[1].tolist()
