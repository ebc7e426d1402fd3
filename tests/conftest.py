"""Helpers shared by the tests. The repository root is on the import path (pyproject.toml's
`pythonpath`), so tests import the scripts, `demonstrators` and `benchmarks` directly."""

import csv
import os
import pathlib
import signal
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_python(*args, cwd=ROOT, timeout=300, **env):
    """`python ARGS` in a subprocess, in `cwd` (default: the repository root, as a user runs the tools),
    with one torch thread and `env` added to the environment; returns the CompletedProcess (text output)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", **env)
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def start_python(*args, cwd, **env):
    """`python ARGS` started in `cwd` with one torch thread, unbuffered output on a pipe and `env` added; returns the
    Popen. A job started in the background by a shell inherits SIGINT ignored (and the scripts respect that): the
    child gets SIGINT's default, as from a terminal."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **env)
    return subprocess.Popen(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.fixture
def run_script(tmp_path):
    """Run a top-level script in a scratch folder (its runs/ land there, the offline sets' cache beside them);
    returns the CompletedProcess."""

    calls = iter(range(10**6))

    def run(script, *args, check=True):
        cwd = tmp_path / f"call{next(calls)}"
        cwd.mkdir()
        cache = str(tmp_path / "cache")
        proc = run_python(ROOT / script, *args, cwd=cwd, timeout=600, PYTHONPATH=str(ROOT), DEMONSTRATORS_CACHE=cache)
        if check and proc.returncode != 0:
            raise AssertionError(f"{script} {' '.join(map(str, args))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
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
    from benchmarks.plot import read_tensorboard

    (run,) = proc.runs.glob("*/")
    return read_tensorboard(run, tag)[1].tolist()
