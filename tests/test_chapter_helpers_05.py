"""The helpers chapter 5 used to write out, each against an independent reference."""

import itertools
import math

import numpy as np
import pytest

from lbkit import AdversaryGame, FamilyQuery, NeuronQuery, get_activation, orthogonal_network
from lbkit.adversary import group_testing, monomial_learner, random_student, relu_gradients
from lbkit.hermite import gauss_hermite, gauss_hermite_grid
from lbkit.learners import adversarial_descent, candidate_losses
from lbkit.lower_bounds import largest_k
from lbkit.norm_bounds import degree_k_share, monomial_correlation
from lbkit.queries import pack_size, packed_query, random_hermite_query


def test_random_student_has_the_standard_initialisation():
    n, width = 40, 5000
    W, a = random_student(n, width, rng=0)
    assert W.shape == (width, n) and a.shape == (width,)
    # variances 1/n and 1/width: sampling error of a variance from N draws is about sqrt(2/N)
    assert abs(np.var(W) * n - 1) < 4 * math.sqrt(2 / W.size)
    assert abs(np.var(a) * width - 1) < 4 * math.sqrt(2 / width)
    W2, a2 = random_student(n, width, rng=np.random.default_rng(0))
    assert np.array_equal(W, W2) and np.array_equal(a, a2)


def test_random_student_refuses_bad_input():
    with pytest.raises(ValueError, match="width"):
        random_student(3, 0, rng=0)
    with pytest.raises(TypeError, match="n"):
        random_student(2.5, 3, rng=0)
    with pytest.raises(TypeError, match="rng"):
        random_student(3, 2, rng=None)


@pytest.mark.parametrize("activation", ["relu", "abs"])
def test_gradient_norms_match_monte_carlo(activation):
    n, p, N = 5, 3, 400_000
    W, a = random_student(n, p, rng=1)
    game = AdversaryGame(n, 2, activation)
    norms = game.gradient_norms(W, a)
    assert norms.shape == (p, n + 1)
    X = np.random.default_rng(2).standard_normal((N, n))
    Z = X @ W.T
    sigma = get_activation(activation)
    d_a = np.asarray(sigma(Z))  # d h / d a_j = sigma(w_j . x)
    slope = (np.asarray(sigma(Z + 1e-7)) - np.asarray(sigma(Z - 1e-7))) / 2e-7  # sigma'(w_j . x)
    for j in range(p):
        values = {n: d_a[:, j] ** 2}
        values.update({i: (a[j] * slope[:, j] * X[:, i]) ** 2 for i in range(n)})
        for col, v in values.items():
            est, se = v.mean(), v.std(ddof=1) / math.sqrt(N)
            assert abs(est - norms[j, col] ** 2) < 5 * se


def test_gradient_norms_refuse_wrong_shapes():
    game = AdversaryGame(4, 2, "relu")
    with pytest.raises(ValueError, match="shape"):
        game.gradient_norms(np.ones((2, 3)), np.ones(2))


def test_play_asks_until_none_is_consistent():
    game = AdversaryGame(6, 2, "relu", tau=0.1)
    reference = AdversaryGame(6, 2, "relu", tau=0.1)
    queries = [FamilyQuery(T) for T in itertools.combinations(range(6), 2)] * 2
    asked = game.play(iter(queries))
    for q in queries:  # the loop play replaces
        if reference.n_consistent == 0:
            break
        reference.ask(q)
    assert asked == reference.n_queries == game.n_queries == 15
    assert game.history == reference.history
    assert game.play([NeuronQuery(np.ones(6))]) == 0  # nothing left to ask about
    with pytest.raises(TypeError, match="iterable"):
        AdversaryGame(6, 2, "relu").play(3)


