"""GILD's meta-gradient (Eq. 9-11), as each script computes it, against finite differences of the
meta-loss (Eq. 8) through the one-step look-aheads (Eq. 6-7), built here without any second-order
machinery. TD3 and DDPG share the deterministic-actor function (DDPG's copy is checked to match)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call
from torch.nn.utils import parameters_to_vector, vector_to_parameters

import gild_ddpg
import gild_sac
import gild_td3

OBS, ACT, N, ALPHA = 5, 3, 16, 0.05


def w_rl(q):
    return 2.5 / q.abs().mean().detach()


def direct_meta_loss(actor, qf1, gild, s, s_d, a_d, s_val, meta_loss):
    """Eq. (6)-(8), or RQ3's intuitive meta-loss, evaluated without any second-order machinery."""
    theta = dict(actor.named_parameters())
    pi, pi_d = actor(s), actor(s_d)
    q = qf1(s, pi)
    g = torch.autograd.grad(-q.mean() + gild(pi_d, s_d, a_d).mean(), list(theta.values()), retain_graph=True)
    g_bc = torch.autograd.grad(w_rl(q) * -q.mean() + F.mse_loss(pi_d, a_d), list(theta.values()))
    new = {k: p - ALPHA * gk for (k, p), gk in zip(theta.items(), g)}
    bc = {k: p - ALPHA * gk for (k, p), gk in zip(theta.items(), g_bc)}
    q_new = qf1(s_val, functional_call(actor, new, (s_val,)))
    q_bc = qf1(s_val, functional_call(actor, bc, (s_val,)))
    return {
        "eq8": -torch.tanh(q_new - q_bc).mean(),
        "tanh-of-means": -torch.tanh(q_new.mean() - q_bc.mean()),
        "intuitive": -q_new.mean(),  # maximise Q(s, phi'(s)) itself
    }[meta_loss]


def assert_matches_finite_differences(loss_fn, gild, grad, n_directions=4):
    """Central differences of loss_fn() along random directions of omega against grad.

    L_meta depends on omega through dL_GILD/dpi, which jumps where a ReLU of the GILD network
    switches: the loss is only piecewise smooth, and a finite difference may straddle a jump. A
    direction passes when one of three step sizes agrees; a wrong gradient agrees at none.
    """
    omega0 = parameters_to_vector(gild.parameters()).detach().clone()
    gen = torch.Generator().manual_seed(1)
    try:
        for _ in range(n_directions):
            direction = torch.randn(omega0.shape, generator=gen, dtype=torch.float64)
            expected, fds = float(grad @ direction), []
            for eps in (1e-6, 1e-7, 1e-8):
                losses = []
                for sign in (1, -1):
                    vector_to_parameters(omega0 + sign * eps * direction, gild.parameters())
                    losses.append(loss_fn().item())
                fds.append((losses[0] - losses[1]) / (2 * eps))
            assert any(fd == pytest.approx(expected, rel=1e-4, abs=1e-10) for fd in fds), (expected, fds)
    finally:
        vector_to_parameters(omega0, gild.parameters())


@pytest.fixture
def problem():
    torch.manual_seed(0)
    actor = gild_td3.Actor(OBS, ACT, -np.ones(ACT), np.ones(ACT)).double()
    qf1 = gild_td3.QNetwork(OBS, ACT).double()
    gild = gild_td3.GILDNetwork(OBS, ACT).double()
    s, s_d, s_val = (torch.randn(N, OBS, dtype=torch.float64) for _ in range(3))
    a_d = torch.rand(N, ACT, dtype=torch.float64) * 2 - 1
    return actor, qf1, gild, s, s_d, a_d, s_val


@pytest.mark.parametrize("meta_loss", ["eq8", "tanh-of-means", "intuitive"])
def test_meta_gradient_matches_finite_differences(problem, meta_loss):
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    g, g_omega, loss_meta, *_ = gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, meta_loss)
    grad = torch.cat([x.flatten() for x in g_omega])
    assert grad.abs().max() > 1e-8  # the meta-gradient is not trivially zero
    assert torch.allclose(loss_meta, direct_meta_loss(actor, qf1, gild, s, s_d, a_d, s_val, meta_loss))
    assert_matches_finite_differences(lambda: direct_meta_loss(actor, qf1, gild, s, s_d, a_d, s_val, meta_loss), gild, grad)


