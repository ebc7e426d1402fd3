"""The sweep runner (resumable, local and as a SLURM array) and the plot script, on tiny Point2D runs."""

import json
import os
import signal
import subprocess
import time

import pytest

import demonstrators
from benchmarks.plot import read_runs
from conftest import ROOT, run_python

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out

TINY = "--total-timesteps 200 --learning-starts 100 --batch-size 16 --eval-freq 100 --eval-episodes 1"


def sweep(out, *args):
    grid = ["--scripts", "gild_td3.py", "--envs", "Point2D", "--modes", "--mode rl", "--mode il", "--seeds", "1", "2"]
    return run_python("benchmarks/sweep.py", "--out", out, *grid, f"--extra={TINY}", "--workers", "2", *args)


def test_sweep_runs_each_run_in_its_folder_and_resumes(tmp_path):
    out = tmp_path / "s"
    proc = sweep(out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 runs, 0 already done, 4 to run" in proc.stdout and "[4/4 done, 0 running, 0 failed" in proc.stdout
    csvs = sorted(out.glob("gild_td3/Point2D/*/seed*/runs/*/eval.csv"))
    assert [p.parts[-5:-3] for p in csvs] == [(m, s) for m in ("mode-il", "mode-rl") for s in ("seed1", "seed2")]
    assert all(len(p.read_text().splitlines()) == 3 for p in csvs)  # header and two evaluations
    command = (out / "gild_td3/Point2D/mode-il/seed2/command.txt").read_text()
    assert "--seed 2 " in command and command.endswith("--mode il\n")  # the mode's flags last: they override --extra
    assert command.startswith("python gild_td3.py --env Point2D ")  # as a user types it, with no machine paths

    (out / "gild_td3/Point2D/mode-rl/seed2/DONE").unlink()  # as if that run had been killed before its first checkpoint
    (checkpoint,) = out.glob("gild_td3/Point2D/mode-rl/seed2/runs/*/checkpoint.pt")
    checkpoint.unlink()
    proc = sweep(out)
    assert "4 runs, 3 already done, 1 to run" in proc.stdout
    assert (out / "gild_td3/Point2D/mode-rl/seed2/interrupted-0").is_dir()  # its partial output is set aside, not mixed in
    assert len(list(out.glob("gild_td3/Point2D/*/seed*/runs/*/eval.csv"))) == 4

    png = tmp_path / "curves.png"
    proc = run_python("benchmarks/plot.py", out, "--metric", "eval_return_mean", "--level", "Point2D=87.6", "--out", png)
    assert proc.returncode == 0, proc.stderr
    assert "Point2D (2 lines)" in proc.stdout and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    plot = ["benchmarks/plot.py", out, "--panels", "script", "--out", png]
    proc = run_python(*plot, "--metric", "eval/return")  # a TensorBoard tag
    assert proc.returncode == 0, proc.stderr
    assert "gild_td3 Point2D (2 lines)" in proc.stdout
    rows = [line.split(" | ") for line in proc.stdout.splitlines() if line.startswith("| gild_td3 Point2D")]
    assert [(r[1], r[2], r[3]) for r in rows] == [("mode-il", "2", "200"), ("mode-rl", "2", "200")]
    proc = run_python(*plot, "--metric", "eval/return", "--scripts", "gild_td3", "--envs", "Point2D", "--log-y")  # filters
    assert proc.returncode == 0 and "gild_td3 Point2D (2 lines)" in proc.stdout
    proc = run_python(*plot, "--metric", "eval/return", "--modes", "mode-il")
    assert proc.returncode == 0 and "gild_td3 Point2D (1 line)" in proc.stdout and "mode-rl" not in proc.stdout
    proc = run_python(*plot, "--metric", "eval/return", "--envs", "Hopper-sparse")
    assert (
        proc.returncode != 0
        and "no runs of --scripts None --modes None on --envs ['Hopper-sparse']; found gild_td3 on Point2D" in proc.stderr
    )
    proc = run_python(*plot, "--metric", "cair/cos_d_il")
    assert proc.returncode != 0 and "has no TensorBoard tag 'cair/cos_d_il'; it has " in proc.stderr


def test_sweep_as_a_slurm_array_whose_tasks_run_here(tmp_path):
    out = tmp_path / "s"
    proc = sweep(out, "--backend", "slurm")
    assert proc.returncode == 0, proc.stderr
    script = (out / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-3%2" in script and "--run-index" in script
    plan = json.loads((out / "plan.json").read_text())
    assert not list(out.glob("**/DONE"))  # nothing ran yet
    for task in (3, 3):  # a repeated task finds its run done
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task))
        proc = subprocess.run(["bash", out / "sweep.sbatch"], capture_output=True, text=True, timeout=120, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "already done" in proc.stdout
    assert [p.parent.name for p in out.glob("**/DONE")] == ["seed2"] and plan[3]["mode"] == "--mode il"


def test_a_slurm_task_stopped_by_sigterm_requeues_itself_and_resumes(tmp_path):
    """SLURM's time-limit warning (or a preemption) is a SIGTERM to the batch shell, which is sweep.py: the run writes
    its checkpoint, the task calls `scontrol requeue`, and the requeued task resumes the run to the same end."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scontrol").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/scontrol.txt\n')
    (bin_dir / "scontrol").chmod(0o755)
    long = TINY.replace("--total-timesteps 200", "--total-timesteps 1500") + " --checkpoint-every 0"
    grid = ["--scripts", "gild_td3.py", "--envs", "Point2D", "--modes", "--mode il", "--seeds", "1", "2"]
    args = [*grid, f"--extra={long}", "--workers", "1", "--backend", "slurm"]
    assert run_python("benchmarks/sweep.py", "--out", tmp_path / "s", *args).returncode == 0
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="0", SLURM_JOB_ID="4242", PATH=f"{bin_dir}:{os.environ['PATH']}")
    task = ["bash", tmp_path / "s" / "sweep.sbatch"]
    proc = subprocess.Popen(task, env=env, stdout=subprocess.PIPE, text=True)
    log = tmp_path / "s/gild_td3/Point2D/mode-il/seed1/log.txt"
    while not (log.exists() and "evaluation at step 100" in log.read_text()):
        assert proc.poll() is None, "the run ended before it could be stopped"
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)  # `exec` made the batch shell sweep.py itself
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "requeued job 4242" in out, out
    assert (tmp_path / "scontrol.txt").read_text() == "requeue 4242\n"
    assert not list((tmp_path / "s").glob("**/DONE")) and not list((tmp_path / "s").glob("**/FAILED"))

    proc = subprocess.run(task, env=env, capture_output=True, text=True, timeout=300)  # the requeued task
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "resuming" in log.read_text() and list((tmp_path / "s").glob("**/seed1/DONE"))
    (run,) = (tmp_path / "s/gild_td3/Point2D/mode-il/seed1/runs").glob("*")
    assert [row.split(",")[0] for row in (run / "eval.csv").read_text().splitlines()[1:]] == [
        str(100 * k) for k in range(1, 16)
    ]


def test_plot_reads_the_demonstrators_and_the_experts_levels_from_cairs_eval_csv(tmp_path):
    run = tmp_path / "s" / "cair_ddpg" / "FetchPush-v4" / "il-bc" / "seed1" / "runs" / "r"
    run.mkdir(parents=True)
    header = "global_step,success_rate,return,demonstrator_success_rate,expert_success_rate,lambda,wall_time\n"
    (run / "eval.csv").write_text(header + "10000,0.3,-40,0.395,0.825,1.0,100\n20000,0.4,-35,0.395,0.825,1.0,200\n")
    curves, levels, experts = read_runs([tmp_path / "s"], "success_rate")
    assert levels == {"FetchPush-v4": 0.395} and experts == {"FetchPush-v4": 0.825}
    ((steps, values),) = curves["FetchPush-v4"][("cair_ddpg", "il-bc")]
    assert steps.tolist() == [10000, 20000] and values.tolist() == [0.3, 0.4]


def test_plot_reads_a_scripts_runs_folder_and_a_single_run(tmp_path):
    header = "global_step,success_rate,return,demonstrator_success_rate,expert_success_rate,lambda,wall_time\n"
    for name, rate in [("FetchPush-v4__cair_ddpg__bc__1__17", 0.3), ("FetchPush-v4__cair_ddpg__bc__2__18", 0.5)]:
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "eval.csv").write_text(header + f"10000,{rate},-40,0.395,0.825,1.0,100\n")
    png = tmp_path / "p.png"
    proc = run_python("benchmarks/plot.py", tmp_path / "runs", "--out", png)
    assert proc.returncode == 0, proc.stderr
    assert "| FetchPush-v4 | cair_ddpg bc | 2 | 10000 | 0.4 +- 0.14 | 0.4 +- 0.14 |" in proc.stdout
    proc = run_python("benchmarks/plot.py", tmp_path / "runs" / "FetchPush-v4__cair_ddpg__bc__2__18", "--out", png)
    assert proc.returncode == 0, proc.stderr
    assert "| FetchPush-v4 | cair_ddpg bc | 1 | 10000 | 0.5 | 0.5 |" in proc.stdout  # one seed: no "+- 0"
    assert "FetchPush-v4 (1 line)" in proc.stdout


@pytest.mark.parametrize(
    "command", [["benchmarks/plot.py"], ["-m", "benchmarks.plot"], ["benchmarks/sweep.py"], ["-m", "benchmarks.sweep"]]
)
def test_the_tools_run_from_the_repository_root_as_a_file_or_a_module(command):
    proc = run_python(*command, "--help")  # no PYTHONPATH: as a user runs them
    assert proc.returncode == 0 and proc.stdout.startswith("usage:"), proc.stderr
    description = proc.stdout.split("\n\n")[1].strip()  # the docstring's first line: a whole sentence, not cut short
    assert description.endswith("."), description


def test_gild_point2d_tables_reproduce_the_reports_numbers(capsys, tmp_path):
    """benchmarks/gild_point2d_tables.py on the committed study gives docs/report.md's rows."""
    from benchmarks import gild_point2d_tables

    gild_point2d_tables.main([str(ROOT / "results" / "gild_point2d_15k")])
    out = capsys.readouterr().out
    assert "| mode-il | 5 | 92.9 / 90.8 / 91.8 / 91.7 / 93.8 | 0.78 | 0.13 |" in out
    assert "| mode-gild | 10k-15k | 0 | 6.1e-15 | 3.4 | 2.7 | 0.1 | 0.69 |" in out
    with pytest.raises(SystemExit):
        gild_point2d_tables.main([str(tmp_path)])


def test_gild_point2d_tables_gives_the_diagnostics_of_another_task(capsys):
    """--env Hopper-sparse: the diagnostics table alone, from the committed decay pilot (docs/report.md's numbers)."""
    from benchmarks import gild_point2d_tables

    study = str(ROOT / "results" / "gild_hopper_decay")
    gild_point2d_tables.main([study, "--env", "Hopper-sparse", "--windows", "29000-29000"])
    out = capsys.readouterr().out
    assert "| mode-gild-gild-weight-decay-0 | 29k-29k | 0.077 | 0.0014 | 0.0079 | 0.6 | 0.93 | 0.46 |" in out
    assert "| mode-gild-gild-weight-decay-1e-6 | 29k-29k | 0 | 0 | 0.023 | 3.7 | 0.0027 | 0.69 |" in out
    assert "at the goal" not in out  # the returns table's thresholds are Point2D's
    # the default decay 1e-4: its meta-gradient beside the decay term, the evidence for the report's Hopper statements
    tags = ["losses/meta_grad_norm", "losses/gild_decay_norm", "gild/output_std", "losses/gild_loss"]
    gild_point2d_tables.main([study, "--env", "Hopper-sparse", "--windows", "11000-11000", "13000-13000", "--tags", *tags])
    out = capsys.readouterr().out
    assert "| mode-gild | 11k-11k | 5.9e-07 | 0.00073 | 0.0042 | 0.69 |" in out
    assert "| mode-gild | 13k-13k | 7.2e-10 | 0.00034 | 4.7e-07 | 0.69 |" in out


def test_gild_point2d_tables_names_the_script_where_a_study_has_several(capsys, tmp_path):
    from benchmarks import gild_point2d_tables

    for script in ("gild_sac", "gild_ddpg"):
        run = tmp_path / script / "Point2D" / "mode-rl" / "seed1" / "runs" / "r"
        run.mkdir(parents=True)
        (run / "eval.csv").write_text("global_step,eval_return_mean\n5000,93.9\n15000,93.9\n")
    gild_point2d_tables.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert "| gild_ddpg mode-rl | 1 | 93.9 | 1.00 | 1.00 |" in out
    assert "| gild_sac mode-rl | 1 | 93.9 | 1.00 | 1.00 |" in out


def test_gild_point2d_tables_reads_several_studies_at_once(capsys, tmp_path):
    from benchmarks import gild_point2d_tables

    run = tmp_path / "gild_td3" / "Point2D" / "mode-gild-meta-loss-intuitive" / "seed1" / "runs" / "r"
    run.mkdir(parents=True)
    (run / "eval.csv").write_text("global_step,eval_return_mean\n5000,3.5\n15000,93.9\n")
    gild_point2d_tables.main([str(ROOT / "results" / "gild_point2d_15k"), str(tmp_path), "--windows", "2000-3000"])
    out = capsys.readouterr().out
    assert "| mode-il | 5 | 92.9 / 90.8 / 91.8 / 91.7 / 93.8 | 0.78 | 0.13 |" in out
    assert "| mode-gild-meta-loss-intuitive | 1 | 93.9 | 0.50 | 0.50 |" in out


def test_gild_meta_loss_compare_reads_a_checkpoint(run_script):
    """benchmarks/gild_meta_loss_compare.py on a short gild_td3.py run's checkpoint: one row, the two meta-gradients
    nearly parallel (one SGD step apart, Eq. (8)'s tanh weights are ~1)."""
    from benchmarks import gild_meta_loss_compare

    flags = "--env Point2D --total-timesteps 300 --learning-starts 100 --batch-size 32 --eval-freq 300 --eval-episodes 1"
    proc = run_script("gild_td3.py", *flags.split(), "--mode", "gild", "--checkpoint-every", "300")
    (checkpoint,) = proc.runs.glob("*/checkpoint.pt")
    rows = gild_meta_loss_compare.compare(checkpoint, batches=3, seed=0)
    assert rows.shape == (3, 3)
    assert (rows[:, 0] > 0.99).all() and (abs(rows[:, 1] - 1) < 0.05).all() and (rows[:, 2] > 0).all()
    with pytest.raises(SystemExit):  # a path that is not a checkpoint: one line, not a traceback
        gild_meta_loss_compare.main([str(checkpoint.parent / "eval.csv")])


POLICY_EVAL_RUNS = {  # a short run of each kind the tool reads, its last evaluation and checkpoint at step 256
    "cair_ddpg.py": "--total-timesteps 256 --learning-starts 100 --batch-size 32",
    "cair_sac.py": "--total-timesteps 256 --learning-starts 100 --batch-size 32",
    "cair_ppo_dagger.py": "--il dagger --total-timesteps 256 --num-envs 2 --num-steps 64 --minibatch-size 64 "
    "--update-epochs 2",
}


@pytest.mark.parametrize("script", sorted(POLICY_EVAL_RUNS))
def test_cair_policy_eval_replays_a_runs_evaluation(run_script, script):
    """benchmarks/cair_policy_eval.py on a short run's checkpoint: on the run's own evaluation episodes (offset 10000)
    its policy scores what the run logged at that step, its two demonstrator rows are demonstrators.measure_success
    on the same seeds, and a path that is not a checkpoint gets one line."""
    from benchmarks import cair_policy_eval

    flags = f"--env Push --hidden 64 --demo-episodes 2 {POLICY_EVAL_RUNS[script]}"
    proc = run_script(script, *flags.split(), "--eval-freq", "256", "--eval-episodes", "3", "--checkpoint-every", "256")
    (checkpoint,) = proc.runs.glob("*/checkpoint.pt")
    m = cair_policy_eval.measure(checkpoint, 3, 10_000)
    assert (m["script"], m["step"], m["seed"], m["policy"].shape) == (script, 256, 10_001, (3,))
    last = (checkpoint.parent / "eval.csv").read_text().splitlines()[-1].split(",")  # step, success, return, ...
    assert last[0] == "256" and float(last[1]) == pytest.approx(m["policy"].mean(), abs=5e-4)
    assert float(last[2]) == pytest.approx(m["policy_return"], abs=0.006)
    for name, kwargs in (("demonstrator", {}), ("noise-free", {"noise": 0.0})):
        assert m[name].mean() == demonstrators.measure_success("FetchPush-v4", 3, 10_001, **kwargs)
    with pytest.raises(SystemExit):
        cair_policy_eval.main([str(checkpoint.parent / "eval.csv")])