def test_adversarial_descent_takes_the_label_free_step():
    # with every answer 0 the step is -lr * d E[h^2] / d theta; reference: Monte Carlo of 2 E[h dh/da_j]
    n, p, lr = 12, 4, 0.1
    game = AdversaryGame(n, 4, "relu", tau=1.0)  # no correlation exceeds 1: nothing is eliminated
    W0, a0 = random_student(n, p, rng=3)
    seen = []
    W1, a1 = adversarial_descent(game, W0, a0, steps=1, lr=lr, callback=lambda W, a: seen.append((W, a)))
    assert len(seen) == 1 and np.array_equal(seen[0][0], W0) and np.array_equal(seen[0][1], a0)
    assert game.n_queries_ == p * (n + 1) and game.n_consistent == game.n_candidates
    X = np.random.default_rng(4).standard_normal((1_000_000, n))
    R = np.maximum(X @ W0.T, 0)
    G = 2 * (R @ a0)[:, None] * R  # 2 h dh/da_j, per example
    est, se = G.mean(axis=0), G.std(axis=0, ddof=1) / math.sqrt(len(X))
    assert np.all(np.abs((a0 - a1) / lr - est) < 5 * se)
    assert not np.allclose(W1, W0)


def test_adversarial_descent_stops_when_the_game_is_over():
    game = AdversaryGame(16, 2, "relu", tau=0.1)
    calls = []
    adversarial_descent(game, *random_student(16, 8, rng=0), steps=30, callback=lambda W, a: calls.append(1))
    assert game.n_consistent == 0 and len(calls) == len(game.history) - 1 < 30  # history starts at (0, m)


def test_adversarial_descent_refuses_bad_input():
    game = AdversaryGame(6, 2, "relu")
    W, a = random_student(6, 2, rng=0)
    with pytest.raises(ValueError, match="lr"):
        adversarial_descent(game, W, a, steps=1, lr=0)
    with pytest.raises(TypeError, match="steps"):
        adversarial_descent(game, W, a, steps=1.5)
    with pytest.raises(TypeError, match="callback"):
        adversarial_descent(game, W, a, steps=1, callback=3)


def test_random_hermite_query_is_a_full_degree_k_polynomial_on_2k_coordinates():
    for n, k in [(10, 2), (12, 4), (9, 3)]:
        q = random_hermite_query(n, k, rng=5)
        assert len(q.terms) == math.comb(3 * k - 1, k)  # multisets of size k from 2k coordinates
        coords = {i for alpha in q.terms for i, _ in alpha}
        assert len(coords) == 2 * k and max(coords) < n
        assert all(sum(d for _, d in alpha) == k for alpha in q.terms)
    a, b = random_hermite_query(12, 4, rng=7), random_hermite_query(12, 4, rng=np.random.default_rng(7))
    assert a.terms == b.terms
    with pytest.raises(ValueError, match="2k"):
        random_hermite_query(5, 3, rng=0)


def _quadrature_monomial_correlation(k, activation):
    """E[f_S(x) x_1 ... x_k] / ||f_S||, x in R^k, by a tensor-product Gauss-Hermite rule."""
    x, w = gauss_hermite(40)
    grid = np.stack(np.meshgrid(*([x] * k), indexing="ij"), axis=-1).reshape(-1, k)
    wts = np.prod(np.stack(np.meshgrid(*([w] * k), indexing="ij"), axis=-1).reshape(-1, k), axis=1)
    f = orthogonal_network(k, range(k), activation)
    return float(np.sum(wts * f(grid) * grid.prod(axis=1))) / f.norm


@pytest.mark.parametrize(("k", "activation"), [(3, "tanh"), (3, "sigmoid")])
def test_monomial_correlation_matches_quadrature(k, activation):
    assert abs(monomial_correlation(k, activation) - _quadrature_monomial_correlation(k, activation)) < 1e-8


@pytest.mark.parametrize(("k", "activation"), [(2, "relu"), (3, "tanh"), (3, "sigmoid"), (4, "relu"), (10, "relu")])
def test_monomial_correlation_and_degree_k_share_match_the_coefficient_lemma(k, activation):
    # OrthogonalNetwork.hermite_coefficients: the coefficient of h_alpha, alpha = 1_S, of the normalised network
    f = orthogonal_network(k + 1, range(k), activation, normalized=True)
    reference = f.hermite_coefficients([[1] * k + [0]])[0]
    gamma = monomial_correlation(k, activation)
    assert abs(gamma - reference) < 1e-12
    assert abs(degree_k_share(k, activation) - abs(gamma)) < 1e-12


