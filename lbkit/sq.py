"""Statistical-query oracles: correlational (CSQ) and general (SQ).

A learner in the statistical query model never sees examples; it asks an
oracle for expectations and receives them up to a tolerance :math:`\\tau`:

* an **SQ oracle** answers :math:`\\mathbb E[\\phi(x, y)]` for a query
  :math:`\\phi` with values in :math:`[-1, 1]`;
* a **CSQ oracle** answers :math:`\\mathbb E[\\phi(x)\\, y]` for a query
  :math:`\\phi` of the input alone with :math:`\\mathbb E[\\phi(x)^2] \\le 1`.

Here :math:`x` follows one of lbkit's input distributions and
:math:`y = \\text{target}(x)`, or, with ``link=...``, a random Boolean label
:math:`y\\in\\{-1,+1\\}` with :math:`\\mathbb E[y\\mid x] = \\psi(\\text{target}(x))`
(see :func:`boolean_labels`).  Each oracle answers in one of three modes
(see :data:`ORACLE_MODES`): an honest minibatch (``"sample"``), a large fixed
sample standing in for the true expectation (``"exact"``), and a worst-case
oracle that returns the admissible answer closest to zero
(``"adversarial"``).

This module needs only numpy.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._checks import check_callable, check_choice, check_int, check_output, check_real, check_real_array
from .distributions import DISTRIBUTIONS, as_rng, sample
from .stats import RunningMoments, mean_se

__all__ = [
    "CSQOracle",
    "SQOracle",
    "ORACLE_MODES",
    "LINKS",
    "boolean_labels",
    "categorical_labels",
    "boolean_split",
    "QuerySplit",
    "split_query",
    "MulticlassSplit",
    "multiclass_split",
    "softmax_even_deviation",
]

#: The answering modes of :class:`CSQOracle` and :class:`SQOracle`.
ORACLE_MODES = {
    "sample": "empirical mean over n_samples fresh samples per query (an honest minibatch of that size)",
    "exact": "mean over one large fixed sample (default 10**6 points), with its standard error in last_se_",
    "adversarial": "the value within tau of the 'exact' answer that is closest to 0",
}

#: The named links for Boolean labels (``link=`` of the oracles): odd maps into [-1, 1].
LINKS = {
    "tanh": np.tanh,
    "sign": np.sign,
}

_EXACT_SIZE = 10**6
_CHUNK = 2**16
_CACHE_BYTES = 2**26  # keep the fixed sample in memory when it takes at most 64 MiB
_CSQ_SLACK = 1e-9  # E[phi^2] may exceed 1 by this much (rounding) ...
_CSQ_SE = 3.0  # ... plus this many standard errors of its estimate
#: Largest number of coordinates (n_samples * n) an oracle draws to answer one query.
MAX_DRAWS_PER_QUERY = 10**9
_MAX_ABS = 1e150  # largest |value| a query or phi(x) * y may reach (its square must stay finite)


def boolean_labels(mean, rng) -> np.ndarray:
    """Draw random labels in {-1, +1} with given conditional means.

    Parameters
    ----------
    mean : array_like of shape (N,)
        The conditional means :math:`\\mathbb E[y_j] = \\text{mean}_j`, each in
        :math:`[-1, 1]`.
    rng : int or numpy.random.Generator
        Source of the labels' coins (``None`` raises :class:`TypeError`).

    Returns
    -------
    y : ndarray of shape (N,)
        Independent labels, :math:`y_j = +1` with probability
        :math:`(1 + \\text{mean}_j)/2` and :math:`-1` otherwise.

    Raises
    ------
    ValueError
        If ``mean`` is not one-dimensional, is not finite, or leaves
        :math:`[-1, 1]`; or if ``rng`` is a negative integer.
    TypeError
        If ``rng`` is ``None`` or not a seed or generator (see
        :func:`as_rng`).

    Notes
    -----
    Label :math:`j` is :math:`+1` exactly when :math:`u_j < (1 + \\text{mean}_j)/2`
    for :math:`u_j` uniform on :math:`[0, 1)`, one draw per label, so the coins do
    not depend on the means: the same ``rng`` gives coupled labels for two
    targets.

    Examples
    --------
    >>> y = boolean_labels([1.0, -1.0, 0.0, 0.5], rng=0)
    >>> y[:2], set(y) <= {-1.0, 1.0}
    (array([ 1., -1.]), True)
    """
    g = check_real_array(mean, "mean", allow_bool=False)
    if g.ndim != 1:
        raise ValueError(f"mean must be one-dimensional, of shape (N,), got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError(f"mean must be finite; got {int(np.sum(~np.isfinite(g)))} NaN or infinite value(s)")
    if g.size and (g.min() < -1.0 or g.max() > 1.0):
        raise ValueError(
            f"a conditional mean of a label in {{-1, +1}} lies in [-1, 1]; got values in [{g.min():.6g}, {g.max():.6g}]"
        )
    u = as_rng(rng).random(g.shape[0])
    return np.where(u < (1.0 + g) / 2.0, 1.0, -1.0)


def categorical_labels(probs, rng) -> np.ndarray:
    """Draw one-hot labels :math:`y\\in\\{e_1,\\dots,e_c\\}` with given class probabilities.

    Parameters
    ----------
    probs : array_like of shape (N, c)
        Row ``i`` holds :math:`P(y_i = e_j)`, ``j = 1..c``: non-negative, summing to 1
        (to ``1e-9``).
    rng : int or numpy.random.Generator
        Source of the draws (``None`` raises :class:`TypeError`); one uniform per row.

    Returns
    -------
    Y : ndarray of shape (N, c)
        One-hot rows: class ``j`` is the first with :math:`u_i` below the cumulative
        probability :math:`p_{i1}+\\dots+p_{ij}` (``u_i`` uniform on :math:`[0, 1)`), the
        last class if rounding leaves ``u_i`` above them all.

    Raises
    ------
    ValueError
        If ``probs`` is not two-dimensional with ``c >= 1`` columns, not finite, has a
        negative entry or a row that does not sum to 1.
    TypeError
        If ``probs`` is not real, or ``rng`` is ``None`` or not a seed or generator.

    Examples
    --------
    >>> categorical_labels([[0.0, 1.0], [1.0, 0.0]], rng=0)
    array([[0., 1.],
           [1., 0.]])
    """
    P = check_real_array(probs, "probs", allow_bool=False)
    if P.ndim != 2:
        raise ValueError(f"probs must be two-dimensional, of shape (N, c), got shape {P.shape}")
    if P.shape[1] == 0:
        raise ValueError(f"probs must have at least one class (shape (N, c) with c >= 1), got shape {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError("probs must be finite and non-negative")
    off = np.max(np.abs(P.sum(axis=1) - 1.0)) if P.size else 0.0
    if off > 1e-9:
        raise ValueError(f"each row of probs must sum to 1, got row sums up to {off:.3g} away")
    u = as_rng(rng).random(P.shape[0])
    cls = np.minimum((u[:, None] > np.cumsum(P, axis=1)).sum(axis=1), P.shape[1] - 1)
    return np.eye(P.shape[1])[cls]


def _check_link(link):
    if link is None or callable(link):
        return link
    if isinstance(link, str) and link in LINKS:
        return link
    raise ValueError(
        f"link must be None (labels y = target(x)), one of {', '.join(repr(k) for k in LINKS)}, "
        f"or a callable mapping target values into [-1, 1], got {link!r}"
    )


class _Oracle:
    """Shared machinery of :class:`CSQOracle` and :class:`SQOracle`."""

    def __init__(
        self, target, distribution="gaussian", tau=0.01, mode="sample", rng=None, n=None, n_samples=None, link=None
    ):
        check_callable(target, "target", "a callable mapping X of shape (N, n) to y of shape (N,)")
        self.target = target
        target_n = getattr(target, "n", None)
        if n is None and target_n is None:
            raise ValueError(
                "the input dimension is unknown: pass n=..., or a target with an attribute .n "
                "(such as an lbkit OrthogonalNetwork)"
            )
        if n is not None:
            n = check_int(n, "n", minimum=1)
            if target_n is not None and int(target_n) != n:
                raise ValueError(f"n={n} disagrees with the target's input dimension target.n={target_n}")
        self.n = int(n if n is not None else check_int(target_n, "target.n", minimum=1))
        self.distribution = check_choice(distribution, "distribution", DISTRIBUTIONS)
        self.tau = check_real(tau, "tau", minimum=0, min_open=True, maximum=1)
        self.mode = check_choice(mode, "mode", ORACLE_MODES)
        if n_samples is None and mode == "sample":
            log10_size = -2 * math.log10(self.tau)  # n_samples = ceil(1 / tau^2), without overflow
            if log10_size + math.log10(self.n) > math.log10(MAX_DRAWS_PER_QUERY):
                raise ValueError(
                    f"tau={self.tau:g} implies n_samples = ceil(1/tau^2) = about 10^{log10_size:.1f} sample points "
                    f"per query "
                    f"(times n={self.n} coordinates), more than lbkit's limit of {MAX_DRAWS_PER_QUERY:.0e} "
                    f"coordinates per query; pass a smaller n_samples=... explicitly (the answer's standard error "
                    f"is then about 1/sqrt(n_samples), larger than tau), use a larger tau, or mode='exact' or "
                    f"'adversarial' (one fixed sample)"
                )
            n_samples = math.ceil(1.0 / self.tau**2)
        elif n_samples is None:
            n_samples = _EXACT_SIZE
        self.n_samples = check_int(n_samples, "n_samples", minimum=1)
        draws = self.n_samples * self.n
        if draws > MAX_DRAWS_PER_QUERY:
            # an int beyond float64 (hypothesis drew n_samples = 10**400) cannot be formatted with :e
            size = f"{draws:.2e}" if draws < 10**300 else f"about 10^{len(str(draws)) - 1}"
            given = self.n_samples if self.n_samples < 10**20 else f"(an integer of {len(str(self.n_samples))} digits)"
            raise ValueError(
                f"n_samples={given} sample points of n={self.n} coordinates are "
                f"{size} draws per query, more than lbkit's limit of "
                f"{MAX_DRAWS_PER_QUERY:.0e}; use a smaller n_samples"
            )
        self.link = _check_link(link)
        self._rng = as_rng(rng)
        self.n_queries_ = 0
        self.last_se_ = None
        # the fixed sample of the exact and adversarial modes: one seed drawn now,
        # chunk i drawn from default_rng([seed, i]); the points never change
        self._seed = int(self._rng.integers(2**63)) if mode != "sample" else None
        self._cache_X = None
        self._cache_y = None

    # -- samples ------------------------------------------------------------------
    def _chunk_sizes(self):
        full, rest = divmod(self.n_samples, _CHUNK)
        return [_CHUNK] * full + ([rest] if rest else [])

    def _labels(self, X, coins) -> np.ndarray:
        y = check_output(self.target(X), X.shape[0], "target", X.shape)
        if self.link is None:
            return y
        psi = LINKS[self.link] if isinstance(self.link, str) else self.link
        g = check_output(psi(y), X.shape[0], "link", X.shape)
        if g.min() < -1.0 or g.max() > 1.0:
            raise ValueError(
                f"the link must map the target's values into [-1, 1] (it gives E[y | x]); "
                f"got values in [{g.min():.6g}, {g.max():.6g}]"
            )
        return boolean_labels(g, coins)

    def _fixed_chunks(self):
        """Yield (X, y) chunks of the fixed sample (exact and adversarial modes)."""
        if self._cache_y is None:
            ys, Xs = [], []
            keep_X = self.n_samples * self.n * 8 <= _CACHE_BYTES
            for i, size in enumerate(self._chunk_sizes()):
                X = sample(self.distribution, size, self.n, rng=np.random.default_rng([self._seed, i]))
                y = self._labels(X, np.random.default_rng([self._seed, i, 1]))
                y.setflags(write=False)  # queries see the cached arrays read-only
                ys.append(y)
                if keep_X:
                    X.setflags(write=False)
                    Xs.append(X)
            self._cache_y = ys
            self._cache_X = Xs if keep_X else None
        for i, size in enumerate(self._chunk_sizes()):
            if self._cache_X is not None:
                X = self._cache_X[i]
            else:
                X = sample(self.distribution, size, self.n, rng=np.random.default_rng([self._seed, i]))
            yield X, self._cache_y[i]

    def _fresh_chunks(self):
        """Yield (X, y) chunks of n_samples fresh points (sample mode)."""
        for size in self._chunk_sizes():
            X = sample(self.distribution, size, self.n, rng=self._rng)
            yield X, self._labels(X, self._rng)

    # -- answering ----------------------------------------------------------------
    def _values(self, phi, X, y):  # pragma: no cover - overridden
        raise NotImplementedError

    def _check_query(self, stats):  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, phi) -> float:
        """Answer one query.

        Parameters
        ----------
        phi : callable
            For a ``CSQOracle``, ``phi(X)`` with ``X`` of shape (N, n),
            returning shape (N,), with :math:`\\mathbb E[\\phi(x)^2] \\le 1`.
            For an ``SQOracle``, ``phi(X, y)`` with ``X`` of shape (N, n) and
            ``y`` of shape (N,), returning shape (N,) with values in
            :math:`[-1, 1]`.

        Returns
        -------
        float
            The answer in the oracle's ``mode``: the sample mean of
            :math:`\\phi(x)\\,y` (CSQ) or :math:`\\phi(x, y)` (SQ) over
            ``n_samples`` fresh points (``"sample"``) or over the fixed sample
            (``"exact"``), or that fixed-sample value moved by up to ``tau``
            towards 0 (``"adversarial"``).  Each answered query adds one to
            ``n_queries_`` and sets ``last_se_``.

        Raises
        ------
        TypeError
            If ``phi`` is not callable, or ``phi`` (or the target, or the
            link) returns something that is not an array of real numbers.
        ValueError
            If ``phi`` (or the target, or the link) returns the wrong shape or
            NaN or infinite values; if the link leaves :math:`[-1, 1]`; if a
            CSQ query's estimated :math:`\\mathbb E[\\phi^2]` exceeds 1 by more
            than ``1e-9`` plus three standard errors, or an SQ query reaches
            :math:`|\\phi| > 1` on the sample.  A refused query is not counted.
        """
        check_callable(phi, "a query phi")
        chunks = self._fresh_chunks() if self.mode == "sample" else self._fixed_chunks()
        answer, stats = RunningMoments(), self._new_stats()
        for X, y in chunks:
            values, q = self._values(phi, X, y)
            for v, what in ((q, "the query phi"), (values, "phi(x) * y")):
                top = float(np.max(np.abs(v))) if v.size else 0.0
                if top > _MAX_ABS:
                    raise ValueError(
                        f"{what} reaches |value| = {top:.3g} on the oracle's sample, beyond the "
                        f"{_MAX_ABS:g} up to which lbkit averages squares in float64 without overflow; "
                        f"a valid query is bounded (SQ) or has E[phi^2] <= 1 (CSQ): rescale it"
                    )
            self._update_stats(stats, q)
            answer.add(values)
        self._check_query(stats)
        truth, se = answer.mean, answer.se
        if self.mode == "adversarial":
            value = 0.0 if abs(truth) <= self.tau else truth - self.tau * math.copysign(1.0, truth)
        else:
            value = truth
        self.last_se_ = se
        self.n_queries_ += 1
        return float(value)

    def __repr__(self):
        return (
            f"{type(self).__name__}(target={self.target!r}, distribution={self.distribution!r}, n={self.n}, "
            f"tau={self.tau:g}, mode={self.mode!r}, n_samples={self.n_samples}"
            + ("" if self.link is None else f", link={getattr(self.link, '__name__', self.link)!r}")
            + f", n_queries_={self.n_queries_})"
        )


class CSQOracle(_Oracle):
    """A correlational statistical query oracle for labels ``y = target(x)``.

    A query is a function :math:`\\phi` of the input alone with
    :math:`\\mathbb E[\\phi(x)^2]\\le 1`; the oracle answers
    :math:`\\mathbb E[\\phi(x)\\,y]` up to the tolerance ``tau`` (how, depends
    on ``mode``).

    Parameters
    ----------
    target : callable
        Maps ``X`` of shape (N, n) to the labels ``y`` of shape (N,), e.g. an
        :class:`lbkit.OrthogonalNetwork`.  Its attribute ``.n``, if any, gives
        the input dimension.
    distribution : str, default "gaussian"
        Input distribution, one of :data:`lbkit.distributions.DISTRIBUTIONS` (default
        parameters).
    tau : float, default 0.01
        Tolerance, ``0 < tau <= 1``.
    mode : {"sample", "exact", "adversarial"}, default "sample"
        ``"sample"``: the mean of :math:`\\phi(x)y` over ``n_samples`` fresh points
        per query, an honest minibatch; its error has standard deviation
        :math:`\\sqrt{\\operatorname{Var}(\\phi(x) y)/m}` with :math:`m` = ``n_samples``, about ``tau``
        for the default ``n_samples`` when :math:`\\mathbb E[\\phi^2y^2]\\approx 1`.
        ``"exact"``: the mean over one large fixed sample (``n_samples`` points, default
        :math:`10^6`, drawn once per oracle), with its standard error in
        ``last_se_``.  ``"adversarial"``: computes the ``"exact"`` value
        :math:`v` and answers the number in :math:`[v-\\tau, v+\\tau]` closest to
        zero, i.e. ``0`` if :math:`|v|\\le\\tau` and :math:`v-\\tau\\,\\mathrm{sign}(v)`
        otherwise.
    rng : int or numpy.random.Generator
        Required, although the signature shows ``rng=None``: the default
        ``None`` raises ``TypeError`` (lbkit keeps randomness explicit).  The
        source of the fresh samples, or of the seed of the fixed sample.
    n : int, optional
        Input dimension; needed when ``target`` has no attribute ``n``.
    n_samples : int, optional
        Sample size: per query in ``"sample"`` mode (default
        :math:`\\lceil 1/\\tau^2\\rceil`), of the fixed sample otherwise (default
        :math:`10^6`).  (Chapter 2 writes it :math:`m`; in lbkit's code ``m`` is
        only ever a Hermite degree.)
    link : {None, "tanh", "sign"} or callable, default None
        ``None``: the labels are ``y = target(x)``.  Otherwise the labels are
        random in :math:`\\{-1,+1\\}` with :math:`\\mathbb E[y\\mid x] =
        \\psi(\\text{target}(x))` for the link :math:`\\psi` (a name from
        ``lbkit.sq.LINKS`` or a callable with values in :math:`[-1, 1]`), drawn by
        :func:`boolean_labels`: fresh with every point in ``"sample"`` mode, once
        with the fixed sample otherwise (the coins of chunk ``i`` come from
        ``numpy.random.default_rng([seed, i, 1])``).

    Attributes
    ----------
    n_samples : int
        The sample size in use (the default filled in).
    n_queries_ : int
        Number of queries answered so far (a refused query raises and is not
        counted).
    last_se_ : float or None
        Standard error of the sample mean behind the last answer (in
        ``"adversarial"`` mode: of the value before it was moved towards 0).

    Raises
    ------
    TypeError
        If ``target`` is not callable, ``tau`` is not a real number, ``n`` or
        ``n_samples`` is not an integer, or ``rng`` is ``None`` (the default) or not a
        seed or generator; (when called) if :math:`\\phi` is not callable.
    ValueError
        If the input dimension is unknown (no ``n`` and no ``target.n``) or
        ``n`` disagrees with ``target.n``; if ``n < 1`` or ``n_samples < 1``; if
        ``tau`` is not in (0, 1]; for an unknown ``distribution``, ``mode``
        or ``link``; or if ``rng`` is a negative integer.  (When called) if
        :math:`\\phi` returns the wrong shape or non-finite values, or if its
        estimated :math:`\\mathbb E[\\phi^2]` exceeds 1 by more than ``1e-9``
        plus three standard errors of the estimate (computed on the sample
        that answers the query).

    Notes
    -----
    ``"exact"`` mode is a Monte Carlo stand-in for the population expectation,
    accurate to ``last_se_`` (not an exact integral, despite the name).  The fixed
    sample is drawn in chunks of :math:`2^{16}` points, chunk ``i`` from
    ``numpy.random.default_rng([seed, i])`` with one ``seed`` drawn from ``rng``
    at construction: two oracles built with the same integer ``rng`` share it.
    Its labels are computed once, at the first query.

    Examples
    --------
    >>> import lbkit
    >>> f = lbkit.orthogonal_network(6, [1, 4], "relu", normalized=True)
    >>> oracle = CSQOracle(f, tau=0.05, mode="adversarial", rng=0, n_samples=10**5)
    >>> oracle(lambda X: X[:, 0])  # E[x_0 f_S(x)] = 0, so the adversary says 0
    0.0
    >>> oracle.n_queries_
    1
    """

    def _values(self, phi, X, y):
        q = check_output(phi(X), X.shape[0], "a CSQ query phi(X)", X.shape)
        return q * y, q

    @staticmethod
    def _new_stats():
        return RunningMoments()

    @staticmethod
    def _update_stats(stats, q):
        stats.add(q * q)

    def _check_query(self, stats):
        mean2, se2 = stats.mean, (stats.se if stats.N > 1 else 0.0)
        if mean2 > 1.0 + _CSQ_SLACK + _CSQ_SE * se2:
            raise ValueError(
                f"a correlational query needs E[phi(x)^2] <= 1, but this one has E[phi^2] = {mean2:.6g} "
                f"(standard error {se2:.2g}) on the oracle's {stats.N} sample points; divide phi by its norm "
                f"(a label-free quantity the learner can compute) and multiply the answer back"
            )


class SQOracle(_Oracle):
    """A statistical query oracle for labels ``y = target(x)``.

    A query is a function :math:`\\phi(x, y)` with values in :math:`[-1, 1]`;
    the oracle answers :math:`\\mathbb E[\\phi(x, y)]` up to the tolerance
    ``tau`` (how, depends on ``mode``).  A query is called as ``phi(X, y)``
    with ``X`` of shape (N, n) and ``y`` of shape (N,) and must return shape
    (N,).  In ``"sample"`` mode the error of an answer has standard deviation
    :math:`\\sqrt{\\operatorname{Var}\\phi/m}\\le 1/\\sqrt m` (:math:`m` = ``n_samples``), so at
    most ``tau`` for the default ``n_samples``.

    Parameters
    ----------
    target, distribution, tau, mode, n, n_samples, link
        As for :class:`CSQOracle`.
    rng : int or numpy.random.Generator
        Required, although the signature shows ``rng=None``: the default
        ``None`` raises ``TypeError`` (lbkit keeps randomness explicit).  The
        source of the fresh samples, or of the seed of the fixed sample.

    Attributes
    ----------
    n_samples : int
        The sample size in use (the default filled in).
    n_queries_ : int
    last_se_ : float or None
        As for :class:`CSQOracle`.

    Raises
    ------
    TypeError
        As for :class:`CSQOracle` (in particular when ``rng`` is ``None``).
    ValueError
        As for :class:`CSQOracle` at construction; (when called) if
        :math:`\\phi` returns the wrong shape or non-finite values, or if
        :math:`|\\phi| > 1` anywhere on the sample that answers the query.

    Examples
    --------
    >>> import lbkit
    >>> f = lbkit.orthogonal_network(6, [1, 4], "relu", normalized=True)
    >>> oracle = SQOracle(f, mode="exact", rng=0, n_samples=10**5)
    >>> round(oracle(lambda X, y: (np.sign(y) == np.sign(X[:, 1] * X[:, 4])).astype(float)), 6)
    1.0
    """

    def _values(self, phi, X, y):
        q = check_output(phi(X, y), X.shape[0], "an SQ query phi(X, y)", X.shape)
        return q, q

    @staticmethod
    def _new_stats():
        return {"max": 0.0, "N": 0}

    @staticmethod
    def _update_stats(stats, q):
        stats["max"] = max(stats["max"], float(np.max(np.abs(q))))
        stats["N"] += q.size

    def _check_query(self, stats):
        if stats["max"] > 1.0 + 1e-12:
            raise ValueError(
                f"a statistical query must take values in [-1, 1], but this one reaches |phi| = {stats['max']:.6g} "
                f"on the oracle's {stats['N']} sample points; rescale it (and the answer) by its bound"
            )


def boolean_split(phi):
    """Split a query with Boolean labels into a label-free part and a correlational part.

    For :math:`y\\in\\{-1,+1\\}`, :math:`\\phi(x,y) = \\phi_0(x) + y\\,\\phi_1(x)` with

    .. math:: \\phi_0(x) = \\tfrac12\\big(\\phi(x,1)+\\phi(x,-1)\\big),\\qquad
              \\phi_1(x) = \\tfrac12\\big(\\phi(x,1)-\\phi(x,-1)\\big).

    Parameters
    ----------
    phi : callable
        ``phi(X, y)`` with ``X`` of shape (N, n), ``y`` of shape (N,), returning
        shape (N,).

    Returns
    -------
    phi0, phi1 : callable
        Functions of ``X`` alone, shape (N, n) -> (N,).  If :math:`|\\phi|\\le 1`
        then :math:`|\\phi_0|, |\\phi_1| \\le 1`, so :math:`\\phi_1` is a valid CSQ.

    Raises
    ------
    TypeError
        If ``phi`` is not callable.

    Examples
    --------
    >>> phi0, phi1 = boolean_split(lambda X, y: (1 - y * np.sign(X[:, 0])) / 2)  # 0-1 error of sign(x_0)
    >>> X = np.array([[2.0], [-1.0]])
    >>> phi0(X), phi1(X)
    (array([0.5, 0.5]), array([-0.5,  0.5]))
    """
    check_callable(phi, "phi", "a callable phi(X, y)")

    def _at(X, s):
        X = np.asarray(X)
        return check_real_array(phi(X, np.full(X.shape[0], s, dtype=float)), "phi(X, y)")

    def phi0(X):
        return 0.5 * (_at(X, 1.0) + _at(X, -1.0))

    def phi1(X):
        return 0.5 * (_at(X, 1.0) - _at(X, -1.0))

    return phi0, phi1


class QuerySplit(NamedTuple):
    """One SQ query's answer and its two parts (see :func:`split_query`)."""

    whole: float
    whole_se: float
    label_free: float
    correlational: float
    correlational_se: float


