"""Run scripts x tasks x modes x seeds as separate processes, each in its own folder, resumably.

    python benchmarks/sweep.py --scripts gild_td3.py --envs Hopper-sparse \
        --modes "--mode rl" "--mode il" "--mode gild" "--mode gild --gild-warm-start 0.01" \
        --seeds 1 2 3 --extra "--total-timesteps 100000" --out sweeps/gild_hopper --workers 2

Each run gets `<out>/<script>/<env>/<mode>/seed<k>/`: the script runs there (its `runs/` with
eval.csv, TensorBoard events and checkpoint.pt lands inside), its output goes to `log.txt`, and `DONE`
marks it finished. Running the same command again skips finished runs and resumes unfinished ones from
their checkpoint (`--resume`); one stopped before its first checkpoint starts over, its partial `runs/`
kept as `interrupted-<n>/`. Ctrl-C stops every run at its next step with a checkpoint (exit status 3).
The plan is written to `<out>/plan.json`.

More than one machine: `--backend slurm` writes `<out>/sweep.sbatch`, a SLURM job array with one
task per run (`sbatch <out>/sweep.sbatch`); each task calls this file with `--run-index`. A task
is asked to stop 3 minutes before its time limit (`--signal=B:TERM@180`) and on preemption: the
run writes its checkpoint, and the task requeues itself (`scontrol requeue`), to resume. We chose
SLURM over Ray because the runs are independent single-core processes that share nothing but a
file system, which is exactly a job array, and because it needs no new dependency: the generated
script is plain bash (the tests run its tasks locally by setting SLURM_ARRAY_TASK_ID).
"""

import argparse
import json
import os
import pathlib
import re
import shlex
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="sweeps/sweep", help="the sweep's folder")
    p.add_argument("--scripts", nargs="+", default=["gild_td3.py"], help="top-level scripts to run")
    p.add_argument("--envs", nargs="+", default=["Hopper-sparse"], help="tasks (each script's --env)")
    p.add_argument(
        "--modes",
        nargs="+",
        default=[""],
        help='flag strings, one per mode, quoted (for instance "--mode gild" or "--il bc --cagrad-c 0")',
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3], help="seeds")
    p.add_argument(
        "--extra",
        default="",
        help='flags added to every run, quoted (for instance "--total-timesteps 100000"); a mode overrides them',
    )
    p.add_argument("--workers", type=int, default=2, help="runs at a time (each gets one torch thread)")
    p.add_argument("--backend", choices=["local", "slurm"], default="local", help="run here, or write a SLURM job array")
    p.add_argument(
        "--slurm-options", default="--cpus-per-task=1 --mem=4G --time=2-00:00:00", help="#SBATCH options of every array task"
    )
    p.add_argument("--run-index", type=int, help="run only this entry of <out>/plan.json (what a SLURM array task calls)")
    p.add_argument("--python", default=sys.executable, help="the interpreter that runs the scripts")
    return p.parse_args(argv)


def slug(mode):
    return re.sub(r"[^A-Za-z0-9.]+", "-", mode).strip("-") or "default"


def make_plan(args):
    plan = []
    for script in args.scripts:
        if not (ROOT / script).exists():
            raise SystemExit(f"no script {script!r} in {ROOT}")
        for env in args.envs:
            for mode in args.modes:
                for seed in args.seeds:
                    folder = pathlib.Path(args.out) / pathlib.Path(script).stem / env / slug(mode) / f"seed{seed}"
                    # the mode's flags come last: where a flag is in both, the mode's wins (tyro keeps the last)
                    cmd = [script, "--env", env, "--seed", str(seed), *shlex.split(args.extra), *shlex.split(mode)]
                    plan.append(
                        {"script": script, "env": env, "mode": mode, "seed": seed, "dir": str(folder.resolve()), "cmd": cmd}
                    )
    return plan


STOPPED = 3  # the scripts' exit status when a signal stopped them after writing their checkpoint


def start(run, python):
    """Start one run in its folder, from its checkpoint if an earlier attempt left one (else that attempt's
    partial output is set aside); returns the Popen."""
    folder = pathlib.Path(run["dir"])
    folder.mkdir(parents=True, exist_ok=True)
    checkpoints = sorted(folder.glob("runs/*/checkpoint.pt"), key=lambda p: p.stat().st_mtime)
    script = str(ROOT / run["cmd"][0])
    if checkpoints:
        cmd = [python, script, "--resume", str(checkpoints[-1].parent.relative_to(folder))]
    else:
        if (folder / "runs").exists():
            n = len(list(folder.glob("interrupted-*")))
            (folder / "runs").rename(folder / f"interrupted-{n}")
        cmd = [python, script, *run["cmd"][1:]]
    (folder / "FAILED").unlink(missing_ok=True)
    with open(folder / "command.txt", "a") as f:  # as a user types it in the run's folder: no machine paths
        f.write(shlex.join(["python", run["cmd"][0], *cmd[2:]]) + "\n")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return subprocess.Popen(cmd, cwd=folder, env=env, stdout=open(folder / "log.txt", "a"), stderr=subprocess.STDOUT)


