"""PPO + CAIR (Conflict-Averse IL-RL) with DAgger (or BC) as the imitation part, in one file.

The policy minimises L_lambda = (1 - lambda) L_RL + lambda L_IL (Eq. 1), lambda starting at 0.95
(Table 3); L_RL is PPO's clipped surrogate with its entropy bonus. Per minibatch update (Alg. 1,
l. 10-13): g_RL and g_IL are two gradients of the policy's parameters, the CAGrad direction d of
Eq. (3) is written into their .grad; the value function trains on its own loss, as in plain PPO.
Every `lambda_interval` policy updates (l. 16-17) lambda is set by Algorithm 2 (`optimize_lambda`).
  --il dagger   every rollout's states are labelled by the demonstrator and aggregated over the run
                (starting from the offline set); L_IL is the MSE of the policy's mean action
                to the labels (`--il-loss nll`: the Gaussian negative log-likelihood instead).
  --il bc       L_IL on the offline set only: 1,000 demonstrator episodes (the paper's 50 of 1,000 or 4,000
                steps), labelled with its noise-free actions (`--demo-episodes`).
  --il none     plain PPO (lambda = 0).
The paper's on-policy stabilisers ("Note on On-Policy Stability"), on by default:
  --cos-ema 0.9          Algorithm 2 reads a moving average of cos(g_IL, g_RL), not one minibatch's.
  --anneal-with-lambda   the policy's learning rate and the entropy coefficient are scaled by
                         floor + (1 - floor) lambda / lambda_init, so they fall as lambda -> 0.

Vector environments use gymnasium 1.x's same-step autoreset: the observation returned with a
`done` is already the next episode's first one, and the last one is in info["final_obs"]. Every
stored state is therefore one the policy acted in (nothing to mask), and a time-limit truncation
bootstraps with gamma V(final_obs) added to the reward (Fetch and Hammer only ever truncate).

Choices where the paper is silent (as in cair_sac.py): K = 10, mu_0 = 2, eta_mu = 0.01; CAGrad's
rescale d / (1 + c^2), c = 0.5; inputs normalised by the offline set's mean and std
(`--normalize-obs`). Rollouts of 4 envs x 512 steps (Stable-Baselines3's 2048 per
rollout), the stabilisers' 0.9 and 0.1, lambda updated every 10 minibatch updates.
"""
import os
import random
import time
from dataclasses import dataclass
from typing import Literal, Optional

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import tyro

import demonstrators
from demonstrators import robotics


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    seed: int = 1
    """seed of the experiment"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=True`"""
    cuda: bool = True
    """if toggled, cuda will be used when available"""
    threads: int = 1
    """torch CPU threads; keep 1 when runs share a machine (oversubscription is ~100x slower)"""
    save_model: bool = False
    """save policy and value networks to `runs/{run_name}/model.npz`, and the DAgger aggregate to `dagger.npz`"""

    # Task and imitation
    env: str = "FetchPush-v4"
    """FetchPickAndPlace-v4, FetchPush-v4, FetchSlide-v4, AdroitHandHammerSparse-v1 (or PickAndPlace, Push, Slide, Hammer)"""
    il: Literal["dagger", "bc", "none"] = "dagger"
    """the imitation part: DAgger on rollout states labelled by the demonstrator, BC on the offline set, or none (plain PPO)"""
    il_loss: Literal["mse", "nll"] = "mse"
    """L_IL: MSE of the mean action to the labels, or the Gaussian negative log-likelihood of the labels"""
    demo_episodes: int = 1000
    """real episodes in the offline set (50k pairs on Fetch): A.2's 50 "episodes" of 1000 (Fetch) or 4000 steps are 20 each"""
    normalize_obs: bool = True
    """normalise the networks' inputs by the offline set's mean and std, clipped to +-5 (SB3 does not; docs/report.md)"""
    demo_path: Optional[str] = None
    """an .npz of demonstrations (`states`, `actions`, flat observations) instead of the shipped demonstrator's offline set"""

    # PPO (Table 3; the rest Stable-Baselines3's defaults)
    total_timesteps: int = 2_000_000
    """total environment steps"""
    num_envs: int = 4
    """parallel environments (a synchronous vector env)"""
    num_steps: int = 512
    """steps per environment per rollout"""
    learning_rate: float = 3e-4
    """Adam learning rate (Table 3)"""
    minibatch_size: int = 1024
    """minibatch size (Table 3's batch)"""
    update_epochs: Optional[int] = None
    """epochs over each rollout; default per task (Table 3: 30 PickAndPlace, 20 otherwise)"""
    ent_coef: Optional[float] = None
    """entropy coefficient; default per task (Table 3: 0.2 PickAndPlace, 0.02 otherwise)"""
    gamma: float = 0.98
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE's lambda (not CAIR's)"""
    clip_coef: float = 0.2
    """the surrogate clipping coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """the maximum norm of the whole gradient"""
    hidden: int = 512
    """width of the two tanh hidden layers of the policy and value networks"""

    # CAIR
    lambda_init: float = 0.95
    """initial IL weight lambda (Table 3)"""
    lambda_schedule: Literal["cair", "fixed-step", "constant"] = "cair"
    """how lambda moves: Algorithm 2, lambda -= lambda_delta, or not at all"""
    lambda_interval: int = 10
    """update lambda every this many policy (minibatch) updates"""
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