def test_monomial_correlation_refuses_bad_k():
    with pytest.raises(ValueError, match="k"):
        monomial_correlation(171, "relu")
    with pytest.raises(TypeError, match="k"):
        degree_k_share(2.0, "relu")


def test_pack_size_is_what_a_packed_query_removes():
    for n, k, tau in [(10, 2, 0.1), (10, 4, 0.05), (9, 2, 0.3)]:
        g, r = pack_size(k, tau), degree_k_share(k)
        # brute force: the largest g with r_k / sqrt(g) > tau
        assert g == max(h for h in range(1, 10_000) if r / math.sqrt(h) > tau)
        game = AdversaryGame(n, k, "relu", tau=tau)
        for size, expected in [(min(g, game.n_candidates), min(g, game.n_candidates)), (g + 1, 0)]:
            if size <= game.n_candidates:
                ranks, _ = game.hits(packed_query(list(itertools.islice(iter(game.supports), size))))
                assert len(ranks) == expected
    with pytest.raises(ValueError, match="tau"):
        pack_size(2, 0)


def test_largest_k_matches_a_search():
    for activation in ("relu", "sigmoid", "tanh"):
        act = get_activation(activation)
        for n in range(2, 400):
            ks = [k for k in range(1, 20) if 2**k <= 2 * n and not act.vanishes(k)]
            assert largest_k(n, activation) == max(ks)
    with pytest.raises(ValueError, match="n"):
        largest_k(0)


def test_relu_gradients_match_autograd():
    import torch

    n, p = 6, 4
    W, a = random_student(n, p, rng=3)
    X = np.random.default_rng(4).standard_normal((7, n))
    G = relu_gradients(X, W, a)
    assert G.shape == (7, p, n + 1)
    for x, g in zip(X, G):
        Wt = torch.tensor(W, requires_grad=True)
        at = torch.tensor(a, requires_grad=True)
        h = torch.relu(Wt @ torch.tensor(x)) @ at
        gW, ga = torch.autograd.grad(h, (Wt, at))
        np.testing.assert_allclose(g[:, :n], gW.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g[:, n], ga.numpy(), rtol=1e-12, atol=1e-15)


def test_relu_gradients_second_moments_are_the_gradient_norms():
    n, p, N = 4, 3, 200_000
    W, a = random_student(n, p, rng=5)
    G = relu_gradients(np.random.default_rng(6).standard_normal((N, n)), W, a)
    est, se = (G**2).mean(axis=0), (G**2).std(axis=0, ddof=1) / math.sqrt(N)
    assert np.all(np.abs(est - AdversaryGame(n, 2, "relu").gradient_norms(W, a) ** 2) < 5 * se)


