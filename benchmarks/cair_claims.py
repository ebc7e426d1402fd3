"""The four CAIR claims that docs/report.md tests, computed from a sweep's files (benchmarks/cair_push_study.sh):

    python -m benchmarks.cair_claims sweeps/cair_push

Per script and mode, over the seeds found (mean and sample std; a mode missing seeds uses the seeds' common prefix):
  success at the last evaluation and over the last three; lambda there; the drawdown, that is the largest fall of the
  seed-mean success curve below its own earlier maximum; the shortfall, the largest gap below the BC-only curve at the
  same steps; from TensorBoard, cos(d, g_IL) (mean over the 1000-step windows, and the share of windows below 0) and
  cos(g_lambda, g_IL), the direction Eq. (1) alone would take (Figure 3(a)'s "naive" annealing, CAGrad off).
Then each claim with its numbers, stated as reproduced or not:
  1. No negative transfer: CAIR's drawdown and its shortfall below BC only both stay within 0.1, while fixed-step
     annealing falls (drawdown or shortfall above 0.1); and the same for CAIR on unit gradients (--normalize-grads),
     where that mode ran.
  2. CAIR ends above the demonstrator (the last evaluation, mean over seeds); and, where a seed's folder holds a
     policy_eval.txt (benchmarks/cair_policy_eval.py on its last checkpoint), the per-episode paired difference from
     the demonstrator over those seeds, "reproduced" above 2 standard errors, "not reproduced" below -2 (the error:
     the episodes', or the seeds' spread where that is larger).
  3. CAGrad does not hurt: CAIR's last success is not below CAGrad off's by more than two standard errors.
  4. Figure 3: cos(d, g_IL) stays positive under CAIR (no window below 0), and fixed-step annealing's own direction
     cos(g_lambda, g_IL) goes negative (its cos(d, g_IL), with CAGrad, is printed beside it: Figure 3(b)-(c)); where
     fixed-step did not run, CAIR's half alone.
Needs only numpy and tensorboard (which the scripts install).
"""

import argparse
import collections
import math
import pathlib
import re
import sys

import numpy as np

from benchmarks.plot import read_runs, read_tensorboard