def split_query(sq, csq, phi) -> QuerySplit:
    """Ask an SQ query whole, and its label-free and correlational parts (:func:`~lbkit.boolean_split`).

    With Boolean labels :math:`\\mathbb E[\\phi(x,y)] = \\mathbb E[\\phi_0(x)] +
    \\mathbb E[\\phi_1(x)\\,y]`: the SQ oracle answers :math:`\\phi` and :math:`\\phi_0`, the
    CSQ oracle answers :math:`\\phi_1` (three queries, in that order).

    Parameters
    ----------
    sq : SQOracle
    csq : CSQOracle
        Oracles for the same target and the same link (build them with one seed in mode
        ``"exact"`` and the parts add up to the whole to rounding error).
    phi : callable
        ``phi(X, y)``, shapes (N, n) and (N,) -> (N,), values in :math:`[-1, 1]`.

    Returns
    -------
    QuerySplit
        ``(whole, whole_se, label_free, correlational, correlational_se)``: the answers to
        :math:`\\phi`, :math:`\\phi_0` and :math:`\\phi_1`, with the standard errors of the
        first and the last.

    Raises
    ------
    TypeError
        If ``sq`` is not an :class:`SQOracle`, ``csq`` not a :class:`CSQOracle`, or ``phi``
        not callable.
    ValueError
        If the oracles have different targets or links (the parts would not add up), or
        an oracle refuses a query (see :meth:`lbkit.SQOracle.__call__`).

    Examples
    --------
    >>> f = lambda X: X[:, 0]
    >>> sq = SQOracle(f, n=1, link="sign", mode="exact", n_samples=1000, rng=0)
    >>> csq = CSQOracle(f, n=1, link="sign", mode="exact", n_samples=1000, rng=0)
    >>> s = split_query(sq, csq, lambda X, y: (1 + y * np.sign(X[:, 0])) / 2)   # P(y = sign x_0)
    >>> s.whole, s.label_free, s.correlational
    (1.0, 0.5, 0.5)
    """
    if not isinstance(sq, SQOracle):
        raise TypeError(f"sq must be an SQOracle, got {type(sq).__name__}")
    if not isinstance(csq, CSQOracle):
        raise TypeError(f"csq must be a CSQOracle, got {type(csq).__name__}")
    if sq.target is not csq.target or sq.link is not csq.link:
        raise ValueError("sq and csq must share one target and one link, or the parts do not add up to the whole")
    phi0, phi1 = boolean_split(phi)
    whole = sq(phi)
    whole_se = sq.last_se_
    label_free = sq(lambda X, y: phi0(X))
    correlational = csq(phi1)
    return QuerySplit(whole, whole_se, label_free, correlational, csq.last_se_)


