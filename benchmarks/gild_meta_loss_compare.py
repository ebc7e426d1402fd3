"""Eq. (8)'s meta-gradient beside that of RQ3's intuitive meta-loss, at the same parameters (docs/report.md, Table 2).

    python -m benchmarks.gild_meta_loss_compare sweeps/gild_point2d_meta_loss/gild_td3/Point2D/*/seed*/runs/*/checkpoint.pt

For each gild_td3.py checkpoint, on --batches batches from the run's own replay buffer and demonstrations: GILD's
meta-gradient (Eq. 9-11) under Eq. (8) and under the intuitive meta-loss E[Q(s, phi'(s))], their cosine and the
ratio of their norms, and the look-ahead gap Q(s, phi'(s)) - Q(s, phi_bc'(s)) inside Eq. (8)'s tanh. phi_bc' does
not depend on omega, so Eq. (8)'s omega-gradient is the intuitive one with each validation state weighted by
1 - tanh(gap)^2: where every gap is small, the two meta-gradients coincide.
"""

import argparse
import json
import pathlib
import pickle

import numpy as np
import torch
from torch.func import functional_call
from torch.nn.utils import parameters_to_vector

import gild_td3


def compare(checkpoint_path, batches, seed):
    run = pathlib.Path(checkpoint_path).parent
    args = json.loads((run / "args.json").read_text())
    ckpt = torch.load(checkpoint_path, weights_only=True)
    modules = ckpt["modules"]
    obs_dim = modules["actor"]["fc1.weight"].shape[1]
    act_dim = modules["actor"]["fc_mu.weight"].shape[0]
    scale, bias = modules["actor"]["action_scale"].numpy(), modules["actor"]["action_bias"].numpy()
    actor = gild_td3.Actor(obs_dim, act_dim, bias - scale, bias + scale)
    qf1, gild = gild_td3.QNetwork(obs_dim, act_dim), gild_td3.GILDNetwork(obs_dim, act_dim)
    for name, net in (("actor", actor), ("qf1", qf1), ("gild", gild)):
        net.load_state_dict(modules[name])
    obs = ckpt["replay_buffer"]["obs"]
    demo_states, demo_actions = ckpt["demonstrations"]
    w_rl = lambda q: 1.0 if args["unit_il_weights"] else args["beta"] / q.abs().mean().detach()  # noqa: E731
    gen, n = torch.Generator().manual_seed(seed), args["batch_size"]
    rows = []
    for _ in range(batches):
        s, s_val = obs[torch.randint(0, len(obs), (n,), generator=gen)], obs[torch.randint(0, len(obs), (n,), generator=gen)]
        j = torch.randint(0, len(demo_states), (n,), generator=gen)
        batch = (actor, qf1, gild, s, demo_states[j], demo_actions[j], s_val, args["policy_lr"], w_rl)
        g, g_eq8, _, _, parts = gild_td3.gild_meta_gradients(*batch, "eq8")
        _, g_int, _, _, _ = gild_td3.gild_meta_gradients(*batch, "intuitive")
        a, b = parameters_to_vector(g_eq8).double(), parameters_to_vector(g_int).double()
        with torch.no_grad():  # the two look-aheads of Eq. (6)-(7), rebuilt from the returned gradients
            w = w_rl(qf1(s, actor(s)))
            theta = dict(actor.named_parameters())
            new = {k: p - args["policy_lr"] * gk for (k, p), gk in zip(theta.items(), g)}
            g_bc = [w * x + y for x, y in zip(parts["g_rl"], parts["g_il"])]
            bc = {k: p - args["policy_lr"] * gk for (k, p), gk in zip(theta.items(), g_bc)}
            gap = qf1(s_val, functional_call(actor, new, (s_val,))) - qf1(s_val, functional_call(actor, bc, (s_val,)))
        cos = float(a @ b / (a.norm() * b.norm()).clamp(min=1e-300))
        rows.append((cos, float(a.norm() / b.norm().clamp(min=1e-300)), float(gap.abs().max())))
    return np.array(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoints", nargs="+", help="gild_td3.py checkpoint.pt files (their args.json beside them)")
    p.add_argument("--batches", type=int, default=20, help="batches per checkpoint")
    p.add_argument("--seed", type=int, default=0, help="seed of the batches' sampling")
    args = p.parse_args(argv)
    for path in map(pathlib.Path, args.checkpoints):
        if not path.is_file() or not (path.parent / "args.json").is_file():
            p.error(f"{path}: not a gild_td3.py checkpoint with its args.json beside it")
    torch.set_num_threads(1)
    print("| checkpoint | cosine, min / median | norm ratio Eq. (8) / intuitive, median | max \\|gap\\| |")
    print("|---|---|---|---|")
    for path in args.checkpoints:
        try:
            r = compare(path, args.batches, args.seed)
        except (RuntimeError, KeyError, OSError, pickle.UnpicklingError) as e:
            p.error(f"{path}: cannot read it as a gild_td3.py checkpoint ({type(e).__name__})")
        name = "/".join(pathlib.Path(path).parts[-5:-3])  # mode/seed
        print(f"| {name} | {r[:, 0].min():.6f} / {np.median(r[:, 0]):.6f} | {np.median(r[:, 1]):.4f} | {r[:, 2].max():.2g} |")


if __name__ == "__main__":
    main()