MODES = {  # role: the sweep's folder name for it (benchmarks/sweep.py's slug of the mode's flags)
    "CAIR": ["lambda-schedule-cair", "il-dagger"],
    "CAGrad off": ["cagrad-c-0"],
    "CAIR, unit gradients": ["lambda-schedule-cair-normalize-grads"],  # --normalize-grads
    "CAGrad off, unit gradients": ["cagrad-c-0-normalize-grads"],
    "CAIR, unit gradients, alpha held at 1": ["lambda-schedule-cair-normalize-grads-no-autotune"],  # SAC only
    "CAIR, c = 0.25": ["lambda-schedule-cair-cagrad-c-0.25"],
    "CAIR, c = 0.9": ["lambda-schedule-cair-cagrad-c-0.9"],
    "fixed-step 0.2": ["lambda-schedule-fixed-step-lambda-delta-0.2"],
    "BC only": ["lambda-schedule-constant-cagrad-c-0", "il-bc-lambda-schedule-constant-cagrad-c-0"],
    "RL only": ["il-none"],
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("sweeps", nargs="+", help="sweep folders (benchmarks/sweep.py --out)")
    p.add_argument("--env", default="FetchPush-v4", help="the task")
    return p.parse_args(argv)


def read_tag(sweeps, env, tag):
    """{(script, mode): [(steps, values) per seed]} of a TensorBoard tag, for the runs that logged it (RL only logs no
    cosines)."""
    curves = collections.defaultdict(list)
    for sweep in sweeps:
        for path in sorted(pathlib.Path(sweep).glob(f"*/{env}/*/seed*/runs/*/")):
            try:
                curves[path.parts[-6], path.parts[-4]].append(read_tensorboard(path, tag))
            except SystemExit:
                pass
    return curves


def read_paired(sweeps, env, script, mode):
    """{seed: (policy - demonstrator, its standard error)} from the seeds' policy_eval.txt files: in each, the block of
    the latest checkpoint with the most episodes."""
    block = re.compile(r"step (\d+), (\d+) episodes from seed.*\n.*\n.*policy - demonstrator (-?[\d.]+) \+- ([\d.]+)")
    paired = {}
    for sweep in sweeps:
        for path in sorted(pathlib.Path(sweep).glob(f"{script}/{env}/{mode}/seed*/policy_eval.txt")):
            found = [(int(step), int(n), float(d), float(se)) for step, n, d, se in block.findall(path.read_text())]
            if found:
                paired[int(path.parent.name[4:])] = max(found, key=lambda b: b[:2])[2:]
    return paired


def common(seeds):
    """(steps, values per seed) on the seeds' common prefix of evaluations."""
    n = min(len(steps) for steps, _ in seeds)
    return seeds[0][0][:n], np.stack([values[:n] for _, values in seeds])


def summarise(sweeps, env):
    success, levels, experts = read_runs(sweeps, "success_rate")
    lambdas, _, _ = read_runs(sweeps, "lambda")
    cosines = read_tag(sweeps, env, "cair/cos_d_il")
    naive = read_tag(sweeps, env, "cair/cos_glambda_il")
    rows = {}
    for (script, mode), seeds in success.get(env, {}).items():
        role = next((r for r, slugs in MODES.items() if mode in slugs), mode)
        steps, values = common(seeds)
        row = {"seeds": len(seeds), "steps": steps, "curve": values.mean(0), "last": values[:, -1]}
        row["last3"] = values[:, -3:].mean(1)
        row["lambda"] = common(lambdas[env][(script, mode)])[1][:, -1].mean()
        curve = row["curve"]
        row["drawdown"] = float((np.maximum.accumulate(curve) - curve).max())
        row["paired"] = read_paired(sweeps, env, script, mode)
        cos_seeds = cosines.get((script, mode))
        if cos_seeds:
            _, cos_values = common(cos_seeds)
            row["cos_d_il"], row["cos_below_0"] = cos_values.mean(), (cos_values < 0).mean()
            row["cos_glambda_il"] = common(naive[script, mode])[1].mean()
        rows[(script, role)] = row
    for (script, _), row in rows.items():  # the shortfall below BC only, at the steps both reached
        bc = rows.get((script, "BC only"))
        if bc is not None:
            n = min(len(bc["curve"]), len(row["curve"]))
            row["shortfall"] = float((bc["curve"][:n] - row["curve"][:n]).max())
    return rows, levels.get(env), experts.get(env)


def falls(row):
    """Claim 1's test of a run: more than 0.1 below its own best so far, or below BC only (where BC only ran), at some
    step. Rounded first: rates are means of 50-episode fractions, and a mean of 0.1 is 0.1 + 3e-17 in floating point."""
    return round(max(row["drawdown"], row.get("shortfall", 0.0)), 9) > 0.1


def shortfall(row):
    """The row's shortfall below BC only, or "-" where the script has no BC-only run (cair_ppo_dagger.py)."""
    return f"{row['shortfall']:.3f}" if "shortfall" in row else "-"


def stats(x):
    return f"{x.mean():.3f} +- {x.std(ddof=1):.3f}" if len(x) > 1 else f"{x.mean():.3f}"


def standard_error(x, p):
    """Of a mean of seeds' success rates: the seeds' spread, or with one seed the binomial error of 50 episodes."""
    return x.std(ddof=1) / math.sqrt(len(x)) if len(x) > 1 else math.sqrt(max(p * (1 - p), 1e-4) / 50)


def paired_verdict(paired, n_seeds):
    """The seeds' paired differences from the demonstrator, their mean with its standard error, and the verdict. The
    error is the larger of the episodes' (from each seed's own) and, with two seeds or more, the seeds' spread."""
    diffs, ses = np.array(list(paired.values())).T
    mean, se = diffs.mean(), math.sqrt((ses**2).sum()) / len(diffs)
    if len(diffs) > 1:
        se = max(se, diffs.std(ddof=1) / math.sqrt(len(diffs)))
    verdict = "reproduced" if mean > 2 * se else "not reproduced" if mean < -2 * se else "not shown"
    seeds = ", ".join(f"seed {k} {d:+.3f} +- {e:.3f}" for k, (d, e) in sorted(paired.items()))
    return f"{len(diffs)} of {n_seeds} seeds: {seeds}; mean {mean:+.3f} +- {se:.3f}: {verdict}"


def main(args):
    rows, demonstrator, expert = summarise(args.sweeps, args.env)
    if not rows:
        raise SystemExit(f"no {args.env} runs under {', '.join(args.sweeps)}")
    print(f"{args.env}: demonstrator {demonstrator}, expert {expert}\n")
    print(
        "| script | mode | seeds | last step | success, last | last three | lambda | drawdown | below BC only | "
        "cos(d, g_IL) | windows < 0 | cos(g_lambda, g_IL) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (script, role), r in sorted(rows.items()):
        cos = f"{r['cos_d_il']:.3f}" if "cos_d_il" in r else "-"
        below = f"{r['cos_below_0']:.0%}" if "cos_below_0" in r else "-"
        naive = f"{r['cos_glambda_il']:.3f}" if "cos_glambda_il" in r else "-"
        print(
            f"| {script} | {role} | {r['seeds']} | {r['steps'][-1]} | {stats(r['last'])} | {stats(r['last3'])} | "
            f"{r['lambda']:.3f} | {r['drawdown']:.3f} | {shortfall(r)} | {cos} | {below} | {naive} |"
        )
    print()
    for script in sorted({s for s, _ in rows}):
        cair, off, fixed = (rows.get((script, role)) for role in ("CAIR", "CAGrad off", "fixed-step 0.2"))
        if cair is None:
            continue
        print(f"{script}:")
        fell = fixed and falls(fixed)
        kept = not falls(cair)
        print(
            f"  1. no negative transfer: CAIR's drawdown {cair['drawdown']:.3f}, below BC only by up to "
            f"{shortfall(cair)} ({'within' if kept else 'above'} 0.1)"
            + (
                f"; fixed-step's drawdown {fixed['drawdown']:.3f}, below BC only by up to "
                f"{shortfall(fixed)} ({'falls' if fell else 'does not fall'})"
                if fixed
                else ""
            )
            + (": reproduced" if kept and (fixed is None or fell) else ": not reproduced")
            + ("" if "shortfall" in cair else " (drawdown only: no BC-only run)")
        )
        unit = rows.get((script, "CAIR, unit gradients"))
        if unit is not None:  # does combining unit gradients remove the dip? (not a claim of the paper)
            within = not falls(unit)
            print(
                f"  1u. with unit gradients (--normalize-grads): CAIR's drawdown {unit['drawdown']:.3f}, below BC only by "
                f"up to {shortfall(unit)}, ends at {stats(unit['last'])} at {unit['steps'][-1]}: "
                + ("no dip" if within else "dips")
            )
        if demonstrator is not None:
            above = cair["last"].mean() > demonstrator
            print(
                f"  2. CAIR ends at {stats(cair['last'])} against the demonstrator's {demonstrator}: "
                f"{'reproduced' if above else 'not reproduced'}"
            )
        for label, row in (("2p. paired, CAIR", cair), ("2u. paired, CAIR on unit gradients", unit)):
            if row and row["paired"]:
                print(f"  {label} - demonstrator (policy_eval.txt), {paired_verdict(row['paired'], row['seeds'])}")
        if off is not None and off["steps"][-1] != cair["steps"][-1]:  # one of them unfinished: no verdict
            print(f"  3. CAGrad does not hurt: not judged (CAIR at {cair['steps'][-1]}, CAGrad off at {off['steps'][-1]})")
        elif off is not None:
            a, b = cair["curve"][-1], off["curve"][-1]
            se = math.hypot(standard_error(cair["last"], a), standard_error(off["last"], b))
            verdict = "reproduced" if a - b >= -2 * se else "not reproduced"
            print(f"  3. CAGrad does not hurt: CAIR {a:.3f} against CAGrad off {b:.3f} (2 SE = {2 * se:.3f}): {verdict}")
        if "cos_d_il" in cair:
            negative = fixed is None or fixed.get("cos_glambda_il", 0.0) < 0
            verdict = "reproduced" if cair["cos_below_0"] == 0 and negative else "not reproduced"
            verdict += " (CAIR's half)" if fixed is None else ""
            fixed_cos = (
                f"cos(g_lambda, g_IL) {fixed['cos_glambda_il']:.3f}, with CAGrad cos(d, g_IL) {fixed['cos_d_il']:.3f}"
                if fixed and "cos_d_il" in fixed
                else "not run"
            )
            print(
                f"  4. Figure 3: cos(d, g_IL) under CAIR {cair['cos_d_il']:.3f}, {cair['cos_below_0']:.0%} of windows "
                f"below 0; under fixed-step {fixed_cos}: {verdict}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
