"""What a run needs that is not the method: the scripts import it, as CleanRL's import `cleanrl_utils`.

    args.py        the flags about running a script (W&B, progress line, checkpoints, --resume)
    checkpoint.py  args.json and `--resume`'s argument merge, checkpoint.pt written atomically and read with the
                   weights-only loader, the random generators' states, SIGTERM/SIGINT, model.npz
    logs.py        the run's folder: W&B set-up, TensorBoard and eval.csv opened anew or cut back to the
                   checkpoint on resume, the start line, the progress line's speed and time left
    envstate.py    a task's complete state, so that a checkpoint taken mid-episode resumes bit for bit
    buffers.py     the off-policy scripts' replay buffer

Each script still says *what* its checkpoint holds (its networks, optimisers, counters, lambda or the GILD
network); this package does *how*. Copy it beside a script you take into another project (with `demonstrators/`).
"""

from run_utils.args import RunArgs, out_of_range, run_name
from run_utils.buffers import ReplayBuffer
from run_utils.checkpoint import (
    CHECKPOINTED,
    SAFE_TO_CHANGE,
    StopSignal,
    read_checkpoint,
    resumed_args,
    rng_states,
    save_model,
    set_rng_states,
    write_checkpoint,
)
from run_utils.envstate import env_state, set_env_state
from run_utils.logs import RunLogs

__all__ = [
    "CHECKPOINTED",
    "SAFE_TO_CHANGE",
    "ReplayBuffer",
    "RunArgs",
    "RunLogs",
    "StopSignal",
    "env_state",
    "out_of_range",
    "read_checkpoint",
    "resumed_args",
    "rng_states",
    "run_name",
    "save_model",
    "set_env_state",
    "set_rng_states",
    "write_checkpoint",
]
