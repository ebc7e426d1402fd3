"""Pure BC with the CAIR scripts' actor on the offline demonstrator set, evaluated along the way: how far
imitation alone gets on a task. Usage: python benchmarks/bc_only.py ENV_ID UPDATES LEARNING_RATE EPISODES
(report: FetchPush-v4 16000 1e-3 50; 40 evaluation episodes every UPDATES/4)."""
import pathlib
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import cair_ddpg as m  # noqa: E402 (its Actor and evaluate)
from demonstrators import robotics  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)
env_id, steps, lr, n_eps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
data = robotics.rollout_dataset(env_id, n_eps, seed=1)
s, a = torch.as_tensor(data["states"]), torch.as_tensor(data["actions"])
actor = m.Actor(s.shape[1], a.shape[1], 512)
opt = torch.optim.Adam(actor.parameters(), lr=lr)
t0 = time.time()
for i in range(steps + 1):
    j = torch.randint(0, len(s), (256,))
    loss = ((actor(s[j]) - a[j]) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if i % (steps // 4) == 0:
        print(i, f"mse {loss.item():.4f}", "eval (success, return):", m.evaluate(actor, env_id, 40, 10_000, "cpu"), f"{time.time()-t0:.0f}s", flush=True)
