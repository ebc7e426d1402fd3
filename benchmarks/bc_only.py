"""Offline behaviour cloning on a CAIR task's offline set: how far imitation alone gets, and what the
set-up choices do. The network is the CAIR scripts' actor (512-512 tanh, tanh output), trained by MSE.

    python -m benchmarks.bc_only FetchPush-v4 --updates 6000 --lr 1e-3            # the shipped set-up
    python -m benchmarks.bc_only FetchPush-v4 --updates 6000 --lr 1e-3 --raw-obs  # without input normalisation
    python -m benchmarks.bc_only FetchPush-v4 --updates 6000 --lr 1e-3 --taken-actions  # labels: the noisy actions

(from the repository root: `python -m` puts it on the import path, so `demonstrators` imports).

Prints BC's success rate every --eval-every updates, over --eval-episodes episodes on seeds from 50000
(disjoint from the demonstrator measurements' 0-199, the offline set's and the scripts' evaluation seeds).
"""

import argparse
import time

import numpy as np
import torch
import torch.nn as nn

import demonstrators

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("env_id", choices=demonstrators.ROBOTICS_TASKS)
p.add_argument("--episodes", type=int, default=1000, help="real episodes in the offline set (the scripts' default)")
p.add_argument("--updates", type=int, default=6000)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--batch-size", type=int, default=256)
p.add_argument("--raw-obs", action="store_true", help="no input normalisation")
p.add_argument("--taken-actions", action="store_true", help="imitate the actions taken (with acting noise), not the labels")
p.add_argument("--eval-every", type=int, default=2000)
p.add_argument("--eval-episodes", type=int, default=50)
p.add_argument("--seed", type=int, default=1, help="the offline set's seed and torch's")
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(a.seed)

data = demonstrators.offline_dataset(a.env_id, a.episodes, seed=a.seed)
states, actions = torch.as_tensor(data["states"]), torch.as_tensor(data["actions" if a.taken_actions else "labels"])
print(f"{a.env_id}: {len(states)} pairs; the demonstrator succeeded in {data['success'].mean():.3f} of its episodes")
mean, std = (states.mean(0), states.std(0).clamp(min=1e-3)) if not a.raw_obs else (torch.zeros(1), torch.ones(1))
clip = 1e9 if a.raw_obs else 5.0
hidden = 512
net = nn.Sequential(
    nn.Linear(states.shape[1], hidden),
    nn.Tanh(),
    nn.Linear(hidden, hidden),
    nn.Tanh(),
    nn.Linear(hidden, actions.shape[1]),
    nn.Tanh(),
)


def policy(x):
    return net(((x - mean) / std).clamp(-clip, clip))


class Greedy:
    """The BC policy as a demonstrator-like callable for demonstrators.rollout_dataset."""

    def __call__(self, obs):
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(obs, dtype=np.float32))
            return policy(x[None])[0].numpy() if x.ndim == 1 else policy(x).numpy()


opt = torch.optim.Adam(net.parameters(), lr=a.lr)
t0 = time.time()
for update in range(1, a.updates + 1):
    j = torch.randint(0, len(states), (a.batch_size,))
    loss = (policy(states[j]) - actions[j]).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if update % a.eval_every == 0 or update == a.updates:
        success = demonstrators.rollout_dataset(a.env_id, a.eval_episodes, 50_000, demonstrator=Greedy())["success"].mean()
        print(f"updates={update} mse={loss.item():.4f} bc_success={success:.2f} ({time.time() - t0:.0f}s)", flush=True)
