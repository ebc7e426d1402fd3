"""The flags every script shares that are about running it, not about its method; a script's `Args` extends them."""

from dataclasses import dataclass


@dataclass
class RunArgs:
    track: bool = False
    """if toggled, the run is also logged to Weights & Biases (`pip install wandb`)"""
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
