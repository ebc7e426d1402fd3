"""PPO + CAIR (Conflict-Averse IL-RL) with DAgger (or BC) as the imitation part, in one file.

The policy minimises L_lambda = (1 - lambda) L_RL + lambda L_IL (Eq. 1), lambda starting at 0.95 (Table 3), L_RL being
PPO's clipped surrogate with its entropy bonus. Per minibatch update (Alg. 1, l. 10-13; `update`) the CAGrad direction d
of Eq. (3) for g_RL and g_IL, the policy's two gradients scaled to unit norm, goes into .grad; the value function trains
on vf_coef times its MSE (Stable-Baselines3's). Algorithm 2 sets lambda once, from the last minibatch's gradients,
after the rollout in which the `lambda_interval`-th real episode since its last run ended (l. 16-17; the paper: "every
10 task episodes"; on Fetch's 4 x 512-step rollouts, after every one). L_IL is section 4.2's (1/N) sum_i
||pi_D(s_i) - a_i||^2 with a_i ~ pi_theta(.|s_i), summed over action dimensions, on a reparameterised sample of the
Gaussian (before the clip to the action box), so that imitation also shrinks the policy's spread.
  --il dagger   L_IL on every rollout's states, labelled by the demonstrator, aggregated over the run from the offline
                set on (`--il-loss nll`: the labels' Gaussian negative log-likelihood instead).
  --il bc       L_IL on the offline set only: 1,000 demonstrator episodes (the paper's 50 of 1,000 or 4,000 steps),
                labelled with its noise-free actions (`--demo-episodes`).
  --il none     plain PPO (lambda = 0).
The paper's on-policy stabilisers ("Note on On-Policy Stability"), on by default:
  --normalize-grads      g_IL and g_RL are scaled to unit norm before Eq. (1) and CAGrad combine them.
  --cos-ema 0.9          Algorithm 2 reads a moving average of cos(g_IL, g_RL), not one minibatch's.
  --anneal-with-lambda   the policy's learning rate and the entropy coefficient are scaled by
                         floor + (1 - floor) lambda / lambda_init, so they fall as lambda -> 0.

Vector environments autoreset in the same step (gymnasium 1.x; the last observation is in info["final_obs"]): every
stored state is one the policy acted in (nothing to mask), and a time-limit truncation bootstraps with gamma V(final_obs)
added to the reward (Fetch and Hammer only ever truncate).

Choices where the paper is silent (as in cair_sac.py): K = 10, mu_0 = 2, eta_mu = 0.01; CAGrad's rescale d / (1 + c^2),
c = 0.5; inputs normalised by the offline set's mean and std (`--normalize-obs`); rollouts of 4 envs x 512 steps
(Stable-Baselines3's 2048 per rollout); the stabilisers' 0.9 and 0.1.
"""

