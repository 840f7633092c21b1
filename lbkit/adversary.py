"""The correlational lower bound as a game against an adversarial oracle.

The adversary answers every correlational query :math:`\\mathbb E[\\phi(x)\\,y]`
with 0.  A candidate target :math:`\\hat f_S = f_S/\\|f_S\\|` stays *consistent*
as long as every answer so far was within the tolerance of its true value,
:math:`|\\langle \\phi, \\hat f_S\\rangle| \\le \\tau`.  By Bessel's inequality one
query of norm at most 1 removes fewer than :math:`1/\\tau^2` candidates
(chapter 5), so after :math:`q` queries at least
:math:`\\binom nk - q/\\tau^2` remain.

:class:`AdversaryGame` keeps score *exactly*: for the query types below the
inner products :math:`\\langle \\phi, \\hat f_S\\rangle` have closed forms, so
no sampling is involved.

* :class:`FamilyQuery` -- :math:`\\phi = \\hat f_T` itself: the inner product is
  :math:`\\delta_{ST}` (exact orthogonality, chapter 3).
* :class:`HermiteQuery` -- :math:`\\phi = \\sum_\\alpha a_\\alpha h_\\alpha`, a
  polynomial in the orthonormal multivariate Hermite basis.  Only
  :math:`h_\\alpha` with :math:`\\mathrm{supp}(\\alpha) = S` and every
  :math:`\\alpha_i` odd meets :math:`f_S`, with
  :math:`\\langle h_\\alpha, f_S\\rangle = 2^k c_m k^{-m/2}\\sqrt{m!/\\alpha!}`,
  :math:`m = |\\alpha|`.  Touches only the supports it names, so it works for
  any :math:`n`.
* :class:`NeuronQuery` -- :math:`\\phi = \\sigma(v\\cdot x)/\\sqrt{K(1)}`, one unit
  of the target's own activation with a unit weight vector:
  :math:`\\langle \\sigma(v\\cdot x), f_S\\rangle = \\sum_w \\chi(w)\\,K(v_S\\cdot w/\\sqrt k)`
  with the dual kernel :math:`K`.
* :meth:`~lbkit.AdversaryGame.ask_gradient` -- all :math:`p(n+1)` coordinates of the
  square-loss gradient of a bias-free two-layer network
  :math:`h(x) = \\sum_j a_j\\,\\sigma(w_j\\cdot x)` with the target's own
  activation, which must be positively homogeneous (the ReLU family
  :func:`lbkit.activation_library.ab_relu`), each normalised to norm 1: the correlations are
  derivatives of the closed form above, through the activation's
  :meth:`~lbkit.Activation.dual_kernel_derivative` :math:`K'`.

Neuron and gradient queries meet every support.  For the built-in
activations they are answered by a certified branch-and-bound search
(``lbkit.certify``) that finds every support with correlation above
``tau`` without visiting the others, so the counts stay exact at
:math:`n = 1000, k = 10` (:math:`\\binom nk \\approx 2.6\\cdot10^{23}`
candidates).  :meth:`~lbkit.AdversaryGame.correlations` and
:meth:`~lbkit.AdversaryGame.gradient_correlations`, which list the correlation with
*every* candidate, enumerate them, up to ``max_enumerated`` supports.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._checks import check_budget, check_finite, check_int, check_n_k, check_real, check_real_array
from .activation_library import get_activation
from .certify import CERTIFIED_ACTIVATIONS, CertificationError, certified_neuron_hits, largest_neuron_correlation
from .certify_gradient import certified_gradient_hits, largest_gradient_correlation
from .distributions import as_rng
from .norms import norm_squared
from .queries import FamilyQuery, HermiteQuery, NeuronQuery
from .supports import sign_patterns, supports

# the queries live in lbkit.queries
__all__ = [
    "AdversaryGame",
    "FamilyQuery",
    "HermiteQuery",
    "NeuronQuery",
    "random_student",
    "relu_gradients",
    "monomial_learner",
    "group_testing",
]


def random_student(n, width, rng):
    """A bias-free two-layer student :math:`h(x) = \\sum_j a_j\\,\\sigma(w_j\\cdot x)` at the standard initialisation.

    :math:`w_{ji} \\sim \\mathcal N(0, 1/n)` and :math:`a_j \\sim \\mathcal N(0, 1/p)`,
    drawn in that order from ``rng``: the weights :meth:`~lbkit.AdversaryGame.ask_gradient`
    and :meth:`~lbkit.AdversaryGame.gradient_correlations` take.

    Parameters
    ----------
    n : int
        Input dimension, ``n >= 1``.
    width : int
        Hidden units :math:`p`, ``width >= 1``.
    rng : int or numpy.random.Generator
        Seed or generator (a generator's state advances).

    Returns
    -------
    W : ndarray of shape (width, n)
    a : ndarray of shape (width,)

    Raises
    ------
    TypeError
        If ``n`` or ``width`` is not an integer, or ``rng`` is not a seed or generator.
    ValueError
        If ``n`` or ``width`` is below 1, ``rng`` is a negative seed, or ``W`` would exceed
        lbkit's memory limit.

    Examples
    --------
    >>> W, a = random_student(5, 3, rng=0)
    >>> W.shape, a.shape
    ((3, 5), (3,))
    """
    n = check_int(n, "n", minimum=1)
    width = check_int(width, "width", minimum=1)
    check_budget(8 * width * n, f"W of shape ({width}, {n})", "choose a smaller n or width")
    rng = as_rng(rng)
    W = rng.standard_normal((width, n)) / math.sqrt(n)
    a = rng.standard_normal(width) / math.sqrt(width)
    return W, a


def relu_gradients(X, W, a):
    """Per-point gradient of a bias-free ReLU network :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x)`.

    :math:`\\partial h/\\partial w_{ji} = a_j\\,\\mathbf 1[w_j\\cdot x > 0]\\,x_i` and
    :math:`\\partial h/\\partial a_j = \\mathrm{relu}(w_j\\cdot x)`, in the layout of
    :meth:`~lbkit.AdversaryGame.gradient_correlations` (the output weight last). Its label-free
    second moments are :meth:`~lbkit.AdversaryGame.gradient_norms` squared; times a label and
    averaged, it is the correlational part of the square-loss gradient.

    Parameters
    ----------
    X : ndarray of shape (N, n)
        Inputs.
    W : ndarray of shape (p, n)
        Hidden weights.
    a : ndarray of shape (p,)
        Output weights.

    Returns
    -------
    ndarray of shape (N, p, n + 1)
        ``[:, j, i]`` for :math:`w_{ji}` (``i < n``), ``[:, j, n]`` for :math:`a_j`.

    Raises
    ------
    TypeError
        If an argument is not an array of real numbers.
    ValueError
        If the shapes do not match, an entry is not finite, the result would exceed
        2 GB, or it overflows float64.

    Examples
    --------
    >>> relu_gradients(np.array([[1.0, -2.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([3.0, 5.0]))
    array([[[ 3., -6.,  1.],
            [ 0., -0.,  0.]]])
    """
    X = check_finite(check_real_array(X, "X", allow_bool=False), "X")
    W = check_finite(check_real_array(W, "W", allow_bool=False), "W")
    a = check_finite(check_real_array(a, "a", allow_bool=False), "a")
    if X.ndim != 2 or W.ndim != 2 or W.shape[1] != X.shape[1] or a.shape != (W.shape[0],):
        raise ValueError(
            f"X must have shape (N, n), W shape (p, n) and a shape (p,), got {X.shape}, {W.shape} and {a.shape}"
        )
    N, n = X.shape
    check_budget(8 * N * W.shape[0] * (n + 1), "the per-point gradients", "use fewer points at a time")
    with np.errstate(over="ignore", invalid="ignore"):
        Z = X @ W.T
        out = np.concatenate([(a * (Z > 0))[:, :, None] * X[:, None, :], np.maximum(Z, 0)[:, :, None]], axis=2)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"the gradients overflow float64 for X up to {np.max(np.abs(X)):g}, W up to {np.max(np.abs(W)):g} and a up "
            f"to {np.max(np.abs(a)):g} in absolute value; rescale them"
        )
    return out


def monomial_learner(game, target, tau):
    """The learner of the CSQ upper bound: ask every monomial :math:`x_T`, return the largest answer's support.

    Each query is :math:`\\prod_{i\\in T} x_i`, :math:`|T| = k`, with exact correlation
    :math:`\\gamma_k = \\langle \\hat f_S, x_S\\rangle` (:func:`lbkit.norm_bounds.monomial_correlation`) for
    :math:`T = S` and 0 otherwise. The oracle spends its whole tolerance against the learner:
    it shrinks the target's answer by ``tau`` and answers ``tau`` to every other query. So the
    learner finds the target exactly when ``tau < |gamma_k| / 2``. The game is only read
    (its candidates are not eliminated).

    Parameters
    ----------
    game : AdversaryGame
        The family (``game.n``, ``game.k``, activation); at most ``max_enumerated`` candidates.
    target : tuple of int
        The target's support, one of ``game.supports``.
    tau : float
        The oracle's tolerance, ``tau >= 0``.

    Returns
    -------
    tuple of int
        The support whose monomial got the largest answer in absolute value (the first on ties,
        in the order of ``itertools.combinations``).

    Raises
    ------
    TypeError
        If ``game`` is not an :class:`AdversaryGame` or ``tau`` is not a real number.
    ValueError
        If ``target`` is not a candidate of the game, or ``tau`` is negative or not finite.

    Examples
    --------
    >>> game = AdversaryGame(5, 2, "relu")
    >>> monomial_learner(game, (1, 3), 0.1)
    (1, 3)
    """
    if not isinstance(game, AdversaryGame):
        raise TypeError(f"game must be an AdversaryGame, got {type(game).__name__}")
    tau = check_real(tau, "tau", minimum=0.0)
    if tuple(target) not in game.supports:
        raise ValueError(f"target must be one of the game's supports (k = {game.k} of range({game.n})), got {target!r}")
    r_target = game.supports.index(tuple(target))
    answers = []
    for T in itertools.combinations(range(game.n), game.k):
        ranks, corr = game.correlations(HermiteQuery({tuple((i, 1) for i in T): 1.0}))
        exact = dict(zip(ranks.tolist(), corr.tolist())).get(r_target, 0.0)
        answers.append(exact - tau * np.sign(exact) if exact != 0 else tau)
    return list(itertools.combinations(range(game.n), game.k))[int(np.argmax(np.abs(answers)))]


def group_testing(n_candidates, target, tau):
    """A group-testing CSQ learner for an orthonormal family :math:`f_0, \\dots, f_{N-1}`, :math:`N` = ``n_candidates``.

    It asks the normalised sums :math:`\\phi_G = |G|^{-1/2}\\sum_{i\\in G} f_i` over consecutive
    groups of :math:`g = \\lceil 1/(4\\tau^2)\\rceil - 1` indices until one answers above
    :math:`\\tau` (the last group is not asked), then halves that group. The inner products are
    exact, :math:`\\langle \\phi_G, f_t\\rangle = \\mathbf 1[t\\in G]/\\sqrt{|G|}`, and the oracle
    pushes every answer towards 0 by ``tau``; as :math:`1/\\sqrt{g} > 2\\tau`, a group holding the
    target still answers above ``tau``. At most :math:`\\lceil N/g\\rceil - 1 + \\lceil\\log_2 g\\rceil`
    queries.

    Parameters
    ----------
    n_candidates : int
        Family size :math:`N`, ``n_candidates >= 1``.
    target : int
        The target's index, ``0 <= target < n_candidates``.
    tau : float
        Tolerance, ``0 < tau < 1/2`` (so that ``g >= 1``).

    Returns
    -------
    found : int
        The index the learner returns.
    queries : int
        The number of queries it asked.

    Raises
    ------
    TypeError
        If ``n_candidates`` or ``target`` is not an integer or ``tau`` is not a real number.
    ValueError
        If ``n_candidates < 1``, ``target`` is out of range, or ``tau`` is not in ``(0, 1/2)``
        or so small that ``tau**2`` is 0 in float64.

    Examples
    --------
    >>> group_testing(100, 37, 0.1)
    (37, 7)
    """
    N = check_int(n_candidates, "n_candidates", minimum=1)
    target = check_int(target, "target", minimum=0, maximum=N - 1)
    tau = check_real(tau, "tau", minimum=0.0, maximum=0.5, min_open=True, max_open=True)
    if tau**2 == 0:
        raise ValueError(
            f"tau={tau:g} is too small: tau**2 is 0 in float64, and a group would hold 1/(4 tau^2) indices"
        )
    g = math.ceil(1 / (4 * tau**2)) - 1
    starts = range(0, N, g)  # the groups range(i, i + g), built one at a time (N may be huge)
    queries, found = 0, range(starts[-1], N)
    for i in starts[:-1]:
        G = range(i, min(i + g, N))
        queries += 1
        if (target in G) / math.sqrt(len(G)) - tau > tau:
            found = G
            break
    while len(found) > 1:
        half = found[: len(found) // 2]
        queries += 1
        in_half = (target in half) / math.sqrt(len(half)) - tau > tau
        found = half if in_half else found[len(found) // 2 :]
    return found[0], queries


def _positively_homogeneous(activation) -> bool:
    """Whether sigma(c t) = c sigma(t) for c > 0, checked on a grid (the ReLU family ab_relu(a, b) passes)."""
    t = np.linspace(-4.0, 4.0, 33)
    s = np.asarray(activation(t), dtype=float)
    return all(np.allclose(activation(c * t), c * s, rtol=1e-12, atol=1e-12) for c in (0.5, 3.0))


class AdversaryGame:
    """Play correlational queries against the adversary of the lower bound.

    Parameters
    ----------
    n, k : int
        Dimension and support size; the candidates are the
        :math:`\\binom nk` normalised networks :math:`\\hat f_S`.
    activation : str or Activation, default "relu"
    tau : float in (0, 1], default 0.05
        Tolerance of the oracle.
    max_enumerated : int, default 2_000_000
        Largest number of candidates that :meth:`correlations` and
        :meth:`gradient_correlations` list one by one (and that neuron or
        gradient queries enumerate when the certified search does not apply:
        a custom activation, or gradients with odd ``k``).
    max_evaluations : int, default 20_000_000
        Work limit of the certified search for one query; a query needing more
        is refused with :class:`~lbkit.certify.CertificationError` (and not counted).

    Attributes
    ----------
    n_candidates : int
        Number of candidates, :math:`\\binom nk`: the size of the family, the
        :math:`m` of chapter 5 (in lbkit's code ``m`` is only ever a Hermite
        degree; see the book's notation page).
    n_queries_ : int
        Queries asked so far (a gradient counts as :math:`p(n+1)` queries);
        ``n_queries`` is an alias.
    history : list of (int, int)
        ``(n_queries_, n_consistent)`` after each call.

    Raises
    ------
    TypeError
        If ``n``, ``k`` or ``max_enumerated`` is not an integer, ``tau`` is
        not a real number, or ``activation`` is neither a name nor callable.
    ValueError
        If ``n < 1``, ``k < 1`` or ``k > n``; if ``tau`` is not a finite
        number in (0, 1]; if ``max_enumerated < 1``; for an unknown
        activation name; or if the parity rule makes :math:`f_S \\equiv 0`
        (the message says which ``k`` work).

    Examples
    --------
    >>> game = AdversaryGame(8, 2, "relu", tau=0.1)
    >>> game.ask(FamilyQuery([0, 1]))
    0.0
    >>> game.n_consistent, game.guaranteed()
    (27, -72.0)
    """

    def __init__(self, n, k, activation="relu", tau=0.05, max_enumerated=2_000_000, max_evaluations=20_000_000):
        self.n, self.k = check_n_k(n, k)
        self.activation = get_activation(activation)
        if self.activation.vanishes(self.k):
            raise ValueError(self.activation.vanishing_reason(self.k) + "; the game needs a non-zero family")
        self.tau = check_real(tau, "tau", minimum=0, min_open=True, maximum=1)
        self.supports = supports(self.n, self.k)
        self.n_candidates = self.supports.count
        self.max_enumerated = check_int(max_enumerated, "max_enumerated", minimum=1)
        self.max_evaluations = check_int(max_evaluations, "max_evaluations", minimum=1)
        self._certified = self.activation.has_certified_kernel and self.k <= 16
        self.norm = math.sqrt(norm_squared(self.k, self.activation))
        self._eliminated: set[int] = set()
        self._all = None  # (n_candidates, k) array of all supports, built on demand
        self._alive = None  # boolean mask over ranks, built with _all
        self.n_queries_ = 0
        self.history = [(0, self.n_candidates)]

    # -- bookkeeping ---------------------------------------------------------
    @property
    def n_queries(self) -> int:
        """Alias of :attr:`n_queries_` (the oracles' name for the query counter)."""
        return self.n_queries_

    @property
    def n_consistent(self) -> int:
        """Candidates whose true answers were all within ``tau`` of 0."""
        return self.n_candidates - len(self._eliminated)

    def guaranteed(self, n_queries: int | None = None) -> float:
        """The Bessel guarantee :math:`\\binom nk - q/\\tau^2` on the consistent candidates after ``q`` queries.

        ``n_queries`` defaults to the queries asked so far; it must be an integer ``>= 0`` (TypeError,
        ValueError otherwise, and ValueError when the guarantee is beyond float64's range).
        """
        q = self.n_queries_ if n_queries is None else check_int(n_queries, "n_queries", minimum=0)
        try:
            return float(self.n_candidates - q * (1.0 / self.tau) ** 2)
        except OverflowError:  # q or C(n, k) beyond float64
            raise ValueError(
                f"the guarantee C(n, k) - q / tau^2 is beyond float64's range for n_queries={q} "
                f"({len(str(q))} digits) and C(n, k) of {len(str(self.n_candidates))} digits"
            ) from None

    def consistent(self, limit: int = 10):
        """Up to ``limit`` consistent supports (in lexicographic order); ``limit`` is an integer ``>= 0``."""
        limit = check_int(limit, "limit", minimum=0)
        out, i = [], 0
        while len(out) < limit and i < self.n_candidates:
            if i not in self._eliminated:
                out.append(self.supports[i])
            i += 1
        return out

    def _enumerate(self):
        if self.n_candidates > self.max_enumerated:
            raise ValueError(
                f"this query meets every support, and there are {self.n_candidates} candidates, more than "
                f"max_enumerated={self.max_enumerated} (ask, ask_gradient, hits and gradient_hits "
                "count neuron and gradient queries exactly at any size, for the built-in activations "
                "and, for gradients, even k); use FamilyQuery or HermiteQuery, which only touch the "
                "supports they name, or a smaller n, k"
            )
        if self._all is None:
            self._all = np.array(list(iter(self.supports)), dtype=np.int64).reshape(self.n_candidates, self.k)
            self._alive = np.ones(self.n_candidates, dtype=bool)
            if self._eliminated:
                self._alive[list(self._eliminated)] = False
        return self._all, self._alive

    def _eliminate(self, ranks) -> int:
        new = [int(r) for r in ranks if int(r) not in self._eliminated]
        self._eliminated.update(new)
        if self._alive is not None and new:
            self._alive[new] = False
        return len(new)

    def _record(self, n_new_queries: int):
        self.n_queries_ += n_new_queries
        self.history.append((self.n_queries_, self.n_consistent))

    def _ranks(self, S):
        """Lexicographic ranks (Python ints) of the rows of a sorted (N, k) support array."""
        n, k = self.n, self.k
        if len(S) == 0:
            return []
        table = np.empty((n + 1, k + 1), dtype=object)  # C(n - c, j) as Python ints (no overflow)
        for c in range(n + 1):
            for j in range(k + 1):
                table[c, j] = math.comb(n - c, j)
        S = np.asarray(S, dtype=np.int64)
        prev = np.full(len(S), -1, dtype=np.int64)
        r = np.zeros(len(S), dtype=object)
        for col in range(k):  # as Supports.index, one column at a time
            c = S[:, col]
            r = r + (table[prev + 1, k - col] - table[c, k - col])
            prev = c
        return r.tolist()

    # -- exact correlations -----------------------------------------------------
    def correlations(self, query):
        """Exact :math:`\\langle \\phi, \\hat f_S\\rangle` for the consistent candidates that the query meets.

        Parameters
        ----------
        query : FamilyQuery, HermiteQuery or NeuronQuery
            The (norm-1) correlational query.

        Returns
        -------
        ranks : ndarray of shape (r,)
            Ranks (in :attr:`supports`) of the consistent candidates involved.
        corr : ndarray of shape (r,)
            Their inner products with the (norm-1) query; every other
            consistent candidate has inner product exactly 0.

        Raises
        ------
        TypeError
            If ``query`` is not one of the three query types.
        ValueError
            If the query uses a coordinate ``>= n``; if a neuron's weight
            vector does not have length ``n``; or if a neuron query meets
            more than ``max_enumerated`` candidates.
        """
        if not (hasattr(query, "supports_met") and hasattr(query, "inner_products")):
            raise TypeError(
                f"unsupported query {query!r}; use FamilyQuery, HermiteQuery or NeuronQuery "
                "(or ask_gradient for gradients)"
            )
        S = query.supports_met(self.n, self.k)
        if S is None:  # every candidate
            S_all, alive = self._enumerate()
            ranks = np.nonzero(alive)[0]
            return ranks, query.inner_products(S_all[ranks], self)
        ranks = self._ranks(S)
        keep = [j for j, r in enumerate(ranks) if r not in self._eliminated]
        return np.array([ranks[j] for j in keep], dtype=object), query.inner_products(S[keep], self)

    def gradient_correlations(self, W, a):
        """Exact normalised correlations of every square-loss gradient coordinate with every consistent target.

        For :math:`h(x) = \\sum_j a_j\\,\\sigma(w_j\\cdot x)`, with :math:`\\sigma` the
        game's activation (positively homogeneous: the ReLU family
        :func:`lbkit.activation_library.ab_relu`), the label-dependent part of the gradient is
        :math:`\\mathbb E[y\\,\\partial_\\theta h]`; each coordinate is the
        correlational query :math:`\\partial_\\theta h/\\|\\partial_\\theta h\\|`, with
        :math:`\\|\\partial_{a_j} h\\| = |w_j|\\sqrt{K(1)}` and
        :math:`\\|\\partial_{w_{ji}} h\\| = |a_j|\\sqrt{K'(1)}` (both
        :math:`1/\\sqrt2` times the weight for ReLU).

        Parameters
        ----------
        W : ndarray of shape (p, n)
            Hidden weights (non-zero rows).
        a : ndarray of shape (p,)
            Output weights (non-zero).

        Returns
        -------
        ranks : ndarray of shape (r,)
            Consistent candidates.
        corr : ndarray of shape (r, p, n + 1)
            ``corr[s, j, :n]`` for the coordinates :math:`w_{j\\cdot}`,
            ``corr[s, j, n]`` for :math:`a_j`.

        Raises
        ------
        ValueError
            If the game's activation is not positively homogeneous; if ``W`` does not have
            shape (p, n) or ``a`` shape (p,); if an entry is not finite, a row
            of ``W`` is zero or an entry of ``a`` is zero; or if there are more
            than ``max_enumerated`` candidates.

        Notes
        -----
        With :math:`F(w) = \\mathbb E[\\sigma(w\\cdot x) f_S(x)]
        = |w| \\sum_u \\chi(u) K(\\hat w\\cdot e_u)`, :math:`e_u = u/\\sqrt k` on
        :math:`S`, the :math:`a_j` coordinate is :math:`F(w_j)` and the
        :math:`w_j` coordinates are :math:`a_j \\nabla F(w_j)`, with
        :math:`\\nabla\\big(|w| K(\\hat w\\cdot e)\\big) = \\hat w K(\\rho) + K'(\\rho)(e - \\rho\\hat w)`.
        """
        W, a = self._student(W, a)
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(a))):
            raise ValueError("W and a must be finite, with non-zero rows of W and non-zero entries of a")
        # each row scaled by its largest entry first: the norms neither overflow (1e200) nor underflow (1e-200)
        row_max = np.max(np.abs(W), axis=1) if W.size else np.zeros(W.shape[0])
        if not (np.all(row_max > 0) and np.all(a != 0)):
            raise ValueError("W and a must be finite, with non-zero rows of W and non-zero entries of a")
        if not np.all((row_max > 1e-150) & (row_max < 1e150)):  # only then: the usual digits otherwise
            W = W / row_max[:, None]
        norms = np.linalg.norm(W, axis=1)
        S_all, alive = self._enumerate()
        ranks = np.nonzero(alive)[0]
        S = S_all[ranks]  # (r, k)
        P = sign_patterns(self.k)
        chi = np.prod(P, axis=1)
        E = P / math.sqrt(self.k)  # e_u restricted to S, (2^k, k)
        Wh = W / norms[:, None]
        r, p = len(ranks), W.shape[0]
        # the norms of the coordinates: |d h/d a_j| = |w_j| sqrt(K(1)), |d h/d w_ji| = |a_j| sqrt(K'(1))
        scale_a = math.sqrt(1.0 / float(self.activation.dual_kernel(1.0)))
        scale_w = math.sqrt(1.0 / float(self.activation.dual_kernel_derivative(1.0)))
        out = np.empty((r, p, self.n + 1))
        for j in range(p):
            rho = Wh[j][S] @ E.T  # (r, 2^k)
            K = self.activation.dual_kernel(rho)
            Kp = self.activation.dual_kernel_derivative(rho)
            A = K @ chi  # sum_u chi K
            B = (rho * Kp) @ chi  # sum_u chi rho K'
            grad = np.outer(A - B, Wh[j])  # (r, n): the w-hat terms
            C = (Kp * chi) @ E  # (r, k): sum_u chi K' e_u on S
            np.add.at(grad, (np.arange(r)[:, None], S), C)
            out[:, j, : self.n] = np.sign(a[j]) * scale_w * grad / self.norm
            out[:, j, self.n] = scale_a * A / self.norm  # F(w)/(|w| sqrt K(1)), with |w| cancelling
        return ranks, out

    def gradient_norms(self, W, a):
        """The label-free norms :math:`\\|\\partial_\\theta h\\|` of the student's gradient coordinates.

        For :math:`h(x) = \\sum_j a_j\\,\\sigma(w_j\\cdot x)` with the game's (positively
        homogeneous) activation, :math:`\\|\\partial_{w_{ji}} h\\| = |a_j|\\sqrt{K'(1)}` and
        :math:`\\|\\partial_{a_j} h\\| = |w_j|\\sqrt{K(1)}` (both :math:`1/\\sqrt2` times
        the weight for the ReLU): the factors that turn the normalised correlations of
        :meth:`gradient_correlations` into :math:`\\mathbb E[y\\,\\partial_\\theta h]`.

        Parameters
        ----------
        W : ndarray of shape (p, n)
            Hidden weights.
        a : ndarray of shape (p,)
            Output weights.

        Returns
        -------
        ndarray of shape (p, n + 1)
            Columns ``:n`` for :math:`w_{j\\cdot}`, column ``n`` for :math:`a_j`, as in
            :meth:`gradient_correlations`.

        Raises
        ------
        ValueError
            If ``W`` does not have shape (p, n) or ``a`` shape (p,), or the game's
            activation is not positively homogeneous.

        Examples
        --------
        >>> game = AdversaryGame(3, 2, "relu")
        >>> game.gradient_norms(np.array([[3.0, 0.0, 4.0]]), np.array([-2.0])) * math.sqrt(2)
        array([[2., 2., 2., 5.]])
        """
        W, a = self._student(W, a)
        # 1 / K(1) and 1 / K'(1) first (2.0 for the ReLU), as in gradient_correlations
        scale_a = math.sqrt(1.0 / float(self.activation.dual_kernel(1.0)))
        scale_w = math.sqrt(1.0 / float(self.activation.dual_kernel_derivative(1.0)))
        norms = np.empty((W.shape[0], self.n + 1))
        norms[:, : self.n] = np.abs(a)[:, None] / scale_w
        norms[:, self.n] = np.linalg.norm(W, axis=1) / scale_a
        return norms

    def _student(self, W, a):
        """The student's weights as float arrays, checked: shapes (p, n) and (p,), and an activation that allows it.

        Gradient queries need a positively homogeneous activation (the student's units are the target's).
        """
        W = check_real_array(W, "W", allow_bool=False)
        a = check_real_array(a, "a", allow_bool=False)
        if W.ndim != 2 or W.shape[1] != self.n or a.shape != (W.shape[0],):
            raise ValueError(f"W must have shape (p, {self.n}) and a shape (p,), got {W.shape} and {a.shape}")
        if not _positively_homogeneous(self.activation):
            raise ValueError(
                "gradient queries need a positively homogeneous activation, sigma(c t) = c sigma(t) for c > 0 "
                "(the ReLU family lbkit.activation_library.ab_relu(a, b): relu, abs, leaky_relu), whose dual kernel K "
                f"and its derivative K' give the gradient's correlations; this game uses {self.activation.name!r}"
            )
        return W, a

    # -- certified hits (any n) ----------------------------------------------------
    def hits(self, query):
        """The consistent candidates whose correlation with ``query`` exceeds ``tau``, exactly.

        For a neuron query with a built-in activation this is the certified
        search of :func:`~lbkit.certified_neuron_hits`, which works at any
        ``n`` (it visits only the supports above ``tau``, their prefixes and
        one failing sibling each); otherwise the candidates are enumerated
        as in :meth:`correlations`.

        Parameters
        ----------
        query : FamilyQuery, HermiteQuery or NeuronQuery

        Returns
        -------
        ranks : ndarray of object (Python ints)
            Ranks in :attr:`supports` of the consistent candidates with
            :math:`|\\langle\\phi, \\hat f_S\\rangle| > \\tau`.
        corr : ndarray of float
            Their correlations.

        Raises
        ------
        TypeError, ValueError
            As for :meth:`correlations`.
        CertificationError
            If the certified search needs more than ``max_evaluations``
            evaluations (the query is refused, never answered approximately).

        Examples
        --------
        >>> game = AdversaryGame(1000, 10, "relu", tau=1e-4)
        >>> v = np.zeros(1000); v[:14] = 1.0                  # a neuron spread over 14 coordinates
        >>> ranks, corr = game.hits(NeuronQuery(v))
        >>> len(ranks), bool(np.all(corr > 1e-4))             # every support inside: C(14, 10)
        (1001, True)
        """
        if isinstance(query, NeuronQuery) and self._certified:
            if query.v.size != self.n:
                raise ValueError(f"the neuron's weight vector has length {query.v.size}, the game has n={self.n}")
            found = certified_neuron_hits(
                query.v, self.k, self.activation, self.tau, max_evaluations=self.max_evaluations
            )
            return self._alive_only(found.supports, found.corr)
        ranks, corr = self.correlations(query)
        keep = np.abs(corr) > self.tau
        return ranks[keep], corr[keep]

    def gradient_hits(self, W, a):
        """The consistent candidates on which some normalised gradient coordinate exceeds ``tau``, exactly.

        For ReLU targets with even ``k`` this is the certified search of
        :func:`~lbkit.certified_gradient_hits` (any ``n``); otherwise the
        candidates are enumerated as in :meth:`gradient_correlations` (for
        any positively homogeneous activation).

        Returns
        -------
        ranks : ndarray of object (Python ints)
        corr : ndarray of float
            For each, the largest absolute correlation over the
            :math:`p(n+1)` coordinates.

        Raises
        ------
        ValueError
            As for :meth:`gradient_correlations`.
        CertificationError
            If the search needs more than ``max_evaluations`` evaluations.
        """
        W, a = self._student(W, a)
        if self._certified and self.activation is get_activation("relu") and self.k % 2 == 0:
            found = certified_gradient_hits(W, a, self.k, self.tau, max_evaluations=self.max_evaluations)
            return self._alive_only(found.supports, found.corr)
        ranks, corr = self.gradient_correlations(W, a)
        best = np.max(np.abs(corr).reshape(len(ranks), -1), axis=1) if len(ranks) else np.zeros(0)
        keep = best > self.tau
        return ranks[keep], best[keep]

    def _alive_only(self, S, corr):
        ranks = self._ranks(S)
        keep = [i for i, r in enumerate(ranks) if r not in self._eliminated]
        return np.array([ranks[i] for i in keep], dtype=object), np.asarray(corr, dtype=float)[keep]

    def largest_correlation(self, query):
        """The largest :math:`|\\langle\\phi, \\hat f_S\\rangle|` of a neuron query over all candidates, and where.

        Exact for the built-in activations at any ``n``: it is attained on the
        ``k`` coordinates of largest :math:`|v_i|` (see ``lbkit.certify``).

        Returns
        -------
        value : float
        S : tuple of int
        """
        if not isinstance(query, NeuronQuery):
            raise TypeError(f"largest_correlation takes a NeuronQuery, got {query!r}")
        if query.v.size != self.n:
            raise ValueError(f"the neuron's weight vector has length {query.v.size}, the game has n={self.n}")
        if not self._certified:
            raise CertificationError(f"largest_correlation needs a built-in activation {CERTIFIED_ACTIVATIONS}")
        return largest_neuron_correlation(query.v, self.k, self.activation)

    def largest_gradient_correlation(self, W, a):
        """Bracket the largest correlation of any normalised gradient coordinate with any candidate.

        Returns ``(value, S, upper)``: ``value`` is attained on the support
        ``S``, and no coordinate correlates with any of the :math:`\\binom nk`
        candidates by more than ``upper`` (certified); see
        :func:`~lbkit.certify_gradient.largest_gradient_correlation`.
        """
        if self.activation is not get_activation("relu") or self.k % 2:
            raise ValueError("largest_gradient_correlation needs relu targets and an even k")
        W = check_real_array(W, "W", allow_bool=False)
        if W.ndim != 2 or W.shape[1] != self.n:
            raise ValueError(f"W must have shape (p, {self.n}), got {W.shape}")
        return largest_gradient_correlation(W, a, self.k)

    # -- playing ------------------------------------------------------------------
    def ask(self, query) -> float:
        """Ask one query; the adversary answers 0 and the candidates it could not hide are removed.

        A candidate is removed when its true answer is farther than ``tau``
        from 0 (found by :meth:`hits`); the query counts once in
        ``n_queries_`` and ``history``.

        Parameters
        ----------
        query : FamilyQuery, HermiteQuery or NeuronQuery
            The (norm-1) correlational query, as for :meth:`correlations`;
            a refused query is not counted.

        Returns
        -------
        float
            The answer, always ``0.0``.

        Raises
        ------
        TypeError
            If ``query`` is not one of the three query types.
        ValueError
            As for :meth:`correlations`: a coordinate ``>= n``, a neuron of the
            wrong length, or too many candidates to enumerate (a refused query
            is not counted).
        CertificationError
            If the certified search would need more than ``max_evaluations``
            evaluations (not counted either).
        """
        ranks, _ = self.hits(query)
        self._eliminate(ranks)
        self._record(1)
        return 0.0

    def play(self, queries) -> int:
        """Ask queries one by one until none is left or no candidate is consistent.

        The next query is taken from ``queries`` only while some candidate is
        still consistent, so a generator may build it from the game's state
        (for instance from :meth:`consistent`).

        Parameters
        ----------
        queries : iterable of FamilyQuery, HermiteQuery or NeuronQuery
            Each asked with :meth:`ask`.

        Returns
        -------
        int
            The number of queries asked by this call.

        Raises
        ------
        TypeError
            If ``queries`` is not iterable, or as for :meth:`ask`.
        ValueError
            As for :meth:`ask`.

        Examples
        --------
        >>> game = AdversaryGame(6, 2, "relu", tau=0.1)
        >>> game.play(FamilyQuery(T) for T in game.consistent(limit=20))
        15
        >>> game.n_consistent
        0
        """
        try:
            it = iter(queries)
        except TypeError:
            raise TypeError(f"queries must be an iterable of queries, got {queries!r}") from None
        asked = 0
        while self.n_consistent > 0:
            query = next(it, None)
            if query is None:
                break
            self.ask(query)
            asked += 1
        return asked

    def ask_gradient(self, W, a) -> np.ndarray:
        """Ask for the label-dependent part of a gradient: :math:`p(n+1)` queries, all answered 0.

        Parameters
        ----------
        W : ndarray of shape (p, n)
            Hidden weights of the student (the game's activation) (non-zero rows).
        a : ndarray of shape (p,)
            Its output weights (non-zero).

        Returns
        -------
        ndarray of shape (p, n + 1)
            The answers (zeros).

        Raises
        ------
        ValueError
            As for :meth:`gradient_correlations` (a refused gradient is not
            counted).
        CertificationError
            If the certified search would need more than ``max_evaluations``
            evaluations (not counted either).

        Examples
        --------
        >>> game = AdversaryGame(6, 2, "relu", tau=0.1)
        >>> W = np.random.default_rng(0).standard_normal((3, 6))
        >>> game.ask_gradient(W, np.ones(3)).shape, game.n_queries_, game.n_consistent
        ((3, 7), 21, 0)
        """
        ranks, _ = self.gradient_hits(W, a)
        self._eliminate(ranks)
        p = np.asarray(W).shape[0]
        self._record(p * (self.n + 1))
        return np.zeros((p, self.n + 1))

    def __repr__(self):
        return (
            f"AdversaryGame(n={self.n}, k={self.k}, activation={self.activation.name!r}, tau={self.tau}, "
            f"candidates={self.n_candidates}, consistent={self.n_consistent}, queries={self.n_queries_})"
        )
