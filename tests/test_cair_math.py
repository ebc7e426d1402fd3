"""CAIR's math, in each CAIR script: CAGrad (Eq. 3) against a brute-force optimum and its dual, and Algorithm 2's
properties."""

import math

import numpy as np
import pytest
import torch

import cair_ddpg
import cair_ppo_dagger
import cair_sac

MODULES = [cair_sac, cair_ddpg, cair_ppo_dagger]


def value(d, g_rl, g_il):
    return torch.minimum(d @ g_rl, d @ g_il)


def pair(kind, n, seed):
    gen = torch.Generator().manual_seed(seed)
    g_rl = torch.randn(n, generator=gen, dtype=torch.float64)
    noise = torch.randn(n, generator=gen, dtype=torch.float64)
    g_il = {
        "random": noise,
        "aligned": 2 * g_rl + 0.3 * noise,
        "conflicting": -0.8 * g_rl + 0.3 * noise,
        "nearly-collinear": -0.5 * g_rl + 1e-7 * noise,
        "opposed": -0.5 * g_rl,
        "zero-il": 0 * noise,
        "zero-rl": noise,
    }[kind]
    if kind == "zero-rl":
        g_rl = 0 * g_rl
    return g_rl, g_il


def brute_force(g_rl, g_il, lam, c, n_samples=200_000, seed=0):
    """max of min(<g_RL, d>, <g_IL, d>) over random d in the ball (interior and sphere)."""
    g_lam = (1 - lam) * g_rl + lam * g_il
    k = c * g_lam.norm()
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(n_samples, len(g_rl), generator=gen, dtype=torch.float64)
    v = v / v.norm(dim=1, keepdim=True)
    radius = torch.rand(n_samples, 1, generator=gen, dtype=torch.float64) ** (1 / len(g_rl))
    radius[: n_samples // 2] = 1.0  # the optimum of a linear objective lies on the sphere
    d = g_lam + k * radius * v
    return torch.minimum(d @ g_rl, d @ g_il).max()


def dual_minimum(g_rl, g_il, lam, c):
    """min over a fine grid of w of F(w) = <g_w, g_lam> + k ||g_w||: the optimal value by strong duality."""
    g_lam = (1 - lam) * g_rl + lam * g_il
    w = torch.linspace(0, 1, 100_001, dtype=torch.float64)[:, None]
    g_w = (1 - w) * g_rl + w * g_il
    return (g_w @ g_lam + c * g_lam.norm() * g_w.norm(dim=1)).min()


KINDS = ["random", "aligned", "conflicting", "nearly-collinear", "opposed", "zero-il", "zero-rl"]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lam, c", [(0.5, 0.5), (0.9, 0.2), (0.2, 0.9)])
def test_cagrad_is_the_optimum_of_eq3(module, kind, lam, c):
    for n, seed in [(2, 0), (3, 1), (6, 2)]:
        g_rl, g_il = pair(kind, n, seed)
        d, w = module.cagrad(g_rl, g_il, lam, c)
        g_lam = (1 - lam) * g_rl + lam * g_il
        scale = float(g_rl.norm() ** 2 + g_il.norm() ** 2)
        assert (d - g_lam).norm() <= c * g_lam.norm() * (1 + 1e-9) + 1e-12  # feasible
        best = value(d, g_rl, g_il)
        assert best >= brute_force(g_rl, g_il, lam, c) - 1e-9 * scale  # no sampled d does better
        assert best == pytest.approx(float(dual_minimum(g_rl, g_il, lam, c)), abs=1e-6 * scale)  # and it is the optimum
        assert 0 <= w <= 1


@pytest.mark.parametrize("module", MODULES)
def test_cagrad_interior_optimum_equalises_the_improvements(module):
    n_interior = 0
    for seed in range(50):
        g_rl, g_il = pair("conflicting", 10, seed)
        d, w = module.cagrad(g_rl, g_il, 0.5, 0.5)
        if 1e-6 < w < 1 - 1e-6:
            n_interior += 1
            assert float(d @ g_rl) == pytest.approx(float(d @ g_il), rel=1e-8)
    assert n_interior > 10


@pytest.mark.parametrize("module", MODULES)
def test_cagrad_c_to_zero_is_the_plain_combination(module):
    g_rl, g_il = pair("conflicting", 20, 3)
    g_lam = (1 - 0.7) * g_rl + 0.7 * g_il
    assert torch.equal(module.cagrad(g_rl, g_il, 0.7, 0.0)[0], g_lam)
    for c in (1e-2, 1e-4, 1e-6):
        d, _ = module.cagrad(g_rl, g_il, 0.7, c)
        assert (d - g_lam).norm() <= c * g_lam.norm() * (1 + 1e-9)
    assert torch.allclose(module.cagrad(g_rl, g_il, 0.7, 1e-9)[0], g_lam, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("module", MODULES)
def test_cagrad_of_equal_gradients_scales_them(module):
    g = torch.randn(7, dtype=torch.float64)
    assert torch.allclose(module.cagrad(g, g.clone(), 0.4, 0.5)[0], 1.5 * g)
    assert torch.equal(module.cagrad(0 * g, 0 * g, 0.4, 0.5)[0], 0 * g)


# ------------------------------------------------------------------------------ Algorithm 2
def grads_with_cosine(rho, n=16, seed=0, scale_rl=1.0, scale_il=1.0):
    gen = torch.Generator().manual_seed(seed)
    u, v = torch.randn(2, n, generator=gen, dtype=torch.float64)
    u = u / u.norm()
    v = v - (v @ u) * u
    v = v / v.norm()
    return scale_il * (rho * u + math.sqrt(1 - rho * rho) * v), scale_rl * u  # g_IL, g_RL


def cos(a, b):
    return float(a @ b / (a.norm() * b.norm()))


@pytest.mark.parametrize("module", MODULES)
def test_optimize_lambda_stays_in_range_and_never_rises(module):
    rng = np.random.default_rng(0)
    for seed in range(200):
        g_il, g_rl = grads_with_cosine(rng.uniform(-0.99, 0.99), seed=seed, scale_rl=rng.uniform(0.01, 100))
        lam_cur = float(rng.uniform(0, 1))
        lam, _ = module.optimize_lambda(g_il, g_rl, lam_cur, 1e-2)
        assert 0 <= lam <= lam_cur


@pytest.mark.parametrize("module", MODULES)
def test_optimize_lambda_under_conflict_stops_where_the_il_cosine_is_zero(module):
    rho = -0.5  # lambda* = -rho / (1 - rho) = 1/3: there cos(g_lam, g_IL) = 0
    g_il, g_rl = grads_with_cosine(rho, scale_rl=30.0)  # magnitudes must not matter
    lam, history = 1.0, []
    for _ in range(2000):
        lam, _ = module.optimize_lambda(g_il, g_rl, lam, 1e-3)
        history.append(lam)
    tol = 10 * 1e-3 * (1 - rho) * 2  # a call moves lambda by at most K * eta * (1 - rho) * max(1, mu - 1)
    assert history[-1] == pytest.approx(1 / 3, abs=tol)
    assert max(history[1000:]) - min(history[1000:]) <= tol  # and stays there
    g_lam = (1 - lam) * g_rl / g_rl.norm() + lam * g_il / g_il.norm()
    assert abs(cos(g_lam, g_il)) < 0.05


@pytest.mark.parametrize("module", MODULES)
def test_optimize_lambda_under_alignment_keeps_decreasing_to_zero(module):
    g_il, g_rl = grads_with_cosine(0.5)
    lam, history = 1.0, [1.0]
    for _ in range(2000):
        lam, _ = module.optimize_lambda(g_il, g_rl, lam, 1e-3)
        history.append(lam)
    steps = np.diff(history)
    assert np.all(steps[history[1:] > np.float64(0)] < 0)  # strictly down while above 0
    assert history[-1] == 0.0
    # with the paper's eta = 1e-4 and K = 10, one call lowers lambda by K * eta * (1 - rho)
    assert module.optimize_lambda(g_il, g_rl, 0.8)[0] == pytest.approx(0.8 - 10 * 1e-4 * 0.5)


def test_optimize_lambda_reads_the_moving_average_when_given():
    g_il, g_rl = grads_with_cosine(0.9)  # these two agree; the on-policy average says they conflict
    lam = 1.0
    for _ in range(2000):
        lam, _ = cair_ppo_dagger.optimize_lambda(g_il, g_rl, lam, 1e-3, rho=-0.5)
    assert lam == pytest.approx(1 / 3, abs=0.03)
    assert cair_ppo_dagger.optimize_lambda(g_il, g_rl, lam, 1e-3)[0] < lam  # without it, lambda goes on down


# ------------------------------------------------------------------------------ PPO's advantages
def test_gae_matches_the_definition_and_cuts_at_episode_ends():
    gen = torch.Generator().manual_seed(0)
    T, N, gamma, lam = 7, 3, 0.9, 0.8
    rewards, values = torch.randn(T, N, generator=gen), torch.randn(T, N, generator=gen)
    next_value = torch.randn(N, generator=gen)
    dones = torch.zeros(T, N)
    dones[2, 0] = dones[6, 1] = 1.0  # env 0 ends an episode at t = 2; env 1 at the last step
    adv = cair_ppo_dagger.gae(rewards, values, dones, next_value, gamma, lam)
    v_next = torch.cat([values[1:], next_value[None]])
    for i in range(N):
        for t in range(T):  # A_t = sum_l (gamma lam)^l delta_{t+l}, up to and including the episode's last step
            total, k = 0.0, t
            while True:
                nonterminal = 1.0 - dones[k, i]
                total += (gamma * lam) ** (k - t) * (rewards[k, i] + gamma * nonterminal * v_next[k, i] - values[k, i])
                if dones[k, i] or k == T - 1:
                    break
                k += 1
            assert float(adv[t, i]) == pytest.approx(float(total), abs=1e-5)
    assert float(adv[2, 0]) == pytest.approx(float(rewards[2, 0] - values[2, 0]), abs=1e-6)  # nothing after the end


# ------------------------------------------------------------------------------ L_IL (section 4.2)
@pytest.mark.parametrize("module", MODULES)
def test_imitation_loss_sums_the_squared_error_over_action_dimensions(module):
    action = torch.tensor([[0.0, 1.0, -1.0], [0.5, 0.5, 0.5]])
    label = torch.tensor([[1.0, 1.0, 1.0], [0.5, -0.5, 0.5]])
    # (1/N) sum_i ||pi_D(s_i) - a_i||^2 = ((1 + 0 + 4) + (0 + 1 + 0)) / 2
    assert float(module.imitation_loss(action, label)) == pytest.approx(3.0)
    assert float(module.imitation_loss(action, label, "mean")) == pytest.approx(1.0)  # F.mse_loss's: 1/|A| of it


@pytest.mark.parametrize("action", ["sample", "mean"])
def test_sac_imitation_gradient_reaches_the_log_std_only_through_a_sample(action):
    torch.manual_seed(0)
    actor = cair_sac.Actor(5, 3, 16)
    pi = actor(torch.randn(64, 5))
    a = pi.action if action == "sample" else pi.mean_action
    cair_sac.imitation_loss(a, torch.zeros(64, 3)).backward()
    assert (actor.fc_logstd.weight.grad is not None) == (action == "sample")


# ------------------------------------------------------------------------------ PPO's normalised combination
def test_ppo_combines_unit_gradients_when_asked():
    g_rl, g_il = pair("conflicting", 12, 4)
    g_rl, g_il = 50.0 * g_rl, 0.01 * g_il  # very different scales
    unit_rl, unit_il = g_rl / g_rl.norm(), g_il / g_il.norm()
    d, _, a, b = cair_ppo_dagger.combine_gradients(g_rl, g_il, 0.3, 0.0)  # c = 0: Eq. (1) itself
    assert torch.allclose(d, 0.7 * unit_rl + 0.3 * unit_il, rtol=1e-12, atol=1e-15)
    assert torch.allclose(a, unit_rl) and torch.allclose(b, unit_il)
    d, w, *_ = cair_ppo_dagger.combine_gradients(g_rl, g_il, 0.3, 0.5)  # CAGrad on the unit gradients
    expected, expected_w = cair_ppo_dagger.cagrad(unit_rl, unit_il, 0.3, 0.5)
    assert torch.allclose(d, expected) and float(w) == pytest.approx(float(expected_w))
    d, *_ = cair_ppo_dagger.combine_gradients(g_rl, g_il, 0.3, 0.0, normalize=False)  # --no-normalize-grads
    assert torch.equal(d, 0.7 * g_rl + 0.3 * g_il)


# ------------------------------------------------------------------------------ the mix that is applied (logging)
@pytest.mark.parametrize("module", MODULES)
def test_effective_lambda_and_rl_share_on_a_hand_case(module):
    g_rl, g_il = torch.tensor([3.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])
    d = 0.2 * g_rl + 0.6 * g_il  # a = 0.2, b = 0.6: lambda_eff = 0.6 / 0.8
    assert float(module.effective_lambda(d, g_rl, g_il, 0.9)) == pytest.approx(0.75, rel=1e-6)
    assert float(module.rl_share(g_rl, g_il, 0.5)) == pytest.approx(0.75, rel=1e-6)  # 0.5 * 3 / (0.5 * 3 + 0.5 * 1)
    assert float(module.rl_share(g_rl / 3, g_il, 0.8)) == pytest.approx(0.2, rel=1e-6)  # unit gradients: 1 - lambda
    assert float(module.effective_lambda(g_rl, g_rl, 2 * g_rl, 0.3)) == pytest.approx(0.3)  # parallel: lambda itself


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("kind", ["random", "aligned", "conflicting"])
def test_effective_lambda_of_cagrad(module, kind):
    g_rl, g_il = pair(kind, 50, 5)
    g_rl, g_il = 6.0 * g_rl.float(), g_il.float()  # float32 and unequal sizes, as in a run
    d, *_ = module.combine_gradients(g_rl, g_il, 0.7, 0.0, normalize=False)  # c = 0: d = g_lam, lambda_eff = lambda
    assert float(module.effective_lambda(d, g_rl, g_il, 0.7)) == pytest.approx(0.7, abs=1e-5)
    d, w = module.cagrad(g_rl, g_il, 0.7, 0.5)  # d = g_lam + s g_w, s = c |g_lam| / |g_w|, g_w = (1 - w) g_RL + w g_IL
    g_lam, g_w = 0.3 * g_rl + 0.7 * g_il, (1 - w) * g_rl + w * g_il
    s = 0.5 * g_lam.norm() / g_w.norm()
    assert float(module.effective_lambda(d, g_rl, g_il, 0.7)) == pytest.approx(float((0.7 + s * w) / (1 + s)), abs=1e-5)