import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
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
    """save policy and value networks to `runs/{run_name}/model.npz`, and the DAgger aggregate to `dagger.npz`"""

    # Task and imitation
    env: str = "FetchPush-v4"
    """FetchPickAndPlace-v4, FetchPush-v4, FetchSlide-v4, AdroitHandHammerSparse-v1 (or PickAndPlace, Push, Slide, Hammer)"""
    il: Literal["dagger", "bc", "none"] = "dagger"
    """the imitation part: DAgger (the demonstrator labels rollout states), BC on the offline set, or none (plain PPO)"""
    il_loss: Literal["mse", "nll"] = "mse"
    """L_IL: the squared error of the learner's action to the labels (section 4.2), or their Gaussian negative log-lik."""
    il_action: Literal["sample", "mean"] = "sample"
    """the learner's action in L_IL: a reparameterised sample a ~ pi(.|s) (section 4.2), or the mean action"""
    il_reduction: Literal["sum", "mean"] = "sum"
    """L_IL's squared error summed over action dimensions (section 4.2), or averaged over them (F.mse_loss's)"""
    demo_episodes: int = 1000
    """real episodes in the offline set (50k pairs on Fetch): A.2's 50 "episodes" of 1000 or 4000 steps are 20 each"""
    normalize_obs: bool = True
    """normalise the networks' inputs by the offline set's mean and std, clipped to +-5 (SB3 does not; docs/report.md)"""
    demo_path: str | None = None
    """an .npz of demonstrations (`states`, `actions`, flat observations) instead of the shipped demonstrator's offline set"""

    # PPO (Table 3; the rest Stable-Baselines3's defaults)
    total_timesteps: int = 2_000_000
    """total environment steps, rounded up to whole rollouts (as Stable-Baselines3's learn)"""
    num_envs: int = 4
    """parallel environments (a synchronous vector env)"""
    num_steps: int = 512
    """steps per environment per rollout"""
    learning_rate: float = 3e-4
    """Adam learning rate (Table 3)"""
    minibatch_size: int = 1024
    """minibatch size (Table 3's batch)"""
    update_epochs: int | None = None
    """epochs over each rollout; default per task (Table 3: 30 PickAndPlace, 20 otherwise)"""
    ent_coef: float | None = None
    """entropy coefficient; default per task (Table 3: 0.2 PickAndPlace, 0.02 otherwise)"""
    gamma: float = 0.98
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE's lambda (not CAIR's)"""
    clip_coef: float = 0.2
    """the surrogate clipping coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient: the value function minimises vf_coef times the MSE (Stable-Baselines3's)"""
    max_grad_norm: float = 0.5
    """the maximum norm of the policy's and the value's gradients together (SB3's clip; with --normalize-grads the
    large early value gradient therefore also shrinks the policy's unit-norm step)"""
    hidden: int = 512
    """width of the two tanh hidden layers of the policy and value networks"""

    # CAIR
    lambda_init: float = 0.95
    """initial IL weight lambda (Table 3)"""
    lambda_schedule: Literal["cair", "fixed-step", "constant"] = "cair"
    """how lambda moves: Algorithm 2, lambda -= lambda_delta, or not at all"""
    lambda_interval: int = 10
    """run Algorithm 2 after the rollout in which this many real episodes have ended since it last ran (A.3: 10)"""
    lambda_interval_unit: Literal["episodes", "updates"] = "episodes"
    """count the interval in episodes, or in minibatch updates (A.2's other sentence, "every 10 policy updates")"""
    lambda_lr: float = 1e-4
    """eta_lambda of Algorithm 2 (paper: 1e-4)"""
    lambda_iters: int = 10
    """K, the iterations of Algorithm 2 per call (not given by the paper)"""
    lambda_mu0: float = 2.0
    """mu_0, the initial dual variable of Algorithm 2 (not given by the paper)"""
    lambda_mu_lr: float = 1e-2
    """eta_mu, the dual step of Algorithm 2 (not given by the paper)"""
    lambda_delta: float = 0.05
    """the step of `--lambda-schedule fixed-step`"""
    cagrad_c: float = 0.5
    """c of Eq. (3), in [0, 1); 0 turns CAGrad off (d = g_lambda)"""
    cagrad_rescale: Literal["1+c^2", "1+c", "none"] = "1+c^2"
    """divide d by (1 + c^2), (1 + c) or nothing"""
    normalize_grads: bool = True
    """scale g_IL and g_RL to unit norm before combining them (the paper's on-policy stability note)"""
    cos_ema: float = 0.9
    """weight of the past in the moving average of cos(g_IL, g_RL) that Algorithm 2 reads; 0 uses each minibatch's"""
    anneal_with_lambda: bool = True
    """lower the policy's learning rate and the entropy coefficient as lambda -> 0"""
    anneal_floor: float = 0.1
    """the fraction of both left at lambda = 0"""

    # Evaluation
    eval_freq: int = 50_000
    """evaluate every this many environment steps"""
    eval_episodes: int = 20
    """deterministic evaluation episodes"""


ABLATIONS = (  # the flags a run's folder name shows where they are not the default (`bc-cagrad-c-0`)
    "lambda_init lambda_schedule lambda_delta lambda_interval_unit cagrad_c cagrad_rescale"
    " il_loss il_action il_reduction normalize_grads cos_ema anneal_with_lambda normalize_obs"
).split()


# -------------------------------------------------------------------------------------------------- task
ALIASES = dict(PickAndPlace="FetchPickAndPlace-v4", Push="FetchPush-v4", Slide="FetchSlide-v4", Hammer=demonstrators.HAMMER)
TABLE_3 = {  # (update epochs, entropy coefficient)
    "FetchPickAndPlace-v4": (30, 0.2),
    "FetchPush-v4": (20, 0.02),
    "FetchSlide-v4": (20, 0.02),
    demonstrators.HAMMER: (20, 0.02),
}


def check_args(args):
    """The task's full id and Table 3's defaults for flags left unset; then, at start-up, one line for any bad flag."""
    args.env = ALIASES.get(args.env, args.env)
    if args.env not in TABLE_3:
        raise SystemExit(
            f"unknown --env {args.env!r}; CAIR's tasks: {', '.join(TABLE_3)} (or {', '.join(ALIASES)}); GILD's tasks "
            "(Hopper-sparse, ..., Point2D) run with gild_td3.py, gild_sac.py and gild_ddpg.py"
        )
    epochs, ent = TABLE_3[args.env]
    args.update_epochs = epochs if args.update_epochs is None else args.update_epochs
    args.ent_coef = ent if args.ent_coef is None else args.ent_coef
    counts = "num_envs num_steps minibatch_size update_epochs lambda_interval lambda_iters demo_episodes threads hidden"
    ranges = {"lambda_init": "[0, 1]", "cagrad_c": "[0, 1)", "cos_ema": "[0, 1)", "anneal_floor": "[0, 1]", "gamma": "(0, 1]"}
    ranges |= {"gae_lambda": "[0, 1]"} | dict.fromkeys([*counts.split(), "eval_freq", "eval_episodes"], ">= 1")
    ranges |= dict.fromkeys(["learning_rate", "lambda_lr", "clip_coef", "max_grad_norm"], "> 0")
    ranges |= dict.fromkeys(["ent_coef", "vf_coef", "lambda_mu0", "lambda_mu_lr", "lambda_delta"], ">= 0")
    problems, rollout = run_utils.out_of_range(args, ranges), args.num_envs * args.num_steps
    if not problems and rollout % args.minibatch_size:
        problems.append(f"--minibatch-size must divide num_envs x num_steps = {rollout}")
    if not problems and args.total_timesteps < rollout:
        problems.append(f"--total-timesteps must be at least one rollout ({rollout}), not {args.total_timesteps}")
    if args.il == "dagger" and args.demo_path:
        problems.append("--il dagger queries the shipped demonstrator; --demo-path is for bc")
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
class Normalize(nn.Module):
    """The networks' first layer: (s - mean) / std, clipped to +-5, by the offline set's statistics (buffers: fixed, saved)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).clamp(min=1e-3))  # constant inputs stay ~0

    def forward(self, s):
        return ((s - self.mean) / self.std).clamp(-5.0, 5.0)


def layer(n_in, n_out, gain=2**0.5):
    fc = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(fc.weight, gain)
    nn.init.zeros_(fc.bias)
    return fc


class Policy(nn.Module):
    """Gaussian policy with a state-independent log std (Stable-Baselines3's), tanh hidden layers."""

    def __init__(self, obs_dim, act_dim, hidden, normalize=None):
        super().__init__()
        self.normalize = normalize or nn.Identity()
        self.body = nn.Sequential(
            layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden), nn.Tanh(), layer(hidden, act_dim, 0.01)
        )
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def dist(self, s):
        return torch.distributions.Normal(self.body(self.normalize(s)), self.log_std.exp())

    def act(self, s):
        """The deterministic action: the mean, clipped to the action box (evaluation)."""
        return self.body(self.normalize(s)).clamp(-1.0, 1.0)


class ValueNetwork(nn.Module):
    def __init__(self, obs_dim, hidden, normalize=None):
        super().__init__()
        self.normalize = normalize or nn.Identity()
        self.body = nn.Sequential(layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden), nn.Tanh(), layer(hidden, 1, 1.0))

    def forward(self, s):
        return self.body(self.normalize(s))


