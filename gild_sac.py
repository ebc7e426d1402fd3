"""SAC + GILD: a meta-learned imitation objective for sparse-reward RL, in one file.

Deng et al., "Enhancing Online Reinforcement Learning with Meta-Learned Objective from Offline Data" (AAAI 2025). `--mode`:
  rl    plain SAC (Haarnoja et al. 2018), the authors' hyperparameters; entropy temperature fixed 0.2 on Hopper and
        HalfCheetah, auto-tuned (target entropy -|A|) on Walker2d and Ant.
  il    SAC+IL, Eq. (3): w_rl * L_RL + w_il * L_IL with L_IL = -mean log pi(a_d | s_d) (the paper's stochastic-policy
        BC loss) and w_rl = beta / mean|Q| (TD3+BC style), w_il = 1.
  gild  SAC+GILD, Algorithm 1 with Eq. (5)-(11); the meta step runs with every update.

L_RL(s) = mean(alpha log pi(a|s) - min(Q1, Q2)(s, a)), a ~ pi(.|s) reparameterised: the entropy is inside the RL loss,
of the look-aheads and of the meta-loss (Eq. 8 compares the per-sample soft values min Q - alpha log pi of the RL+GILD
and RL+IL look-aheads, as the authors' code does).

Where the paper and the authors' code (github slDeng1003/GILD) differ, the default is the paper:
  * Eq. (6) weights:  paper w_rl = beta/mean|Q|, beta = 2.5        | code: 1 (--unit-il-weights)
  * Eq. (8) tanh:     paper mean_s tanh(V' - V_bc) per sample      | code: tanh of the gap of means (--meta-loss tanh-of-means)
  * GILD's input:     paper [pi(s_d), s_d, a_d]                    | code: pi(s), s the replay states (--gild-on-replay-states)
  * L_IL:             paper -log pi(a_d|s_d) of the squashed       | code: the pre-tanh Gaussian density at a_d,
                      (tanh) Gaussian, summed over dims            | averaged (--il-pre-tanh)
  * Warm start:       paper 1% of the run (--gild-warm-start 0.01) | code: first 1e4 updates (--gild-warm-start-updates 10000)
  * Init:             PyTorch's default                            | code: xavier, 0 biases (--xavier-critic, --xavier-actor)
  * tanh log-det:     log(1 - tanh(x)^2 + 1e-6), as SB3, CleanRL   | code: exact, 2 (log 2 - x - softplus(-2x))
                      (the paper gives none)                       | (--exact-tanh-logdet)
  * Target critics:   updated with every update                    | code: every 2 (--target-network-frequency 2)
  * Temperature loss: -alpha (log pi + target), log pi after the   | code: -log alpha (log pi + target), log pi
                      actor step                                   | before it (--authors-alpha-loss)
Sign of Eq. (8): we maximise the tanh gap, as gild_td3.py explains. Both look-aheads on the validation states share one
draw of the reparameterisation noise (common random numbers; the code draws it twice): same expectation, less noise.

Speed: the omega-gradient of Eq. (9)-(11) is  -lr * d/domega < J u, dL_GILD/dpi(s_d) >, with u = dL_meta/dphi' and
J = dpi(s_d)/dphi at fixed noise. We get J u with one forward-mode product through the actor (Actor.jvp, written out by
hand: torch's forward-mode AD costs ~3x more here) and differentiate twice only through the small GILD network, whose
first backward we share with L_GILD's actor gradient, instead of a second-order graph through the actor
(tests/test_gild_math.py checks it by finite differences).
"""

