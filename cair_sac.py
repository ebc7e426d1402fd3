"""SAC + CAIR (Conflict-Averse IL-RL) with BC or DAgger as the imitation part, in one file.

The actor minimises L_lambda = (1 - lambda) L_RL + lambda L_IL (Eq. 1), lambda starting at 1. Per actor update
(Alg. 1, l. 10-13; `cair_gradient`) g_RL and g_IL are two gradients of the actor's parameters; the CAGrad direction
d of Eq. (3), taken in a ball of radius c ||g_lambda|| around g_lambda, is rescaled and written into .grad, and the
optimiser steps. Once every `lambda_interval` real episodes (l. 16-17; the paper: "every 10 task episodes", so 500
steps on Fetch, 2,000 on Hammer) Algorithm 2 (`optimize_lambda`) sets lambda from the latest update's two gradients;
it never rises. The critics and the temperature train as in plain SAC (Stable-Baselines3's temperature loss;
`--no-autotune` holds the temperature at `--alpha`). L_IL is section 4.2's (1/N) sum_i ||pi_D(s_i) - a_i||^2 with
a_i ~ pi_theta(.|s_i): the squared error summed over action dimensions, on a reparameterised sample, so that imitation
also shrinks the policy's spread (`--il-action mean` and `--il-reduction mean` give F.mse_loss of the mean action
instead).
  --il bc       L_IL on the offline set: 1,000 demonstrator episodes (the paper's 50 of 1,000 or 4,000 steps),
                labelled with its noise-free actions (`--demo-episodes`).
  --il dagger   L_IL on every state the learner visits, labelled by the demonstrator, aggregated over the run
                from the offline set on.
  --il none     plain SAC (lambda = 0, no IL gradient): the baseline.
Ablations (the paper's Figures 3 and 7): `--cagrad-c 0` (CAGrad off: d = g_lambda), `--lambda-schedule fixed-step`
(lambda -= delta every interval), `--lambda-schedule constant`. `--normalize-grads` combines unit gradients, as the
paper does for PPO only: Algorithm 2 picks lambda from the gradients' directions, but Eq. (1) mixes their raw sizes,
and |g_RL| is often 10x |g_IL| (docs/report.md).

Choices where the paper is silent (CAIR's code is not public):
  * Every network normalises its input by the offline set's mean and std, clipped to +-5 (`--normalize-obs`, a
    deviation from Stable-Baselines3: without it BC does not copy the Fetch demonstrators).
  * Algorithm 2's K, mu_0 and eta_mu: 10, 2.0 and 0.01. With mu_0 > 1 an active constraint holds lambda where
    cos(g_lambda, g_IL) = 0 (dJ/dlambda = (rho - 1)(1 - mu) > 0 there); each call lowers lambda by at most
    K eta_lambda (1 - rho) <= 2e-3.
  * c = 0.5 (the paper: c in [0.45, 0.95] behaves alike); CAGrad's rescale d / (1 + c^2), the CAGrad authors' most
    common choice (`--cagrad-rescale`).
"""

import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal, NamedTuple

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import tyro

import demonstrators
import run_utils


