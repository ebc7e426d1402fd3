"""GILD's meta-gradient (Eq. 9-11), as gild_td3.py computes it, against finite differences of the
meta-loss (Eq. 8) through the one-step look-aheads (Eq. 6-7)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call
from torch.nn.utils import parameters_to_vector, vector_to_parameters

import gild_td3

OBS, ACT, N, ALPHA = 5, 3, 16, 0.05


def w_rl(q):
    return 2.5 / q.abs().mean().detach()


def direct_meta_loss(actor, qf1, gild, s, s_d, a_d, s_val, tanh_of_means):
    """Eq. (6)-(8) evaluated without any second-order machinery."""
    theta = dict(actor.named_parameters())
    pi, pi_d = actor(s), actor(s_d)
    q = qf1(s, pi)
    g = torch.autograd.grad(-q.mean() + gild(pi_d, s_d, a_d).mean(), list(theta.values()), retain_graph=True)
    g_bc = torch.autograd.grad(w_rl(q) * -q.mean() + F.mse_loss(pi_d, a_d), list(theta.values()))
    new = {k: p - ALPHA * gk for (k, p), gk in zip(theta.items(), g)}
    bc = {k: p - ALPHA * gk for (k, p), gk in zip(theta.items(), g_bc)}
    q_new = qf1(s_val, functional_call(actor, new, (s_val,)))
    q_bc = qf1(s_val, functional_call(actor, bc, (s_val,)))
    if tanh_of_means:
        return -torch.tanh(q_new.mean() - q_bc.mean())
    return -torch.tanh(q_new - q_bc).mean()


@pytest.fixture
def problem():
    torch.manual_seed(0)
    actor = gild_td3.Actor(OBS, ACT, -np.ones(ACT), np.ones(ACT)).double()
    qf1 = gild_td3.QNetwork(OBS, ACT).double()
    gild = gild_td3.GILDNetwork(OBS, ACT).double()
    s, s_d, s_val = (torch.randn(N, OBS, dtype=torch.float64) for _ in range(3))
    a_d = torch.rand(N, ACT, dtype=torch.float64) * 2 - 1
    return actor, qf1, gild, s, s_d, a_d, s_val


@pytest.mark.parametrize("tanh_of_means", [False, True])
def test_meta_gradient_matches_finite_differences(problem, tanh_of_means):
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    g, g_omega, loss_meta, _ = gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, tanh_of_means)
    grad = torch.cat([x.flatten() for x in g_omega])
    assert grad.abs().max() > 1e-8  # the meta-gradient is not trivially zero
    omega0 = parameters_to_vector(gild.parameters()).detach().clone()
    assert torch.allclose(loss_meta, direct_meta_loss(actor, qf1, gild, s, s_d, a_d, s_val, tanh_of_means))
    gen = torch.Generator().manual_seed(1)
    eps = 1e-6
    for _ in range(4):
        direction = torch.randn(omega0.shape, generator=gen, dtype=torch.float64)
        losses = []
        for sign in (1, -1):
            vector_to_parameters(omega0 + sign * eps * direction, gild.parameters())
            losses.append(direct_meta_loss(actor, qf1, gild, s, s_d, a_d, s_val, tanh_of_means).item())
        vector_to_parameters(omega0, gild.parameters())
        fd = (losses[0] - losses[1]) / (2 * eps)
        assert fd == pytest.approx(float(grad @ direction), rel=1e-5, abs=1e-10)


def test_actor_gradient_is_rl_plus_gild(problem):
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    g, *_ = gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, False)
    loss = -qf1(s, actor(s)).mean() + gild(actor(s_d), s_d, a_d).mean()  # Eq. (7)
    expected = torch.autograd.grad(loss, list(actor.parameters()))
    for a, b in zip(g, expected):
        assert torch.allclose(a, b)


def test_meta_gradients_leave_parameters_alone(problem):
    actor, qf1, gild, s, s_d, a_d, s_val = problem
    before = [p.detach().clone() for m in (actor, qf1, gild) for p in m.parameters()]
    gild_td3.gild_meta_gradients(actor, qf1, gild, s, s_d, a_d, s_val, ALPHA, w_rl, False)
    after = [p.detach() for m in (actor, qf1, gild) for p in m.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert all(p.grad is None for m in (actor, qf1, gild) for p in m.parameters())