import math
import os
import random
import sys
import time
from dataclasses import dataclass
from typing import Annotated, Literal

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import tyro
from torch.func import functional_call
from torch.nn.utils import parameters_to_vector

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
    """save actor, critics and GILD network to `runs/{run_name}/model.npz` (numpy, no pickle)"""

    # Task and demonstrations
    env: str = "Hopper-sparse"
    """`Hopper|Walker2d|HalfCheetah|Ant-sparse` (gated dense reward), `Point2D` (demonstrators/point2d.py), a gymnasium id"""
    mode: Literal["rl", "il", "gild"] = "gild"
    """rl: SAC; il: SAC+IL, Eq. (3); gild: SAC+GILD, Algorithm 1"""
    demo_path: str | None = None
    """an .npz of demonstrations (arrays `states`, `actions`); default: roll out the shipped behaviour policy"""
    demo_episodes: int = 10
    """episodes rolled out from the behaviour policy when no `--demo-path` is given (paper: 10)"""

    # SAC (authors' hyperparameters)
    total_timesteps: int = 1_000_000
    """total environment steps"""
    learning_starts: int = 10_000
    """uniform-random steps before learning"""
    buffer_size: int = 1_000_000
    """replay memory size"""
    gamma: float = 0.99
    """discount factor"""
    tau: float = 0.005
    """target smoothing coefficient"""
    target_network_frequency: int = 1
    """update the target critics every this many updates (the authors' code: 2)"""
    batch_size: int = 256
    """batch size of replay, demonstration and validation samples"""
    policy_lr: float = 3e-4
    """actor learning rate (Adam); also the SGD step of the look-aheads, Eq. (6)-(7), and alpha's"""
    q_lr: float = 3e-4
    """critic learning rate (Adam)"""
    alpha: float = 0.2
    """entropy temperature when it is not auto-tuned"""
    autotune: Annotated[bool | None, tyro.conf.arg(metavar="{True,False}")] = None
    """auto-tune the temperature to a target entropy of -|A|; default: on for Walker2d and Ant, off otherwise"""
    authors_alpha_loss: bool = False
    """authors' code: the temperature loss -log_alpha (log pi + target), log pi sampled before the actor step"""

    # IL and GILD
    beta: float = 2.5
    """w_rl = beta / mean|Q| in Eq. (3) and (6) (TD3+BC's alpha)"""
    unit_il_weights: bool = False
    """authors' code: w_rl = w_il = 1 instead of the paper's beta / mean|Q|"""
    gild_lr: float = 1e-4
    """GILD network learning rate (Adam)"""
    gild_weight_decay: float = 1e-4
    """GILD network weight decay"""
    gild_warm_start: float = 1.0
    """fraction of total_timesteps (counted in gradient updates) with GILD on; 0.01 = RL+GILD+1%ws, then plain SAC"""
    gild_warm_start_updates: int | None = None
    """the authors' warm start: GILD on updates 1 to N - 1 (their code: N = 1e4), then plain SAC; overrides the above"""
    meta_loss: Literal["eq8", "tanh-of-means", "intuitive"] = "eq8"
    """Eq. (8), mean_s tanh(V' - V_bc); the authors' code's tanh(mean V' - mean V_bc); or RQ3's ablation, mean_s V'"""
    gild_on_replay_states: bool = False
    """authors' code: GILD sees pi sampled on the replay states s (a mismatched pair) instead of pi(s_d)"""
    il_pre_tanh: bool = False
    """authors' code: L_IL = -mean over dims of the pre-tanh Gaussian density at a_d, not the squashed log-likelihood"""
    xavier_critic: bool = False
    """authors' code: the critics' weights xavier-uniform and biases zero, instead of PyTorch's default init"""
    xavier_actor: bool = False
    """authors' code: the actor's weights xavier-uniform and biases zero, instead of PyTorch's default init"""
    exact_tanh_logdet: bool = False
    """authors' code: log pi's tanh correction exactly, 2 (log 2 - x - softplus(-2x)), not log(1 - tanh(x)^2 + 1e-6)"""

    # Evaluation
    eval_freq: int = 5000
    """evaluate every this many environment steps (paper: 5000)"""
    eval_episodes: int = 10
    """deterministic evaluation episodes on the dense task (paper: 10)"""
    stop_at_return: float | None = None
    """stop once the mean evaluation return reaches this (used to train behaviour policies)"""


# the flags a run's folder name shows where they are not the default (`gild-gild-weight-decay-1e-05`)
ABLATIONS = (
    "gild_weight_decay gild_warm_start gild_warm_start_updates unit_il_weights meta_loss xavier_critic xavier_actor"
    " exact_tanh_logdet gild_on_replay_states il_pre_tanh target_network_frequency authors_alpha_loss autotune"
).split()


# -------------------------------------------------------------------------------------------------- task
SPARSE_THRESHOLDS = {"Hopper": 1.0, "Walker2d": 1.0, "HalfCheetah": 2.0, "Ant": 1.0}


class GatedDenseReward(gym.Wrapper):
    """The paper's sparse MuJoCo tasks: the dense reward only once the root has moved more than
    `threshold` along x from the nominal start (the model's initial x, not the randomised one)."""

    def __init__(self, env, threshold):
        super().__init__(env)
        self.threshold = threshold
        self.x_init = float(env.unwrapped.init_qpos[0])

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        info["dense_reward"] = reward
        gated = self.env.unwrapped.data.qpos[0] - self.x_init > self.threshold
        return obs, (reward if gated else 0.0), terminated, truncated, info


def dense_id(env_id):
    """`Hopper-sparse` -> `Hopper-v5`; a gymnasium id is its own dense task."""
    return env_id.replace("-sparse", "-v5") if env_id.endswith("-sparse") else env_id