@dataclass
class Args(run_utils.RunArgs):  # --track, --resume, --checkpoint-every...: run_utils/args.py
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    seed: int = 1
    """seed of the experiment"""
    torch_deterministic: bool = True
    """cuDNN's deterministic algorithms, so that a GPU run repeats (`--no-torch-deterministic`: faster)"""
    cuda: bool = True
    """run on the GPU when torch sees one (`--no-cuda`: on the CPU)"""
    threads: int = 1
    """torch CPU threads; keep 1 when runs share a machine (oversubscription is ~100x slower)"""
    save_model: bool = False
    """save actor and critics to `runs/{run_name}/model.npz` (numpy, no pickle)"""

    # Task and imitation
    env: str = "FetchPush-v4"
    """FetchPickAndPlace-v4, FetchPush-v4, FetchSlide-v4, AdroitHandHammerSparse-v1 (or PickAndPlace, Push, Slide, Hammer)"""
    il: Literal["bc", "dagger", "none"] = "bc"
    """the imitation part: BC on the offline set, DAgger (the demonstrator labels visited states), or none (plain SAC)"""
    demo_episodes: int = 1000
    """real episodes in the offline set (50k pairs on Fetch): A.2's 50 "episodes" of 1000 or 4000 steps are 20 each"""
    normalize_obs: bool = True
    """normalise the networks' inputs by the offline set's mean and std, clipped to +-5 (SB3 does not; docs/report.md)"""
    demo_path: str | None = None
    """an .npz of demonstrations (`states`, `actions`, flat observations) instead of the shipped demonstrator's offline set"""

    # SAC (Table 1; the rest Stable-Baselines3's defaults)
    total_timesteps: int = 1_000_000
    """total environment steps"""
    learning_starts: int = 100
    """uniform-random steps before learning"""
    buffer_size: int = 1_000_000
    """replay memory size"""
    gamma: float = 0.98
    """discount factor"""
    tau: float = 0.02
    """target smoothing coefficient"""
    batch_size: int | None = None
    """replay and demonstration batch size; default per task (Table 1: 128, Push and Hammer 256)"""
    learning_rate: float | None = None
    """actor, critic and temperature learning rate; default per task (Table 1: 3e-4, Push 3e-5)"""
    hidden: int = 512
    """width of the two tanh hidden layers of actor and critics"""
    autotune: bool = True
    """tune the temperature alpha towards the target entropy -dim(A) (Table 1: "Auto"); `--no-autotune` holds it at --alpha"""
    alpha: float = 1.0
    """the temperature with `--no-autotune` (1.0: where Auto starts, log alpha = 0)"""

    # CAIR
    lambda_init: float = 1.0
    """initial IL weight lambda (Alg. 1, l. 2)"""
    lambda_schedule: Literal["cair", "fixed-step", "constant"] = "cair"
    """how lambda moves: Algorithm 2, lambda -= lambda_delta, or not at all"""
    lambda_interval: int = 10
    """run Algorithm 2 once every this many real episodes (A.3: "every 10 task episodes")"""
    lambda_interval_unit: Literal["episodes", "updates"] = "episodes"
    """count the interval in episodes, or in actor updates (A.2's other sentence, "every 10 policy updates")"""
    lambda_lr: float = 1e-4
    """eta_lambda of Algorithm 2 (paper: 1e-4)"""
    lambda_iters: int = 10
    """K, the iterations of Algorithm 2 per call (not given by the paper)"""
    lambda_mu0: float = 2.0
    """mu_0, the initial dual variable of Algorithm 2 (not given by the paper; > 1 holds an active constraint)"""
    lambda_mu_lr: float = 1e-2
    """eta_mu, the dual step of Algorithm 2 (not given by the paper)"""
    lambda_delta: float = 0.05
    """the step of `--lambda-schedule fixed-step` (paper's Figure 3: 0.05 and 0.2)"""
    cagrad_c: float = 0.5
    """c of Eq. (3), in [0, 1); 0 turns CAGrad off (d = g_lambda)"""
    cagrad_rescale: Literal["1+c^2", "1+c", "none"] = "1+c^2"
    """divide d by (1 + c^2), (1 + c) or nothing"""
    il_action: Literal["sample", "mean"] = "sample"
    """the learner's action in L_IL: a reparameterised sample a ~ pi(.|s) (section 4.2), or the mean action"""
    il_reduction: Literal["sum", "mean"] = "sum"
    """L_IL's squared error summed over action dimensions (section 4.2), or averaged over them (F.mse_loss's)"""
    normalize_grads: bool = False
    """scale g_IL and g_RL to unit norm before Eq. (1) and CAGrad combine them (the paper does so for PPO only)"""

    # Evaluation
    eval_freq: int = 10_000
    """evaluate every this many environment steps"""
    eval_episodes: int = 20
    """deterministic evaluation episodes"""


ABLATIONS = (  # the flags a run's folder name shows where they are not the default (`bc-cagrad-c-0`)
    "lambda_schedule lambda_delta lambda_interval_unit cagrad_c il_action normalize_grads normalize_obs autotune alpha"
).split()


# -------------------------------------------------------------------------------------------------- task
ALIASES = dict(PickAndPlace="FetchPickAndPlace-v4", Push="FetchPush-v4", Slide="FetchSlide-v4", Hammer=demonstrators.HAMMER)
TABLE_1 = {  # (learning rate, batch size)
    "FetchPickAndPlace-v4": (3e-4, 128),
    "FetchPush-v4": (3e-5, 256),
    "FetchSlide-v4": (3e-4, 128),
    demonstrators.HAMMER: (3e-4, 256),
}