def test_actor_gradient_is_rl_plus_gild(problem):
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    g, *_ = gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, "eq8")
    loss = -qf1(s, actor(s)).mean() + gild(actor(s_d), s_d, a_d).mean()  # Eq. (7)
    expected = torch.autograd.grad(loss, list(actor.parameters()))
    for a, b in zip(g, expected):
        assert torch.allclose(a, b)


def test_meta_gradients_leave_parameters_alone(problem):
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    before = [p.detach().clone() for m in (actor, qf1, gild) for p in m.parameters()]
    gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, "eq8")
    after = [p.detach() for m in (actor, qf1, gild) for p in m.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert all(p.grad is None for m in (actor, qf1, gild) for p in m.parameters())


def test_ddpg_meta_step_is_td3s(problem):
    """DDPG's copy of the deterministic-actor meta step gives the same gradients as TD3's (FD-checked above)."""
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    for x, y in zip(
        gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, "eq8")[:4],
        gild_ddpg.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, "eq8")[:4],
    ):
        for a, b in zip(x if isinstance(x, (list, tuple)) else [x], y if isinstance(y, (list, tuple)) else [y]):
            assert torch.equal(a, b)


def test_diagnostics_cosines_survive_a_dying_gild_network():
    """A GILD network decaying to a constant sends actor gradients of ~1e-20, whose squares vanish in float32: the
    cosines must stay those of the directions, not blow up (they read 258 and 697 on Point2D before this was fixed)."""
    torch.manual_seed(0)
    g_rl, g_il = [torch.randn(40, 3)], [torch.randn(40, 3)]
    g_gild = [1e-22 * (g_rl[0] + 0.5 * torch.randn(40, 3))]
    gild = gild_td3.GILDNetwork(OBS, ACT)
    parts = {"g_rl": g_rl, "g_gild": g_gild, "g_il": g_il, "f_d": torch.zeros(N, 1)}
    diag = gild_td3.gild_diagnostics(parts, [torch.zeros_like(p) for p in gild.parameters()], gild, 1e-4)
    a, b, c = (x[0].double().flatten() for x in (g_gild, g_rl, g_il))
    assert float(diag["gild/cos_gild_rl"]) == pytest.approx(float(a @ b / (a.norm() * b.norm())), rel=1e-6)
    assert float(diag["gild/cos_gild_il"]) == pytest.approx(float(a @ c / (a.norm() * c.norm())), rel=1e-6)
    assert 0.5 < float(diag["gild/cos_gild_rl"]) < 1


def test_diagnostics_read_the_meta_steps_own_gradients(problem):
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    *_, parts = gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, "eq8")
    g_omega = [torch.randn_like(p) * 1e-4 for p in gild.parameters()]
    diag = gild_td3.gild_diagnostics(parts, g_omega, gild, 1e-4)
    params = list(actor.parameters())

    def flat_grad(loss):
        return torch.cat([g.flatten() for g in torch.autograd.grad(loss, params)])

    g_gild = flat_grad(gild(actor(s_d), s_d, a_d).mean())
    g_rl = flat_grad(-qf1(s, actor(s)).mean())
    g_il = flat_grad(torch.nn.functional.mse_loss(actor(s_d), a_d))
    assert float(diag["gild/actor_grad_norm_gild"]) == pytest.approx(float(g_gild.norm()), rel=1e-10)
    assert float(diag["gild/actor_grad_norm_rl"]) == pytest.approx(float(g_rl.norm()), rel=1e-10)
    assert float(diag["gild/actor_grad_norm_il"]) == pytest.approx(float(g_il.norm()), rel=1e-10)
    expected_cos = g_gild @ g_rl / (g_gild.norm() * g_rl.norm())
    assert float(diag["gild/cos_gild_rl"]) == pytest.approx(float(expected_cos), rel=1e-10)
    spread = gild(actor(s_d), s_d, a_d).std().item()
    assert float(diag["gild/output_std"]) == pytest.approx(spread, rel=1e-10)
    omega = torch.cat([p.detach().flatten() for p in gild.parameters()])
    share = (torch.cat([g.flatten() for g in g_omega]).abs() > 1e-4 * omega.abs()).double().mean()
    assert float(diag["gild/meta_grad_above_decay"]) == pytest.approx(float(share))
    assert 0 < float(share) < 1  # the test's meta-gradient is of the decay's order: some coordinates each way
    for other in (gild_sac, gild_ddpg):  # one copy of it in every GILD script (tests/test_style.py)
        assert other.gild_diagnostics(parts, g_omega, gild, 1e-4).keys() == diag.keys()