def check_env_id(env_id):
    if env_id.endswith("-sparse") and env_id[: -len("-sparse")] in SPARSE_THRESHOLDS:
        return
    if env_id.startswith(("Fetch", "AdroitHand")):
        raise SystemExit(f"--env {env_id} is a CAIR task: run it with cair_ddpg.py, cair_sac.py or cair_ppo_dagger.py")
    if env_id not in gym.registry:
        known = [f"{k}-sparse" for k in SPARSE_THRESHOLDS] + ["Point2D"] + [f"{k}-v5" for k in SPARSE_THRESHOLDS]
        raise SystemExit(f"unknown --env {env_id!r}; known tasks: {', '.join(known)} (or any gymnasium id)")
    try:  # any other task: the networks need Box actions and flat Box observations
        env = gym.make(env_id)
    except Exception as e:
        raise SystemExit(f"--env {env_id}: gymnasium cannot make it ({type(e).__name__}: {str(e)[:200]})") from None
    action_space, observation_space = env.action_space, env.observation_space
    env.close()
    if not (isinstance(action_space, gym.spaces.Box) and isinstance(observation_space, gym.spaces.Box)):
        raise SystemExit(f"--env {env_id}: continuous (Box) actions and observations only, not {action_space}")
    if len(observation_space.shape) != 1:
        raise SystemExit(f"--env {env_id}: flat observations only, not of shape {observation_space.shape}")


def make_env(env_id):
    if env_id.endswith("-sparse"):
        name = env_id[: -len("-sparse")]
        return GatedDenseReward(gym.make(f"{name}-v5"), SPARSE_THRESHOLDS[name])
    return gym.make(env_id)


def check_args(args):
    """Fail at start-up with one line, not after an hour."""
    check_env_id(args.env)
    counts = "batch_size buffer_size total_timesteps eval_freq eval_episodes threads demo_episodes target_network_frequency"
    ranges = {"gamma": "(0, 1]", "tau": "(0, 1]", "gild_warm_start": "[0, 1]", "gild_warm_start_updates": ">= 0"}
    ranges |= dict.fromkeys(counts.split(), ">= 1") | dict.fromkeys(["policy_lr", "q_lr", "gild_lr"], "> 0")
    problems = run_utils.out_of_range(args, ranges | {"gild_weight_decay": ">= 0", "learning_starts": ">= 0", "alpha": ">= 0"})
    if problems:
        raise SystemExit("bad arguments: " + "; ".join(problems))
    if args.mode != "rl" and args.demo_path is None and not demonstrators.has_demonstrator(dense_id(args.env)):
        raise SystemExit(demonstrators.no_demonstrator_message(args.env))


def load_demonstrations(args, obs_dim, act_dim, device):
    """The demonstrations, states and actions only (they never enter the replay buffer): the user's
    `--demo-path` file, or `--demo-episodes` episodes of the shipped demonstrator; checked against the task."""
    if args.demo_path:
        try:
            states, actions = demonstrators.load_demonstrations(args.demo_path)
        except ValueError as e:
            raise SystemExit(f"--demo-path: {e}") from None
    else:
        states, actions = demonstrators.rollout(dense_id(args.env), args.demo_episodes, seed=args.seed)
    if states.shape[1] != obs_dim or actions.shape[1] != act_dim:
        found = f"{states.shape[1]}-d states and {actions.shape[1]}-d actions"
        raise SystemExit(f"--demo-path: {args.demo_path}: demonstrations are {found}; {args.env} has {obs_dim} and {act_dim}")
    print(f"{len(states)} demonstration pairs")
    return tuple(torch.as_tensor(x, dtype=torch.float32, device=device) for x in (states, actions))


# ---------------------------------------------------------------------------------------------- networks
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
IL_CLIP = 0.999  # demo actions are clipped to this share of the action box before atanh in L_IL
HALF_LOG_2PI, LOG_2 = 0.5 * math.log(2 * math.pi), math.log(2)


