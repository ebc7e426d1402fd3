"""The two tables of the Point2D weight-decay study (docs/report.md) from its sweep folder.

    python -m benchmarks.gild_point2d_tables results/gild_point2d_15k
    python -m benchmarks.gild_point2d_tables results/gild_point2d_15k results/gild_point2d_meta_loss   # several studies
    python -m benchmarks.gild_point2d_tables results/gild_hopper_decay --env Hopper-sparse --windows 11000-11000 ...

Returns: per mode, each seed's return at the last evaluation, and the shares of the evaluations from
--from-step on that reach the goal (return >= 80) and that take the straight 7-step path (>= 93.8).
Diagnostics: per GILD mode and window, the median over seeds of each run's median of the gild/* tags.
With --env other than Point2D, the diagnostics only (the returns' thresholds are Point2D's).
"""

import argparse
import pathlib

import numpy as np

GOAL, OPTIMUM = 80.0, 93.8  # Point2D: 100 - t on reaching the goal; the straight path takes 7 steps (93.9)
TAGS = [
    "gild/output_std",
    "gild/actor_grad_norm_gild",
    "gild/actor_grad_norm_rl",
    "gild/actor_grad_norm_il",
    "gild/meta_grad_above_decay",
    "losses/gild_loss",
]


def mode_folders(studies, env="Point2D"):
    return sorted(p for study in studies for p in pathlib.Path(study).glob(f"*/{env}/*") if p.is_dir())


def label(mode):
    """The mode's folder name, after its script's where the study has more than one script."""
    scripts = {p.parent.parent for p in mode_folders([mode.parent.parent.parent], mode.parent.name)}
    return f"{mode.parent.parent.name} {mode.name}" if len(scripts) > 1 else mode.name


def returns_table(studies, from_step):
    print("| mode | seeds | return at the end, per seed | at the goal | at the optimum |")
    print("|---|---|---|---|---|")
    for mode in mode_folders(studies):
        finals, goal, optimum = [], [], []
        for csv in sorted(mode.glob("seed*/runs/*/eval.csv")):
            data = np.genfromtxt(csv, delimiter=",", names=True)
            late = data["eval_return_mean"][data["global_step"] >= from_step]
            finals.append(data["eval_return_mean"][-1])
            goal.append((late >= GOAL).mean())
            optimum.append((late >= OPTIMUM).mean())
        per_seed = " / ".join(f"{x:.1f}" for x in finals)
        print(f"| {label(mode)} | {len(finals)} | {per_seed} | {np.mean(goal):.2f} | {np.mean(optimum):.2f} |")


def diagnostics_table(studies, windows, env="Point2D", tags=TAGS):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    print("| mode | window | " + " | ".join(tags) + " |")
    print("|---|---|" + "---|" * len(tags))
    for mode in mode_folders(studies, env):
        runs = []
        for seed in sorted(mode.glob("seed*")):
            values = {}
            for events in sorted(seed.glob("runs/*/events.out.tfevents.*")):  # a resumed run writes one file per piece
                acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
                acc.Reload()
                for tag in set(tags) & set(acc.Tags()["scalars"]):
                    values.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
            runs.append(values)
        if not any(runs):
            continue  # rl and il log no gild/* tags
        for lo, hi in windows:
            cells = [window_median(runs, tag, lo, hi) for tag in tags]
            print(f"| {label(mode)} | {lo // 1000}k-{hi // 1000}k | " + " | ".join(cells) + " |")


def window_median(runs, tag, lo, hi):
    """The median over runs of each run's median of the tag over steps lo..hi, formatted; '-' where none logged it."""
    medians = [np.median([v for s, v in r.get(tag, []) if lo <= s <= hi] or [np.nan]) for r in runs]
    return "-" if np.all(np.isnan(medians)) else f"{np.nanmedian(medians):.2g}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("study", nargs="+", help="sweep folders (benchmarks/gild_study.sh point2d) or results/gild_point2d_15k")
    p.add_argument("--from-step", type=int, default=5000, help="the shares count evaluations from this step on")
    p.add_argument("--windows", nargs="+", default=["2000-3000", "10000-15000"], help="LO-HI step windows")
    p.add_argument("--env", default="Point2D", help="the task's folder; not Point2D: the diagnostics table only")
    p.add_argument("--tags", nargs="+", default=TAGS, help="the diagnostics table's TensorBoard tags")
    args = p.parse_args(argv)
    if not mode_folders(args.study, args.env):
        p.error(f"no <script>/{args.env}/<mode> folders under {' '.join(args.study)}")
    if args.env == "Point2D":
        returns_table(args.study, args.from_step)
        print()
    diagnostics_table(args.study, [tuple(int(x) for x in w.split("-")) for w in args.windows], args.env, args.tags)


if __name__ == "__main__":
    main()
