"""The flags every script shares that are about running it, not about its method; a script's `Args` extends them."""

import dataclasses
import time
from dataclasses import dataclass


@dataclass
class RunArgs:
    track: bool = False
    """also log the run to Weights & Biases (`pip install wandb` first)"""
    wandb_project_name: str = "il-rl-reference"
    """the Weights & Biases project"""
    wandb_entity: str | None = None
    """the Weights & Biases entity (team); default: your own"""
    progress_interval: float = 10.0
    """seconds between progress lines on stdout (0: none)"""
    checkpoint_every: int = 25_000
    """write `checkpoint.pt` into the run's folder every this many steps and at the end (0: only on SIGTERM/SIGINT);
    PPO writes it at the end of the rollout that reaches the step"""
    resume: str | None = None
    """continue the run in this folder (`runs/{run_name}`) from its checkpoint, with the arguments it was started with"""


def out_of_range(args, ranges):
    """One message per flag outside its range, naming the value given. `ranges` maps a field to "[lo, hi]", "[lo, hi)",
    "(lo, hi]", ">= lo" or "> lo"; a field that is None (a per-task default still unset) is skipped."""
    problems = []
    for name, spec in ranges.items():
        value = getattr(args, name)
        if value is None:
            continue
        if spec.startswith((">=", ">")):
            ok = value >= float(spec[2:]) if spec.startswith(">=") else value > float(spec[1:])
            rule = spec
        else:
            lo, hi = (float(x) for x in spec[1:-1].split(","))
            ok = (lo <= value if spec[0] == "[" else lo < value) and (value <= hi if spec[-1] == "]" else value < hi)
            rule = f"in {spec}"
        if not ok:
            problems.append(f"--{name.replace('_', '-')} must be {rule}, not {value}")
    return problems


def run_name(args, mode, ablations=()):
    """The run's folder name, `<env>__<exp>__<mode>__<seed>__<time>`; the mode names each flag of `ablations` that
    differs from its default (`bc-cagrad-c-0`, `gild-gild-weight-decay-1e-05`), so that runs side by side tell apart."""
    defaults = {f.name: f.default for f in dataclasses.fields(args)}
    for name in ablations:
        value, flag = getattr(args, name), name.replace("_", "-")
        if value != defaults[name]:
            if isinstance(value, bool):
                mode += f"-{flag}" if value else f"-no-{flag}"
            else:
                mode += f"-{flag}-{value:g}" if isinstance(value, float) else f"-{flag}-{value}"
    return f"{args.env}__{args.exp_name}__{mode}__{args.seed}__{int(time.time())}"