class Actor(nn.Module):
    """Tanh-squashed Gaussian policy, rescaled to the action box."""

    def __init__(self, obs_dim, act_dim, action_low, action_high, exact_tanh_logdet=False):
        super().__init__()
        self.exact_tanh_logdet = exact_tanh_logdet
        self.fc1 = nn.Linear(obs_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc_mean = nn.Linear(256, act_dim)
        self.fc_logstd = nn.Linear(256, act_dim)
        self.register_buffer("action_scale", torch.tensor((action_high - action_low) / 2.0, dtype=torch.float32))
        self.register_buffer("action_bias", torch.tensor((action_high + action_low) / 2.0, dtype=torch.float32))

    def dist(self, s):
        x = F.relu(self.fc1(s))
        x = F.relu(self.fc2(x))
        return self.fc_mean(x), self.fc_logstd(x).clamp(LOG_STD_MIN, LOG_STD_MAX)

    def forward(self, s, eps):
        """(a, log pi(a|s)) for the reparameterised sample a = tanh(mean + std * eps) * scale + bias."""
        mean, log_std = self.dist(s)
        x = mean + log_std.exp() * eps
        y = torch.tanh(x)
        log_prob = -0.5 * eps.pow(2) - log_std - HALF_LOG_2PI - self.log_det(x, y)
        return y * self.action_scale + self.action_bias, log_prob.sum(1, keepdim=True)

    def jvp(self, s, eps, u):
        """J u, with J = da/dphi at fixed noise: how the sample a(s, eps) moves when the parameters move along u (a
        list shaped like self.parameters()). Forward-mode differentiation of dist and forward, written out line by
        line (d marks a tangent); torch.func.jvp gives the same (tests/test_gild_math.py) at ~3x the cost here."""
        dw1, db1, dw2, db2, dw_mean, db_mean, dw_logstd, db_logstd = u
        z1 = self.fc1(s)
        x1, dx1 = F.relu(z1), F.linear(s, dw1, db1) * (z1 > 0)
        z2 = self.fc2(x1)
        x2, dx2 = F.relu(z2), (F.linear(x1, dw2, db2) + F.linear(dx1, self.fc2.weight)) * (z2 > 0)
        mean, dmean = self.fc_mean(x2), F.linear(x2, dw_mean, db_mean) + F.linear(dx2, self.fc_mean.weight)
        log_std = self.fc_logstd(x2)
        dlog_std = (F.linear(x2, dw_logstd, db_logstd) + F.linear(dx2, self.fc_logstd.weight)) * (
            (log_std >= LOG_STD_MIN) & (log_std <= LOG_STD_MAX)  # the clamp passes tangents where it passes values
        )
        std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX).exp()
        y = torch.tanh(mean + std * eps)
        return (1 - y.pow(2)) * (dmean + std * dlog_std * eps) * self.action_scale

    def act(self, s):  # the deterministic action used for evaluation: the squashed mean
        return torch.tanh(self.dist(s)[0]) * self.action_scale + self.action_bias

    def log_prob(self, s, a, pre_tanh=False):
        """log pi(a|s) of given actions (L_IL); with pre_tanh, the authors' unsquashed, dim-averaged density."""
        mean, log_std = self.dist(s)
        if pre_tanh:
            return (-0.5 * ((a - mean) / log_std.exp()).pow(2) - log_std - HALF_LOG_2PI).mean(1, keepdim=True)
        y = ((a - self.action_bias) / self.action_scale).clamp(-IL_CLIP, IL_CLIP)
        x = torch.atanh(y)
        log_prob = -0.5 * ((x - mean) / log_std.exp()).pow(2) - log_std - HALF_LOG_2PI - self.log_det(x, y)
        return log_prob.sum(1, keepdim=True)

    def log_det(self, x, y):
        """log da/dx of the squashing a = tanh(x) * scale + bias, y = tanh(x), per dimension."""
        if self.exact_tanh_logdet:  # the authors' form (they leave out log scale, 0 on every GILD task)
            return torch.log(self.action_scale) + 2 * (LOG_2 - x - F.softplus(-2 * x))
        return torch.log(self.action_scale * (1 - y.pow(2)) + 1e-6)


class QNetwork(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim + act_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, s, a):
        x = F.relu(self.fc1(torch.cat([s, a], 1)))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class GILDNetwork(nn.Module):
    """f_omega(pi(s_d), s_d, a_d) >= 0, one value per demonstration pair; L_GILD is its batch mean."""

    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.fc1 = nn.Linear(2 * act_dim + obs_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, pi_d, s_d, a_d):
        x = F.relu(self.fc1(torch.cat([pi_d, s_d, a_d], 1)))
        x = F.relu(self.fc2(x))
        return F.softplus(self.fc3(x))


# ==========================================================================================================
# GILD: the algorithm starts here. Eq. (6)-(11) below; Algorithm 1 in the training loop of `main`.
# ==========================================================================================================
def soft_value(actor, qf1, qf2, s, eps, alpha, params=None):
    """Per-sample min(Q1, Q2)(s, a) - alpha log pi(a|s), a ~ pi(.|s) at noise eps; -L_RL is its mean."""
    a, log_pi = actor(s, eps) if params is None else functional_call(actor, params, (s, eps))
    return torch.min(qf1(s, a), qf2(s, a)) - alpha * log_pi


