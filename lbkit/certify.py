"""Certified elimination counts for neuron and gradient queries at any dimension.

For a neuron query :math:`\\phi = \\sigma(v\\cdot x)` with a unit weight vector
:math:`v` and a support :math:`S` of size :math:`k`,

.. math::

    \\langle \\sigma(v\\cdot x), f_S\\rangle = \\sum_{w\\in\\{\\pm1\\}^k} \\chi(w)\\,K(v_S\\cdot w/\\sqrt k)
    = \\chi(\\operatorname{sgn} v_S)\\;\\Phi(|v_S|),

.. math::

    \\Phi(a) = 2^k \\sum_{m\\ge k,\\ m\\equiv k\\ (2)} c_m^2\\, k^{-m/2}\\, P_m(a), \\qquad
    P_m(a) = \\sum_{\\alpha\\ \\text{odd},\\ |\\alpha| = m} \\frac{m!}{\\alpha!}\\, a^\\alpha
    = m!\\,[t^m]\\prod_{i\\in S}\\sinh(a_i t) .

(Expand :math:`K(\\rho) = \\sum_m c_m^2\\rho^m` (Mehler) and sum over :math:`w`:
only multi-indices with every exponent odd survive; substituting
:math:`w_i \\to \\operatorname{sgn}(v_i) w_i` moves the signs out.)  Every term
is non-negative, so :math:`\\Phi` is **symmetric and non-decreasing in each**
:math:`a_i \\ge 0`.  Sort the coordinates by :math:`|v_i|` (descending,
:math:`b_1 \\ge b_2 \\ge \\dots`) and grow supports position by position: every
support that extends a partial one :math:`S'` whose last position is
:math:`p` has, after sorting, values at most those of the *greedy completion*
:math:`S' \\cup \\{p+1, \\dots, p+k-|S'|\\}`.  So the largest
:math:`|\\langle \\phi, \\hat f_S\\rangle|` over all such extensions is *exactly*
its value at the greedy completion: one evaluation decides whether a whole
subtree (up to :math:`\\binom{n}{k}` supports at the root) can hold a
correlation above :math:`\\tau`.  Siblings come in decreasing order of that
value, so the search visits the supports above :math:`\\tau`, their prefixes,
and one failing child per prefix: never the others.

Gradient queries are certified in the same way by :mod:`lbkit.certify_gradient`.

Numerics.  Values are computed from the closed-form dual kernel with the
:math:`w \\leftrightarrow -w` pairs merged (:math:`2^{k-1}` terms; for ReLU and
even :math:`k`, :math:`\\Phi = \\frac1\\pi\\sum \\chi(w)(\\sqrt{1-\\rho^2} + \\rho\\arcsin\\rho)`),
in float64, with an explicit bound on the rounding error of every value
(input rounding times the kernel's Lipschitz or Hoelder constant, evaluation
and summation error).  A subtree is pruned only when value + bound
:math:`\\le` threshold; a candidate is counted only when value - bound
:math:`>` threshold; the rare candidates in between are decided in 50-digit
mpmath arithmetic, and if even that cannot separate them from the threshold
the query is refused (:class:`CertificationError`).  Queries whose search
would need more than ``max_evaluations`` kernel evaluations are refused too:
a count is always exact, never an estimate.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._checks import check_int, check_real, check_real_array
from .activation_library import BUILTIN_ACTIVATIONS, get_activation
from .norms import norm_squared
from .supports import sign_patterns

# the gradient queries are certified in lbkit.certify_gradient
__all__ = [
    "CERTIFIED_ACTIVATIONS",
    "CertificationError",
    "CertifiedHits",
    "certified_neuron_hits",
    "largest_neuron_correlation",
]

_U = 2.0**-53
#: The built-ins whose records carry a certified kernel (any record with one is certified too).
CERTIFIED_ACTIVATIONS = tuple(name for name in BUILTIN_ACTIVATIONS if get_activation(name).has_certified_kernel)
_MAX_K = 16
_BLOCK = 2048


class CertificationError(ValueError):
    """A query whose exact elimination count cannot be certified (refused, never approximated)."""


class CertifiedHits:
    """The supports whose correlation with a query exceeds ``tau``, found by a certified search.

    Attributes
    ----------
    supports : ndarray of shape (N, k), int64
        The supports (sorted coordinates), one per row, in no particular order.
    corr : ndarray of shape (N,)
        Their correlations: signed for a neuron query, the largest absolute
        value over all coordinates for a gradient.
    n_evaluations : int
        Kernel evaluations the search made (each :math:`2^{k-1}` terms).
    n_refined : int
        Candidates within the float64 error bound of ``tau``, decided in mpmath.
    """

    def __init__(self, supports, corr, n_evaluations, n_refined):
        self.supports = supports
        self.corr = corr
        self.n_evaluations = n_evaluations
        self.n_refined = n_refined

    def __len__(self):
        return len(self.corr)

    def __repr__(self):
        return (
            f"CertifiedHits({len(self)} supports, max |corr| = "
            f"{float(np.max(np.abs(self.corr))) if len(self) else 0.0:.3g}, "
            f"{self.n_evaluations} evaluations, {self.n_refined} refined)"
        )


def _halves(k):
    """Sign patterns with w_1 = +1 (one of each pair w, -w), their parities, and 1/sqrt(k)-scaled copy."""
    P = sign_patterns(k)
    H = P[P[:, 0] > 0]
    chi = np.prod(H, axis=1)
    return H, chi, H.T / math.sqrt(k)


def _check_activation(activation, k):
    act = get_activation(activation)
    if not act.has_certified_kernel:
        raise CertificationError(
            f"certified counts need one of the built-in activations {CERTIFIED_ACTIVATIONS} "
            f"(closed-form kernels or 40-digit Hermite coefficients) or a record with a certified kernel, got {act!r}"
        )
    k = check_int(k, "k", minimum=1)
    if act.vanishes(k):
        raise ValueError(act.vanishing_reason(k))
    if k > _MAX_K:
        raise CertificationError(
            f"k={k}: each certified evaluation sums 2^(k-1) kernel terms, allowed up to k={_MAX_K}"
        )
    return act, k


# ----------------------------------------------------------------------------
# the search
# ----------------------------------------------------------------------------
class _Budget:
    def __init__(self, limit):
        self.limit = limit
        self.used = 0
        self.refined = 0

    def spend(self, count):
        self.used += count
        if self.used > self.limit:
            raise CertificationError(
                f"certifying this query needs more than max_evaluations={self.limit} kernel "
                "evaluations (it meets very many supports); it is refused rather than "
                "answered approximately; raise max_evaluations to allow it"
            )


def _search(b, k, bound_ok, leaf_decide, budget):
    """All position sets (sorted, within b sorted descending) whose leaf_decide is True.

    bound_ok(values (B, k)) -> mask: False only if no support with values <= these (elementwise,
    after sorting) can be a hit (the bound is monotone).  leaf_decide(pos (B, k)) -> (mask, corr).
    """
    n = len(b)
    root = np.arange(k)[None, :]
    budget.spend(1)
    if not bound_ok(b[root])[0]:
        return np.zeros((0, k), dtype=np.int64), np.zeros(0)
    prefixes = np.zeros((1, 0), dtype=np.int64)
    starts = np.zeros(1, dtype=np.int64)
    for depth in range(k):
        r = k - depth  # positions still to choose, including the child
        last_child = n - r  # largest admissible child position
        out_prefix, out_child = [], []
        leaf_pos, leaf_corr = [], []
        ptr = starts.copy()
        size = np.full(len(ptr), 4, dtype=np.int64)
        active = np.nonzero(ptr <= last_child)[0]
        while active.size:
            cnt = np.minimum(size[active], last_child - ptr[active] + 1)
            node = np.repeat(active, cnt)
            offs = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            child = ptr[node] + offs
            budget.spend(len(child))
            pos = np.concatenate([prefixes[node], child[:, None] + np.arange(r)[None, :]], axis=1)
            ok = bound_ok(b[pos])
            # the bound is monotone in the child position: keep each node's children up to its first failure
            fail_any = np.zeros(len(active), dtype=bool)
            seg = np.repeat(np.arange(len(active)), cnt)
            first_fail = np.full(len(active), np.iinfo(np.int64).max)
            bad = np.nonzero(~ok)[0]
            if bad.size:
                np.minimum.at(first_fail, seg[bad], offs[bad])
                fail_any[seg[bad]] = True
            keep = offs < first_fail[seg]
            if depth < k - 1:
                out_prefix.append(prefixes[node[keep]])
                out_child.append(child[keep])
            else:
                cand = pos[keep]
                if len(cand):
                    mask, corr = leaf_decide(cand)
                    leaf_pos.append(cand[mask])
                    leaf_corr.append(corr[mask])
            done = fail_any | (ptr[active] + cnt > last_child)
            ptr[active] += cnt
            size[active] *= 2
            active = active[~done]
        if depth == k - 1:
            if not leaf_pos:
                return np.zeros((0, k), dtype=np.int64), np.zeros(0)
            return np.concatenate(leaf_pos), np.concatenate(leaf_corr)
        if not out_child or sum(len(c) for c in out_child) == 0:
            return np.zeros((0, k), dtype=np.int64), np.zeros(0)
        child = np.concatenate(out_child)
        prefixes = np.concatenate([np.concatenate(out_prefix), child[:, None]], axis=1)
        starts = child + 1
    raise AssertionError("unreachable")


def _blocks(fn, A, *extra):
    outs = [fn(A[i : i + _BLOCK], *(e[i : i + _BLOCK] for e in extra)) for i in range(0, len(A), _BLOCK)]
    if not outs:
        return fn(A[:0], *(e[:0] for e in extra))
    if isinstance(outs[0], tuple):
        return tuple(np.concatenate(parts) for parts in zip(*outs))
    return np.concatenate(outs)


def _unique_rows(values):
    """Rows of a values matrix with equal rows merged (queries with ties: aligned or spread-out neurons)."""
    if len(values) < 64:
        return values, None
    uniq, inv = np.unique(values, axis=0, return_inverse=True)
    if len(uniq) > 0.8 * len(values):
        return values, None
    return uniq, inv.reshape(-1)


# ----------------------------------------------------------------------------
# neuron queries
# ----------------------------------------------------------------------------
class _NeuronEvaluator:
    def __init__(self, activation, n, k):
        self.act, self.k = _check_activation(activation, k)
        self.kern = self.act.certified_kernel(self.k)
        self.H, self.chi, self.Hs = _halves(self.k)
        T = len(self.chi)
        delta = (self.k + n + 16) * _U  # |rho~ - rho|: dot product, 1/sqrt(k) and the norm of v
        self.err = 2 * (T * (self.kern.lipschitz * delta + self.kern.eps) + 1.1 * T * T * _U * self.kern.bound)
        self.scale = math.sqrt(float(self.act.dual_kernel(1.0))) * math.sqrt(norm_squared(self.k, self.act))

    def phi(self, A):
        def f(block):
            return 2 * (self.kern(block @ self.Hs) @ self.chi)

        vals, inv = _unique_rows(A)
        out = _blocks(f, vals)
        return out if inv is None else out[inv]

    def phi_mp(self, a):
        import mpmath as mp

        with mp.workdps(50):
            s = mp.sqrt(mp.mpf(self.k))
            tot = mp.mpf(0)
            for h, c in zip(self.H, self.chi):
                rho = mp.fsum(mp.mpf(float(x)) * int(w) for x, w in zip(a, h)) / s
                tot += int(c) * self.kern.mp(rho)
            return 2 * tot


def _neuron_evaluator(activation, n, k):
    act, k = _check_activation(activation, k)
    return _cached_neuron_evaluator(act, n, k)


@lru_cache(maxsize=64)
def _cached_neuron_evaluator(act, n, k):
    return _NeuronEvaluator(act, n, k)


def _decide(values, err, threshold, exact_fn, budget):
    """Certified values > threshold: float64 with error bound, mpmath for the undecided."""
    above = values - err > threshold
    unsure = np.nonzero(~above & (values + err > threshold))[0]
    for i in unsure:
        budget.refined += 1
        v = exact_fn(i)
        if abs(v - threshold) <= 1e-42:  # 50-digit sums of terms of size <= 2: absolute accuracy ~1e-47
            raise CertificationError("a correlation equals tau to 42 digits; the count cannot be certified")
        above[i] = v > threshold
    return above


def certified_neuron_hits(v, k, activation="relu", tau=0.05, *, max_evaluations=20_000_000):
    """Every support whose correlation with the neuron :math:`\\sigma(v\\cdot x)/\\sqrt{K(1)}` exceeds ``tau``.

    Parameters
    ----------
    v : array_like of shape (n,)
        Unit weight vector (a :class:`~lbkit.NeuronQuery`'s ``.v``).
    k : int
        Support size.
    activation : str or Activation
        One of ``lbkit.certify.CERTIFIED_ACTIVATIONS`` (the targets' activation, also the neuron's).
    tau : float in (0, 1]
    max_evaluations : int
        Work limit; a query needing more is refused with :class:`CertificationError`.

    Returns
    -------
    CertifiedHits
        ``corr`` holds the signed correlations :math:`\\langle\\phi, \\hat f_S\\rangle`.

    Raises
    ------
    CertificationError
        For an activation without a certified kernel, ``k > 16``, or too much work.
    ValueError
        If ``v`` is not a finite unit vector, or the activation makes :math:`f_S \\equiv 0`.

    Examples
    --------
    >>> v = np.zeros(1000); v[:14] = 1 / np.sqrt(14)     # spread evenly over 14 coordinates
    >>> len(certified_neuron_hits(v, 10, "relu", tau=1e-4))   # all C(14, 10) supports inside
    1001
    """
    v = _unit(v)
    tau = check_real(tau, "tau", minimum=0, min_open=True, maximum=1)
    n = len(v)
    k = check_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"k={k} is larger than n={n}")
    ev = _neuron_evaluator(activation, n, k)
    budget = _Budget(check_int(max_evaluations, "max_evaluations", minimum=1))
    order = np.argsort(-np.abs(v), kind="stable")
    b = np.abs(v)[order]
    t = tau * ev.scale

    def bound_ok(A):
        return ev.phi(A) + ev.err > t

    def leaf(pos):
        vals = ev.phi(b[pos])
        above = _decide(vals, ev.err, t, lambda i: float(ev.phi_mp(b[pos[i]])), budget)
        return above, vals

    pos, vals = _search(b, k, bound_ok, leaf, budget)
    S = np.sort(order[pos], axis=1) if len(pos) else np.zeros((0, k), dtype=np.int64)
    sign = np.prod(np.sign(v[S]), axis=1) if len(S) else np.zeros(0)
    return CertifiedHits(S.astype(np.int64), sign * vals / ev.scale, budget.used, budget.refined)


def largest_neuron_correlation(v, k, activation="relu"):
    """The largest :math:`|\\langle \\sigma(v\\cdot x)/\\sqrt{K(1)}, \\hat f_S\\rangle|` over all supports,
    and a support attaining it.

    Exact (up to float64 rounding of one evaluation): by monotonicity it is
    attained at the ``k`` coordinates of largest :math:`|v_i|`.

    Returns
    -------
    value : float
    S : tuple of int
    """
    v = _unit(v)
    ev = _neuron_evaluator(activation, len(v), check_int(k, "k", minimum=1))
    top = np.argsort(-np.abs(v), kind="stable")[:k]
    return float(ev.phi(np.abs(v)[top][None, :])[0] / ev.scale), tuple(sorted(int(i) for i in top))


def _unit(v):
    v = check_real_array(v, "v", allow_bool=False)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError(f"v must be a finite vector of shape (n,), got shape {v.shape}")
    nv = np.linalg.norm(v)
    if not abs(nv - 1) < 1e-12:
        raise ValueError(f"v must be a unit vector (norm {nv!r}); use NeuronQuery(v).v")
    return v
