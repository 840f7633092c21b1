"""The orthogonal family of one-hidden-layer networks.

For a support :math:`S\\subseteq[n]` with :math:`|S|=k` and an activation
:math:`\\sigma`,

.. math:: f_S(x) = \\sum_{w\\in\\{-1,+1\\}^k} \\chi(w)\\,
          \\sigma\\!\\Big(\\frac{w\\cdot x_S}{\\sqrt k}\\Big),
          \\qquad \\chi(w) = \\prod_{i=1}^k w_i ,

a network with :math:`2^k` hidden units (Goel et al., 2020).  This module
builds its weights and evaluates it fast; :mod:`lbkit.norms` computes
:math:`\\|f_S\\|^2 = \\mathbb E_{x\\sim N(0,I_n)}[f_S(x)^2]` exactly and
:mod:`lbkit.supports` enumerates the supports.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._checks import check_bool, check_budget, check_int, check_support, check_X
from .activation_library import _MP_FUNCTIONS, get_activation
from .norms import norm_squared
from .supports import _pattern_block, sign_patterns, supports

__all__ = [
    "OrthogonalNetwork",
    "OrthogonalFamily",
    "orthogonal_network",
    "orthogonal_family",
    "coordinate_flip_deviations",
]

K_MAX_NETWORK = 26  # largest support size of a network (2^26 hidden units)
_BLOCK = 2**16  # sign patterns per block when a network evaluates in blocks
_CACHE_PATTERN_BYTES = 2**27  # a network keeps its (half) sign-pattern matrix when it takes at most 128 MiB


class OrthogonalNetwork:
    """The network :math:`f_S` (or :math:`f_S/\\|f_S\\|`) with explicit weights.

    Build it with :func:`orthogonal_network`.

    Parameters
    ----------
    n : int
        Input dimension, ``n >= 1``.
    S : iterable of int
        The support: distinct coordinates in ``range(n)``, any order;
        ``k = len(S) <= 26``.
    activation : str, callable or Activation
        The activation :math:`\\sigma` (see :func:`get_activation`).
    normalized : bool, default False
        Divide the output weights by :math:`\\|f_S\\|`, so that
        :math:`\\mathbb E[f_S^2] = 1` under :math:`N(0, I_n)`.

    Attributes
    ----------
    n : int
        Input dimension.
    S : tuple of int
        The support, sorted.
    k : int
        ``len(S)``.
    activation : Activation
    normalized : bool
        Whether the output weights are divided by :math:`\\|f_S\\|`.
    W : ndarray of shape (2**k, n)
        Hidden weights: row ``j`` is :math:`w/\\sqrt k` on the coordinates in
        ``S`` and zero elsewhere, for the ``j``-th sign pattern
        :math:`w` of :func:`~lbkit.supports.sign_patterns`.
    a : ndarray of shape (2**k,)
        Output weights :math:`\\chi(w)` (divided by :math:`\\|f_S\\|` when
        normalised).

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``S`` is not a collection of integers, or
        ``activation`` is neither a name nor callable.
    ValueError
        If ``n < 1``; if ``S`` is empty, repeats an index or has an index
        outside ``range(n)``; if ``k > 26``; for an unknown activation name;
        or if ``normalized=True`` while the parity rule makes
        :math:`f_S \\equiv 0` (the message says why and which ``k`` work).

    Examples
    --------
    >>> f = OrthogonalNetwork(4, [2, 0], "relu")
    >>> f
    OrthogonalNetwork(n=4, S=(0, 2), activation='relu', hidden=4, normalized=False, norm=0.852502)
    >>> f.W.shape, f.a
    ((4, 4), array([ 1., -1., -1.,  1.]))
    >>> X = np.random.default_rng(0).standard_normal((20000, 4))
    >>> g = OrthogonalNetwork(4, [0, 2], "relu", normalized=True)
    >>> round(float(np.mean(g(X) ** 2)), 2)          # E[f_S^2] = 1, Monte Carlo
    1.01
    """

    def __init__(self, n, S, activation, normalized=False):
        self.n = check_int(n, "n", minimum=1)
        self.S = check_support(S, self.n)
        self.k = len(self.S)
        self.activation = get_activation(activation)
        self.normalized = check_bool(normalized, "normalized")
        if self.k > K_MAX_NETWORK:
            raise ValueError(
                f"k={self.k} gives 2^k = {2**self.k} hidden units; networks with k <= {K_MAX_NETWORK} are supported"
            )
        if self.normalized and self.vanishes():
            raise ValueError(self.activation.vanishing_reason(self.k) + "; a zero network cannot be normalised")
        self._norm = None
        self._scale = 1.0 / self.norm if self.normalized else 1.0
        self._half = {}  # dtype -> (U, chi) of the units with first sign +1, when small enough to keep

    @property
    def norm(self) -> float:
        """:math:`\\|f_S\\|` of the unnormalised network under :math:`N(0, I_n)` (computed on first use)."""
        if self._norm is None:
            self._norm = math.sqrt(norm_squared(self.k, self.activation))
        return self._norm

    def vanishes(self) -> bool:
        """Whether :math:`f_S \\equiv 0` (the parity rule: see :meth:`lbkit.Activation.vanishes`).

        Examples
        --------
        >>> orthogonal_network(5, [0, 1, 2], "relu").vanishes(), orthogonal_network(5, [0, 1], "relu").vanishes()
        (True, False)
        """
        return self.activation.vanishes(self.k)

    @property
    def n_hidden(self) -> int:
        """Number of hidden units, :math:`2^k`."""
        return 2**self.k

    @property
    def W(self) -> np.ndarray:
        check_budget(
            2**self.k * (self.n + 2 * self.k) * 8,
            f"the hidden weights W of shape (2^{self.k}, {self.n})",
            "evaluate the network directly (it works in blocks) instead of forming W",
        )
        P = sign_patterns(self.k)
        W = np.zeros((2**self.k, self.n))
        W[:, self.S] = P / math.sqrt(self.k)
        return W

    @property
    def a(self) -> np.ndarray:
        # chi(w) = (-1)^(number of -1 signs) = (-1)^popcount(row index)
        parity = np.bitwise_count(np.arange(2**self.k, dtype=np.int64)) & 1
        return (1.0 - 2.0 * parity) * self._scale

    def torch_parts(self):
        """How the trainers evaluate this network in torch, or None (the activation has no torch twin).

        Returns ``(S, U, chi, act)``: ``f(x) = act(x[S] @ U.T) @ chi`` with ``U`` of shape
        ``(2^k, k)`` and ``chi`` of shape ``(2^k,)`` (float64 numpy) and ``act`` the activation's
        torch twin (see :class:`lbkit.activations.TorchTwin`).
        """
        twin = self.activation.torch_twin
        if twin is None:
            return None
        S = list(self.S)
        return S, np.ascontiguousarray(self.W[:, S]), np.asarray(self.a), twin.fn

    def _half_patterns(self, dtype):
        """(U, chi) of the 2^(k-1) units whose first sign is +1: ``U`` rows are sign patterns / sqrt(k)."""
        if dtype not in self._half:
            k = self.k
            j = np.arange(2 ** (k - 1), dtype=np.int64)
            U = (_pattern_block(k, 0, 2 ** (k - 1)) / math.sqrt(k)).astype(dtype)
            chi = ((1.0 - 2.0 * (np.bitwise_count(j) & 1)) * self._scale).astype(dtype)
            self._half[dtype] = (U, chi)
        return self._half[dtype]

    def _call_blocked(self, XS, dtype, sign, chunk_size):
        """Large k: split each pattern into its first k - b and last b signs (2^b = _BLOCK).

        The last b signs run over one table L (2^b rows) for every block, so X_low @ L.T is computed once
        per chunk of rows; each block adds the constant X_high @ u_high and applies the activation.
        """
        k, b = self.k, _BLOCK.bit_length() - 1
        s = 1.0 / math.sqrt(k)
        if ("low", dtype) not in self._half:  # one table of 2^b patterns (4 MiB), kept: no rebuilding per call
            L = _pattern_block(b, 0, 2**b) * s  # (2^b, b)
            chi_L = 1.0 - 2.0 * (np.bitwise_count(np.arange(2**b, dtype=np.int64)) & 1)
            self._half[("low", dtype)] = (L.astype(dtype), chi_L.astype(dtype))
        L, chi_L = self._half[("low", dtype)]
        out = np.zeros(XS.shape[0], dtype=dtype)
        for start in range(0, XS.shape[0], chunk_size):
            X_high, X_low = XS[start : start + chunk_size, : k - b], XS[start : start + chunk_size, k - b :]
            XL = X_low @ L.T  # (B, 2^b)
            Z = np.empty_like(XL)
            for t in range(2 ** (k - 1 - b)):  # the first k - b signs: the binary expansion of t (first bit 0)
                u_high = (_pattern_block(k - b, t, t + 1)[0] * s).astype(dtype)
                chi_high = (1.0 - 2.0 * (int(t).bit_count() & 1)) * self._scale
                np.add(XL, (X_high @ u_high)[:, None], out=Z)
                Z = self.activation.symmetrized(Z, sign, out=Z)
                out[start : start + chunk_size] += (Z @ chi_L) * dtype.type(chi_high)
        return out

    def __call__(self, X, *, dtype=np.float64, chunk_size=None) -> np.ndarray:
        """Evaluate the network.

        Parameters
        ----------
        X : array_like of shape (N, n)
            Inputs; finite values.
        dtype : {numpy.float64, numpy.float32}, default float64
            Working precision.
        chunk_size : int, optional
            Rows per chunk; by default about 2**21 pre-activations per chunk.

        Returns
        -------
        ndarray of shape (N,)
            :math:`f_S(x)` for each row, of the working ``dtype``.

        Raises
        ------
        TypeError
            If ``X`` is not numeric, ``dtype`` is neither float64 nor
            float32, or ``chunk_size`` is not an integer.
        ValueError
            If ``X`` does not have shape (N, n), has NaN or infinite entries,
            or ``chunk_size < 1``.

        Notes
        -----
        Units :math:`w` and :math:`-w` are paired:
        :math:`\\chi(-w)=(-1)^k\\chi(w)`, so the pair contributes
        :math:`\\chi(w)[\\sigma(z)+(-1)^k\\sigma(-z)]`, twice the even or odd
        part of :math:`\\sigma`.  This halves the work (for ReLU with even
        :math:`k` the pair is just :math:`|z|`).
        """
        X = check_X(X, self.n)
        dtype = np.dtype(dtype)
        if dtype not in (np.float64, np.float32):
            raise TypeError(f"dtype must be float64 or float32, got {dtype}")
        N = X.shape[0]
        k = self.k
        sign = 1 if k % 2 == 0 else -1
        blocked = 2 ** (k - 1) * k * dtype.itemsize > _CACHE_PATTERN_BYTES
        width = _BLOCK if blocked else 2 ** (k - 1)
        if chunk_size is None:  # about 2^21 pre-activations, and at most 2^15 rows, per chunk
            chunk_size = min(1 << 15, max(1, (1 << 21) // width))
        chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
        big = float(np.max(np.abs(X[:, self.S]))) if N else 0.0
        if big * math.sqrt(k) > float(np.finfo(dtype).max) / 2:  # |w.x| <= sqrt(k) max|x_S|
            raise ValueError(
                f"X has entries up to {big:g} in absolute value on S, where the pre-activations w.x overflow "
                f"{dtype.name} (largest {float(np.finfo(dtype).max):.3g}); rescale X"
            )
        XS = X[:, self.S].astype(dtype, copy=False)
        if blocked:
            return self._call_blocked(XS, dtype, sign, chunk_size)
        U, chi = self._half_patterns(dtype)
        out = np.empty(N, dtype=dtype)
        for start in range(0, N, chunk_size):
            Z = XS[start : start + chunk_size] @ U.T  # (B, 2^(k-1))
            Z = self.activation.symmetrized(Z, sign, out=Z)
            out[start : start + chunk_size] = Z @ chi
        return out

    def hermite_coefficients(self, alphas) -> np.ndarray:
        """The network's orthonormal Hermite coefficients :math:`\\hat f_S(\\alpha) = \\mathbb E[f_S\\, h_\\alpha]`.

        By the coefficient lemma (chapter 4), :math:`\\hat f_S(\\alpha)` is zero
        unless :math:`\\alpha` vanishes off :math:`S` and is odd on every
        coordinate of :math:`S`; then, with :math:`m = |\\alpha|`,

        .. math:: \\hat f_S(\\alpha) = 2^k c_m\\, k^{-m/2} \\sqrt{m!/\\textstyle\\prod_i \\alpha_i!},

        divided by :math:`\\|f_S\\|` when the network is normalised.  The
        activation's coefficients :math:`c_m` are taken in high precision.

        Parameters
        ----------
        alphas : array_like of int, shape (P, n)
            Multi-indices (non-negative degrees), one per row, as
            :func:`lbkit.hermite.hermite_multi_indices` returns them.

        Returns
        -------
        ndarray of shape (P,)

        Raises
        ------
        TypeError
            If ``alphas`` is not an array of integers.
        ValueError
            If it is not of shape ``(P, n)`` or has a negative entry.

        Examples
        --------
        >>> f = orthogonal_network(3, [0, 1], "relu")
        >>> c = f.hermite_coefficients([[1, 1, 0], [2, 0, 0], [1, 1, 1]])
        >>> round(float(c[0]), 6), float(c[1]), float(c[2])      # sqrt(2/pi), 0, 0
        (0.797885, 0.0, 0.0)
        """
        A = np.asarray(alphas)
        if A.dtype.kind not in "iu":
            raise TypeError(f"alphas must be an array of integers (multi-indices), got dtype {A.dtype}")
        if A.ndim != 2 or A.shape[1] != self.n or (A.size and A.min() < 0):
            raise ValueError(f"alphas must be non-negative integers of shape (P, {self.n}), got shape {A.shape}")
        k = self.k
        top = int(A.sum(axis=1).max()) if A.size else 0
        c = self.activation.hermite_coefficients(max(top, 1), high_precision=True)
        in_S = np.zeros(self.n, dtype=bool)
        in_S[list(self.S)] = True
        out = np.zeros(A.shape[0])
        for p, a in enumerate(A):
            if np.all(a[~in_S] == 0) and np.all(a[in_S] % 2 == 1):
                m = int(a.sum())
                multinomial = math.factorial(m) / math.prod(math.factorial(int(i)) for i in a)
                value = 2**k * c[m] * k ** (-m / 2) * math.sqrt(multinomial)
                out[p] = value / self.norm if self.normalized else value
        return out

    def value_mp(self, x, dps: int = 40):
        """:math:`f_S(x)` at one point in ``dps``-digit arithmetic (mpmath): is a tiny value's sign real?

        The sum over all :math:`2^k` units, each pre-activation :math:`w\\cdot x_S/\\sqrt k` and
        each activation value computed in ``dps`` digits from the float64 entries of ``x``
        (taken as exact), so the result is the network's value at that point to about ``dps``
        digits, with none of float64's rounding in the sum.

        Parameters
        ----------
        x : array_like of shape (n,)
            One input point, finite.
        dps : int, default 40
            Decimal digits of the arithmetic, ``dps >= 16``.

        Returns
        -------
        mpmath.mpf
            :math:`f_S(x)`, divided by :math:`\\|f_S\\|` (a float64) when the network is normalised.

        Raises
        ------
        TypeError
            If ``x`` is not numeric or ``dps`` is not an integer.
        ValueError
            If the activation has no high-precision function (only the built-ins
            ``sigmoid``, ``tanh``, ``softplus`` and ``gelu`` do), ``x`` does not have shape
            (n,) or is not finite, ``dps < 16``, or ``k > 16`` (:math:`2^k` mpmath terms).

        Examples
        --------
        >>> f = orthogonal_network(3, [0, 1, 2], "sigmoid")
        >>> x = np.array([0.3, -1.2, 2.0])
        >>> bool(abs(float(f.value_mp(x)) - f(x[None, :])[0]) < 1e-15)
        True
        """
        import mpmath as mp

        fn = _MP_FUNCTIONS.get(self.activation.name)
        if fn is None or self.activation is not get_activation(self.activation.name):
            raise ValueError(
                f"value_mp needs a built-in activation with a high-precision function "
                f"({sorted(_MP_FUNCTIONS)}), got {self.activation.name!r}"
            )
        dps = check_int(dps, "dps", minimum=16)
        if self.k > 16:
            raise ValueError(f"value_mp sums 2^k mpmath terms; k <= 16 is supported, got k={self.k}")
        x = check_X(np.asarray(x)[None, :] if np.ndim(x) == 1 else x, self.n, "x")
        if x.shape[0] != 1:
            raise ValueError(f"x must be one point of shape ({self.n},), got shape {x.shape}")
        with mp.workdps(dps):
            u = [mp.mpf(float(x[0, i])) for i in self.S]
            root_k = mp.sqrt(self.k)
            total = mp.mpf(0)
            for w in itertools.product((1, -1), repeat=self.k):
                total += math.prod(w) * fn(mp.fsum(wi * ui for wi, ui in zip(w, u)) / root_k)
            return +total if not self.normalized else total / mp.mpf(self.norm)

    def __repr__(self):
        try:
            norm = f"{self.norm:.6g}"
        except ValueError:  # the exact norm is refused for this k and activation (see norm_squared)
            norm = "unavailable"
        return (
            f"OrthogonalNetwork(n={self.n}, S={self.S}, activation={self.activation.name!r}, "
            f"hidden={2**self.k}, normalized={self.normalized}, norm={norm})"
        )


def orthogonal_network(n, S, activation="relu", normalized=False) -> OrthogonalNetwork:
    """The network :math:`f_S` for support ``S`` in dimension ``n``.

    Parameters
    ----------
    n : int
        Input dimension.
    S : iterable of int
        Distinct coordinates in ``range(n)``; ``k = len(S)``.
    activation : str, callable or Activation, default "relu"
    normalized : bool, default False
        Divide the output weights by :math:`\\|f_S\\|` so that
        :math:`\\mathbb E[f_S^2] = 1` under :math:`N(0, I_n)`.

    Returns
    -------
    OrthogonalNetwork

    Raises
    ------
    ValueError
        Repeated or out-of-range indices, an empty ``S``, ``n < 1``,
        ``k > 26``, an unknown activation name; ``normalized=True`` when the
        parity rule makes :math:`f_S \\equiv 0` (the message says why and
        which ``k`` work).
    TypeError
        If ``n`` is not an integer, ``S`` is not a collection of integers, or
        ``activation`` is neither a name nor callable.

    Examples
    --------
    >>> import numpy as np
    >>> f = orthogonal_network(4, [0, 2], "relu")
    >>> f(np.array([[1.0, 5.0, 1.0, 5.0]]))  # relu(sqrt 2) - 0 - 0 + relu(-sqrt 2)
    array([1.41421356])
    """
    return OrthogonalNetwork(n, S, activation, normalized)


class OrthogonalFamily:
    """The normalised networks :math:`f_S/\\|f_S\\|`, :math:`|S| = k`, for all supports, lazily.

    Build it with :func:`orthogonal_family`.  ``len``, indexing and iteration
    follow the lexicographic order of :func:`~lbkit.supports`; item ``i`` is built
    on access.

    Parameters
    ----------
    n, k : int
        Dimension and support size, ``1 <= k <= n``.
    activation : str, callable or Activation, default "relu"

    Attributes
    ----------
    n, k : int
    activation : Activation
    supports : Supports
        The lazy sequence of supports.

    Raises
    ------
    TypeError, ValueError
        As for :func:`orthogonal_family`.
    """

    def __init__(self, n, k, activation="relu"):
        self.supports = supports(n, k)
        self.activation = get_activation(activation)
        if self.activation.vanishes(k):
            raise ValueError(self.activation.vanishing_reason(k) + "; the family would be all zeros")
        self.n, self.k = self.supports.n, self.supports.k

    def __len__(self):
        return len(self.supports)

    def __getitem__(self, i):
        return OrthogonalNetwork(self.n, self.supports[i], self.activation, normalized=True)

    def __iter__(self):
        for S in self.supports:
            yield OrthogonalNetwork(self.n, S, self.activation, normalized=True)

    def __repr__(self):
        return (
            f"OrthogonalFamily(n={self.n}, k={self.k}, activation={self.activation.name!r}, "
            f"size{self.supports._count_text()})"
        )


def orthogonal_family(n, k, activation="relu"):
    """All normalised networks :math:`f_S/\\|f_S\\|`, :math:`|S| = k`, as a lazy sequence.

    Parameters
    ----------
    n : int
        Input dimension, ``n >= 1``.
    k : int
        Support size, ``1 <= k <= n``.
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    OrthogonalFamily
        A lazy sequence of OrthogonalNetwork: supports ``len``, indexing and iteration in the lexicographic order of
        :func:`~lbkit.supports`; item ``i`` is the normalised network
        (``normalized=True``) for the ``i``-th support, built on access.

    Raises
    ------
    ValueError
        If ``n < 1``, ``k < 1``, ``k > n``, the activation name is unknown,
        or the parity rule makes :math:`f_S \\equiv 0`.
    TypeError
        If ``n`` or ``k`` is not an integer, or ``activation`` is neither a
        name nor callable.

    Examples
    --------
    >>> fam = orthogonal_family(5, 2, "relu")
    >>> fam
    OrthogonalFamily(n=5, k=2, activation='relu', size=10)
    >>> len(fam), fam[-1].S, fam[0].normalized
    (10, (3, 4), True)
    """
    return OrthogonalFamily(n, k, activation)


def coordinate_flip_deviations(f, X) -> np.ndarray:
    """How far :math:`f_S` is from odd in each coordinate of ``S`` and even in every other, on sample points.

    With :math:`x^{(i)}` the point ``x`` with its coordinate ``i`` negated, returns for each ``i``
    :math:`\\max_x |f(x^{(i)}) + f(x)|` if ``i`` is in ``S`` and :math:`\\max_x |f(x^{(i)}) - f(x)|`
    otherwise: the deviations from coordinate-oddness (chapter 3, lem-coordinate-oddness), which
    says both are 0.

    Parameters
    ----------
    f : OrthogonalNetwork
    X : array_like of shape (N, n)
        Sample points, finite, ``N >= 1``.

    Returns
    -------
    ndarray of shape (n,)
        Entry ``i``: the largest deviation over the ``N`` points when coordinate ``i`` is negated.

    Raises
    ------
    TypeError
        If ``f`` is not an :class:`~lbkit.OrthogonalNetwork` or ``X`` is not numeric.
    ValueError
        If ``X`` does not have shape (N, n) with ``N >= 1``, or has NaN or infinite entries.

    Examples
    --------
    >>> f = orthogonal_network(4, [0, 2], "relu")
    >>> X = np.random.default_rng(0).standard_normal((100, 4))
    >>> bool(coordinate_flip_deviations(f, X).max() < 1e-12)
    True
    """
    if not isinstance(f, OrthogonalNetwork):
        raise TypeError(f"f must be an OrthogonalNetwork (from orthogonal_network), got {type(f).__name__}")
    X = check_X(X, f.n)
    if X.shape[0] == 0:
        raise ValueError("X must have at least one row, got shape (0, n)")
    fx = f(X)
    out = np.empty(f.n)
    for i in range(f.n):
        Xi = X.astype(float)  # a copy
        Xi[:, i] *= -1
        fi = f(Xi)
        out[i] = np.max(np.abs(fi + fx)) if i in f.S else np.max(np.abs(fi - fx))
    return out