# ------------------------------------------------------------------------------------------ SAC
SAC_ALPHA = 0.2  # entropy temperature


def sac_direct_meta_loss(actor, qf1, qf2, gild, s, s_d, a_d, s_val, noise, meta_loss, on_replay, pre_tanh):
    eps, eps_d, eps_val = noise
    theta = dict(actor.named_parameters())
    a_pi, log_pi = actor(s, eps)
    q = torch.min(qf1(s, a_pi), qf2(s, a_pi))
    loss_rl = (SAC_ALPHA * log_pi - q).mean()
    pi_g = actor(s, eps)[0] if on_replay else actor(s_d, eps_d)[0]
    g = torch.autograd.grad(loss_rl + gild(pi_g, s_d, a_d).mean(), list(theta.values()), retain_graph=True)
    g_bc = torch.autograd.grad(w_rl(q) * loss_rl - actor.log_prob(s_d, a_d, pre_tanh).mean(), list(theta.values()))

    def value(params):
        a, lp = functional_call(actor, params, (s_val, eps_val))
        return torch.min(qf1(s_val, a), qf2(s_val, a)) - SAC_ALPHA * lp

    v_new = value({k: p - ALPHA * gk for (k, p), gk in zip(theta.items(), g)})
    v_bc = value({k: p - ALPHA * gk for (k, p), gk in zip(theta.items(), g_bc)})
    return {
        "eq8": -torch.tanh(v_new - v_bc).mean(),
        "tanh-of-means": -torch.tanh(v_new.mean() - v_bc.mean()),
        "intuitive": -v_new.mean(),
    }[meta_loss]


@pytest.fixture
def sac_problem():
    torch.manual_seed(0)
    actor = gild_sac.Actor(OBS, ACT, -2 * np.ones(ACT), 2 * np.ones(ACT)).double()
    qf1, qf2 = gild_sac.QNetwork(OBS, ACT).double(), gild_sac.QNetwork(OBS, ACT).double()
    gild = gild_sac.GILDNetwork(OBS, ACT).double()
    s, s_d, s_val = (torch.randn(N, OBS, dtype=torch.float64) for _ in range(3))
    a_d = torch.rand(N, ACT, dtype=torch.float64) * 4 - 2
    noise = tuple(torch.randn(N, ACT, dtype=torch.float64) for _ in range(3))
    return actor, qf1, qf2, gild, s, s_d, a_d, s_val, noise


@pytest.mark.parametrize(
    "meta_loss, on_replay, pre_tanh, exact",
    [
        ("eq8", False, False, False),
        ("tanh-of-means", True, True, True),
        ("tanh-of-means", False, False, False),
        ("eq8", True, False, False),
        ("eq8", False, True, False),
        ("intuitive", False, False, False),
        ("eq8", False, False, True),
    ],
)
def test_sac_meta_gradient_matches_finite_differences(sac_problem, meta_loss, on_replay, pre_tanh, exact):
    actor, qf1, qf2, gild, s, s_d, a_d, s_val, noise = sac_problem
    actor.exact_tanh_logdet = exact
    g, g_omega, loss_meta, *_ = gild_sac.gild_meta_gradients(
        actor, qf1, qf2, gild, s, s_d, a_d, s_val, noise, ALPHA, SAC_ALPHA, w_rl, meta_loss, on_replay, pre_tanh
    )
    grad = torch.cat([x.flatten() for x in g_omega])
    assert grad.abs().max() > 1e-8

    def direct():
        return sac_direct_meta_loss(actor, qf1, qf2, gild, s, s_d, a_d, s_val, noise, meta_loss, on_replay, pre_tanh)

    assert torch.allclose(loss_meta, direct())
    assert_matches_finite_differences(direct, gild, grad)


