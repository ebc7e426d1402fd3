"""Learning curves from runs' eval.csv files, with a table of their last and mean values.

One panel per task, one line per script and mode, the mean over seeds with the min-max spread shaded, the
demonstrator's level dashed. Writes a PNG.

    python benchmarks/plot.py runs                      # every run a script wrote into runs/
    python benchmarks/plot.py sweeps/gild_hopper --metric eval_return_mean --level Hopper-sparse=1318.7 --out gild.png
    python benchmarks/plot.py sweeps/cair_push --metric success_rate --out cair.png

A folder given is a run's own folder (runs/RUN, with its eval.csv), a folder of runs (runs/; a run's name,
<env>__<exp>__<mode>__<seed>__<time>, gives its line), or a sweep (<sweep>/<script>/<env>/<mode>/seed<k>/runs/*/,
benchmarks/sweep.py's layout).
A metric is an eval.csv column, or, when it holds a "/", a TensorBoard tag of the same run (for
instance cair/cos_d_il, the paper's Figure 3 quantity). CAIR's eval.csv carries the demonstrator's
success rate; GILD's level is given with --level. `--panels script` draws one panel per script
and task, one line per mode. A Markdown table of each line's last value and mean over the curve
(mean +- sample std over seeds) is printed as well.
Needs matplotlib (`pip install matplotlib==3.11.2`), which the scripts themselves do not.
"""

import argparse
import collections
import csv
import logging
import pathlib
import sys
import textwrap

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "sweeps", nargs="+", help="run folders, folders of runs (runs/) or sweep folders (benchmarks/sweep.py --out)"
    )
    p.add_argument(
        "--metric",
        default="success_rate",
        help="an eval.csv column (success_rate, return, eval_return_mean, max_average_return, lambda) "
        "or a TensorBoard tag (cair/cos_d_il, charts/lambda, ...)",
    )
    p.add_argument(
        "--panels",
        choices=["task", "script"],
        default="task",
        help="one panel per task (a line per script and mode), or per script and task (a line per mode)",
    )
    p.add_argument("--out", default="curves.png", help="the PNG to write")
    p.add_argument(
        "--level",
        nargs="*",
        default=[],
        help="ENV=VALUE: the demonstrator's level on a task (default: the csv's demonstrator_success_rate column)",
    )
    p.add_argument("--title", help="a title over the panels (for instance the machine and the budget)")
    p.add_argument("--log-y", action="store_true", help="a logarithmic y axis (for gradient norms and spreads)")
    p.add_argument("--scripts", nargs="*", help="draw only these scripts' runs (folder names: cair_ddpg, gild_td3, ...)")
    p.add_argument("--envs", nargs="*", help="draw only these tasks")
    p.add_argument("--modes", nargs="*", help="draw only these modes (a sweep's mode folders: mode-il, mode-gild, ...)")
    return p.parse_args(argv)


class ResumedRunsPurge(logging.Filter):
    """A resumed run's events restart after its checkpoint's step: TensorBoard drops what the stopped process had logged
    past it (the resumed run logged those steps again), as wanted, and warns once per file. That warning only."""

    def filter(self, record):
        return not record.getMessage().startswith("Detected out of order event.step")


logging.getLogger("tensorboard").addFilter(ResumedRunsPurge())


def read_tensorboard(run, tag):
    """(steps, values) the run logged under a TensorBoard tag."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run), size_guidance={"scalars": 0})
    events.Reload()
    if tag not in events.Tags()["scalars"]:
        raise SystemExit(f"{run} has no TensorBoard tag {tag!r}; it has {', '.join(sorted(events.Tags()['scalars']))}")
    scalars = events.Scalars(tag)
    return np.array([e.step for e in scalars]), np.array([e.value for e in scalars])


def find_runs(folders):
    """(eval.csv, (script, env, mode)) of every run in `folders`: runs' own folders, folders of runs, or sweeps."""
    found = []
    for folder in map(pathlib.Path, folders):
        if (folder / "eval.csv").exists() or list(folder.glob("*/eval.csv")):  # a run, or a folder of runs
            for path in [folder / "eval.csv"] if (folder / "eval.csv").exists() else sorted(folder.glob("*/eval.csv")):
                parts = path.parent.name.split("__")  # <env>__<exp>__<mode>__<seed>__<time>, as the scripts name runs
                named = len(parts) >= 5
                found.append((path, (parts[1], parts[0], "__".join(parts[2:-2])) if named else ("", path.parent.name, "")))
        else:
            found += [(path, path.parts[-7:-4]) for path in sorted(folder.glob("*/*/*/seed*/runs/*/eval.csv"))]
    return found