def test_relu_gradients_refuse_bad_input():
    W, a = np.ones((2, 3)), np.ones(2)
    with pytest.raises(ValueError, match="shape"):
        relu_gradients(np.ones((5, 4)), W, a)
    with pytest.raises(ValueError, match="shape"):
        relu_gradients(np.ones((5, 3)), W, np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        relu_gradients(np.full((5, 3), np.nan), W, a)
    with pytest.raises(TypeError, match="X"):
        relu_gradients("x", W, a)
    with pytest.raises(ValueError, match="limit"):
        relu_gradients(np.ones((10**6, 99)), np.ones((30, 99)), np.ones(30))


@pytest.mark.parametrize("activation, k", [("relu", 2), ("tanh", 3)])
def test_monomial_learner_wins_exactly_below_half_gamma(activation, k):
    # the rule of the upper bound: found if and only if tau < |gamma_k| / 2
    gamma = abs(monomial_correlation(k, activation))
    game = AdversaryGame(6, k, activation)
    for S in itertools.combinations(range(6), k):
        assert monomial_learner(game, S, 0.49 * gamma) == S
        assert monomial_learner(game, S, 0.51 * gamma) != S
    assert game.n_consistent == game.n_candidates and game.n_queries == 0  # the game is only read


def test_monomial_learner_refuses_bad_input():
    game = AdversaryGame(5, 2, "relu")
    with pytest.raises(ValueError, match="target"):
        monomial_learner(game, (0, 1, 2), 0.1)
    with pytest.raises(ValueError, match="tau"):
        monomial_learner(game, (0, 1), -0.1)
    with pytest.raises(TypeError, match="AdversaryGame"):
        monomial_learner("game", (0, 1), 0.1)


@pytest.mark.parametrize("m, tau", [(4845, 0.05), (100, 0.1), (7, 0.3), (1, 0.2)])
def test_group_testing_finds_every_target_within_its_budget(m, tau):
    g = math.ceil(1 / (4 * tau**2)) - 1
    budget = math.ceil(m / g) - 1 + math.ceil(math.log2(g))
    counts = []
    for t in range(m):
        found, queries = group_testing(m, t, tau)
        assert found == t and queries <= budget
        counts.append(queries)
    # an independent count for the target 0: one group asked (if there are two), then floor(log2 g) halvings,
    # each keeping the first half
    first = min(g, m)
    assert counts[0] == (1 if m > g else 0) + first.bit_length() - 1


def test_group_testing_refuses_bad_input():
    with pytest.raises(ValueError, match="tau"):
        group_testing(10, 2, 0.5)
    with pytest.raises(ValueError, match="target"):
        group_testing(10, 10, 0.1)
    with pytest.raises(TypeError, match="m"):
        group_testing(10.5, 1, 0.1)


def test_gauss_hermite_grid_integrates_gaussian_moments():
    x, w = gauss_hermite_grid(5, 3)
    assert x.shape == (125, 3) and w.shape == (125,) and abs(w.sum() - 1) < 1e-14
    double_factorial = {0: 1, 2: 1, 4: 3, 6: 15}  # E[z^j] for even j
    for powers in itertools.product(range(7), repeat=3):
        exact = math.prod(double_factorial.get(j, 0) for j in powers)
        assert abs(w @ np.prod(x**powers, axis=1) - exact) < 1e-10
    x1, w1 = gauss_hermite(5)
    assert np.array_equal(gauss_hermite_grid(5, 1)[0][:, 0], x1) and np.array_equal(gauss_hermite_grid(5, 1)[1], w1)


def test_gauss_hermite_grid_refuses_bad_input():
    with pytest.raises(ValueError, match="10\\*\\*7"):
        gauss_hermite_grid(100, 4)
    with pytest.raises(ValueError, match="d"):
        gauss_hermite_grid(3, 0)
    with pytest.raises(TypeError, match="n_nodes"):
        gauss_hermite_grid(2.5, 2)


def test_candidate_losses_match_monte_carlo():
    n, k, N = 6, 2, 400_000
    game = AdversaryGame(n, k, "relu")
    W, a = random_student(n, 3, rng=7)
    losses, inner, h2 = candidate_losses(game, W, a)
    assert losses.shape == inner.shape == (game.n_candidates,)
    np.testing.assert_allclose(losses, h2 - 2 * inner + 1, rtol=0, atol=1e-14)
    X = np.random.default_rng(8).standard_normal((N, n))
    h = np.maximum(X @ W.T, 0) @ a
    assert abs(h2 - np.mean(h**2)) < 5 * np.std(h**2) / math.sqrt(N)
    for r in (0, 7, 14):
        f = orthogonal_network(n, game.supports[r], "relu", normalized=True)(X)
        sq = (h - f) ** 2
        assert abs(losses[r] - sq.mean()) < 5 * sq.std(ddof=1) / math.sqrt(N)


def test_candidate_losses_refuse_bad_input():
    with pytest.raises(ValueError, match="ReLU"):
        candidate_losses(AdversaryGame(4, 2, "abs"), np.ones((1, 4)), np.ones(1))
    with pytest.raises(TypeError, match="AdversaryGame"):
        candidate_losses("game", np.ones((1, 4)), np.ones(1))
    with pytest.raises(ValueError, match="shape"):
        candidate_losses(AdversaryGame(4, 2, "relu"), np.ones((1, 3)), np.ones(1))