def gild_meta_gradients(
    actor, qf1, qf2, gild, s, s_d, a_d, s_val, noise, lr, alpha, w_rl_fn, meta_loss, gild_on_replay_states, il_pre_tanh
):
    """One meta step of Algorithm 1 (l. 6-9) without touching any parameter.

    noise = (eps, eps_d, eps_val): the reparameterisation noise on s, s_d and s_val.
    Returns (g, g_omega, loss_meta, loss_gild, parts): g is the actor gradient of L_RL + L_GILD, Eq. (7);
    g_omega is dL_meta/domega, Eq. (9)-(11); w_rl_fn(q) gives Eq. (6)'s RL weight from min Q(s, a).
    """
    eps, eps_d, eps_val = noise
    theta = dict(actor.named_parameters())
    names, params = list(theta), list(theta.values())
    a_pi, log_pi = actor(s, eps)
    q = torch.min(qf1(s, a_pi), qf2(s, a_pi))
    loss_rl = (alpha * log_pi - q).mean()  # SAC's actor loss, Eq. (2) with the entropy inside
    s_g, eps_g = (s, eps) if gild_on_replay_states else (s_d, eps_d)
    pi_g = actor(s_g, eps_g)[0]  # GILD's policy action: pi(s_d), or the authors' pi(s)
    f_d = gild(pi_g, s_d, a_d)
    loss_gild = f_d.mean()  # L_GILD = mean f_omega(pi(s_d), s_d, a_d)
    loss_il = -actor.log_prob(s_d, a_d, il_pre_tanh).mean()  # L_IL for a stochastic policy, w_il = 1
    g_rl = torch.autograd.grad(loss_rl, params)
    v = torch.autograd.grad(loss_gild, pi_g, create_graph=True)[0]  # dL_GILD/dpi_g, differentiable in omega
    g_gild = torch.autograd.grad(pi_g, params, v.detach())  # J^T v: the actor gradient of L_GILD
    g_il = torch.autograd.grad(loss_il, params)
    w = w_rl_fn(q)
    g = [a + b for a, b in zip(g_rl, g_gild)]  # Eq. (7): grad of L_RL + L_GILD
    g_bc = [w * a + b for a, b in zip(g_rl, g_il)]  # Eq. (6): grad of w_rl L_RL + w_il L_IL

    # Eq. (6)-(7): one plain SGD step of size lr each; phi' is a leaf so we can read dL_meta/dphi'
    theta_new = {k: (p - lr * gk).detach().requires_grad_() for k, p, gk in zip(names, params, g)}
    theta_bc = {k: (p - lr * gk).detach() for k, p, gk in zip(names, params, g_bc)}
    with torch.no_grad():
        v_bc = soft_value(actor, qf1, qf2, s_val, eps_val, alpha, theta_bc)
    v_new = soft_value(actor, qf1, qf2, s_val, eps_val, alpha, theta_new)
    if meta_loss == "intuitive":  # RQ3 (Table 2): the "intuitive" meta-loss, E[V(s, phi'(s))], no RL+IL baseline
        loss_meta = -v_new.mean()
    elif meta_loss == "tanh-of-means":
        loss_meta = -torch.tanh(v_new.mean() - v_bc.mean())
    else:
        loss_meta = -torch.tanh(v_new - v_bc).mean()  # Eq. (8), maximised (see module docstring)
    u = torch.autograd.grad(loss_meta, list(theta_new.values()))  # dL_meta/dphi' at phi^(k+1)

    # Eq. (9)-(10): dphi'/domega = -lr d2 L_GILD / dphi domega, so with J = dpi_g/dphi (fixed noise),
    # dL_meta/domega = -lr d/domega < J u, v >  (J u: forward mode through the actor)
    with torch.no_grad():
        Ju = actor.jvp(s_g, eps_g, u)
    g_omega = torch.autograd.grad(-lr * (v * Ju).sum(), list(gild.parameters()))  # Eq. (11)
    parts = {"g_rl": g_rl, "g_gild": g_gild, "g_il": g_il, "f_d": f_d.detach()}  # for gild_diagnostics
    return g, g_omega, loss_meta.detach(), loss_gild.detach(), parts