def read_runs(sweeps, metric):
    """{env: {(script, mode): [(steps, values) per seed]}}, and from the files {env: the demonstrator's level} and
    {env: the expert's level} (CAIR's eval.csv has both; a success-rate plot draws them)."""
    curves, levels, experts = collections.defaultdict(lambda: collections.defaultdict(list)), {}, {}
    for path, (script, env, mode) in find_runs(sweeps):
        rows = list(csv.DictReader(path.open()))
        if not rows:
            continue
        if "demonstrator_success_rate" in rows[0] and metric == "success_rate":
            levels[env] = float(rows[0]["demonstrator_success_rate"])
            if "expert_success_rate" in rows[0]:
                experts[env] = float(rows[0]["expert_success_rate"])
        if "/" in metric:
            curves[env][(script, mode)].append(read_tensorboard(path.parent, metric))
            continue
        if metric not in rows[0]:
            raise SystemExit(f"{path} has no column {metric!r}; it has {', '.join(rows[0])}")
        curves[env][(script, mode)].append(
            (np.array([int(r["global_step"]) for r in rows]), np.array([float(r[metric]) for r in rows]))
        )
    return curves, levels, experts


def spread(x):
    """Values over seeds: the mean +- the sample std, or the one value of a single seed."""
    return f"{x.mean():.4g} +- {x.std(ddof=1):.2g}" if len(x) > 1 else f"{x[0]:.4g}"


def main(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves, levels, experts = read_runs(args.sweeps, args.metric)
    found = sorted({f"{script} on {env}" for env, lines in curves.items() for script, _ in lines})
    curves = {
        env: {
            (script, mode): seeds
            for (script, mode), seeds in lines.items()
            if (not args.scripts or script in args.scripts) and (not args.modes or mode in args.modes)
        }
        for env, lines in curves.items()
        if not args.envs or env in args.envs
    }
    curves = {env: lines for env, lines in curves.items() if lines}
    if found and not curves:
        raise SystemExit(
            f"no runs of --scripts {args.scripts} --modes {args.modes} on --envs {args.envs}; found {', '.join(found)}"
        )
    if not curves:
        raise SystemExit(
            f"no eval.csv under {', '.join(map(str, args.sweeps))} (a run's folder, a folder of runs such as runs/, "
            "or a sweep's <sweep>/<script>/<env>/<mode>/seed<k>/runs/*/eval.csv)"
        )
    for item in args.level:
        env, _, value = item.partition("=")
        levels[env] = float(value)
    panels = collections.defaultdict(dict)  # {(env, script or ""): {label: seeds}}
    for env, lines in curves.items():
        for (script, mode), seeds in lines.items():
            if args.panels == "script":
                panels[(env, script)][mode] = seeds
            else:
                panels[(env, "")][f"{script} {mode}"] = seeds
    cols = min(3, len(panels))  # three panels a row, then wrap
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(7, 5 * cols), 5.2 * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    print(f"| panel | line | seeds | last step | {args.metric} at the last step | mean over the curve |")
    print("|---|---|---|---|---|---|")
    for ax, ((env, script), lines) in zip(axes.flat, sorted(panels.items())):
        title = f"{script} {env}".strip()
        for label, seeds in sorted(lines.items()):
            n = min(len(steps) for steps, _ in seeds)  # the seeds' common prefix
            steps, values = seeds[0][0][:n], np.stack([v[:n] for _, v in seeds])
            last, curve = values[:, -1], values.mean(1)  # per seed; printed as mean +- sample std over seeds
            print(f"| {title} | {label} | {len(seeds)} | {steps[-1]} | {spread(last)} | {spread(curve)} |")
            seeds_label = f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''}"
            (line,) = ax.plot(steps, values.mean(0), label=f"{label} ({seeds_label})".strip())
            ax.fill_between(steps, values.min(0), values.max(0), color=line.get_color(), alpha=0.2)
        if env in levels:
            ax.axhline(levels[env], color="k", linestyle="--", label="demonstrator")
        if env in experts:
            ax.axhline(experts[env], color="k", linestyle=":", label="expert")
        ax.set(title=title, xlabel="environment steps", ylabel=args.metric, yscale="log" if args.log_y else "linear")
        ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}k" if abs(x) >= 1000 else f"{x:g}")  # 150k, not 150000
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)  # below the axes
    if args.title:
        fig.suptitle(textwrap.fill(args.title, 110), fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    drawn = [
        f"{script} {env} ({len(lines)} line{'s' * (len(lines) > 1)})".strip()
        for (env, script), lines in sorted(panels.items())
    ]
    print(f"wrote {args.out}: {', '.join(drawn)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
