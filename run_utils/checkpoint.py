"""Checkpoints and resume: `--resume`'s arguments, checkpoint.pt written atomically and read without running code,
the random generators' states, the stop signals and their exit status, and model.npz.

A script's loop, in outline (the script lists what its checkpoint holds):
    if args.resume:
        args = resumed_args(args, Args, __file__)           # the run's own arguments; refuses unsafe changes
        checkpoint = read_checkpoint(args)
    ...
    stop = StopSignal()
    for global_step in ...:
        ...
        if stop.checkpoint_due(global_step, 1, args.checkpoint_every, args.total_timesteps):
            write_checkpoint(folder, {..., "rng": rng_states()})
            if stop.name:
                break
    if stop.name:
        sys.exit(CHECKPOINTED)
"""

import json
import os
import random
import shlex
import signal
import sys

import numpy as np
import torch
import tyro

CHECKPOINTED = 3  # the exit status of a run stopped by SIGTERM or SIGINT after writing its checkpoint: resumable


def save_model(path, **modules):
    """Every module's state_dict in one .npz, keys `{module}/{parameter}` (numpy, no pickle)."""
    arrays = {f"{m}/{k}": v.detach().cpu().numpy() for m, mod in modules.items() for k, v in mod.state_dict().items()}
    np.savez(path, **arrays)


SAFE_TO_CHANGE = (  # the arguments a resumed run may be given anew; the others decide what the run computes
    *("resume", "total_timesteps", "checkpoint_every", "progress_interval", "threads"),
    *("track", "wandb_project_name", "wandb_entity", "save_model"),
)


def resumed_args(args, Args, script):
    """`--resume RUN`: the arguments RUN was started with (an `Args` of the script at path `script`), and those given
    again that are safe to change."""
    folder = args.resume.rstrip("/")
    if not (os.path.isfile(f"{folder}/checkpoint.pt") and os.path.isfile(f"{folder}/args.json")):
        raise SystemExit(f"--resume {folder}: no checkpoint.pt and args.json there (is it a run's folder, runs/RUN?)")
    try:
        with open(f"{folder}/args.json") as f:
            stored = json.load(f)
        stored_script = stored.pop("script")
        if stored_script != os.path.basename(script):
            sibling = os.path.join(os.path.dirname(sys.argv[0]), stored_script)  # beside the script the user ran
            raise SystemExit(f"--resume {folder}: a run of {stored_script}; run `{python()} {sibling} --resume {folder}`")
        started = Args(**{**stored, "resume": folder})
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise SystemExit(f"--resume {folder}: args.json is not this script's ({type(e).__name__}: {e})") from None
    args = tyro.cli(Args, default=started)
    args.resume = folder  # without a trailing slash: the folder's name is the run's name
    changed = [k for k in vars(args) if getattr(args, k) != getattr(started, k)]
    refused = [f"--{k.replace('_', '-')}" for k in changed if k not in SAFE_TO_CHANGE]
    if args.total_timesteps < started.total_timesteps:
        refused.append("--total-timesteps (only upward)")
    if refused:
        safe = ", ".join(f"--{k.replace('_', '-')}" for k in SAFE_TO_CHANGE[1:])
        raise SystemExit(f"--resume continues a run as it was started: {', '.join(refused)} cannot change (these can: {safe})")
    return args


def read_checkpoint(args):
    """The checkpoint of the run to resume, read with torch's weights-only loader (it runs no code from the file)."""
    try:
        checkpoint = torch.load(f"{args.resume}/checkpoint.pt", map_location="cpu", weights_only=True)
        step = checkpoint["logger"]["step"]
    except Exception as e:  # a truncated or foreign file: say so in one line, touch nothing
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SystemExit(f"--resume {args.resume}: checkpoint.pt cannot be read ({reason[:200]})") from None
    if step >= args.total_timesteps:
        raise SystemExit(f"--resume {args.resume}: the run finished at step {step}; give a larger --total-timesteps")
    return checkpoint


def as_tensors(x):
    """numpy arrays as tensors and numpy scalars as Python numbers, in nested dicts, lists and tuples."""
    if isinstance(x, dict):
        return {k: as_tensors(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(as_tensors(v) for v in x)
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x.copy())
    return x.item() if isinstance(x, np.generic) else x


def write_checkpoint(folder, state):
    """`state` into `folder/checkpoint.pt`, atomically: a crash while writing leaves the previous checkpoint whole."""
    with open(f"{folder}/checkpoint.pt.tmp", "wb") as f:
        torch.save(as_tensors(state), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f"{folder}/checkpoint.pt.tmp", f"{folder}/checkpoint.pt")


def rng_states():
    """Every random generator the run draws from (the environments' are in their own state)."""
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(legacy=False),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_states(states):
    random.setstate(states["python"])
    key = np.asarray(states["numpy"]["state"]["key"], dtype=np.uint32)
    np.random.set_state({**states["numpy"], "state": {**states["numpy"]["state"], "key": key}})
    torch.set_rng_state(states["torch"])
    if states["cuda"]:
        torch.cuda.set_rng_state_all(states["cuda"])


class StopSignal:
    """SIGTERM, and SIGINT (Ctrl-C) unless it is ignored, ask the run to stop at the end of the current step, after
    writing its checkpoint; a second Ctrl-C stops it at once, without one."""

    def __init__(self):
        self.name = None
        signal.signal(signal.SIGTERM, self.handle)
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # a background job's SIGINT stays ignored
            signal.signal(signal.SIGINT, self.handle)

    def handle(self, signum, frame):
        if self.name is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.name = signal.Signals(signum).name

    def checkpoint_due(self, step, stride, every, last_step):
        """Whether to write a checkpoint at `step`, reached `stride` steps after the last check: when stopped, at each
        multiple of `every` (0: never), and at the end, so that a larger --total-timesteps can continue the run."""
        periodic = every > 0 and (step // every > (step - stride) // every or step + stride > last_step)
        return self.name is not None or periodic

    def stopped(self, folder, script, step):
        """The closing line of a stopped run, with the command that continues it, as the user ran it."""
        command = shlex.join([python(), sys.argv[0] or script, "--resume", folder])
        print(f"{self.name}: stopped at step {step}; checkpoint written; continue with: {command}")


def python():
    """The interpreter as the user typed it (`.venv/bin/python`, `python3`...), for the commands we suggest."""
    return getattr(sys, "orig_argv", [None])[0] or "python"