def gild_diagnostics(parts, g_omega, gild, weight_decay):
    """What shows GILD decaying to a constant or swamping the RL gradient, from one meta step's pieces: the norms of
    the three actor gradients (of L_GILD, L_RL and L_IL), the cosines of GILD's with RL's and with IL's, the spread
    of f_omega over the demonstration batch, and the meta-gradient beside Adam's L2 term, weight_decay * omega: their
    norms, and the share of omega's coordinates where the first is larger. 0-d tensors, keyed by TensorBoard tags."""
    g_rl, g_gild, g_il = (parameters_to_vector(parts[k]) for k in ("g_rl", "g_gild", "g_il"))
    omega, g_w = parameters_to_vector(gild.parameters()).detach(), parameters_to_vector(g_omega)

    def cos(a, b):  # in float64: a dying GILD's gradient (~1e-20) squares to 0 in float32, and the cosine would blow up
        a, b = a.double(), b.double()
        return (a @ b) / (a.norm() * b.norm()).clamp(min=1e-300)

    return {
        "losses/meta_grad_norm": g_w.norm(),
        "losses/gild_decay_norm": weight_decay * omega.norm(),
        "gild/actor_grad_norm_gild": g_gild.norm(),
        "gild/actor_grad_norm_rl": g_rl.norm(),
        "gild/actor_grad_norm_il": g_il.norm(),
        "gild/cos_gild_rl": cos(g_gild, g_rl),
        "gild/cos_gild_il": cos(g_gild, g_il),
        "gild/output_std": parts["f_d"].std(),
        "gild/meta_grad_above_decay": (g_w.abs() > weight_decay * omega.abs()).float().mean(),
    }


# ==========================================================================================================
# GILD: the algorithm's functions end here. Below: evaluation and logging (boilerplate), then `main`: Algorithm 1.
# ==========================================================================================================


# ------------------------------------------------------------------ evaluation (identical in the three GILD scripts)
EVAL_COLUMNS = {  # eval.csv's columns: (format, TensorBoard tag)
    "eval_return_mean": (".2f", "eval/return"),
    "eval_return_std": (".2f", "eval/return_std"),
    "max_average_return": (".2f", "eval/max_average_return"),
}


