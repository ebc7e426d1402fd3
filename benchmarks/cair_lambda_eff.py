"""Success against the IL weight the actor was actually given: CAIR and CAGrad off compared at equal lambda_eff.

    python -m benchmarks.cair_lambda_eff ~/studies/cair_push/sweep results/cair_push_150k --out lambda_eff.png

CAGrad's direction d, written as a g_RL + b g_IL, applies the IL weight lambda_eff = b / (a + b), which the scripts
log per 1000-step window as `cair/lambda_eff`; with CAGrad off d = g_lambda, so lambda_eff is lambda itself (runs from
before the tag existed are read from `charts/lambda` when their mode turns CAGrad off, and left out otherwise). For
every run, each evaluation's success is paired with the window ending at that step. If CAIR's success at a given
lambda_eff matches CAGrad off's at the same value, CAGrad only slows the anneal (a lag); if it stays below, CAGrad
costs more than the weight it shifts (a ceiling). Prints the table, and with --out draws success against lambda_eff and
both lambdas against the steps.
"""

import argparse
import csv
import sys

import numpy as np

from benchmarks.plot import find_runs, read_tensorboard


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folders", nargs="+", help="sweep folders, folders of runs or runs (as benchmarks/plot.py reads them)")
    p.add_argument("--env", default="FetchPush-v4", help="the task")
    p.add_argument("--scripts", nargs="*", default=["cair_ddpg", "cair_sac"], help="the scripts whose runs are read")
    p.add_argument("--out", help="a PNG: success against lambda_eff, and lambda and lambda_eff against the steps")
    return p.parse_args(argv)


def cagrad_off(mode):
    return "cagrad-c-0" in mode and "cagrad-c-0." not in mode


def read(folders, env, scripts):
    """[(label, steps, success, lambda, lambda_eff)] per run; lambda_eff at each evaluation's step."""
    runs = []
    for path, (script, run_env, mode) in find_runs(folders):
        if run_env != env or script not in scripts or "il-none" in mode:
            continue
        rows = list(csv.DictReader(path.open()))
        if not rows:
            continue
        steps = np.array([int(r["global_step"]) for r in rows])
        success, lam = (np.array([float(r[k]) for r in rows]) for k in ("success_rate", "lambda"))
        try:
            tag_steps, values = read_tensorboard(path.parent, "cair/lambda_eff")
        except SystemExit:  # a run from before the tag: lambda itself when CAGrad is off, else unknown
            if not cagrad_off(mode):
                print(f"left out (no cair/lambda_eff logged): {path.parent}", file=sys.stderr)
                continue
            tag_steps, values = read_tensorboard(path.parent, "charts/lambda")
        at = {int(s): float(v) for s, v in zip(tag_steps, values)}
        keep = np.array([s in at for s in steps])
        seed = path.parts[-4] if path.parts[-4].startswith("seed") else ""
        label = f"{script} {mode} {seed}".strip()
        runs.append((label, steps[keep], success[keep], lam[keep], np.array([at[s] for s in steps[keep]])))
    return runs


def main(args):
    runs = read(args.folders, args.env, args.scripts)
    if not runs:
        raise SystemExit(f"no {', '.join(args.scripts)} runs on {args.env} with lambda_eff (or CAGrad off) in {args.folders}")
    print("| run | step | success | lambda | lambda_eff |")
    print("|---|---|---|---|---|")
    for label, steps, success, lam, eff in runs:
        for row in zip(steps, success, lam, eff):
            print(f"| {label} | {row[0]} | {row[1]:.2f} | {row[2]:.3f} | {row[3]:.3f} |")
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
        left.set_prop_cycle(color=plt.cm.tab20.colors)  # one colour per run (the default 10 repeat past ten runs)
        for label, steps, success, lam, eff in runs:
            (line,) = left.plot(eff, success, marker="o", markersize=3, label=label)
            right.plot(steps, eff, color=line.get_color(), label=f"{label}: lambda_eff")
            right.plot(steps, lam, color=line.get_color(), linestyle=":", label=f"{label}: lambda")
        left.set(xlabel="lambda_eff (IL weight of the applied direction)", ylabel="success rate", title=args.env)
        left.invert_xaxis()  # the anneal runs from left to right
        right.set(xlabel="environment steps", ylabel="IL weight", title="lambda (dotted) and lambda_eff")
        left.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.out, dpi=110)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
