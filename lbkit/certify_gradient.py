"""Certified elimination counts for gradient queries at any dimension (the search of :mod:`lbkit.certify`).

For the square-loss gradient of :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x)`
(ReLU targets, even :math:`k`), with :math:`\\hat w = w_j/|w_j|`, :math:`a = |\\hat w_S|`:

* the :math:`a_j` coordinate is the neuron above, :math:`\\sqrt2\\,\\chi\\,\\Phi(a)/\\|f_S\\|`;
* :math:`w_{ji}`, :math:`i\\in S`: :math:`\\pm\\sqrt2\\,(D_i(a) - a_i\\Psi(a))/\\|f_S\\|`;
* :math:`w_{ji}`, :math:`i\\notin S`: :math:`\\pm\\sqrt2\\,|\\hat w_i|\\,\\Psi(a)/\\|f_S\\|`;

with :math:`D_i = \\partial\\Phi/\\partial a_i` and
:math:`\\Psi = 2^k\\sum_m (m-1)c_m^2k^{-m/2}P_m(a) = \\sum_i a_iD_i - \\Phi`, all
three non-negative and non-decreasing in every :math:`a_i`.  Hence
:math:`\\max(\\Phi, \\max_i D_i, \\max_i|\\hat w_i|\\,\\Psi)` at the greedy completion
bounds every coordinate's correlation with every extension, and the same
search applies (each candidate found is then decided by its exact value).

Values, error bounds and the undecided candidates are handled as for neuron
queries (see :mod:`lbkit.certify`): a count is always exact, never an estimate.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._checks import check_int, check_real, check_real_array
from .certify import (
    _MAX_K,
    _U,
    CertificationError,
    CertifiedHits,
    _blocks,
    _Budget,
    _decide,
    _halves,
    _search,
    _unique_rows,
)
from .norms import norm_squared

__all__ = ["certified_gradient_hits", "largest_gradient_correlation"]


@lru_cache(maxsize=64)
def _gradient_evaluator(n, k):
    return _GradientEvaluator(n, k)


# ----------------------------------------------------------------------------
# gradient queries (ReLU student, ReLU targets)
# ----------------------------------------------------------------------------
class _GradientEvaluator:
    def __init__(self, n, k):
        k = check_int(k, "k", minimum=1)
        if k % 2 or k < 2:
            raise CertificationError(f"certified gradient counts need an even k >= 2 (ReLU targets), got k={k}")
        if k > _MAX_K:
            raise CertificationError(f"k={k}: allowed up to k={_MAX_K}")
        self.k = k
        self.H, self.chi, self.Hs = _halves(k)
        self.T = len(self.chi)
        self.delta = (k + n + 16) * _U
        self.norm = math.sqrt(norm_squared(k, "relu"))

    def parts(self, A):
        """(Phi, Psi, D (B, k), r) for abs values A (B, k); r = max |rho| per row."""

        def f(block):
            R = np.clip(block @ self.Hs, -1.0, 1.0)
            s = np.sqrt((1 - R) * (1 + R))
            g = np.arcsin(R)
            phi = ((s + R * g) @ self.chi) / np.pi
            psi = -(s @ self.chi) / np.pi
            D = ((g * self.chi) @ self.H) / (np.pi * math.sqrt(self.k))
            return phi, psi, D, np.max(np.abs(R), axis=1)

        vals, inv = _unique_rows(A)
        out = _blocks(f, vals)
        return out if inv is None else tuple(o[inv] for o in out)

    def errors(self, r):
        """Rounding-error bounds (E_phi, E_psi, E_D) for rows with max |rho~| = r."""
        T, d, u = self.T, self.delta, _U
        rp = np.minimum(r + d, 1.0)
        room = np.maximum((1 - rp) * (1 + rp), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            lip_g = np.where(room > 0, d / np.sqrt(room), np.inf)
            lip_s = np.where(room > 0, d * rp / np.sqrt(room), np.inf)
        eps_g = np.minimum(lip_g, 2.3 * math.sqrt(d))  # arcsin is 1/2-Hoelder: |asin x - asin y| <= 2.3 sqrt|x-y|
        eps_s = np.minimum(lip_s, 1.5 * math.sqrt(d))  # |sqrt(1-x^2) - sqrt(1-y^2)| <= sqrt(2|x-y|)
        e_phi = T * (d / 2 + 8 * u) + 1.1 * T * T * u
        e_psi = T / math.pi * (eps_s + 4 * u) + 1.1 * T * T * u / math.pi
        e_d = T / (math.pi * math.sqrt(self.k)) * (eps_g + 4 * u) + 1.1 * T * T * u / math.sqrt(self.k)
        return e_phi, e_psi, e_d

    def exact_mp(self, a):
        import mpmath as mp

        with mp.workdps(50):
            sk = mp.sqrt(mp.mpf(self.k))
            phi = psi = mp.mpf(0)
            D = [mp.mpf(0)] * self.k
            for h, c in zip(self.H, self.chi):
                rho = mp.fsum(mp.mpf(float(x)) * int(w) for x, w in zip(a, h)) / sk
                rho = max(min(rho, mp.mpf(1)), mp.mpf(-1))
                s, g = mp.sqrt((1 - rho) * (1 + rho)), mp.asin(rho)
                phi += int(c) * (s + rho * g)
                psi -= int(c) * s
                for i in range(self.k):
                    D[i] += int(c) * int(h[i]) * g
            return phi / mp.pi, psi / mp.pi, [x / (mp.pi * sk) for x in D]


def _gradient_unit_hits(ev, what, k, tau, budget):
    """Supports on which some coordinate of one hidden unit's gradient exceeds tau (in absolute value)."""
    order = np.argsort(-np.abs(what), kind="stable")
    b = np.abs(what)[order]
    n = len(b)
    t = tau * ev.norm / math.sqrt(2)
    amax = b[0]

    def bound_ok(A):
        phi, psi, D, r = ev.parts(A)
        e_phi, e_psi, e_d = ev.errors(r)
        bound = np.maximum(np.maximum(phi + e_phi, D.max(axis=1) + e_d), amax * (psi + e_psi))
        return bound > t

    def values(pos):
        phi, psi, D, r = ev.parts(b[pos])
        # the largest |w_i| with i outside S sits at the smallest position not in S (pos rows are increasing)
        gap = pos != np.arange(k)[None, :]
        first_out = np.where(gap.any(axis=1), np.argmax(gap, axis=1), k)
        a_out = np.where(first_out < n, b[np.minimum(first_out, n - 1)], 0.0)
        vals = np.maximum(
            np.maximum(np.abs(phi), np.max(np.abs(D - b[pos] * psi[:, None]), axis=1)), a_out * np.abs(psi)
        )
        e_phi, e_psi, e_d = ev.errors(r)
        err = np.maximum(np.maximum(e_phi + 0 * r, e_d + e_psi), e_psi + 0 * r)
        return vals, err, a_out

    def leaf(pos):
        vals, err, a_out = values(pos)

        def exact(i):
            phi, psi, D = ev.exact_mp(b[pos[i]])
            return float(
                max(abs(phi), max(abs(D[j] - float(b[pos[i, j]]) * psi) for j in range(k)), float(a_out[i]) * abs(psi))
            )

        above = np.zeros(len(pos), dtype=bool)
        above[:] = _decide(vals, err, t, exact, budget)
        return above, vals

    pos, vals = _search(b, k, bound_ok, leaf, budget)
    S = np.sort(order[pos], axis=1) if len(pos) else np.zeros((0, k), dtype=np.int64)
    return S.astype(np.int64), vals * math.sqrt(2) / ev.norm