ALIASES = {"PickAndPlace": "FetchPickAndPlace-v4", "Push": "FetchPush-v4", "Slide": "FetchSlide-v4", "Hammer": robotics.HAMMER}
TABLE_3 = {"FetchPickAndPlace-v4": (30, 0.2), "FetchPush-v4": (20, 0.02), "FetchSlide-v4": (20, 0.02), robotics.HAMMER: (20, 0.02)}


def check_args(args):
    """Resolve the task's defaults; fail at start-up, not after an hour."""
    args.env = ALIASES.get(args.env, args.env)
    if args.env not in TABLE_3:
        raise SystemExit(f"unknown --env {args.env!r}; known tasks: {', '.join(TABLE_3)} (aliases: {', '.join(ALIASES)})")
    epochs, ent = TABLE_3[args.env]
    args.update_epochs = args.update_epochs or epochs
    args.ent_coef = ent if args.ent_coef is None else args.ent_coef
    rollout = args.num_envs * args.num_steps
    problems = [
        msg
        for bad, msg in [
            (not 0 <= args.lambda_init <= 1, "--lambda-init must be in [0, 1]"),
            (not 0 <= args.cagrad_c < 1, "--cagrad-c must be in [0, 1)"),
            (not 0 <= args.cos_ema < 1 or not 0 <= args.anneal_floor <= 1, "--cos-ema must be in [0, 1), --anneal-floor in [0, 1]"),
            (not 0 < args.gamma <= 1 or not 0 <= args.gae_lambda <= 1, "--gamma must be in (0, 1], --gae-lambda in [0, 1]"),
            (min(args.num_envs, args.num_steps, args.minibatch_size, args.update_epochs, args.lambda_interval,
                 args.lambda_iters, args.demo_episodes, args.threads, args.hidden) < 1,
             "--num-envs, --num-steps, --minibatch-size, --update-epochs, --lambda-interval, --lambda-iters, "
             "--demo-episodes, --threads and --hidden must be >= 1"),
            (rollout % args.minibatch_size != 0, f"--minibatch-size must divide num_envs x num_steps = {rollout}"),
            (args.total_timesteps < rollout, f"--total-timesteps must be at least one rollout ({rollout})"),
            (min(args.learning_rate, args.lambda_lr, args.clip_coef, args.max_grad_norm) <= 0, "learning rates, --clip-coef and --max-grad-norm must be > 0"),
            (min(args.ent_coef, args.vf_coef, args.lambda_mu0, args.lambda_mu_lr, args.lambda_delta) < 0,
             "--ent-coef, --vf-coef, --lambda-mu0, --lambda-mu-lr and --lambda-delta must be >= 0"),
            (args.eval_freq < 1 or args.eval_episodes < 1, "--eval-freq and --eval-episodes must be >= 1"),
        ]
        if bad
    ]
    if problems:
        raise SystemExit("bad arguments: " + "; ".join(problems))
    if args.il == "dagger" and args.demo_path:
        raise SystemExit("--il dagger queries the shipped demonstrator; --demo-path is for --il bc")