def check_args(args):
    """The task's full id and Table 1's defaults for flags left unset; then, at start-up, one line for any bad flag."""
    args.env = ALIASES.get(args.env, args.env)
    if args.env not in TABLE_1:
        raise SystemExit(
            f"unknown --env {args.env!r}; CAIR's tasks: {', '.join(TABLE_1)} (or {', '.join(ALIASES)}); GILD's tasks "
            "(Hopper-sparse, ..., Point2D) run with gild_td3.py, gild_sac.py and gild_ddpg.py"
        )
    lr, batch = TABLE_1[args.env]
    args.learning_rate = lr if args.learning_rate is None else args.learning_rate
    args.batch_size = batch if args.batch_size is None else args.batch_size
    counts = "batch_size buffer_size lambda_interval lambda_iters demo_episodes threads total_timesteps eval_freq"
    ranges = {"lambda_init": "[0, 1]", "cagrad_c": "[0, 1)", "gamma": "(0, 1]", "tau": "(0, 1]"}
    ranges |= dict.fromkeys([*counts.split(), "eval_episodes", "hidden"], ">= 1") | {"learning_starts": ">= 0"}
    ranges |= dict.fromkeys(["learning_rate", "lambda_lr"], "> 0") | dict.fromkeys(
        ["lambda_mu0", "lambda_mu_lr", "lambda_delta", "alpha"], ">= 0"
    )
    problems = run_utils.out_of_range(args, ranges)
    if args.il == "dagger" and args.demo_path:
        problems.append("--il dagger queries the shipped demonstrator; --demo-path is for bc")
    if args.autotune and args.alpha != 1.0:
        problems.append("--alpha is the temperature held with --no-autotune; Auto tunes it from 1.0")
    if problems:
        raise SystemExit("bad arguments: " + "; ".join(problems))


def make_env(env_id):
    env = demonstrators.make_env(env_id)
    if not env_id.startswith("Fetch"):
        return env
    space = gym.spaces.Box(-np.inf, np.inf, (demonstrators.OBS_DIM[env_id],), np.float32)
    return gym.wrappers.TransformObservation(env, demonstrators.flatten_obs, space)  # observation + desired goal


def load_offline_set(args, obs_dim, act_dim):
    """Alg. 1, l. 1: the offline set D (the demonstrator's states and noise-free actions) or `--demo-path`'s, checked."""
    if args.demo_path:
        try:
            states, actions = demonstrators.load_demonstrations(args.demo_path)
        except ValueError as e:
            raise SystemExit(f"--demo-path: {e}") from None
    else:
        data = demonstrators.offline_dataset(args.env, args.demo_episodes, seed=args.seed)
        states, actions = data["states"], data["labels"]
        success = data["success"].mean()
        print(f"offline set: {args.demo_episodes} demonstrator episodes, {len(states)} pairs, success {success:.2f}")
    if states.shape[1] != obs_dim or actions.shape[1] != act_dim:
        shapes = f"{states.shape[1]}-d states and {actions.shape[1]}-d actions"
        raise SystemExit(f"--demo-path: {args.demo_path}: demonstrations are {shapes}; {args.env} has {obs_dim} and {act_dim}")
    return states, actions


# ---------------------------------------------------------------------------------------------- networks
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