def _check_student(W, a, n=None):
    W = check_real_array(W, "W", allow_bool=False)
    a = check_real_array(a, "a", allow_bool=False)
    if W.ndim != 2 or a.shape != (W.shape[0],) or (n is not None and W.shape[1] != n):
        want = f"(p, {n})" if n is not None else "(p, n)"
        raise ValueError(f"W must have shape {want} and a shape (p,), got {W.shape} and {a.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(a))):
        raise ValueError("W and a must be finite")
    scale = np.max(np.abs(W), axis=1, keepdims=True)
    if np.any(scale == 0) or np.any(a == 0):
        raise ValueError("W and a must be finite, with non-zero rows of W and non-zero entries of a")
    Ws = W / scale  # rescale first: no overflow or underflow in the norm
    return Ws / np.linalg.norm(Ws, axis=1, keepdims=True), a


def certified_gradient_hits(W, a, k, tau=0.05, *, max_evaluations=20_000_000):
    """Every support on which some normalised square-loss gradient coordinate exceeds ``tau``.

    The student is :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x)` and the targets
    are the ReLU networks :math:`\\hat f_S` (even ``k``); each of the :math:`p(n+1)`
    coordinates of :math:`\\mathbb E[y\\,\\nabla h]`, divided by its norm, is one query.

    Returns
    -------
    CertifiedHits
        ``corr`` holds, for each support found, the largest absolute
        correlation over all coordinates.

    Raises
    ------
    CertificationError
        For odd ``k``, ``k > 16``, or too much work.
    ValueError
        For badly shaped or non-finite ``W``, ``a``, a zero row of ``W`` or a zero ``a_j``.

    Examples
    --------
    >>> W = np.zeros((1, 100)); W[0, :11] = 1.0        # one unit spread over 11 coordinates
    >>> hits = certified_gradient_hits(W, [1.0], 10, tau=1e-3)
    >>> len(hits), 11 + 55 * 89                           # the C(11, 10) inside, and 9 inside + 1 outside
    (4906, 4906)
    """
    What, a = _check_student(W, a)
    tau = check_real(tau, "tau", minimum=0, min_open=True, maximum=1)
    n = What.shape[1]
    k = check_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"k={k} is larger than n={n}")
    ev = _gradient_evaluator(n, k)
    budget = _Budget(check_int(max_evaluations, "max_evaluations", minimum=1))
    found = {}
    for j in range(len(What)):
        S, vals = _gradient_unit_hits(ev, What[j], k, tau, budget)
        for row, val in zip(map(tuple, S.tolist()), vals.tolist()):
            if val > found.get(row, -1.0):
                found[row] = val
    supports = np.array(list(found), dtype=np.int64).reshape(len(found), k)
    return CertifiedHits(supports, np.array(list(found.values()), dtype=float), budget.used, budget.refined)