class MulticlassSplit(NamedTuple):
    """A multiclass query's mean and its two parts (see :func:`multiclass_split`)."""

    whole: float
    whole_se: float
    label_free: float
    correlational: float
    residual: float
    residual_se: float
    phis: np.ndarray


def multiclass_split(phi, X, Y, probs) -> MulticlassSplit:
    """Split a query with one-hot labels into a label-free and a correlational part, on a sample.

    With :math:`y\\in\\{e_1,\\dots,e_c\\}`, :math:`\\phi(x, y) = \\sum_j y_j\\,\\phi(x, e_j)`, so
    :math:`\\mathbb E[\\phi] = \\mathbb E[\\tfrac1c\\sum_j \\phi(x, e_j)] + \\mathbb E[\\sum_j
    \\phi(x, e_j)(p_j(x) - \\tfrac1c)]` for :math:`p_j(x) = P(y = e_j\\mid x)`: a label-free
    expectation plus a correlational one with the centred class probabilities.

    Parameters
    ----------
    phi : callable
        ``phi(X, Y)`` with ``X`` of shape (N, n) and one-hot ``Y`` of shape (N, c), returning (N,).
    X : ndarray of shape (N, n)
        The sample.
    Y : ndarray of shape (N, c)
        One-hot labels drawn from ``probs`` (e.g. by :func:`categorical_labels`).
    probs : ndarray of shape (N, c)
        The class probabilities :math:`p_j(x_i)`.

    Returns
    -------
    MulticlassSplit
        ``whole, whole_se``: the sample mean of :math:`\\phi(x, y)` and its standard error;
        ``label_free`` and ``correlational``: the sample means of the two parts;
        ``residual, residual_se``: the mean of :math:`\\phi(x, y) - \\sum_j p_j(x)\\phi(x, e_j)`
        (zero in expectation, conditionally on :math:`x`) and its standard error; ``phis``:
        the values :math:`\\phi(x_i, e_j)`, shape (N, c).

    Raises
    ------
    TypeError
        If ``phi`` is not callable or returns non-real values.
    ValueError
        If ``X`` is not a finite real array of shape (N, n), ``Y`` and ``probs`` do not have
        one shape (N, c), ``Y`` is not one-hot, or ``phi`` returns the wrong shape.

    Examples
    --------
    >>> X = np.array([[1.0], [-1.0], [2.0]])
    >>> Y = np.eye(2)[[0, 1, 1]]
    >>> s = multiclass_split(lambda X, Y: Y[:, 0] * np.tanh(X[:, 0]), X, Y, np.full((3, 2), 0.5))
    >>> round(s.whole, 4), round(s.label_free + s.correlational, 4)
    (0.2539, 0.1607)
    """
    check_callable(phi, "phi", "a callable phi(X, Y)")
    X_real = check_real_array(X, "X")  # checked; phi receives X as given
    if X_real.ndim != 2 or not np.all(np.isfinite(X_real)):
        raise ValueError(
            f"X must be a finite array of shape (N, n), got shape {X_real.shape}"
            + ("" if X_real.ndim != 2 else " with NaN or infinite entries")
        )
    X = np.asarray(X)
    Y = check_real_array(Y, "Y")
    P = check_real_array(probs, "probs")
    if Y.ndim != 2 or P.shape != Y.shape or Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"Y and probs must both have shape (N, c) with N = len(X) = {X.shape[0]}, got {Y.shape} and {P.shape}"
        )
    if not (np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1)):
        raise ValueError("Y must be one-hot: entries 0 or 1, one 1 per row")
    N, c = Y.shape

    def _phi(labels):
        return check_output(phi(X, labels), N, "phi(X, Y)", X.shape)

    phis = np.stack([_phi(np.tile(np.eye(c)[j], (N, 1))) for j in range(c)], axis=1)
    values = _phi(Y)
    whole, whole_se = mean_se(values)
    label_free = float(np.mean(phis @ np.full(c, 1 / c)))
    correlational = float(np.mean(np.sum(phis * (P - 1 / c), axis=1)))
    residual, residual_se = mean_se(values - np.sum(phis * P, axis=1))
    return MulticlassSplit(whole, whole_se, label_free, correlational, residual, residual_se, phis)