class Normalize(nn.Module):
    """The networks' first layer: (s - mean) / std, clipped to +-5, by the offline set's statistics (buffers: fixed, saved)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).clamp(min=1e-3))  # constant inputs stay ~0

    def forward(self, s):
        return ((s - self.mean) / self.std).clamp(-5.0, 5.0)


class PolicyOutput(NamedTuple):
    action: torch.Tensor  # a reparameterised sample, in [-1, 1] like the tasks' actions
    log_prob: torch.Tensor  # log pi(action | s), (N, 1)
    mean_action: torch.Tensor  # tanh(mean), the deterministic action


class Actor(nn.Module):
    """Tanh-squashed Gaussian policy with tanh hidden layers (Table 1)."""

    def __init__(self, obs_dim, act_dim, hidden, normalize=None):
        super().__init__()
        self.normalize = normalize or nn.Identity()
        self.fc1 = nn.Linear(obs_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc_mean, self.fc_logstd = nn.Linear(hidden, act_dim), nn.Linear(hidden, act_dim)  # the Gaussian's mean, log std

    def forward(self, s):
        x = torch.tanh(self.fc2(torch.tanh(self.fc1(self.normalize(s)))))
        mean, log_std = self.fc_mean(x), self.fc_logstd(x).clamp(LOG_STD_MIN, LOG_STD_MAX)
        eps = torch.randn_like(mean)
        y = torch.tanh(mean + log_std.exp() * eps)
        log_prob = -0.5 * eps.pow(2) - log_std - 0.5 * np.log(2 * np.pi) - torch.log(1 - y.pow(2) + 1e-6)
        return PolicyOutput(y, log_prob.sum(1, keepdim=True), torch.tanh(mean))

    def act(self, s):
        """The deterministic action tanh(mean), for evaluation (through forward: its unused sample keeps the random stream)."""
        return self(s).mean_action


class QNetwork(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden, normalize=None):
        super().__init__()
        self.normalize = normalize or nn.Identity()
        self.fc1 = nn.Linear(obs_dim + act_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 1)

    def forward(self, s, a):
        return self.fc3(torch.tanh(self.fc2(torch.tanh(self.fc1(torch.cat([self.normalize(s), a], 1))))))


# ==========================================================================================================
# CAIR: the algorithm starts here. Eq. (3) and Algorithm 2 below; Algorithm 1 in the training loop of `main`.
# ==========================================================================================================
def cagrad(g_rl, g_il, lam, c):
    """Eq. (3): argmax_d min(<g_RL, d>, <g_IL, d>) s.t. ||d - g_lam|| <= c ||g_lam||, g_lam = (1-lam) g_RL + lam g_IL.

    Exact, by the 1-D dual: min over w in [0, 1] of F(w) = <g_w, g_lam> + k ||g_w||, g_w = (1-w) g_RL + w g_IL,
    k = c ||g_lam||. F is convex and F'(w) = 0 has a closed form; then d = g_lam + k g_w* / ||g_w*||.
    Flat gradients in; returns d (not rescaled: the caller does that) and w*, the CAGrad weight of g_IL."""
    g_lam = (1 - lam) * g_rl + lam * g_il
    k = c * g_lam.norm()
    if k == 0:  # c = 0 or g_lam = 0: the ball is the point g_lam
        return g_lam, torch.tensor(float(lam))
    delta = g_il - g_rl
    A, B, C, q = delta @ delta, g_rl @ delta, g_rl @ g_rl, delta @ g_lam
    if A <= 1e-20 * C:  # g_IL = g_RL
        return (1 + c) * g_lam, torch.tensor(float(lam))
    D = (A * C - B * B).clamp(min=0)
    r = -q / (k * A.sqrt())  # F'(w) = 0  <=>  <delta, g_w> / (sqrt(A) ||g_w||) = r
    if r >= 1:
        w = torch.ones_like(A)
    elif r <= -1:
        w = torch.zeros_like(A)
    else:
        w = ((-B + r * (D / (1 - r * r)).sqrt()) / A).clamp(0, 1)
    g_w = g_rl + w * delta
    norm = g_w.norm()
    if norm <= 1e-10 * (g_rl.norm() + g_il.norm()):
        return g_lam, w  # g_w* = 0 (with c < 1: one gradient is 0): the optimum, 0, is reached at g_lam
    return g_lam + k / norm * g_w, w


def optimize_lambda(g_il, g_rl, lam_cur, eta_lam=1e-4, iters=10, mu0=2.0, eta_mu=1e-2):
    """Algorithm 2: max_lam cos(g~_lam, g~_RL) s.t. cos(g~_lam, g~_IL) >= 0 by projected primal ascent and dual
    ascent on unit gradients (l. 2). With rho = <g~_IL, g~_RL>: c_RL = (1-lam) + lam rho, c_IL = (1-lam) rho + lam.
    Returns (lambda, mu); lambda stays in [0, lam_cur]."""
    rho = float((g_il @ g_rl) / (g_il.norm() * g_rl.norm()).clamp(min=1e-30))
    lam, mu = lam_cur, mu0  # l. 3
    for _ in range(iters):  # l. 4
        c_il = (1 - lam) * rho + lam  # l. 5-6
        grad = (rho - 1) + (mu * (1 - rho) if c_il < 0 else 0.0)  # l. 7: dJ/dlam, J = c_RL - mu max(0, -c_IL)
        lam = min(lam_cur, max(0.0, lam + eta_lam * grad))  # l. 8-9
        mu = max(0.0, mu + eta_mu * max(0.0, -c_il))  # l. 10
    return lam, mu


def cos(a, b):
    return (a @ b) / (a.norm() * b.norm()).clamp(min=1e-30)


def imitation_loss(action, label, reduction="sum"):
    """Section 4.2: L_IL = (1/N) sum_i ||pi_D(s_i) - a_i||^2, the squared error summed over action dimensions;
    `mean` also averages over them (F.mse_loss's, 1/|A| of it)."""
    squared_error = (action - label).pow(2)
    return squared_error.sum(1).mean() if reduction == "sum" else squared_error.mean()


def combine_gradients(g_rl, g_il, lam, c, normalize=True):
    """Alg. 1, l. 12: the CAGrad direction d of Eq. (3) for L_lambda, on unit gradients when `normalize` (the
    on-policy note: "normalizing IL and RL gradients"); with c = 0, d is Eq. (1)'s combination. Returns (d, w*, the
    two gradients as combined)."""
    if normalize:
        g_rl, g_il = g_rl / g_rl.norm().clamp(min=1e-30), g_il / g_il.norm().clamp(min=1e-30)
    d, w = cagrad(g_rl, g_il, lam, c)
    return d, w, g_rl, g_il


def effective_lambda(d, g_rl, g_il, lam):
    """The IL weight of the direction applied: writing d = a g_RL + b g_IL (CAGrad's d lies in their span), lambda_eff
    = b / (a + b), by the 2x2 normal equations. It is lam when d = g_lam (c = 0), and lam for parallel gradients."""
    rr, ri, ii, rd, id_ = torch.stack([g_rl @ g_rl, g_rl @ g_il, g_il @ g_il, g_rl @ d, g_il @ d]).double()
    det = rr * ii - ri * ri
    if det <= 1e-9 * rr * ii:
        return torch.tensor(float(lam), dtype=torch.float64)
    a, b = (ii * rd - ri * id_) / det, (rr * id_ - ri * rd) / det
    return b / (a + b)


def rl_share(g_rl, g_il, lam):
    """The RL term's share of Eq. (1)'s mix: (1 - lam)|g_RL| / ((1 - lam)|g_RL| + lam |g_IL|); 1 - lam on unit gradients."""
    rl, il = (1 - lam) * g_rl.norm(), lam * g_il.norm()
    return rl / (rl + il).clamp(min=1e-30)


def next_lambda(lam, mu, g_il, g_rl, args):
    """Alg. 1, l. 16-17: lambda's next value by Algorithm 2 (`cair`), by a fixed step, or unchanged; and mu."""
    if args.lambda_schedule == "cair":
        return optimize_lambda(g_il, g_rl, lam, args.lambda_lr, args.lambda_iters, args.lambda_mu0, args.lambda_mu_lr)
    if args.lambda_schedule == "fixed-step":
        return max(0.0, lam - args.lambda_delta), mu
    return lam, mu


def cair_gradient(params, loss_rl, loss_il, lam, args):
    """Alg. 1, l. 10-13: g_RL, g_IL and the CAGrad direction d of Eq. (3) for L_lambda, rescaled, into the parameters'
    .grad. Returns g_RL and g_IL as combined (Algorithm 2 reads them) and the update's diagnostics, by TensorBoard tag."""
    g_rl = nn.utils.parameters_to_vector(torch.autograd.grad(loss_rl, params))
    g_il = nn.utils.parameters_to_vector(torch.autograd.grad(loss_il, params, materialize_grads=True))
    norm_il, norm_rl = g_il.norm(), g_rl.norm()
    d, w, g_rl, g_il = combine_gradients(g_rl, g_il, lam, args.cagrad_c, args.normalize_grads)  # Eq. (3)
    rescale = {"1+c^2": 1 + args.cagrad_c**2, "1+c": 1 + args.cagrad_c, "none": 1.0}[args.cagrad_rescale]
    for p, d_p in zip(params, (d / rescale).split([p.numel() for p in params])):  # l. 13
        p.grad = d_p.view_as(p)
    g_lam = (1 - lam) * g_rl + lam * g_il  # Eq. (1)'s gradient
    logged = {"cair/grad_norm_il": norm_il, "cair/grad_norm_rl": norm_rl, "cair/cos_il_rl": cos(g_il, g_rl)}
    logged.update({"cair/cos_d_il": cos(d, g_il), "cair/cos_d_rl": cos(d, g_rl), "cair/cos_glambda_il": cos(g_lam, g_il)})
    logged.update({"cair/cagrad_weight": w.float(), "cair/lambda_eff": effective_lambda(d, g_rl, g_il, lam)})
    logged["cair/rl_share"] = rl_share(g_rl, g_il, lam)
    return g_rl, g_il, logged


# ==========================================================================================================
# CAIR: the algorithm's functions end here. Below: evaluation and logging (boilerplate), then Algorithm 1's loop.
# ==========================================================================================================


# --------------------------------------------------------------------- evaluation (identical in the three CAIR scripts)
EVAL_COLUMNS = {  # eval.csv's columns: (format, TensorBoard tag)
    "success_rate": (".3f", "eval/success_rate"),
    "return": (".2f", "eval/return"),
    "demonstrator_success_rate": ("", "eval/demonstrator_success_rate"),
    "expert_success_rate": ("", "eval/expert_success_rate"),
    "lambda": (".4f", "eval/lambda"),
}


def evaluate(actor, env_id, n_episodes, seed, device):
    """Episodes of the deterministic policy `actor.act`: (success rate by the task's metric, mean return)."""
    env = make_env(env_id)
    successes, returns = [], []
    for ep in range(n_episodes):
        obs, _ = env.reset(seed=seed + ep)
        done, ret, infos = False, 0.0, []
        while not done:
            with torch.no_grad():
                action = actor.act(torch.as_tensor(obs, dtype=torch.float32, device=device)[None])[0].cpu().numpy()
            obs, r, term, trunc, info = env.step(action)
            ret, done = ret + r, term or trunc
            infos.append(info)
        successes.append(demonstrators.episode_success(env_id, infos))
        returns.append(ret)
    env.close()
    return float(np.mean(successes)), float(np.mean(returns))


def soft_update(target, net, tau):
    """Polyak averaging of the target network: target <- (1 - tau) target + tau net."""
    with torch.no_grad():
        for tp, p in zip(target.parameters(), net.parameters()):
            tp.lerp_(p, tau)


# ------------------------------------------------------------------------- logging (identical in all six scripts)
class Logger(run_utils.RunLogs):
    """What the run logs: scalars and per-update window means to TensorBoard, each evaluation as a row of eval.csv,
    in TensorBoard and on stdout. Opening, resuming, Weights & Biases and the progress line: `run_utils.RunLogs`."""

    def scalar(self, tag, value, step):
        self.writer.add_scalar(tag, value, step)

    def window_means(self, window, step):
        """Log the mean of each list of per-update values (0-d tensors) under its tag, then empty the lists."""
        for tag, values in window.items():
            if values:
                self.writer.add_scalar(tag, torch.stack(values).mean().item(), step)
                values.clear()

    def evaluation(self, step, values):
        """A row of eval.csv (`values` in `eval_columns`' order, formatted as it says, then the wall time),
        the same values in TensorBoard under the tags it names, and a line on stdout."""
        fields = [f"{values[name]:{fmt}}" for name, (fmt, _) in self.columns.items()]
        self.csv.write(",".join([str(step), *fields, f"{time.time() - self.start_time:.1f}"]) + "\n")
        for name, (_, tag) in self.columns.items():
            self.writer.add_scalar(tag, values[name], step)
        self.latest_eval = f"step {step}: " + ", ".join(f"{name} {f}" for name, f in zip(self.columns, fields))
        print(f"evaluation at {self.latest_eval}", flush=True)


if __name__ == "__main__":
    args = tyro.cli(Args, description=__doc__.split("\n")[0])
    args = run_utils.resumed_args(args, Args, __file__) if args.resume else args
    checkpoint = run_utils.read_checkpoint(args) if args.resume else None
    check_args(args)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")

    env = make_env(args.env)
    env.action_space.seed(args.seed)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    demo_s, demo_a = load_offline_set(args, obs_dim, act_dim)
    run_name = run_utils.run_name(args, args.il, ABLATIONS)
    logger = Logger(__file__, args, run_name, args.il, device, EVAL_COLUMNS, checkpoint and checkpoint["logger"])
    normalize = Normalize(demo_s.mean(0), demo_s.std(0)) if args.normalize_obs else nn.Identity()
    actor = Actor(obs_dim, act_dim, args.hidden, normalize).to(device)
    qf1, qf2, qf1_target, qf2_target = (QNetwork(obs_dim, act_dim, args.hidden, normalize).to(device) for _ in range(4))
    qf1_target.load_state_dict(qf1.state_dict())
    qf2_target.load_state_dict(qf2.state_dict())
    q_optimizer = torch.optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=args.learning_rate)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=args.learning_rate)
    log_alpha, target_entropy = torch.zeros(1, requires_grad=True, device=device), -float(act_dim)  # Table 1: "Auto"
    alpha_optimizer = torch.optim.Adam([log_alpha], lr=args.learning_rate)
    rb = run_utils.ReplayBuffer(min(args.buffer_size, args.total_timesteps), obs_dim, act_dim, device)
    params = list(actor.parameters())

    # the IL data: the offline set; with DAgger, every visited state is added, labelled by the demonstrator
    capacity = len(demo_s) + (args.total_timesteps if args.il == "dagger" else 0)
    il_s, il_a = torch.empty((capacity, obs_dim), device=device), torch.empty((capacity, act_dim), device=device)
    il_s[: len(demo_s)], il_a[: len(demo_a)] = torch.as_tensor(demo_s), torch.as_tensor(demo_a)
    n_il = len(demo_s)
    oracle = demonstrators.make_demonstrator(args.env) if args.il == "dagger" else None  # its labels: noise-free (`clean`)

    lam, mu = (args.lambda_init, args.lambda_mu0) if args.il != "none" else (0.0, 0.0)
    bars = {f"{who}_success_rate": rate for who, rate in demonstrators.MEASURED_SUCCESS[args.env].items()}  # beside the curve
    window = defaultdict(list)  # per-update values, averaged over the 1000 steps between two logs (Figure 3)
    n_actor_updates, n_lambda_updates, since_lambda = 0, 0, 0  # since_lambda: episodes (or updates) since l. 17
    start_step, ep_return, ep_len = 0, 0.0, 0
    obs, _ = env.reset(seed=args.seed)
    modules = dict(actor=actor, qf1=qf1, qf2=qf2, qf1_target=qf1_target, qf2_target=qf2_target)
    modules.update(q_optimizer=q_optimizer, actor_optimizer=actor_optimizer, alpha_optimizer=alpha_optimizer)
    if checkpoint is not None:  # --resume: everything that decides the rest of the run, as it was at the checkpoint
        for name, module in modules.items():
            module.load_state_dict(checkpoint["modules"][name])
        log_alpha.data.copy_(checkpoint["log_alpha"])
        rb.load_state_dict(checkpoint["replay_buffer"])
        if args.il != "none":  # the offline set, and DAgger's labelled states
            n_il = len(checkpoint["il_data"][0])
            il_s[:n_il], il_a[:n_il] = checkpoint["il_data"]
        run_utils.set_env_state(env, checkpoint["env"])
        obs = checkpoint["obs"].numpy()
        start_step, (lam, mu), (ep_return, ep_len) = checkpoint["global_step"], checkpoint["lambda_mu"], checkpoint["episode"]
        n_actor_updates, n_lambda_updates, since_lambda = checkpoint["counters"]
        window.update(checkpoint["window"])
        run_utils.set_rng_states(checkpoint["rng"])
    alpha = log_alpha.exp().item() if args.autotune else args.alpha  # the temperature the losses read
    stop = run_utils.StopSignal()
    try:  # the training loop: Algorithm 1
        for global_step in range(start_step + 1, args.total_timesteps + 1):
            logger.progress(global_step)
            # Alg. 1, l. 5-7: act, store (single env, reset by hand: no autoreset step to filter out)
            if global_step <= args.learning_starts:
                action = env.action_space.sample()
            else:
                with torch.no_grad():
                    action = actor(torch.as_tensor(obs, dtype=torch.float32, device=device)[None]).action[0].cpu().numpy()
            if args.il == "dagger":  # DAgger: the demonstrator labels the visited state
                il_s[n_il], il_a[n_il] = torch.as_tensor(obs), torch.as_tensor(oracle.clean(obs))
                n_il += 1
            next_obs, reward, terminated, truncated, info = env.step(action)
            rb.add(obs, next_obs, action, reward, terminated)
            obs = next_obs
            ep_return, ep_len = ep_return + reward, ep_len + 1
            if terminated or truncated:
                logger.scalar("charts/episodic_return", ep_return, global_step)
                logger.scalar("charts/episodic_length", ep_len, global_step)
                ep_return, ep_len = 0.0, 0
                obs, _ = env.reset()
                since_lambda += args.lambda_interval_unit == "episodes"

            if global_step == args.learning_starts + 1:
                logger.learning_started(global_step)
            if global_step > args.learning_starts:
                s, a, r, s2, d = rb.sample(args.batch_size)
                with torch.no_grad():  # the critics train as in plain SAC
                    next_pi = actor(s2)
                    q_next = torch.min(qf1_target(s2, next_pi.action), qf2_target(s2, next_pi.action))
                    q_target = r + args.gamma * (1 - d) * (q_next - alpha * next_pi.log_prob)
                qf_loss = F.mse_loss(qf1(s, a), q_target) + F.mse_loss(qf2(s, a), q_target)
                q_optimizer.zero_grad()
                qf_loss.backward()
                q_optimizer.step()

                # Alg. 1, l. 10-13: the actor steps along the CAGrad direction d for L_lambda
                pi = actor(s)
                loss_rl = (alpha * pi.log_prob - torch.min(qf1(s, pi.action), qf2(s, pi.action))).mean()
                if args.il == "none":
                    actor_optimizer.zero_grad()
                    loss_rl.backward()
                else:
                    j = torch.randint(0, n_il, (args.batch_size,), device=device)
                    pi_il = actor(il_s[j])  # a_i ~ pi(.|s_i), reparameterised: the gradient reaches the log-std too
                    a_il = pi_il.action if args.il_action == "sample" else pi_il.mean_action
                    loss_il = imitation_loss(a_il, il_a[j], args.il_reduction)
                    g_rl, g_il, logged = cair_gradient(params, loss_rl, loss_il, lam, args)  # d of Eq. (3) into .grad
                    for tag, v in {**logged, "losses/rl_loss": loss_rl.detach(), "losses/il_loss": loss_il.detach()}.items():
                        window[tag].append(v)
                actor_optimizer.step()
                n_actor_updates += 1
                since_lambda += args.lambda_interval_unit == "updates"
                if args.il != "none" and since_lambda >= args.lambda_interval:  # Alg. 1, l. 16-17: every 10 episodes
                    lam, mu = next_lambda(lam, mu, g_il, g_rl, args)
                    n_lambda_updates, since_lambda = n_lambda_updates + 1, 0

                if args.autotune:
                    alpha_loss = -(log_alpha * (pi.log_prob.detach() + target_entropy)).mean()  # Stable-Baselines3's form
                    alpha_optimizer.zero_grad()
                    alpha_loss.backward()
                    alpha_optimizer.step()
                    alpha = log_alpha.exp().item()
                soft_update(qf1_target, qf1, args.tau)
                soft_update(qf2_target, qf2, args.tau)
                if global_step % 1000 == 0:
                    logger.scalar("losses/qf_loss", qf_loss.item(), global_step)
                    logger.scalar("losses/alpha", alpha, global_step)
                    logger.scalar("charts/lambda", lam, global_step)
                    logger.scalar("charts/mu", mu, global_step)
                    logger.scalar("charts/lambda_updates", n_lambda_updates, global_step)
                    logger.scalar("charts/SPS", int(global_step / (time.time() - logger.start_time)), global_step)
                    logger.window_means(window, global_step)

            if global_step % args.eval_freq == 0 or global_step == args.total_timesteps:  # and at the end
                with logger.evaluating():
                    success, ret = evaluate(actor, args.env, args.eval_episodes, args.seed + 10_000, device)
                logger.evaluation(global_step, {"success_rate": success, "return": ret, **bars, "lambda": lam})

            if stop.checkpoint_due(global_step, 1, args.checkpoint_every, args.total_timesteps):
                state = {  # what decides the rest of the run
                    "modules": {name: module.state_dict() for name, module in modules.items()},
                    "log_alpha": log_alpha.detach(),
                    "replay_buffer": rb.state_dict(),
                    "il_data": (il_s[:n_il].clone(), il_a[:n_il].clone()) if args.il != "none" else None,
                    "env": run_utils.env_state(env),
                    "obs": obs,
                    "global_step": global_step,
                    "counters": (n_actor_updates, n_lambda_updates, since_lambda),
                    "lambda_mu": (lam, mu),
                    "episode": (ep_return, ep_len),
                    "window": dict(window),
                    "rng": run_utils.rng_states(),
                    "logger": logger.state(global_step),
                }
                run_utils.write_checkpoint(logger.dir, state)
                if stop.name:
                    break
        if stop.name:
            stop.stopped(logger.dir, os.path.basename(__file__), global_step)
        else:
            logger.done(global_step, f"{n_actor_updates} actor updates, {n_lambda_updates} lambda updates; lambda {lam:.4f}")
    finally:  # an interrupted run keeps what it logged, and its model
        if args.save_model:
            run_utils.save_model(f"{logger.dir}/model.npz", actor=actor, qf1=qf1, qf2=qf2)
            print(f"model saved to {logger.dir}/model.npz")
        env.close()
        logger.close()
    if stop.name:
        raise SystemExit(run_utils.CHECKPOINTED)