def gae(rewards, values, dones, next_value, gamma, gae_lambda):
    """Generalised advantage estimates for (T, N) rollouts. dones[t] = 1 cuts at every episode end, since with
    same-step autoreset values[t + 1] belongs to the next episode (a truncation's bootstrap is in rewards[t])."""
    advantages, last = torch.zeros_like(rewards), torch.zeros_like(next_value)
    for t in reversed(range(len(rewards))):
        nxt = next_value if t == len(rewards) - 1 else values[t + 1]
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * nxt * nonterminal - values[t]
        last = advantages[t] = delta + gamma * gae_lambda * nonterminal * last
    return advantages


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


def optimize_lambda(g_il, g_rl, lam_cur, eta_lam=1e-4, iters=10, mu0=2.0, eta_mu=1e-2, rho=None):
    """Algorithm 2: max_lam cos(g~_lam, g~_RL) s.t. cos(g~_lam, g~_IL) >= 0 by projected primal ascent and dual
    ascent on unit gradients (l. 2). With rho = <g~_IL, g~_RL>: c_RL = (1-lam) + lam rho, c_IL = (1-lam) rho + lam.
    `rho` given: use it (the on-policy moving average) instead of the two gradients' cosine.
    Returns (lambda, mu); lambda stays in [0, lam_cur]."""
    if rho is None:
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