def evaluate(actor, env_id, n_episodes, seed, device):
    """Episodes of the deterministic policy `actor.act` on the dense task; returns the per-episode returns."""
    env = gym.make(dense_id(env_id))
    returns = []
    for ep in range(n_episodes):
        obs, _ = env.reset(seed=seed + ep)
        done, ret = False, 0.0
        while not done:
            with torch.no_grad():
                action = actor.act(torch.as_tensor(obs, dtype=torch.float32, device=device)[None])[0].cpu().numpy()
            obs, r, term, trunc, _ = env.step(action)
            ret += r
            done = term or trunc
        returns.append(ret)
    env.close()
    return np.array(returns)


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
    low, high = env.action_space.low, env.action_space.high

    actor = Actor(obs_dim, act_dim, low, high, args.exact_tanh_logdet).to(device)
    qf1, qf2 = QNetwork(obs_dim, act_dim).to(device), QNetwork(obs_dim, act_dim).to(device)
    for net in [qf1, qf2] * args.xavier_critic + [actor] * args.xavier_actor:  # the authors' initialisation, if asked
        for layer in [m for m in net.modules() if isinstance(m, nn.Linear)]:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    qf1_target, qf2_target = QNetwork(obs_dim, act_dim).to(device), QNetwork(obs_dim, act_dim).to(device)
    qf1_target.load_state_dict(qf1.state_dict())
    qf2_target.load_state_dict(qf2.state_dict())
    q_optimizer = torch.optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=args.q_lr)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=args.policy_lr)
    gild = GILDNetwork(obs_dim, act_dim).to(device)
    gild_optimizer = torch.optim.Adam(gild.parameters(), lr=args.gild_lr, weight_decay=args.gild_weight_decay)
    autotune = args.autotune if args.autotune is not None else args.env.split("-")[0] in ("Walker2d", "Ant")
    alpha = args.alpha  # the entropy temperature
    if autotune:  # the authors tune log alpha with the actor's learning rate
        target_entropy = -float(act_dim)
        log_alpha = torch.zeros(1, requires_grad=True, device=device)
        alpha_optimizer = torch.optim.Adam([log_alpha], lr=args.policy_lr)
        alpha = log_alpha.exp().item()
    rb = run_utils.ReplayBuffer(min(args.buffer_size, args.total_timesteps), obs_dim, act_dim, device)

    if args.mode != "rl" and checkpoint is None:  # a resumed run takes its demonstrations from the checkpoint
        demo_states, demo_actions = load_demonstrations(args, obs_dim, act_dim, device)
    run_name = run_utils.run_name(args, args.mode, ABLATIONS)
    logger = Logger(__file__, args, run_name, args.mode, device, EVAL_COLUMNS, checkpoint and checkpoint["logger"])

    # Eq. (3)/(6): w_rl = beta / mean|Q| (TD3+BC), or 1 as in the authors' code
    w_rl = lambda q: 1.0 if args.unit_il_weights else args.beta / q.abs().mean().detach()
    variants = (args.meta_loss, args.gild_on_replay_states, args.il_pre_tanh)  # Eq. (8) or not, the authors' code's

    def update(batch, meta_step, target_step, log):
        """One update of Algorithm 1 (l. 4-9) on a replay batch; returns what it logs (GILD's diagnostics only if `log`)."""
        global alpha  # the temperature, when auto-tuned
        s, a, r, s2, d = batch
        # Alg. 1, l. 4-5: critic update, Eq. (5), SAC's soft clipped double Q target
        with torch.no_grad():
            q_target = r + args.gamma * (1 - d) * soft_value(actor, qf1_target, qf2_target, s2, torch.randn_like(a), alpha)
        qf_loss = F.mse_loss(qf1(s, a), q_target) + F.mse_loss(qf2(s, a), q_target)
        q_optimizer.zero_grad()
        qf_loss.backward()
        q_optimizer.step()
        logged = {"losses/qf_loss": qf_loss.detach()}
        if autotune and args.authors_alpha_loss:  # their temperature loss reads log pi before the actor step
            with torch.no_grad():
                _, log_pi_alpha = actor(s, torch.randn_like(a))
        if meta_step:  # Alg. 1, l. 6-9, with every update
            j = torch.randint(0, len(demo_states), (args.batch_size,), device=device)
            s_val = rb.obs[rb.sample_idx(args.batch_size)]  # validation states for Eq. (8)
            s_d, a_d, noise = demo_states[j], demo_actions[j], (torch.randn_like(a), torch.randn_like(a), torch.randn_like(a))
            g, g_omega, loss_meta, loss_gild, parts = gild_meta_gradients(
                actor, qf1, qf2, gild, s, s_d, a_d, s_val, noise, args.policy_lr, alpha, w_rl, *variants
            )
            for p, gw in zip(gild.parameters(), g_omega):  # Alg. 1, l. 9: Eq. (11)
                p.grad = gw
            gild_optimizer.step()
            for p, gp in zip(actor.parameters(), g):  # Alg. 1, l. 7: Eq. (7) with the omega from before l. 9
                p.grad = gp
            actor_optimizer.step()
            logged.update({"losses/meta_loss": loss_meta, "losses/gild_loss": loss_gild})
            if log:  # what GILD does to the actor's gradients, and omega's meta-gradient beside its weight decay
                logged.update(gild_diagnostics(parts, g_omega, gild, args.gild_weight_decay))
        else:
            a_pi, log_pi = actor(s, torch.randn_like(a))
            q = torch.min(qf1(s, a_pi), qf2(s, a_pi))
            actor_loss = (alpha * log_pi - q).mean()  # Eq. (2), SAC's actor loss
            if args.mode == "il":  # Eq. (3): SAC+IL
                j = torch.randint(0, len(demo_states), (args.batch_size,), device=device)
                loss_il = -actor.log_prob(demo_states[j], demo_actions[j], args.il_pre_tanh).mean()
                actor_loss = w_rl(q) * actor_loss + loss_il
            actor_optimizer.zero_grad()
            actor_loss.backward()
            actor_optimizer.step()
        if autotune:  # the temperature, towards the target entropy
            if not args.authors_alpha_loss:  # log pi after the actor step
                with torch.no_grad():
                    _, log_pi_alpha = actor(s, torch.randn_like(a))
            scale = log_alpha if args.authors_alpha_loss else log_alpha.exp()
            alpha_loss = -(scale * (log_pi_alpha + target_entropy)).mean()
            alpha_optimizer.zero_grad()
            alpha_loss.backward()
            alpha_optimizer.step()
            alpha = log_alpha.exp().item()
        if target_step:
            soft_update(qf1_target, qf1, args.tau)
            soft_update(qf2_target, qf2, args.tau)
        return {**logged, "losses/alpha": alpha}

    gild_updates = args.gild_warm_start_updates  # warm start: GILD while n_updates < gild_updates, as the authors count
    gild_updates = int(args.gild_warm_start * args.total_timesteps) if gild_updates is None else gild_updates
    max_avg_return = -np.inf  # the paper's Table 1 figure: the best mean evaluation return so far
    start_step, n_updates, n_meta = 0, 0, 0
    ep_return, ep_dense_return, ep_len = 0.0, 0.0, 0
    obs, _ = env.reset(seed=args.seed)
    modules = dict(actor=actor, qf1=qf1, qf2=qf2, qf1_target=qf1_target, qf2_target=qf2_target, gild=gild)
    modules.update(q_optimizer=q_optimizer, actor_optimizer=actor_optimizer, gild_optimizer=gild_optimizer)
    if autotune:
        modules.update(alpha_optimizer=alpha_optimizer)
    if checkpoint is not None:  # --resume: everything that decides the rest of the run, as it was at the checkpoint
        for name, module in modules.items():
            module.load_state_dict(checkpoint["modules"][name])
        if autotune:
            log_alpha.data.copy_(checkpoint["log_alpha"])
        alpha = checkpoint["alpha"]
        rb.load_state_dict(checkpoint["replay_buffer"])
        if args.mode != "rl":
            demo_states, demo_actions = (x.to(device) for x in checkpoint["demonstrations"])
        run_utils.set_env_state(env, checkpoint["env"])
        obs = checkpoint["obs"].numpy()
        start_step, n_updates, n_meta = checkpoint["global_step"], checkpoint["n_updates"], checkpoint["n_meta"]
        ep_return, ep_dense_return, ep_len = checkpoint["episode"]
        max_avg_return = checkpoint["max_avg_return"]
        run_utils.set_rng_states(checkpoint["rng"])
    stop = run_utils.StopSignal()
    try:  # the training loop: Algorithm 1
        for global_step in range(start_step + 1, args.total_timesteps + 1):
            logger.progress(global_step)
            # Alg. 1, l. 2: collect data (single env, reset by hand: no autoreset step to filter out)
            if global_step <= args.learning_starts:
                action = env.action_space.sample()
            else:
                with torch.no_grad():
                    s_t = torch.as_tensor(obs, dtype=torch.float32, device=device)[None]
                    action, _ = actor(s_t, torch.randn(1, act_dim, device=device))
                    action = action[0].cpu().numpy()
            next_obs, reward, terminated, truncated, info = env.step(action)
            rb.add(obs, next_obs, action, reward, terminated)
            obs = next_obs
            ep_return += reward
            ep_dense_return += info.get("dense_reward", reward)
            ep_len += 1
            if terminated or truncated:
                logger.scalar("charts/episodic_return", ep_return, global_step)
                logger.scalar("charts/episodic_dense_return", ep_dense_return, global_step)
                logger.scalar("charts/episodic_length", ep_len, global_step)
                ep_return, ep_dense_return, ep_len = 0.0, 0.0, 0
                obs, _ = env.reset()

            if global_step == args.learning_starts + 1:
                logger.learning_started(global_step)
            if global_step > args.learning_starts:  # Alg. 1, l. 4-9: one update per environment step
                n_updates += 1
                meta_step = args.mode == "gild" and n_updates < gild_updates
                n_meta += meta_step
                target_step = n_updates % args.target_network_frequency == 0
                logged = update(rb.sample(args.batch_size), meta_step, target_step, log=global_step % 1000 == 0)
                if global_step % 1000 == 0:
                    logger.scalar("charts/SPS", int(global_step / (time.time() - logger.start_time)), global_step)
                    for tag, value in logged.items():
                        logger.scalar(tag, float(value), global_step)

            if global_step % args.eval_freq == 0 or global_step == args.total_timesteps:  # and at the end
                with logger.evaluating():
                    returns = evaluate(actor, args.env, args.eval_episodes, args.seed + 10_000, device)
                max_avg_return = max(max_avg_return, returns.mean())
                row = dict(eval_return_mean=returns.mean(), eval_return_std=returns.std(), max_average_return=max_avg_return)
                logger.evaluation(global_step, row)
                if args.stop_at_return is not None and returns.mean() >= args.stop_at_return:
                    print(f"reached --stop-at-return {args.stop_at_return}; stopping")
                    break

            if stop.checkpoint_due(global_step, 1, args.checkpoint_every, args.total_timesteps):
                run_utils.write_checkpoint(
                    logger.dir,
                    {
                        "modules": {name: module.state_dict() for name, module in modules.items()},
                        "log_alpha": log_alpha.detach() if autotune else None,
                        "alpha": alpha,
                        "replay_buffer": rb.state_dict(),
                        "demonstrations": (demo_states, demo_actions) if args.mode != "rl" else None,
                        "env": run_utils.env_state(env),
                        "obs": obs,
                        "global_step": global_step,
                        "n_updates": n_updates,
                        "n_meta": n_meta,
                        "episode": (ep_return, ep_dense_return, ep_len),
                        "max_avg_return": max_avg_return,
                        "rng": run_utils.rng_states(),
                        "logger": logger.state(global_step),
                    },
                )
                if stop.name:
                    break
        if stop.name:
            stop.stopped(logger.dir, os.path.basename(__file__), global_step)
        else:
            logger.done(global_step, f"{n_updates} updates, {n_meta} meta steps")
    finally:  # an interrupted run keeps what it logged, and its model
        if args.save_model:
            run_utils.save_model(f"{logger.dir}/model.npz", actor=actor, qf1=qf1, qf2=qf2, gild=gild)
            print(f"model saved to {logger.dir}/model.npz")
        env.close()
        logger.close()
    if stop.name:
        sys.exit(run_utils.CHECKPOINTED)