def make_env(env_id):
    env = robotics.make_env(env_id)
    if not env_id.startswith("Fetch"):
        return env
    space = gym.spaces.Box(-np.inf, np.inf, (robotics.OBS_DIM[env_id],), np.float32)
    return gym.wrappers.TransformObservation(env, robotics.flatten_obs, space)  # observation + desired goal


# ------------------------------------------------------------------------------------- networks
class Normalize(nn.Module):
    """The networks' first layer: (s - mean) / std, clipped to +-5, with the offline set's fixed statistics.
    Buffers, not parameters: no gradient moves them, and a saved model carries them."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).clamp(min=1e-3))  # constant inputs stay ~0

    def forward(self, s):
        return ((s - self.mean) / self.std).clamp(-5.0, 5.0)


def layer(n_in, n_out, gain=np.sqrt(2)):
    fc = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(fc.weight, gain)
    nn.init.zeros_(fc.bias)
    return fc


class Policy(nn.Module):
    """Gaussian policy with a state-independent log std (Stable-Baselines3's), tanh hidden layers."""

    def __init__(self, obs_dim, act_dim, hidden, normalize=None):
        super().__init__()
        self.normalize = normalize or nn.Identity()
        self.body = nn.Sequential(layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden), nn.Tanh(),
                                  layer(hidden, act_dim, 0.01))
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def mean(self, s):
        return self.body(self.normalize(s))

    def dist(self, s):
        return torch.distributions.Normal(self.mean(s), self.log_std.exp())


class ValueNetwork(nn.Module):
    def __init__(self, obs_dim, hidden, normalize=None):
        super().__init__()
        self.normalize = normalize or nn.Identity()
        self.body = nn.Sequential(layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden), nn.Tanh(), layer(hidden, 1, 1.0))

    def forward(self, s):
        return self.body(self.normalize(s))


# --------------------------------------------------------------------------- CAIR: Eq. (3), Alg. 2
def cagrad(g_rl, g_il, lam, c):
    """Eq. (3): argmax_d min(<g_RL, d>, <g_IL, d>) s.t. ||d - g_lam|| <= c ||g_lam||, g_lam = (1-lam) g_RL + lam g_IL.

    Exact, by the 1-D dual: min over w in [0, 1] of F(w) = <g_w, g_lam> + k ||g_w||, g_w = (1-w) g_RL + w g_IL,
    k = c ||g_lam||. F is convex and F'(w) = 0 has a closed form; then d = g_lam + k g_w* / ||g_w*||.
    Flat gradients in; returns d (not rescaled: the caller does that) and w*, the CAGrad weight of g_IL.
    """
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


def cos(a, b):
    return (a @ b) / (a.norm() * b.norm()).clamp(min=1e-30)


def evaluate(policy, env_id, n_episodes, seed, device):
    """Deterministic episodes (the mean action, clipped): (success rate by the task's metric, mean return)."""
    env = make_env(env_id)
    successes, returns = [], []
    for ep in range(n_episodes):
        obs, _ = env.reset(seed=seed + ep)
        done, ret, infos = False, 0.0, []
        while not done:
            with torch.no_grad():
                a = policy.mean(torch.as_tensor(obs, dtype=torch.float32, device=device)[None])[0].cpu().numpy()
            obs, r, term, trunc, info = env.step(np.clip(a, -1, 1))
            ret, done = ret + r, term or trunc
            infos.append(info)
        successes.append(robotics.episode_success(env_id, infos))
        returns.append(ret)
    env.close()
    return float(np.mean(successes)), float(np.mean(returns))


def save_model(path, **modules):
    np.savez(path, **{f"{m}/{k}": v.detach().cpu().numpy() for m, mod in modules.items() for k, v in mod.state_dict().items()})