def largest_gradient_correlation(W, a, k):
    """The largest absolute correlation of any normalised gradient coordinate with any :math:`\\hat f_S`, bracketed.

    Parameters
    ----------
    W : ndarray of shape (p, n)
    a : ndarray of shape (p,)
    k : int
        Even support size (ReLU targets).

    Returns
    -------
    value : float
        A correlation that is attained: the best of two supports per hidden
        unit (its ``k`` largest :math:`|w_{ji}|`, and its ``k - 1`` largest with
        its smallest), maximised over the coordinates.
    S : tuple of int
        The support attaining ``value``.
    upper : float
        A certified upper bound on every coordinate's correlation with every
        one of the :math:`\\binom nk` targets: the monotone bound of the search
        at its root (plus the rounding-error bound), maximised over the units.
        So the largest correlation lies in ``[value, upper]``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> value, S, upper = largest_gradient_correlation(rng.standard_normal((4, 1000)), np.ones(4), 10)
    >>> value <= upper < 1e-6
    True
    """
    What, a = _check_student(W, a)
    n = What.shape[1]
    k = check_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"k={k} is larger than n={n}")
    ev = _gradient_evaluator(n, k)
    scale = math.sqrt(2) / ev.norm
    best, best_S, upper = -1.0, None, 0.0
    for j in range(len(What)):
        order = np.argsort(-np.abs(What[j]), kind="stable")
        b = np.abs(What[j])[order]
        phi, psi, D, r = ev.parts(b[None, :k])
        e_phi, e_psi, e_d = ev.errors(r)
        bound = max(phi[0] + e_phi, float(D[0].max() + e_d[0]), b[0] * float(psi[0] + e_psi[0]))
        upper = max(upper, bound * scale)
        cands = [np.arange(k), np.r_[np.arange(k - 1), n - 1]] if n > k else [np.arange(k)]
        for pos in cands:
            phi, psi, D, _ = ev.parts(b[pos][None, :])
            gap = [i for i in range(n) if i not in set(pos.tolist())][:1]
            a_out = b[gap[0]] if gap else 0.0
            val = max(abs(phi[0]), float(np.max(np.abs(D[0] - b[pos] * psi[0]))), a_out * abs(psi[0]))
            if val * scale > best:
                best, best_S = val * scale, tuple(sorted(int(i) for i in order[pos]))
    return float(best), best_S, float(max(upper, best))
