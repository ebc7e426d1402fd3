"""What a checkpoint costs at the papers' scale: the size, write and read time of a checkpoint holding a full
1M-row replay buffer (the largest part of any checkpoint), through `run_utils.write_checkpoint`, which every script uses.

    python -m benchmarks.checkpoint_cost
"""

import os
import tempfile
import time

import torch

import run_utils


def main():
    torch.set_num_threads(1)
    for name, obs_dim, act_dim in (("Hopper, GILD", 11, 3), ("FetchPush, CAIR", 28, 4)):
        rb = run_utils.ReplayBuffer(1_000_000, obs_dim, act_dim, "cpu")
        for k in ("obs", "next_obs", "actions", "rewards", "dones"):
            getattr(rb, k).normal_()
        rb.full = True
        with tempfile.TemporaryDirectory() as folder:
            t = time.time()
            run_utils.write_checkpoint(folder, {"replay_buffer": rb.state_dict()})
            write = time.time() - t
            t = time.time()
            torch.load(f"{folder}/checkpoint.pt", weights_only=True)
            read = time.time() - t
            size = os.path.getsize(f"{folder}/checkpoint.pt") / 2**20
        print(f"{name}: a full 1M-row replay buffer: {size:.0f} MiB, written in {write:.2f} s, read in {read:.2f} s")


if __name__ == "__main__":
    main()