def next_lambda(lam, mu, g_il, g_rl, rho, args):
    """Alg. 1, l. 16-17: lambda's next value by Algorithm 2 (`cair`, reading the moving average `rho` of
    cos(g_IL, g_RL)), by a fixed step, or unchanged; and mu."""
    if args.lambda_schedule == "cair":
        return optimize_lambda(g_il, g_rl, lam, args.lambda_lr, args.lambda_iters, args.lambda_mu0, args.lambda_mu_lr, rho=rho)
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


def update(mb, il_s, il_a, lam, ent_coef, policy, value, optimizer, args):
    """One minibatch update (Alg. 1, l. 10-13) on `mb`, the rollout's (states, actions, log-probabilities, advantages,
    returns) at its indices, and on the labelled states. Returns g_RL and g_IL as combined (None without IL), and the logs."""
    obs, actions, logp, adv, returns = mb
    dist = policy.dist(obs)
    ratio = (dist.log_prob(actions).sum(1) - logp).exp()
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    surrogate = torch.min(ratio * adv, ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef) * adv).mean()
    entropy = dist.entropy().sum(1).mean()
    loss_rl = -surrogate - ent_coef * entropy  # PPO's clipped surrogate with its entropy bonus
    v_loss = (value(obs)[:, 0] - returns).pow(2).mean()
    optimizer.zero_grad()
    (args.vf_coef * v_loss).backward()  # the value function trains as in plain PPO
    g_rl, g_il, logged = None, None, {}
    if args.il == "none":
        loss_rl.backward()
    else:  # the policy's gradient is the CAGrad direction d for L_lambda
        j = torch.randint(0, len(il_s), (args.minibatch_size,), device=il_s.device)
        dist_il = policy.dist(il_s[j])
        if args.il_loss == "nll":
            loss_il = -dist_il.log_prob(il_a[j]).sum(1).mean()
        else:  # a_i ~ pi(.|s_i), reparameterised: the gradient reaches the log-std too
            a_il = dist_il.rsample() if args.il_action == "sample" else dist_il.mean
            loss_il = imitation_loss(a_il, il_a[j], args.il_reduction)
        g_rl, g_il, logged = cair_gradient(list(policy.parameters()), loss_rl, loss_il, lam, args)  # d of Eq. (3) into .grad
        logged["losses/il_loss"] = loss_il.detach()
    nn.utils.clip_grad_norm_([*policy.parameters(), *value.parameters()], args.max_grad_norm)
    optimizer.step()
    logged.update({"losses/rl_loss": loss_rl.detach(), "losses/value_loss": v_loss.detach()})
    logged.update({"losses/entropy": entropy.detach(), "losses/clipfrac": ((ratio - 1).abs() > args.clip_coef).float().mean()})
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

    same_step = gym.vector.AutoresetMode.SAME_STEP  # see the docstring
    envs = gym.vector.SyncVectorEnv([lambda: make_env(args.env) for _ in range(args.num_envs)], autoreset_mode=same_step)
    obs_dim, act_dim = envs.single_observation_space.shape[0], envs.single_action_space.shape[0]
    demo_s, demo_a = load_offline_set(args, obs_dim, act_dim)
    run_name = run_utils.run_name(args, args.il, ABLATIONS)
    logger = Logger(__file__, args, run_name, args.il, device, EVAL_COLUMNS, checkpoint and checkpoint["logger"])
    normalize = Normalize(demo_s.mean(0), demo_s.std(0)) if args.normalize_obs else nn.Identity()
    policy = Policy(obs_dim, act_dim, args.hidden, normalize).to(device)
    value = ValueNetwork(obs_dim, args.hidden, normalize).to(device)
    params = list(policy.parameters())
    optimizer = torch.optim.Adam([{"params": params}, {"params": value.parameters()}], lr=args.learning_rate, eps=1e-5)
    T, N, rollout = args.num_steps, args.num_envs, args.num_steps * args.num_envs
    last_step = -(-args.total_timesteps // rollout) * rollout  # whole rollouts: the last one may pass the total

    # the IL data: the offline set; with DAgger, every rollout's states are added, labelled by the demonstrator
    capacity = len(demo_s) + (last_step if args.il == "dagger" else 0)
    il_s, il_a = torch.empty((capacity, obs_dim), device=device), torch.empty((capacity, act_dim), device=device)
    il_s[: len(demo_s)], il_a[: len(demo_a)] = torch.as_tensor(demo_s), torch.as_tensor(demo_a)
    n_il = len(demo_s)
    oracle = demonstrators.make_demonstrator(args.env) if args.il == "dagger" else None  # its labels: noise-free (`clean`)

    obs_buf, act_buf = torch.zeros((T, N, obs_dim), device=device), torch.zeros((T, N, act_dim), device=device)
    logp_buf, rew_buf, done_buf, val_buf = (torch.zeros((T, N), device=device) for _ in range(4))

    lam, mu = (args.lambda_init, args.lambda_mu0) if args.il != "none" else (0.0, 0.0)
    rho_ema = None  # the moving average of cos(g_IL, g_RL) that Algorithm 2 reads (--cos-ema)
    bars = {f"{who}_success_rate": rate for who, rate in demonstrators.MEASURED_SUCCESS[args.env].items()}  # beside the curve
    window = defaultdict(list)  # per-update values, averaged over each rollout's updates (Figure 3)
    n_updates, n_lambda_updates, since_lambda = 0, 0, 0  # since_lambda: episodes (or updates) since l. 17
    global_step, next_eval = 0, args.eval_freq
    ep_return, ep_len = np.zeros(N), np.zeros(N, dtype=int)
    next_obs = torch.as_tensor(envs.reset(seed=args.seed)[0], dtype=torch.float32, device=device)
    modules = dict(policy=policy, value=value, optimizer=optimizer)
    if checkpoint is not None:  # --resume: everything that decides the rest of the run, as it was at the checkpoint
        for name, module in modules.items():
            module.load_state_dict(checkpoint["modules"][name])
        if args.il != "none":  # the offline set, and DAgger's labelled states
            n_il = len(checkpoint["il_data"][0])
            il_s[:n_il], il_a[:n_il] = checkpoint["il_data"]
        for env, state in zip(envs.envs, checkpoint["envs"]):
            run_utils.set_env_state(env, state)
        next_obs = checkpoint["next_obs"].to(device)
        global_step, next_eval = checkpoint["global_step"], checkpoint["next_eval"]
        n_updates, n_lambda_updates, since_lambda = checkpoint["counters"]
        lam, mu, rho_ema = checkpoint["lambda_mu_rho"]
        ep_return, ep_len = (x.numpy() for x in checkpoint["episodes"])
        run_utils.set_rng_states(checkpoint["rng"])
    logger.learning_started(global_step)
    stop = run_utils.StopSignal()
    try:  # the training loop: Algorithm 1
        for _ in range(global_step // rollout, last_step // rollout):  # rollouts
            logger.progress(global_step)
            # the on-policy stabilisers: the policy's learning rate and the entropy coefficient fall with lambda
            annealed = args.anneal_with_lambda and args.il != "none" and args.lambda_init > 0
            scale = args.anneal_floor + (1 - args.anneal_floor) * lam / args.lambda_init if annealed else 1.0
            optimizer.param_groups[0]["lr"], ent_coef = args.learning_rate * scale, args.ent_coef * scale

            with torch.no_grad():  # Alg. 1, l. 5-7: a rollout of the current policy
                for t in range(T):
                    global_step += N
                    dist = policy.dist(next_obs)
                    action = dist.sample()
                    obs_buf[t], act_buf[t] = next_obs, action
                    logp_buf[t], val_buf[t] = dist.log_prob(action).sum(1), value(next_obs)[:, 0]
                    obs, reward, terminated, truncated, info = envs.step(np.clip(action.cpu().numpy(), -1, 1))
                    done = terminated | truncated
                    ep_return, ep_len = ep_return + reward, ep_len + 1
                    since_lambda += int(done.sum()) if args.lambda_interval_unit == "episodes" else 0
                    for i in np.flatnonzero(done):
                        logger.scalar("charts/episodic_return", ep_return[i], global_step)
                        logger.scalar("charts/episodic_length", ep_len[i], global_step)
                        ep_return[i], ep_len[i] = 0.0, 0
                    reward = reward.astype(np.float64)  # with same-step autoreset, `obs` already starts the next episode
                    for i in np.flatnonzero(info.get("_final_obs", False) & truncated & ~terminated):  # time limits:
                        final = torch.as_tensor(np.asarray(info["final_obs"][i]), dtype=torch.float32, device=device)
                        reward[i] += args.gamma * value(final[None]).item()  # bootstrap from V(final_obs)
                    rew_buf[t], done_buf[t] = torch.as_tensor(reward, device=device), torch.as_tensor(done, device=device)
                    next_obs = torch.as_tensor(obs, dtype=torch.float32, device=device)
                next_value = value(next_obs)[:, 0]
            if args.il == "dagger":  # DAgger: the demonstrator labels the rollout's states (a batch query)
                s = obs_buf.reshape(rollout, obs_dim)
                il_s[n_il : n_il + rollout], il_a[n_il : n_il + rollout] = s, torch.as_tensor(oracle.clean(s.cpu().numpy()))
                n_il += rollout

            # Alg. 1, l. 10-17: epochs of minibatch updates on the rollout (`update`), and lambda's
            adv_buf = gae(rew_buf, val_buf, done_buf, next_value, args.gamma, args.gae_lambda)
            batch = [x.reshape(rollout, *x.shape[2:]) for x in (obs_buf, act_buf, logp_buf, adv_buf, adv_buf + val_buf)]
            il = il_s[:n_il], il_a[:n_il]  # the labelled states so far
            for _ in range(args.update_epochs):
                for mb in torch.randperm(rollout, device=device).split(args.minibatch_size):
                    g_rl, g_il, logged = update([x[mb] for x in batch], *il, lam, ent_coef, policy, value, optimizer, args)
                    for tag, v in logged.items():
                        window[tag].append(v)
                    if args.il != "none":  # the moving average of cos(g_IL, g_RL) that Algorithm 2 reads (--cos-ema)
                        rho = logged["cair/cos_il_rl"].item()
                        rho_ema = rho if rho_ema is None else args.cos_ema * rho_ema + (1 - args.cos_ema) * rho
                    n_updates, since_lambda = n_updates + 1, since_lambda + (args.lambda_interval_unit == "updates")
                    if args.il != "none" and args.lambda_interval_unit == "updates" and since_lambda >= args.lambda_interval:
                        lam, mu = next_lambda(lam, mu, g_il, g_rl, rho_ema, args)  # l. 16-17, counted in updates
                        n_lambda_updates, since_lambda = n_lambda_updates + 1, 0
            # Alg. 1, l. 16-17: after the rollout in which the 10th episode since Algorithm 2 last ran ended
            if args.il != "none" and args.lambda_interval_unit == "episodes" and since_lambda >= args.lambda_interval:
                lam, mu = next_lambda(lam, mu, g_il, g_rl, rho_ema, args)
                n_lambda_updates, since_lambda = n_lambda_updates + 1, 0

            logger.window_means(window, global_step)
            if args.il != "none":
                logger.scalar("cair/cos_il_rl_ema", rho_ema, global_step)
            logger.scalar("charts/lambda", lam, global_step)
            logger.scalar("charts/mu", mu, global_step)
            logger.scalar("charts/lambda_updates", n_lambda_updates, global_step)
            logger.scalar("charts/policy_learning_rate", optimizer.param_groups[0]["lr"], global_step)
            logger.scalar("charts/ent_coef", ent_coef, global_step)
            logger.scalar("charts/SPS", int(logger.learning_speed(global_step)), global_step)
            if global_step >= next_eval or global_step == last_step:  # every eval_freq steps, and at the end
                next_eval += args.eval_freq * (global_step >= next_eval)
                with logger.evaluating():
                    success, ret = evaluate(policy, args.env, args.eval_episodes, args.seed + 10_000, device)
                logger.evaluation(global_step, {"success_rate": success, "return": ret, **bars, "lambda": lam})

            if stop.checkpoint_due(global_step, rollout, args.checkpoint_every, last_step):  # between rollouts
                state = {  # what decides the rest of the run
                    "modules": {name: module.state_dict() for name, module in modules.items()},
                    "il_data": (il_s[:n_il].clone(), il_a[:n_il].clone()) if args.il != "none" else None,
                    "envs": [run_utils.env_state(env) for env in envs.envs],
                    "next_obs": next_obs,
                    "global_step": global_step,
                    "counters": (n_updates, n_lambda_updates, since_lambda),
                    "next_eval": next_eval,
                    "lambda_mu_rho": (lam, mu, rho_ema),
                    "episodes": (ep_return, ep_len),
                    "rng": run_utils.rng_states(),
                    "logger": logger.state(global_step),
                }
                run_utils.write_checkpoint(logger.dir, state)
                if stop.name:
                    break
        if stop.name:
            stop.stopped(logger.dir, os.path.basename(__file__), global_step)
        else:
            logger.done(global_step, f"{n_updates} policy updates, {n_lambda_updates} lambda updates; lambda {lam:.4f}")
    finally:  # an interrupted run keeps what it logged, and its model
        if args.save_model:
            run_utils.save_model(f"{logger.dir}/model.npz", policy=policy, value=value)
            if args.il == "dagger":
                il_s, il_a = il_s[:n_il].cpu().numpy(), il_a[:n_il].cpu().numpy()
                demonstrators.save_demonstrations(f"{logger.dir}/dagger.npz", il_s, il_a)
            print(f"model saved to {logger.dir}/model.npz")
        envs.close()
        logger.close()
    if stop.name:
        raise SystemExit(run_utils.CHECKPOINTED)