def softmax_even_deviation(a, b, t_max: float = 6.0, num: int = 1201) -> float:
    """How far a softmax over logits :math:`a_j + b_j t` is from a constant plus an odd function of ``t``.

    For :math:`p(t) = \\mathrm{softmax}(a + b\\,t)`, the largest
    :math:`|p_j(t) + p_j(-t) - 2p_j(0)|` over ``num`` equally spaced ``t`` in
    :math:`[-t_{\\max}, t_{\\max}]` and all classes ``j``: zero (to rounding) exactly when
    every :math:`p_j - p_j(0)` is odd on the grid.

    Parameters
    ----------
    a, b : array_like of shape (c,)
        Intercepts and slopes of the logits, ``c >= 2``.
    t_max : float, default 6.0
        Half-width of the grid, ``> 0``.
    num : int, default 1201
        Number of grid points, odd (so that ``t = 0`` is one of them), ``>= 3``.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not real, or ``num`` is not an integer.
    ValueError
        If ``a`` and ``b`` are not one-dimensional of one length ``c >= 2``, not finite, or
        ``t_max <= 0``, ``num`` is even or below 3, or the logits overflow float64.

    Examples
    --------
    >>> softmax_even_deviation([0.0, 0.0], [1.0, -1.0]) < 1e-15      # p_1 = sigmoid(2t): 1/2 + odd
    True
    >>> round(softmax_even_deviation([0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]), 3)   # p_2(6) + p_2(-6) far below 2/3
    0.662
    """
    a = check_real_array(a, "a", allow_bool=False)
    b = check_real_array(b, "b", allow_bool=False)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        raise ValueError(f"a and b must be one-dimensional of one length c >= 2, got shapes {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("a and b must be finite")
    t_max = check_real(t_max, "t_max", minimum=0, min_open=True)
    num = check_int(num, "num", minimum=3)
    if num % 2 == 0:
        raise ValueError(f"num must be odd, so that t = 0 is a grid point, got {num}")
    t = np.linspace(-t_max, t_max, num)
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.multiply.outer(t, b) + a
    if not np.all(np.isfinite(z)):
        raise ValueError(
            f"the logits a + b t overflow float64 for |t| <= t_max={t_max:g}, b up to {np.max(np.abs(b)):g} and a up "
            f"to {np.max(np.abs(a)):g} in absolute value; rescale them"
        )
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return float(np.max(np.abs(p + p[::-1] - 2 * p[num // 2])))