@pytest.mark.parametrize("exact", [False, True])
def test_sac_log_prob_is_the_density_of_its_own_samples(exact):
    """log pi(a|s) of the squashed Gaussian (L_IL) equals the log-density the sampler reports."""
    torch.manual_seed(0)
    actor = gild_sac.Actor(OBS, ACT, -2 * np.ones(ACT), 2 * np.ones(ACT), exact).double()
    s = torch.randn(N, OBS, dtype=torch.float64)
    a, log_pi = actor(s, 0.3 * torch.randn(N, ACT, dtype=torch.float64))
    assert torch.allclose(actor.log_prob(s, a), log_pi, atol=1e-5)
    # and it is a density: it integrates to ~1 over the action box (1-d check on a fine grid)
    actor1 = gild_sac.Actor(OBS, 1, -2 * np.ones(1), 2 * np.ones(1), exact).double()
    grid = torch.linspace(-2, 2, 200001, dtype=torch.float64)[1:-1, None]
    dens = actor1.log_prob(s[:1].expand(len(grid), OBS), grid).exp()
    assert float(dens.detach().sum() * (grid[1] - grid[0])) == pytest.approx(1.0, abs=2e-3)


def test_sac_exact_tanh_logdet_is_the_authors_and_differs_only_where_tanh_saturates():
    x = torch.tensor([-30.0, -12.0, -3.0, 0.0, 0.5, 3.0, 12.0, 30.0], dtype=torch.float64)[:, None]
    actors = (gild_sac.Actor(OBS, 1, -2 * np.ones(1), 2 * np.ones(1), e).double() for e in (False, True))
    default, exact = (actor.log_det(x, torch.tanh(x)) for actor in actors)
    # log d(2 tanh x)/dx = log 2 + log(1 - tanh^2 x) = log 2 + 2 (log 2 - |x| - log(1 + exp(-2|x|))), exactly
    truth = np.log(2) + 2 * (np.log(2) - x.abs() - torch.log1p(torch.exp(-2 * x.abs())))
    assert torch.allclose(exact, truth, rtol=1e-12)
    moderate = x.abs() <= 3
    assert torch.allclose(default[moderate], truth[moderate], atol=1e-4)  # the 1e-6 shifts it by ~1e-6 / (1 - tanh^2)
    assert (default[~moderate] > truth[~moderate] + 5).all()  # saturated: the 1e-6 floors it near log(2e-6 + ...)


# ------------------------------------------------------------------------------ Actor.jvp (J u of Eq. 11)
@pytest.mark.parametrize("module", [gild_td3, gild_ddpg, gild_sac])
def test_actor_jvp_is_torchs_forward_mode_product(module):
    """Each script's hand-written J u equals torch.func.jvp of the action, the SAC actor's with some log-stds clamped
    (where the clamp passes no tangent) and some not."""
    torch.manual_seed(0)
    actor = module.Actor(OBS, ACT, -2 * np.ones(ACT), 2 * np.ones(ACT)).double()
    s = torch.randn(N, OBS, dtype=torch.float64)
    u = [torch.randn_like(p) for p in actor.parameters()]
    args = (s,)
    if module is gild_sac:
        with torch.no_grad():  # push the first action dimension's log-std past LOG_STD_MAX on about half the states
            actor.fc_logstd.bias[0] = module.LOG_STD_MAX
        args = (s, torch.randn(N, ACT, dtype=torch.float64))
        clamped = actor.dist(s)[1][:, 0] == module.LOG_STD_MAX
        assert 0 < int(clamped.sum()) < N
    theta = {k: p.detach() for k, p in actor.named_parameters()}

    def action(params):
        out = functional_call(actor, params, args)
        return out[0] if module is gild_sac else out

    _, expected = torch.func.jvp(action, (theta,), (dict(zip(theta, u)),))
    with torch.no_grad():
        assert torch.allclose(actor.jvp(*args, u), expected, rtol=1e-10, atol=1e-12)