def finish(run, returncode):
    """DONE or FAILED beside the run; a run stopped with its checkpoint is neither, and resumes next time."""
    folder = pathlib.Path(run["dir"])
    if returncode != STOPPED:
        (folder / ("DONE" if returncode == 0 else "FAILED")).write_text(f"exit {returncode}\n")
    return returncode == 0


def is_done(run):
    return (pathlib.Path(run["dir"]) / "DONE").exists()


def run_local(plan, args):
    todo = [r for r in plan if not is_done(r)]
    print(f"{len(plan)} runs, {len(plan) - len(todo)} already done, {len(todo)} to run, {args.workers} at a time", flush=True)
    running, n_done, failed, t0 = {}, len(plan) - len(todo), [], time.time()
    try:
        while todo or running:
            while todo and len(running) < args.workers:
                run = todo.pop(0)
                running[start(run, args.python)] = run
            time.sleep(0.2)
            for proc in [p for p in running if p.poll() is not None]:
                run = running.pop(proc)
                if finish(run, proc.returncode):
                    n_done += 1
                else:
                    failed.append(run)
                outcome = {0: "finished", STOPPED: "stopped with a checkpoint"}.get(proc.returncode, "FAILED")
                print(
                    f"[{n_done}/{len(plan)} done, {len(running)} running, {len(failed)} failed, {time.time() - t0:.0f}s] "
                    f"{outcome}: {run['dir']}",
                    flush=True,
                )
    except KeyboardInterrupt:  # the runs get the interrupt too: each writes its checkpoint and stops
        for proc, run in running.items():
            finish(run, proc.wait())
        raise SystemExit("interrupted; run the same command again to resume") from None
    for run in failed:
        print(f"failed: {run['dir']}/log.txt")
    return 1 if failed else 0


def run_task(run, python):
    """One SLURM array task: the run, with SIGTERM (time limit, preemption) passed on to it; a run stopped with its
    checkpoint requeues the task, which then resumes it."""
    proc = start(run, python)
    signal.signal(signal.SIGTERM, lambda signum, frame: proc.send_signal(signal.SIGTERM))
    returncode = proc.wait()
    finish(run, returncode)
    if returncode == STOPPED and "SLURM_JOB_ID" in os.environ:
        subprocess.run(["scontrol", "requeue", os.environ["SLURM_JOB_ID"]], check=False)
        print(f"stopped with a checkpoint; requeued job {os.environ['SLURM_JOB_ID']} to resume {run['dir']}", flush=True)
        return 0
    return 0 if returncode == 0 else 1


def write_slurm(plan, args):
    out = pathlib.Path(args.out).resolve()
    lines = [
        "#!/usr/bin/env bash",
        f"#SBATCH --job-name=sweep-{out.name}",
        f"#SBATCH --array=0-{len(plan) - 1}%{args.workers}",
        f"#SBATCH --output={out}/slurm-%A_%a.out",
        "#SBATCH --requeue",  # a preempted task goes back in the queue
        "#SBATCH --signal=B:TERM@180",  # SIGTERM 3 minutes before the time limit: checkpoint, then requeue
    ] + [f"#SBATCH {opt}" for opt in shlex.split(args.slurm_options)]
    lines += [
        "export OMP_NUM_THREADS=1",
        "exec "  # the signal goes to the batch shell: let it be sweep.py, which passes it on to the run
        + shlex.join([args.python, str(ROOT / "benchmarks" / "sweep.py"), "--out", str(out), "--python", args.python])
        + ' --run-index "$SLURM_ARRAY_TASK_ID"',
    ]
    (out / "sweep.sbatch").write_text("\n".join(lines) + "\n")
    print(f"{len(plan)} runs; submit with: sbatch {out}/sweep.sbatch")


def main(args):
    out = pathlib.Path(args.out)
    if args.run_index is not None:  # one array task
        plan = json.loads((out / "plan.json").read_text())
        if not 0 <= args.run_index < len(plan):
            raise SystemExit(f"--run-index {args.run_index} is outside the plan's {len(plan)} runs")
        run = plan[args.run_index]
        if is_done(run):
            print(f"already done: {run['dir']}")
            return 0
        return run_task(run, args.python)
    if args.workers < 1 or not args.seeds or not args.modes:
        raise SystemExit("--workers must be >= 1, and --seeds and --modes not empty")
    plan = make_plan(args)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(plan, indent=1))
    if args.backend == "slurm":
        write_slurm(plan, args)
        return 0
    return run_local(plan, args)


if __name__ == "__main__":
    sys.exit(main(parse_args()))
