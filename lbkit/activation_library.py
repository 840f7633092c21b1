"""The named activations: the built-ins, the ReLU family :func:`ab_relu`, and :func:`get_activation`."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf as _erf
from scipy.special import expit, ndtr

from ._checks import check_real
from .activations import Activation
from .closed_forms import _SQRT2PI, _erf_coefficients, _relu_coefficients, _relu_kernel, _relu_kernel_derivative

__all__ = ["get_activation", "ab_relu", "BUILTIN_ACTIVATIONS"]

_INF = math.inf

# ----------------------------------------------------------------------------
# the built-ins
# ----------------------------------------------------------------------------
_LEAKY = 0.01


def _make_builtins():
    relu_c = _relu_coefficients

    def abs_c(m_max):
        c = 2 * _relu_coefficients(m_max)
        if m_max >= 1:
            c[1] = 0.0
        return c

    def leaky_c(m_max):
        c = (1 - _LEAKY) * _relu_coefficients(m_max)
        if m_max >= 1:
            c[1] += _LEAKY
        return c

    def _gelu(t):
        return t * ndtr(t)

    def _softplus(t):
        return np.logaddexp(0.0, t)

    erf_moment = (2 / math.pi) * math.asin(2 / 3)
    a = _LEAKY

    def _pair_from(even, odd):
        """Fast sigma(z) + s sigma(-z) from in-place-capable even/odd forms."""

        def pair(z, sign, out):
            return (even if sign > 0 else odd)(z, out)

        return pair

    def _scaled(ufunc, c_in, c_out, add=0.0):
        """z -> c_out * ufunc(c_in * z) + add, writing into out when given."""

        def g(z, out):
            r = np.multiply(z, c_in, out=out) if out is not None else z * c_in
            r = ufunc(r, out=r)
            r *= c_out
            if add:
                r += add
            return r

        return g

    def _const(value):
        def g(z, out):
            if out is None:
                return np.full(np.shape(z), value)
            out[...] = value
            return out

        return g

    def _linear(c):
        def g(z, out):
            return np.multiply(z, c, out=out) if out is not None else z * c

        return g

    def _zero(z, out):
        return _const(0.0)(z, out)

    specs = {
        "relu": dict(
            fn=lambda t: np.maximum(t, 0.0),
            derivative=lambda t: (t > 0).astype(float),
            part_degrees=(_INF, 1),
            parity="none",
            coefficients=relu_c,
            kernel=_relu_kernel,
            _closed_form=True,
            _kernel_derivative=_relu_kernel_derivative,
            _part_moments=(0.25, 0.25),
            _pair=_pair_from(_scaled(np.abs, 1.0, 1.0), _linear(1.0)),
        ),
        "abs": dict(
            fn=np.abs,
            derivative=np.sign,
            part_degrees=(_INF, -1),
            parity="even",
            coefficients=abs_c,
            kernel=lambda r: 4 * _relu_kernel(r) - r,
            _closed_form=True,
            _kernel_derivative=lambda r: 4 * _relu_kernel_derivative(r) - 1,
            _part_moments=(1.0, 0.0),
            _pair=_pair_from(_scaled(np.abs, 1.0, 2.0), _zero),
        ),
        "leaky_relu": dict(
            fn=lambda t: np.where(t > 0, t, a * t),
            derivative=lambda t: np.where(t > 0, 1.0, a),
            part_degrees=(_INF, 1),
            parity="none",
            coefficients=leaky_c,
            _closed_form=True,
            kernel=lambda r: (1 - a) ** 2 * _relu_kernel(r) + a * (1 - a) * r + a * a * r,
            _kernel_derivative=lambda r: (1 - a) ** 2 * _relu_kernel_derivative(r) + a,
            _part_moments=((1 - a) ** 2 / 4, (1 + a) ** 2 / 4),
            _pair=_pair_from(_scaled(np.abs, 1.0, 1 - a), _linear(1 + a)),
        ),
        "erf": dict(
            fn=_erf,
            derivative=lambda t: 2 / math.sqrt(math.pi) * np.exp(-t * t),
            part_degrees=(-1, _INF),
            parity="odd",
            coefficients=_erf_coefficients,
            _closed_form=True,
            kernel=lambda r: (2 / np.pi) * np.arcsin(2 * r / 3),
            _kernel_derivative=lambda r: (4 / (3 * np.pi)) / np.sqrt(1 - 4 * r * r / 9),
            _part_moments=(0.0, erf_moment),
            _pair=_pair_from(_zero, _scaled(_erf, 1.0, 2.0)),
        ),
        "sigmoid": dict(
            fn=expit,
            derivative=lambda t: expit(t) * expit(-t),
            part_degrees=(0, _INF),
            parity="none",
            _high=True,
            _pair=_pair_from(_const(1.0), _scaled(np.tanh, 0.5, 1.0)),
        ),
        "tanh": dict(
            fn=np.tanh,
            derivative=lambda t: 1 - np.tanh(t) ** 2,
            part_degrees=(-1, _INF),
            parity="odd",
            _high=True,
            _pair=_pair_from(_zero, _scaled(np.tanh, 1.0, 2.0)),
        ),
        "softplus": dict(fn=_softplus, derivative=expit, part_degrees=(_INF, 1), parity="none", _high=True),
        "gelu": dict(
            fn=_gelu,
            derivative=lambda t: ndtr(t) + t * np.exp(-t * t / 2) / _SQRT2PI,
            part_degrees=(_INF, 1),
            parity="none",
            _high=True,
        ),
    }
    return specs


_SPECS = _make_builtins()
BUILTIN_ACTIVATIONS = tuple(_SPECS)
_CACHE: dict = {}


def ab_relu(a: float, b: float = 1.0) -> Activation:
    """The ReLU-type activation :math:`\\sigma(t) = a\\min(t, 0) + b\\max(t, 0)`, with closed forms.

    One family holds ReLU (``a=0, b=1``), :math:`|t|` (``a=-1, b=1``) and leaky
    ReLU (``a=0.01, b=1``); those three return the built-ins themselves.

    Parameters
    ----------
    a : float
        Slope for :math:`t < 0`.
    b : float, default 1.0
        Slope for :math:`t > 0`.

    Returns
    -------
    Activation
        With closed-form Hermite coefficients
        :math:`c_m = (b - (-1)^m a)\\,c_m^{\\mathrm{relu}}`, dual kernel
        :math:`(a^2+b^2)K_{\\mathrm{relu}}(\\rho) - 2ab\\,K_{\\mathrm{relu}}(-\\rho)`
        and its derivative.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a real number.
    ValueError
        If ``a`` or ``b`` is not finite, or both are 0.

    Examples
    --------
    >>> ab_relu(0, 1) is get_activation("relu")
    True
    >>> act = ab_relu(-0.5)
    >>> act
    Activation('ab_relu(a=-0.5, b=1)', parity='none', even part not a polynomial, odd part of degree 1)
    >>> round(float(act.dual_kernel(1.0)), 6) == round(act.second_moment(), 6)
    True
    """
    a = check_real(a, "a")
    b = check_real(b, "b")
    if a == 0 and b == 0:
        raise ValueError("a and b must not both be 0 (the zero function is not an activation)")
    for name, pair in (("relu", (0.0, 1.0)), ("abs", (-1.0, 1.0)), ("leaky_relu", (_LEAKY, 1.0))):
        if (a, b) == pair:
            return get_activation(name)

    def coefficients(m_max):
        c = _relu_coefficients(m_max)
        return c * (b - a * np.where(np.arange(m_max + 1) % 2 == 0, 1.0, -1.0))

    even, odd = (b - a) / 2, (b + a) / 2  # sigma(t) = even |t| + odd t
    return Activation(
        lambda t: np.where(t > 0, b * t, a * t),
        f"ab_relu(a={a:g}, b={b:g})",
        derivative=lambda t: np.where(t > 0, b, a),
        parity="odd" if even == 0 else ("even" if odd == 0 else "none"),
        part_degrees=(_INF if even else -1, 1 if odd else -1),
        coefficients=coefficients,
        _closed_form=True,
        kernel=lambda r: (a * a + b * b) * _relu_kernel(r) - 2 * a * b * _relu_kernel(-r),
        _kernel_derivative=lambda r: (
            (a * a + b * b) * _relu_kernel_derivative(r) + 2 * a * b * _relu_kernel_derivative(-r)
        ),
        _part_moments=(even * even, odd * odd),
        _pair=lambda z, sign, out: _ab_pair(z, sign, out, 2 * even if sign > 0 else 2 * odd, sign > 0),
    )


def _ab_pair(z, sign, out, scale, even):
    r = np.abs(z, out=out) if even else (np.copyto(out, z) or out if out is not None else z.copy())
    r *= scale
    return r


def get_activation(name_or_callable) -> Activation:
    """Look up a built-in activation by name, or wrap a callable.

    Parameters
    ----------
    name_or_callable : str, Activation or callable
        One of ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"erf"``, ``"abs"``,
        ``"softplus"``, ``"gelu"``, ``"leaky_relu"`` (slope 0.01), an
        :class:`Activation` (returned as is), or a vectorised callable (its
        parity and the degrees of its even and odd parts are detected
        numerically).

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        For an unknown name, or a callable that is not vectorised or not
        finite on the real line (see :class:`Activation`).
    TypeError
        For anything that is neither a string nor callable, or a callable
        that cannot be evaluated on a numpy array.

    Examples
    --------
    >>> get_activation("sigmoid").vanishes(2)
    True
    >>> get_activation(lambda t: t**3).part_degrees
    (-1, 3)
    """
    if isinstance(name_or_callable, Activation):
        return name_or_callable
    if isinstance(name_or_callable, str):
        key = name_or_callable.lower()
        if key not in _SPECS:
            raise ValueError(
                f"activation must be one of {', '.join(BUILTIN_ACTIVATIONS)} (or a vectorised callable), "
                f"got {name_or_callable!r}"
            )
        if key not in _CACHE:
            spec = dict(_SPECS[key])
            _CACHE[key] = Activation(spec.pop("fn"), key, **spec)
        return _CACHE[key]
    if callable(name_or_callable):
        name = getattr(name_or_callable, "__name__", "custom")
        return Activation(name_or_callable, "custom" if name == "<lambda>" else name)
    raise TypeError(
        f"an activation is a name ({', '.join(BUILTIN_ACTIVATIONS)}) or a vectorised callable, "
        f"got {name_or_callable!r} of type {type(name_or_callable).__name__}"
    )