if __name__ == "__main__":
    from torch.utils.tensorboard import SummaryWriter

    args = tyro.cli(Args)
    check_args(args)
    run_name = f"{args.env}__{args.exp_name}__{args.il}__{args.seed}__{int(time.time())}"
    os.makedirs(f"runs/{run_name}", exist_ok=True)
    writer = SummaryWriter(f"runs/{run_name}")
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in vars(args).items()))
    csv = open(f"runs/{run_name}/eval.csv", "w", buffering=1)
    csv.write("global_step,success_rate,return,demonstrator_success_rate,expert_success_rate,lambda,wall_time\n")

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")

    envs = gym.vector.SyncVectorEnv([lambda: make_env(args.env) for _ in range(args.num_envs)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    obs_dim, act_dim = envs.single_observation_space.shape[0], envs.single_action_space.shape[0]
    # the offline set (Alg. 1, l. 1): states the demonstrator visited, labelled with its noise-free actions
    if args.demo_path:
        demo_s, demo_a = demonstrators.load_demonstrations(args.demo_path)
    else:
        data = robotics.offline_dataset(args.env, args.demo_episodes, seed=args.seed)
        demo_s, demo_a = data["states"], data["labels"]
        print(f"offline set: {args.demo_episodes} demonstrator episodes, {len(demo_s)} pairs, "
              f"success {data['success'].mean():.2f}")
    if demo_s.shape[1] != obs_dim or demo_a.shape[1] != act_dim:
        raise SystemExit(f"demonstrations are {demo_s.shape[1]}-d states and {demo_a.shape[1]}-d actions; "
                         f"{args.env} has {obs_dim} and {act_dim}")
    normalize = Normalize(demo_s.mean(0), demo_s.std(0)) if args.normalize_obs else nn.Identity()
    policy = Policy(obs_dim, act_dim, args.hidden, normalize).to(device)
    value = ValueNetwork(obs_dim, args.hidden, normalize).to(device)
    params = list(policy.parameters())
    optimizer = torch.optim.Adam([{"params": params}, {"params": value.parameters()}], lr=args.learning_rate, eps=1e-5)

    # the IL data D: the offline set; with DAgger, every rollout's states are added, labelled
    if args.il != "none":
        capacity = len(demo_s) + (args.total_timesteps if args.il == "dagger" else 0)
        il_s, il_a = torch.empty((capacity, obs_dim), device=device), torch.empty((capacity, act_dim), device=device)
        il_s[: len(demo_s)], il_a[: len(demo_a)] = torch.as_tensor(demo_s), torch.as_tensor(demo_a)
        n_il = n_demo = len(demo_s)
        oracle = robotics.make_demonstrator(args.env) if args.il == "dagger" else None  # labels: its noise-free actions

    T, N, rollout = args.num_steps, args.num_envs, args.num_envs * args.num_steps
    obs_buf = torch.zeros((T, N, obs_dim), device=device)
    act_buf, logp_buf = torch.zeros((T, N, act_dim), device=device), torch.zeros((T, N), device=device)
    rew_buf, done_buf, val_buf = (torch.zeros((T, N), device=device) for _ in range(3))

    lam, mu = (args.lambda_init, args.lambda_mu0) if args.il != "none" else (0.0, 0.0)
    rho_ema = None
    rates = robotics.MEASURED_SUCCESS[args.env]  # the demonstrator's and the expert's, beside the curve
    demo_bar, expert_bar = rates["demonstrator"], rates["expert"]
    start_time, global_step, n_updates, eval_time, next_eval = time.time(), 0, 0, 0.0, args.eval_freq
    ep_return, ep_len = np.zeros(N), np.zeros(N, dtype=int)
    next_obs, _ = envs.reset(seed=args.seed)
    next_obs = torch.as_tensor(next_obs, dtype=torch.float32, device=device)
    try:
        for iteration in range(1, args.total_timesteps // rollout + 1):
            # the on-policy stabilisers: policy learning rate and entropy coefficient fall with lambda
            scale = 1.0
            if args.anneal_with_lambda and args.il != "none" and args.lambda_init > 0:
                scale = args.anneal_floor + (1 - args.anneal_floor) * lam / args.lambda_init
            optimizer.param_groups[0]["lr"], ent_coef = args.learning_rate * scale, args.ent_coef * scale

            # Alg. 1, l. 5-7: a rollout of the current policy
            for t in range(T):
                global_step += N
                obs_buf[t] = next_obs
                with torch.no_grad():
                    dist = policy.dist(next_obs)
                    action = dist.sample()
                    logp_buf[t], val_buf[t] = dist.log_prob(action).sum(1), value(next_obs)[:, 0]
                act_buf[t] = action
                obs, reward, terminated, truncated, info = envs.step(np.clip(action.cpu().numpy(), -1, 1))
                done = terminated | truncated
                ep_return, ep_len = ep_return + reward, ep_len + 1
                for i in np.flatnonzero(done):
                    writer.add_scalar("charts/episodic_return", ep_return[i], global_step)
                    writer.add_scalar("charts/episodic_length", ep_len[i], global_step)
                    ep_return[i], ep_len[i] = 0.0, 0
                reward = reward.astype(np.float64)
                if "final_obs" in info:  # same-step autoreset: `obs` already starts the next episode
                    for i in np.flatnonzero(info["_final_obs"] & truncated & ~terminated):  # a time limit: bootstrap
                        with torch.no_grad():
                            final = torch.as_tensor(np.asarray(info["final_obs"][i]), dtype=torch.float32, device=device)
                            reward[i] += args.gamma * value(final[None]).item()
                rew_buf[t], done_buf[t] = torch.as_tensor(reward, device=device), torch.as_tensor(done, device=device)
                next_obs = torch.as_tensor(obs, dtype=torch.float32, device=device)
            with torch.no_grad():
                next_value = value(next_obs)[:, 0]
            if args.il == "dagger":  # DAgger: the demonstrator labels the rollout's states (a batch query)
                s = obs_buf.reshape(rollout, obs_dim)
                il_s[n_il: n_il + rollout] = s
                il_a[n_il: n_il + rollout] = torch.as_tensor(oracle.clean(s.cpu().numpy()), device=device)
                n_il += rollout

            adv_buf = gae(rew_buf, val_buf, done_buf, next_value, args.gamma, args.gae_lambda)
            ret_buf = adv_buf + val_buf
            b_obs, b_act, b_logp = obs_buf.reshape(rollout, obs_dim), act_buf.reshape(rollout, act_dim), logp_buf.reshape(-1)
            b_adv, b_ret = adv_buf.reshape(-1), ret_buf.reshape(-1)

            stats = torch.zeros(11)  # cos(IL,RL), cos(d,IL), cos(d,RL), cos(g_lam,IL), w*, L_RL, L_IL, v_loss, entropy, clipfrac, n
            for epoch in range(args.update_epochs):
                for mb in torch.randperm(rollout, device=device).split(args.minibatch_size):
                    dist = policy.dist(b_obs[mb])
                    ratio = (dist.log_prob(b_act[mb]).sum(1) - b_logp[mb]).exp()
                    adv = (b_adv[mb] - b_adv[mb].mean()) / (b_adv[mb].std() + 1e-8)
                    surrogate = torch.min(ratio * adv, ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef) * adv).mean()
                    entropy = dist.entropy().sum(1).mean()
                    loss_rl = -surrogate - ent_coef * entropy
                    v_loss = 0.5 * (value(b_obs[mb])[:, 0] - b_ret[mb]).pow(2).mean()
                    optimizer.zero_grad()
                    (args.vf_coef * v_loss).backward()  # the value function trains as in plain PPO
                    if args.il == "none":
                        loss_rl.backward()
                        loss_il, row = torch.tensor(0.0), torch.zeros(5)
                    else:  # Alg. 1, l. 10-13: the policy's gradient is the CAGrad direction for L_lambda
                        j = torch.randint(0, n_il, (args.minibatch_size,), device=device)
                        if args.il_loss == "mse":
                            loss_il = (policy.mean(il_s[j]) - il_a[j]).pow(2).mean()
                        else:
                            loss_il = -policy.dist(il_s[j]).log_prob(il_a[j]).sum(1).mean()
                        g_rl = torch.cat([g.flatten() for g in torch.autograd.grad(loss_rl, params)])
                        g_il = torch.cat([g.flatten() for g in torch.autograd.grad(loss_il, params, materialize_grads=True)])
                        d_dir, w = cagrad(g_rl, g_il, lam, args.cagrad_c)  # Eq. (3)
                        g_lam = (1 - lam) * g_rl + lam * g_il  # Eq. (1)'s gradient
                        rescale = {"1+c^2": 1 + args.cagrad_c**2, "1+c": 1 + args.cagrad_c, "none": 1.0}[args.cagrad_rescale]
                        offset = 0
                        for p in params:
                            p.grad = (d_dir[offset: offset + p.numel()] / rescale).view_as(p)
                            offset += p.numel()
                        rho = cos(g_il, g_rl).item()
                        rho_ema = rho if rho_ema is None else args.cos_ema * rho_ema + (1 - args.cos_ema) * rho
                        row = torch.tensor([rho, cos(d_dir, g_il), cos(d_dir, g_rl), cos(g_lam, g_il), w])
                    nn.utils.clip_grad_norm_(params + list(value.parameters()), args.max_grad_norm)
                    optimizer.step()
                    n_updates += 1
                    clipfrac = ((ratio - 1).abs() > args.clip_coef).float().mean()
                    stats += torch.cat([row, torch.stack([loss_rl.detach(), loss_il.detach(), v_loss.detach(), entropy.detach(), clipfrac]),
                                        torch.ones(1)])
                    # Alg. 1, l. 16-17: lambda every lambda_interval policy updates
                    if args.il != "none" and n_updates % args.lambda_interval == 0:
                        if args.lambda_schedule == "cair":
                            lam, mu = optimize_lambda(g_il, g_rl, lam, args.lambda_lr, args.lambda_iters, args.lambda_mu0,
                                                      args.lambda_mu_lr, rho=rho_ema)
                        elif args.lambda_schedule == "fixed-step":
                            lam = max(0.0, lam - args.lambda_delta)

            m = stats / stats[-1]  # the paper's Figure 3 curves, averaged over this rollout's updates
            if args.il != "none":
                for k, name in enumerate(["cos_il_rl", "cos_d_il", "cos_d_rl", "cos_glambda_il", "cagrad_weight"]):
                    writer.add_scalar(f"cair/{name}", m[k].item(), global_step)
                writer.add_scalar("cair/cos_il_rl_ema", rho_ema, global_step)
                writer.add_scalar("losses/il_loss", m[6].item(), global_step)
            for k, name in [(5, "losses/rl_loss"), (7, "losses/value_loss"), (8, "losses/entropy"), (9, "losses/clipfrac")]:
                writer.add_scalar(name, m[k].item(), global_step)
            writer.add_scalar("charts/lambda", lam, global_step)
            writer.add_scalar("charts/mu", mu, global_step)
            writer.add_scalar("charts/policy_learning_rate", optimizer.param_groups[0]["lr"], global_step)
            writer.add_scalar("charts/ent_coef", ent_coef, global_step)
            writer.add_scalar("charts/SPS", int(global_step / (time.time() - start_time - eval_time)), global_step)

            if global_step >= next_eval:
                next_eval += args.eval_freq
                t0 = time.time()
                success, ret = evaluate(policy, args.env, args.eval_episodes, args.seed + 10_000, device)
                eval_time += time.time() - t0
                writer.add_scalar("eval/success_rate", success, global_step)
                writer.add_scalar("eval/return", ret, global_step)
                writer.add_scalar("eval/demonstrator_success_rate", demo_bar, global_step)
                writer.add_scalar("eval/expert_success_rate", expert_bar, global_step)
                csv.write(f"{global_step},{success:.3f},{ret:.2f},{demo_bar},{expert_bar},{lam:.4f},"
                          f"{time.time() - start_time:.1f}\n")
                print(f"step={global_step} success={success:.2f} (demonstrator {demo_bar:.2f}, expert {expert_bar:.2f}) "
                      f"return={ret:.1f} lambda={lam:.3f} SPS={int(global_step / (time.time() - start_time - eval_time))}")
        sps = global_step / (time.time() - start_time - eval_time)
        print(f"done: {global_step} steps in {time.time() - start_time:.0f}s; {sps:.1f} steps/s while learning "
              f"(evaluation excluded); {n_updates} policy updates; lambda {lam:.4f}")
    finally:  # an interrupted run keeps what it logged, and its model
        if args.save_model:
            save_model(f"runs/{run_name}/model.npz", policy=policy, value=value)
            if args.il == "dagger":
                demonstrators.save_demonstrations(f"runs/{run_name}/dagger.npz", il_s[:n_il].cpu().numpy(), il_a[:n_il].cpu().numpy())
            print(f"model saved to runs/{run_name}/model.npz")
        envs.close()
        writer.close()
        csv.close()
