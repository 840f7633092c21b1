"""Activations that carry their Hermite expansion, dual kernel and parity.

An :class:`Activation` is a vectorised function :math:`\\sigma:\\mathbb R\\to\\mathbb R`
together with what the book needs to know about it:

* its orthonormal Hermite coefficients :math:`c_m = \\mathbb E[\\sigma(z) h_m(z)]`,
  :math:`z\\sim N(0,1)` (closed forms for ``relu``, ``abs``, ``leaky_relu`` and
  ``erf``; Gauss--Hermite quadrature otherwise, and an 40-digit trapezoidal
  rule for the smooth built-ins when high accuracy is asked for);
* its dual kernel :math:`K(\\rho) = \\mathbb E[\\sigma(u)\\sigma(v)]` for standard
  Gaussians with correlation :math:`\\rho`;
* its parity and, for each parity, the polynomial degree of its even and odd
  parts (``inf`` when the part is not a polynomial).  The last fact decides for
  which :math:`k` the network :math:`f_S` of :mod:`lbkit.family` vanishes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from . import parity as _parity
from ._checks import (
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_points,
    check_real,
    check_real_array,
    check_rho,
    check_sign,
)
from .hermite import _quadrature_coefficients, gauss_hermite

__all__ = ["Activation", "CoefficientSource", "KernelPart", "TorchTwin"]

#: Highest degree of closed-form Hermite coefficients lbkit returns (an array of 8 MB).
M_MAX_CLOSED = 10**6


@dataclass(frozen=True)
class CoefficientSource:
    """Where an activation's Hermite coefficients come from and how accurate they are.

    Attributes
    ----------
    kind : {"closed_form", "high_precision", "quadrature", "supplied"}
        ``"closed_form"``: an exact formula (relu, abs, leaky_relu, erf,
        :func:`~lbkit.activation_library.ab_relu`); ``"high_precision"``: computed once in 40-digit
        arithmetic (sigmoid, tanh, softplus, gelu); ``"quadrature"``:
        float64 Gauss--Hermite quadrature of a custom callable;
        ``"supplied"``: given by the user (``Activation(fn, coefficients=...)``).
    max_degree : int or None
        Highest degree whose coefficient is known (``None``: every degree, up
        to the memory limit ``M_MAX_CLOSED``).
    accuracy : float
        Absolute error of each coefficient, about (``0.0`` when unknown,
        for supplied coefficients: lbkit takes them as exact).
    note : str
        One sentence for a reader.
    """

    kind: Literal["closed_form", "high_precision", "quadrature", "supplied"]
    max_degree: int | None
    accuracy: float
    note: str


@dataclass(frozen=True)
class KernelPart:
    """The part of a dual kernel with the parity of ``k``, with what a certified count needs.

    :math:`K_k(\\rho) = (K(\\rho) + (-1)^k K(-\\rho))/2`, with the Hermite degrees
    below ``k`` removed (they cancel exactly in the sums over sign patterns).

    Attributes
    ----------
    value : callable
        float64 evaluator, ndarray of correlations in [-1, 1] -> ndarray.
    value_mp : callable
        High-precision evaluator, one ``mpmath.mpf`` -> ``mpmath.mpf``
        (called inside ``mpmath.workdps(50)``).
    lipschitz : float
        A Lipschitz constant of ``value`` on [-1, 1] (it bounds the effect of
        rounded inputs).
    bound : float
        An upper bound on :math:`|K_k|` on [-1, 1].
    eps : float
        A bound on the absolute rounding error of one float64 evaluation.
    """

    value: Callable
    value_mp: Callable
    lipschitz: float
    bound: float
    eps: float

    def __call__(self, r):
        return self.value(r)

    def mp(self, r):
        return self.value_mp(r)


@dataclass(frozen=True)
class TorchTwin:
    """An activation in torch (the target of a trainer, or its student).

    Each callable takes and returns a ``torch.Tensor``; lbkit's core does not
    import torch, so the callables import it themselves.

    Attributes
    ----------
    fn : callable
        The activation, elementwise (float32 agrees with lbkit's float64 to
        float tolerance).
    inplace : callable, optional
        The same, overwriting its argument (needed by a student).
    derivative_from_output : callable, optional
        ``(h, out=None) -> act'(z)`` written through ``h = act(z)`` (needed by
        a student: the hand-written backward pass uses it).
    """

    fn: Callable
    inplace: Callable | None = None
    derivative_from_output: Callable | None = None

    @property
    def can_be_student(self) -> bool:
        return self.inplace is not None and self.derivative_from_output is not None


_CUSTOM_M_MAX = 200  # highest degree computed by float64 quadrature for custom callables
_HIGH_QUADRATURE_M = 150  # high-precision series: float64 quadrature below this degree unless asked otherwise
_INF = math.inf
_U = 2.0**-53


def _check_moments(moments) -> tuple:
    """(E[even part^2], E[odd part^2]): two finite numbers >= 0."""
    if isinstance(moments, (str, bytes)) or not hasattr(moments, "__len__") or len(moments) != 2:
        raise TypeError(f"second_moments must be a pair (E[even part^2], E[odd part^2]), got {moments!r}")
    return tuple(check_real(v, "a second moment", minimum=0) for v in moments)


def _truncated(c: np.ndarray):
    """Closed-form-like access to supplied coefficients c_0..c_M: refuse degrees past M."""
    c = c.copy()
    c.setflags(write=False)

    def coefficients(m_max):
        if m_max >= c.size:
            raise ValueError(f"m_max={m_max} is past the supplied coefficients, known up to degree {c.size - 1}")
        return c[: m_max + 1].copy()

    return coefficients


# ----------------------------------------------------------------------------
# quadrature for arbitrary callables
# ----------------------------------------------------------------------------
#: Most correlations at which a dual kernel is computed by 2-D quadrature in one call (14,400 evaluations
#: of the activation each: about 2 s for this many points).
MAX_QUADRATURE_KERNEL_POINTS = 10_000


def _correlated_expectation(g, rho: np.ndarray, name: str = "the activation") -> np.ndarray:
    """:math:`\\mathbb E[g(u) g(v)]` for standard Gaussians with correlation ``rho`` (2-D Gauss--Hermite, 120 nodes)."""
    if rho.size > MAX_QUADRATURE_KERNEL_POINTS:
        raise ValueError(
            f"the dual kernel of {name!r} has no closed form and is computed by 2-D quadrature (14400 evaluations "
            f"of the activation per correlation); rho has {rho.size} entries, more than the limit of "
            f"{MAX_QUADRATURE_KERNEL_POINTS} per call: evaluate it on fewer points (a grid, then interpolate), "
            "or give the activation its kernel (Activation(fn, kernel=...))"
        )
    x, w = gauss_hermite(120)
    u = x[:, None]
    gu = g(u)
    out = np.empty(rho.shape)
    for idx, r in np.ndenumerate(rho):
        v = r * u + math.sqrt(max(1 - r * r, 0.0)) * x[None, :]
        out[idx] = w @ (gu * g(v)) @ w
    return out


#: Points at which every activation is evaluated once when it is built: it must be finite at each
#: (a user's function that is NaN or singular on part of the line is refused there, not turned into NaN networks).
_TEST_POINTS = np.concatenate([np.linspace(-12.0, 12.0, 481), gauss_hermite(120)[0]])


def _check_finite_on_grid(fn, name: str) -> None:
    try:
        with np.errstate(all="ignore"):
            values = fn(_TEST_POINTS)
    except Exception as exc:
        raise TypeError(f"the activation {name!r} could not be evaluated on a numpy array: {exc}") from exc
    values = check_real_array(values, f"the values of the activation {name!r}")
    if values.shape != _TEST_POINTS.shape:
        raise ValueError(
            f"the activation {name!r} must map an array of shape {_TEST_POINTS.shape} to an array of the same "
            f"shape (it must be vectorised), got shape {values.shape}"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"the activation {name!r} must be finite on the whole real line, but it is NaN or infinite at "
            f"{int(bad.sum())} of {values.size} test points in [-12, 12] (for example at t = "
            f"{float(_TEST_POINTS[bad][0]):g})"
        )


class Activation:
    """A scalar activation with its Hermite expansion, dual kernel and parity.

    Build one with :func:`get_activation`; the constructor is for callables
    whose facts you want to declare yourself.

    Parameters
    ----------
    fn : callable
        Vectorised function of one real variable (ndarray in, same-shape
        ndarray out), finite on the whole real line.
    name : str, default "custom"
        Display name.
    parity : {"odd", "even", "none"}, optional
        Declared parity.  Detected numerically when omitted.
    part_degrees : tuple (even, odd), optional
        Polynomial degree of the even part and of the odd part of ``fn``
        (``-1`` for a zero part, ``math.inf`` for a part that is not a
        polynomial).  Detected numerically when omitted.
    derivative : callable, optional
        The derivative; a central difference is used when omitted.
    coefficients : array_like or callable, optional
        Known orthonormal Hermite coefficients: an array ``c_0, ..., c_M``
        (then nothing past degree ``M`` is used), or a callable
        ``m_max -> ndarray of shape (m_max + 1,)`` giving every degree (a
        closed form).  Quadrature of ``fn`` is used when omitted.
    kernel : callable, optional
        Known dual kernel ``rho -> K(rho)`` (vectorised); when omitted it
        comes from the coefficients (Mehler's formula) or from quadrature.
    kernel_derivative : callable, optional
        Known ``rho -> K'(rho)`` (vectorised); it serves gradient queries.
        When omitted: Mehler's series for 40-digit coefficients, otherwise a
        2-D Gauss--Hermite rule on :meth:`derivative`.
    coefficient_source : CoefficientSource, optional
        What callable ``coefficients`` are: ``kind="closed_form"`` (exact at
        every degree) or ``kind="high_precision"`` (40-digit values up to
        ``max_degree``, 0 past it; float64 quadrature is used below degree
        151 unless ``high_precision=True`` is asked).  Callable coefficients
        without it are ``"supplied"``.
    second_moments : (float, float), optional
        Exact :math:`\\mathbb E[\\text{even part}^2]` and
        :math:`\\mathbb E[\\text{odd part}^2]`; quadrature when omitted.
    coefficient_decay : {"slow", "fast"}, optional
        How :meth:`hermite_tail` sums: ``"slow"`` (the default, except for
        40-digit coefficients) as the second moment minus the partial sum,
        ``"fast"`` as the direct sum of the coefficients.
    symmetrized_form : callable, optional
        ``(z, sign, out) -> sigma(z) + sign * sigma(-z)``, a cheap closed form
        that may work in place (used by :meth:`symmetrized`).
    certified_kernel : callable, optional
        ``k -> KernelPart`` for certified counts (``lbkit.certify``); built
        from the series for 40-digit coefficients; when there is neither, the
        activation has no certified counts.
    torch_twin : TorchTwin, optional
        The activation in torch; needed to train on its networks as targets
        without float64 round trips, and for a student.
    norm_k_max : int, optional
        Largest support size whose exact norm the known coefficients support
        (measured); ``lbkit.norms.K_LIMIT`` when omitted.

    Attributes
    ----------
    name : str
    parity : str
    part_degrees : tuple of (int or float)
    coefficient_source : CoefficientSource
    torch_twin : TorchTwin or None
    norm_k_max : int or None

    Raises
    ------
    TypeError
        If ``fn`` is not callable, or cannot be evaluated on a numpy array
        (when the parity is detected), or a callable argument is not callable.
    ValueError
        If ``parity`` is not one of the three names, if ``part_degrees`` is
        not a pair of integers ``>= -1`` or ``math.inf``, or (when the parity
        is detected) if ``fn`` is not vectorised or is NaN or infinite at a
        test point in [-6, 6].

    Examples
    --------
    >>> from lbkit import get_activation
    >>> relu = get_activation("relu")
    >>> relu
    Activation('relu', parity='none', even part not a polynomial, odd part of degree 1)
    >>> round(float(relu.dual_kernel(0.0)), 6)   # 1 / (2 pi)
    0.159155
    >>> Activation(lambda t: t ** 3, "cube")     # parity and degrees detected
    Activation('cube', parity='odd', even part zero, odd part of degree 3)
    """

    def __init__(
        self,
        fn,
        name: str = "custom",
        *,
        parity: str | None = None,
        part_degrees: tuple | None = None,
        derivative=None,
        coefficients=None,
        kernel=None,
        kernel_derivative=None,
        coefficient_source: CoefficientSource | None = None,
        second_moments: tuple | None = None,
        coefficient_decay: str | None = None,
        symmetrized_form=None,
        certified_kernel=None,
        torch_twin: TorchTwin | None = None,
        norm_k_max: int | None = None,
    ):
        check_callable(fn, "an activation", "a vectorised callable")
        _check_finite_on_grid(fn, str(name))
        for arg, what in (
            (derivative, "derivative"),
            (kernel, "kernel"),
            (kernel_derivative, "kernel_derivative"),
            (symmetrized_form, "symmetrized_form"),
            (certified_kernel, "certified_kernel"),
        ):
            if arg is not None:
                check_callable(arg, what, "a vectorised callable" if "kernel" in what else "a callable")
        if torch_twin is not None and not isinstance(torch_twin, TorchTwin):
            raise TypeError(f"torch_twin must be a TorchTwin, got {type(torch_twin).__name__}")
        self._fn = fn
        self.name = str(name)
        self._derivative = derivative
        self._closed_kernel = kernel
        self._kernel_derivative = kernel_derivative
        self._part_moments_closed = None if second_moments is None else _check_moments(second_moments)
        self._pair = symmetrized_form
        self._certified_kernel = certified_kernel
        self.torch_twin = torch_twin
        self.norm_k_max = None if norm_k_max is None else check_int(norm_k_max, "norm_k_max", minimum=1)
        self._set_coefficients(coefficients, coefficient_source)
        if coefficient_decay is not None:
            check_choice(coefficient_decay, "coefficient_decay", ("slow", "fast"))
        else:
            coefficient_decay = "fast" if self._high else "slow"
        self._tail_by_moment = coefficient_decay == "slow"
        if parity is not None:
            check_choice(parity, "parity", ("odd", "even", "none"))
        self.parity = parity if parity is not None else _parity.detect_parity(self._fn, self.name)
        if part_degrees is None:
            part_degrees = _parity.detect_part_degrees(self)
        self.part_degrees = _parity.check_part_degrees(part_degrees)

    def _set_coefficients(self, coefficients, source):
        """The coefficient series and where it comes from (sets ``coefficient_source``)."""
        if source is not None and not isinstance(source, CoefficientSource):
            raise TypeError(f"coefficient_source must be a CoefficientSource, got {type(source).__name__}")
        if source is not None and not callable(coefficients):
            raise ValueError("coefficient_source describes callable coefficients; pass coefficients=m_max -> array")
        self._high = source is not None and source.kind == "high_precision"
        self._high_m = source.max_degree if self._high else None
        self._closed_coefficients = None if self._high else coefficients
        self._high_series = coefficients if self._high else None
        if coefficients is not None and not callable(coefficients):
            c = check_real_array(coefficients, "coefficients", allow_bool=False)
            if c.ndim != 1 or c.size == 0 or not np.all(np.isfinite(c)):
                raise ValueError(
                    f"coefficients must be a non-empty one-dimensional array of finite numbers "
                    f"c_0, ..., c_M, got shape {c.shape}"
                )
            self._closed_coefficients = _truncated(c)
            source = CoefficientSource("supplied", c.size - 1, 0.0, f"supplied by the user up to degree {c.size - 1}")
        elif coefficients is None:
            source = CoefficientSource(
                "quadrature",
                _CUSTOM_M_MAX,
                1e-15,
                f"float64 Gauss-Hermite quadrature up to degree {_CUSTOM_M_MAX}: about 1e-15 absolute for smooth "
                f"functions, much less accurate for kinks and jumps",
            )
        elif source is None:
            source = CoefficientSource("supplied", None, 0.0, "supplied by the user")
        self.coefficient_source = source

    # -- evaluation ---------------------------------------------------------
    def _values(self, values, t, what: str = "the activation"):
        """``values`` (what a user's callable returned at the points ``t``), checked finite: real, same shape."""
        values = np.asarray(values)
        if values.shape != np.shape(t) or values.dtype.kind not in "fiub" or not np.all(np.isfinite(values)):
            bad = int(np.size(values) - np.count_nonzero(np.isfinite(values))) if values.dtype.kind in "fiu" else None
            where = ""
            if bad:
                tt = np.broadcast_to(t, values.shape)[~np.isfinite(values)]
                where = f", for example at t = {float(tt.flat[0]):g}"
            raise ValueError(
                f"{what} {self.name!r} must return one finite real value per point (shape {np.shape(t)}), "
                f"got shape {values.shape} and dtype {values.dtype}"
                + (f" with {bad} NaN or infinite values{where}" if bad else "")
            )
        return values

    def __call__(self, t):
        """:math:`\\sigma(t)` elementwise, for finite real ``t`` of any shape."""
        t = check_points(t, "t")
        with np.errstate(all="ignore"):
            return self._values(self._fn(t), t)

    def derivative(self, t):
        """The derivative :math:`\\sigma'(t)` (a central difference for custom callables), for finite real ``t``."""
        t = check_points(t, "t").astype(float, copy=False)
        with np.errstate(all="ignore"):
            if self._derivative is not None:
                return self._values(self._derivative(t), t, "the derivative of").astype(float, copy=False)
            h = 1e-6 * np.maximum(1.0, np.abs(t))
            return self._values((self._fn(t + h) - self._fn(t - h)) / (2 * h), t, "the derivative of")

    def even_part(self, t):
        """:math:`(\\sigma(t) + \\sigma(-t))/2`, for finite real ``t``."""
        t = check_points(t, "t").astype(float, copy=False)
        with np.errstate(all="ignore"):
            return self._values(0.5 * (self._fn(t) + self._fn(-t)), t)

    def odd_part(self, t):
        """:math:`(\\sigma(t) - \\sigma(-t))/2`, for finite real ``t``."""
        t = check_points(t, "t").astype(float, copy=False)
        with np.errstate(all="ignore"):
            return self._values(0.5 * (self._fn(t) - self._fn(-t)), t)

    def symmetrized(self, z, sign: int, out=None):
        """:math:`\\sigma(z) + s\\,\\sigma(-z)` for ``sign`` :math:`s = \\pm 1` (twice the even or odd part).

        The built-ins use cheap closed forms (``|z|`` for ReLU with ``s=+1``,
        ``tanh(z/2)`` for the sigmoid with ``s=-1``, ...); ``out`` may be ``z``
        itself to work in place.
        """
        sign = check_sign(sign)
        z = check_points(z, "z")
        if z.ndim == 0 and out is None:  # a single point: the closed forms work on arrays
            return self.symmetrized(z.reshape(1), sign)[0]
        if out is not None and (not isinstance(out, np.ndarray) or out.shape != z.shape):
            raise ValueError(f"out must be an ndarray of the shape of z, {z.shape}, got {type(out).__name__}")
        if self._pair is not None:
            return self._pair(z, sign, out)
        with np.errstate(all="ignore"):
            res = self._values(self._fn(z) + sign * self._fn(-z), z)
        if out is not None:
            out[...] = res
            return out
        return res

    def __repr__(self):
        def part(which, d):
            if d == -1:
                return f"{which} part zero"
            return f"{which} part " + ("not a polynomial" if d == _INF else f"of degree {int(d)}")

        return (
            f"Activation({self.name!r}, parity={self.parity!r}, "
            f"{part('even', self.part_degrees[0])}, {part('odd', self.part_degrees[1])})"
        )

    # -- detection ----------------------------------------------------------
    # -- Hermite expansion --------------------------------------------------
    def hermite_coefficients(self, m_max: int, *, high_precision: bool = False) -> np.ndarray:
        """Orthonormal Hermite coefficients :math:`c_0, \\dots, c_{m_{\\max}}`.

        Parameters
        ----------
        m_max : int
            Highest degree.
        high_precision : bool, default False
            For the smooth built-ins (sigmoid, tanh, softplus, gelu) use
            coefficients computed once in 40-digit arithmetic (about 1-2 s, then
            cached), so that tiny high-degree coefficients are right in relative
            terms; they are also used whenever ``m_max > 150``.  These 40-digit
            coefficients are known only up to a degree that depends on the
            activation (160 for gelu, 220 for sigmoid and softplus, 360 for
            tanh); past it they are returned as 0, the true values being below
            3e-13 there and decaying.  No effect for the other activations.

        Returns
        -------
        c : ndarray of shape (m_max + 1,)
            ``c[m] = E[sigma(z) h_m(z)]`` with :math:`h_m = \\mathrm{He}_m/\\sqrt{m!}`.

        Raises
        ------
        TypeError
            If ``m_max`` is not an integer.
        ValueError
            If ``m_max < 0`` or ``m_max > 10**6`` (``M_MAX_CLOSED``); if
            ``m_max > 200`` for an activation without a closed form or
            40-digit coefficients (a custom callable); or if ``m_max`` is past
            the supplied coefficients.  See :attr:`coefficient_source`.

        Notes
        -----
        Closed forms are exact to rounding.  Otherwise Gauss--Hermite
        quadrature gives an absolute error of about 1e-15 for smooth
        activations (and less accuracy for kinked custom callables); custom
        callables are limited to ``m_max <= 200``.

        Examples
        --------
        >>> from lbkit import get_activation
        >>> np.round(get_activation("relu").hermite_coefficients(4), 6)
        array([ 0.398942,  0.5     ,  0.282095,  0.      , -0.081434])
        """
        m_max = check_int(m_max, "m_max", minimum=0)
        high_precision = check_bool(high_precision, "high_precision")
        if m_max > M_MAX_CLOSED:
            raise ValueError(
                f"m_max must be <= {M_MAX_CLOSED} (an array of {M_MAX_CLOSED + 1} coefficients), got "
                f"{m_max}; for a tail of the expansion use hermite_tail"
            )
        if self._closed_coefficients is not None:
            return self._closed_coefficients(m_max)
        if self._high and (high_precision or m_max > _HIGH_QUADRATURE_M):
            c = np.zeros(m_max + 1)
            top = min(m_max, self._high_m)
            c[: top + 1] = self._high_series(self._high_m)[: top + 1]
            return c
        if m_max > _CUSTOM_M_MAX:
            raise ValueError(
                f"m_max={m_max} is too high for quadrature coefficients of {self.name!r}; "
                f"m_max <= {_CUSTOM_M_MAX} is allowed for activations without a closed form"
            )
        n_nodes = max(400, 2 * m_max + 2)
        return _quadrature_coefficients(self._fn, m_max, n_nodes)  # norms judge non-finite ones

    def hermite_tail(self, m_min: int, parity: int) -> float:
        """:math:`\\sum_{m \\ge m_{\\min},\\ m \\equiv \\text{parity}\\ (2)} c_m^2`, the Hermite energy above a degree.

        Parameters
        ----------
        m_min : int
            Lowest degree included.
        parity : {0, 1}
            0 for even degrees (the even part of :math:`\\sigma`), 1 for odd.

        Returns
        -------
        float

        Raises
        ------
        TypeError
            If ``m_min`` is not an integer.
        ValueError
            If ``m_min < 0`` or ``parity`` is not 0 or 1.

        Notes
        -----
        For activations with slowly decaying coefficients (ReLU, :math:`|t|`,
        leaky ReLU, custom callables) it is the exact second moment of the
        part minus the partial sum, evaluated with ``math.fsum``; a difference
        below 1e-12 of the moment is rounding noise and is returned as 0.  For
        erf and the smooth built-ins, whose coefficients decay fast, it is the
        direct sum.
        """
        m_min = check_int(m_min, "m_min", minimum=0, maximum=M_MAX_CLOSED - 400)
        if isinstance(parity, (bool, np.bool_)) or parity not in (0, 1):
            raise ValueError(f"parity must be 0 (even degrees) or 1 (odd degrees), got {parity!r}")
        if self._tail_by_moment:
            head = self.hermite_coefficients(max(m_min - 1, 0))[parity:m_min:2]
            moment = self._part_second_moments()[parity]
            tail = math.fsum([moment] + [-(float(c) ** 2) for c in head])
            return tail if tail > 1e-12 * moment else 0.0
        top = m_min + 400 if self._high_m is None else max(m_min, self._high_m)
        c = self.hermite_coefficients(top, high_precision=True)
        start = m_min + ((parity - m_min) % 2)
        return math.fsum(float(v) ** 2 for v in c[start::2])

    def hermite_series(self, m_max: int, parity: int) -> tuple:
        """The series a norm needs, in one call: :math:`c_0, \\dots, c_{m_{\\max}}` and the tail beyond.

        Returns ``(c, tail)`` with ``c = hermite_coefficients(m_max, high_precision=True)`` and
        ``tail = hermite_tail(m_max + 1, parity)`` (see both for the arguments and errors).
        """
        return self.hermite_coefficients(m_max, high_precision=True), self.hermite_tail(m_max + 1, parity)

    def _part_second_moments(self) -> tuple:
        """(E[even part^2], E[odd part^2]) under N(0,1)."""
        if self._part_moments_closed is not None:
            return self._part_moments_closed
        x, w = gauss_hermite(800)
        f, f_minus = self._fn(x), self._fn(-x)  # unchecked: the callers test the moments for finiteness
        return (float(w @ (0.5 * (f + f_minus)) ** 2), float(w @ (0.5 * (f - f_minus)) ** 2))

    def second_moment(self) -> float:
        """:math:`\\mathbb E[\\sigma(z)^2]` for :math:`z \\sim N(0,1)` (equals :math:`K(1)`)."""
        return float(sum(self._part_second_moments()))

    # -- dual kernel ---------------------------------------------------------
    def dual_kernel(self, rho):
        """:math:`K(\\rho) = \\mathbb E[\\sigma(u)\\sigma(v)]`, :math:`(u, v)` standard with correlation ``rho``.

        Parameters
        ----------
        rho : array_like
            Correlations in [-1, 1].

        Returns
        -------
        K : ndarray of the shape of ``rho``

        Raises
        ------
        ValueError
            If ``rho`` contains NaN or infinite values or values outside
            [-1, 1].

        Notes
        -----
        Closed forms: ReLU (the arc-cosine kernel of Cho and Saul),
        :math:`|t|`, leaky ReLU and erf (:math:`\\tfrac{2}{\\pi}\\arcsin(2\\rho/3)`).
        Smooth built-ins use Mehler's formula :math:`K(\\rho)=\\sum_m c_m^2\\rho^m`
        with high-precision coefficients; custom callables a 2-D Gauss--Hermite
        rule with 120 nodes per axis.
        """
        rho = check_rho(rho)
        if self._closed_kernel is not None:
            return self._closed_kernel(rho)
        if self._high:
            c2 = self.hermite_coefficients(self._high_m, high_precision=True) ** 2
            return np.polynomial.polynomial.polyval(rho, c2)
        return _correlated_expectation(self._fn, rho, self.name)

    def dual_kernel_derivative(self, rho):
        """:math:`K'(\\rho) = \\mathbb E[\\sigma'(u)\\sigma'(v)] = \\sum_m m\\,c_m^2\\rho^{m-1}`.

        It gives the correlation of a gradient query with a target (the
        adversary of chapter 5 uses it).

        Parameters
        ----------
        rho : array_like
            Correlations in [-1, 1], as for :meth:`dual_kernel` (which raises
            the same ``ValueError`` for NaN, infinite or out-of-range values).

        Returns
        -------
        ndarray of the shape of ``rho``

        Notes
        -----
        Closed forms for the ReLU family (:math:`(\\pi-\\arccos\\rho)/(2\\pi)`
        for ReLU) and erf; Mehler's series for the smooth built-ins; otherwise
        a 2-D Gauss--Hermite rule on :meth:`derivative` (inaccurate near
        :math:`|\\rho| = 1` for a kinked custom callable).

        Examples
        --------
        >>> from lbkit import get_activation
        >>> round(float(get_activation("relu").dual_kernel_derivative(0.0)), 6)   # P(u > 0) = 1/4 at rho = 0
        0.25
        """
        rho = check_rho(rho)
        if self._kernel_derivative is not None:
            return np.asarray(self._kernel_derivative(rho), dtype=float)
        if self._high:
            c2 = self.hermite_coefficients(self._high_m, high_precision=True) ** 2
            return np.polynomial.polynomial.polyval(rho, np.polynomial.polynomial.polyder(c2))
        return _correlated_expectation(self.derivative, rho, self.name)

    # -- certified kernel ------------------------------------------------------
    @property
    def has_certified_kernel(self) -> bool:
        """Whether certified counts (``lbkit.certify``) can use this activation."""
        return self._certified_kernel is not None or self._high

    def certified_kernel(self, k: int):
        """The ``KernelPart`` of the dual kernel for support size ``k``, or None (no certified counts).

        Built from the record (a closed form with its constants) or, for 40-digit
        coefficients, from Mehler's series with the degrees below ``k`` removed.
        """
        k = check_int(k, "k", minimum=1)
        if self._certified_kernel is not None:
            return self._certified_kernel(k)
        if self._high:
            return _series_kernel(self.hermite_coefficients(400, high_precision=True), k)
        return None

    # -- the parity rule ------------------------------------------------------
    def vanishes(self, k: int) -> bool:
        """True when :math:`f_S \\equiv 0` for supports of size ``k``.

        :math:`f_S` only sees the part of :math:`\\sigma` whose parity is that
        of :math:`k`, and of it only Hermite degrees :math:`m \\ge k`; so
        :math:`f_S \\equiv 0` exactly when that part is a polynomial of degree
        below :math:`k` (zero, a constant, a linear function, ...).

        Raises
        ------
        TypeError
            If ``k`` is not an integer.
        ValueError
            If ``k < 1``.

        Examples
        --------
        >>> from lbkit import get_activation
        >>> relu = get_activation("relu")
        >>> relu.vanishes(3), relu.vanishes(4)   # relu's odd part is linear
        (True, False)
        """
        k = check_int(k, "k", minimum=1)
        return self.part_degrees[k % 2] < k

    def vanishing_reason(self, k: int) -> str:
        """A sentence explaining why :math:`f_S\\equiv 0` for this ``k`` and which ``k`` work.

        Raises
        ------
        TypeError
            If ``k`` is not an integer.
        ValueError
            If ``k < 1``, or if this ``k`` does not make :math:`f_S` vanish
            (see :meth:`vanishes`).
        """
        k = check_int(k, "k", minimum=1)
        if not self.vanishes(k):
            raise ValueError(
                f"k={k} does not make f_S vanish for {self.name}, so there is no reason to give; "
                f"{self.working_k_description()}"
            )
        return _parity.vanishing_reason(self.name, self.part_degrees, k)

    def working_k_description(self) -> str:
        """Which support sizes give a non-zero :math:`f_S`, in words."""
        return _parity.working_k_description(self.part_degrees)


def _series_kernel(c, k: int) -> KernelPart:
    """K_k from Hermite coefficients c (Mehler), degrees below k and of the other parity removed."""
    par = k % 2
    c2 = c**2
    m = np.arange(len(c2))
    keep = (m >= k) & (m % 2 == par)  # degrees below k cancel exactly in the alternating sum
    c2 = np.where(keep, c2, 0.0)
    deg = int(np.max(np.nonzero(c2)[0])) if np.any(c2) else k
    kmax = float(np.sum(c2))

    def value(r):
        x = r * r
        acc = np.zeros_like(r)
        for mm in range(deg - ((deg - par) % 2), -1, -2):  # Horner in rho^2
            acc = acc * x + c2[mm]
        return acc * r if par else acc

    def value_mp(r):
        import mpmath as mp

        return mp.fsum(mp.mpf(float(c2[mm])) * r**mm for mm in range(k, deg + 1, 2))

    return KernelPart(value, value_mp, float(np.sum(m * c2)), kmax, 4 * (deg + 2) * _U * max(kmax, 1e-300))
