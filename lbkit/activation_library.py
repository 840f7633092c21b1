"""The named activations, one record each: the built-ins, the ReLU family :func:`ab_relu`, and :func:`get_activation`.

Every fact lbkit uses about a named activation is written here, once, in its
:class:`~lbkit.Activation` record: the function and its derivative,
the Hermite coefficients with their source, the dual kernel and its
derivative, the certified kernel, the torch twin and the largest ``k`` its
norm supports.  Norms, certification, the trainers and the closed forms read
the record; adding an activation is adding a record here (or building one with
:class:`~lbkit.Activation` and passing it, or :func:`register_activation`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf as _erf
from scipy.special import expit, ndtr

from ._checks import check_real
from .activations import _U, Activation, CoefficientSource, KernelPart, TorchTwin
from .closed_forms import (
    _SQRT2PI,
    _erf_coefficients,
    _mp_coefficients,
    _relu_coefficients,
    _relu_even_kernel,
    _relu_even_kernel_mp,
    _relu_kernel,
    _relu_kernel_derivative,
)

__all__ = ["get_activation", "ab_relu", "register_activation", "BUILTIN_ACTIVATIONS"]

_INF = math.inf
LEAKY_SLOPE = 0.01  # the slope of leaky_relu for t < 0
_CLOSED = CoefficientSource("closed_form", None, 1e-16, "an exact formula, accurate to rounding at every degree")


# ----------------------------------------------------------------------------
# torch twins (torch is imported only when a trainer calls them)
# ----------------------------------------------------------------------------
def _torch():
    import torch

    return torch


def _t_relu(z):
    return _torch().relu(z)


def _t_relu_(z):
    return _torch().relu_(z)


def _d_relu(h, out=None):
    torch = _torch()
    return torch.gt(h, 0, out=out) if out is not None else (h > 0).float()


def _t_tanh(z):
    return _torch().tanh(z)


def _t_tanh_(z):
    return _torch().tanh_(z)


def _d_tanh(h, out=None):
    torch = _torch()
    d = torch.mul(h, h, out=out) if out is not None else h * h
    return d.neg_().add_(1.0)


def _t_sigmoid(z):
    return _torch().sigmoid(z)


def _t_sigmoid_(z):
    return _torch().sigmoid_(z)


def _d_sigmoid(h, out=None):
    torch = _torch()
    d = torch.mul(h, h, out=out) if out is not None else h * h  # h (1 - h) = h - h^2
    return d.neg_().add_(h)


def _t_abs(z):
    return _torch().abs(z)


def _t_leaky(z):
    return _torch().nn.functional.leaky_relu(z, LEAKY_SLOPE)


def _t_erf(z):
    return _torch().erf(z)


def _t_softplus(z):
    return _torch().nn.functional.softplus(z, threshold=40.0)


def _t_gelu(z):
    return _torch().nn.functional.gelu(z)


# ----------------------------------------------------------------------------
# fast symmetrized forms sigma(z) + s sigma(-z)
# ----------------------------------------------------------------------------
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


def _zero(z, out):
    return _const(0.0)(z, out)


# ----------------------------------------------------------------------------
# 40-digit functions of the smooth built-ins
# ----------------------------------------------------------------------------
def _mp_sigmoid(t):
    import mpmath as mp

    return 1 / (1 + mp.exp(-t))


def _mp_tanh(t):
    import mpmath as mp

    return mp.tanh(t)


def _mp_softplus(t):
    import mpmath as mp

    return mp.log1p(mp.exp(t))


def _mp_gelu(t):
    import mpmath as mp

    return t * mp.ncdf(t)


#: The built-ins with a 40-digit function (``OrthogonalNetwork.value_mp`` evaluates them).
_MP_FUNCTIONS = {"sigmoid": _mp_sigmoid, "tanh": _mp_tanh, "softplus": _mp_softplus, "gelu": _mp_gelu}


def _high_precision(mp_fn, top: int):
    """Coefficients computed once in 40-digit arithmetic up to degree ``top`` (and their source).

    Beyond ``top``, |c_m| < 1e-18 (sigmoid, softplus, gelu) or < 3e-13 and decaying (tanh), so the
    neglected part of the norm series is below 1e-12 of ||f_S||^2 for k <= 40 (checked against a
    400-degree reference in the tests).
    """
    source = CoefficientSource(
        "high_precision",
        top,
        1e-40,
        f"computed once in 40-digit arithmetic up to degree {top}; returned as 0 beyond it, where "
        f"the true values are below 3e-13 and decaying",
    )
    return dict(coefficients=lambda m_max: _mp_coefficients(mp_fn, m_max), coefficient_source=source)


# ----------------------------------------------------------------------------
# the built-ins
# ----------------------------------------------------------------------------
def _erf_kernel_part(k):
    if k % 2 == 0:  # erf is odd: its even part is zero (f_S vanishes; never asked)
        return None

    def value_mp(r):
        import mpmath as mp

        return 2 / mp.pi * mp.asin(2 * r / 3)

    return KernelPart(
        lambda r: (2 / np.pi) * np.arcsin(2 * r / 3), value_mp, 4 / (math.pi * math.sqrt(5)), 0.47, 256 * _U
    )


def _make_erf():
    return Activation(
        _erf,
        "erf",
        derivative=lambda t: 2 / math.sqrt(math.pi) * np.exp(-t * t),
        part_degrees=(-1, _INF),
        parity="odd",
        coefficients=_erf_coefficients,
        coefficient_source=_CLOSED,
        kernel=lambda r: (2 / np.pi) * np.arcsin(2 * r / 3),
        kernel_derivative=lambda r: (4 / (3 * np.pi)) / np.sqrt(1 - 4 * r * r / 9),
        second_moments=(0.0, (2 / math.pi) * math.asin(2 / 3)),
        coefficient_decay="fast",
        symmetrized_form=_pair_from(_zero, _scaled(_erf, 1.0, 2.0)),
        certified_kernel=_erf_kernel_part,
        torch_twin=TorchTwin(_t_erf),
    )


def _make_sigmoid():
    return Activation(
        expit,
        "sigmoid",
        derivative=lambda t: expit(t) * expit(-t),
        part_degrees=(0, _INF),
        parity="none",
        symmetrized_form=_pair_from(_const(1.0), _scaled(np.tanh, 0.5, 1.0)),
        torch_twin=TorchTwin(_t_sigmoid, _t_sigmoid_, _d_sigmoid),
        norm_k_max=63,
        **_high_precision(_mp_sigmoid, 220),
    )


def _make_tanh():
    return Activation(
        np.tanh,
        "tanh",
        derivative=lambda t: 1 - np.tanh(t) ** 2,
        part_degrees=(-1, _INF),
        parity="odd",
        symmetrized_form=_pair_from(_zero, _scaled(np.tanh, 1.0, 2.0)),
        torch_twin=TorchTwin(_t_tanh, _t_tanh_, _d_tanh),
        norm_k_max=63,
        **_high_precision(_mp_tanh, 360),
    )


def _make_softplus():
    return Activation(
        lambda t: np.logaddexp(0.0, t),
        "softplus",
        derivative=expit,
        part_degrees=(_INF, 1),
        parity="none",
        torch_twin=TorchTwin(_t_softplus),
        norm_k_max=64,
        **_high_precision(_mp_softplus, 220),
    )


def _make_gelu():
    return Activation(
        lambda t: t * ndtr(t),
        "gelu",
        derivative=lambda t: ndtr(t) + t * np.exp(-t * t / 2) / _SQRT2PI,
        part_degrees=(_INF, 1),
        parity="none",
        torch_twin=TorchTwin(_t_gelu),
        norm_k_max=68,
        **_high_precision(_mp_gelu, 160),
    )


# The named members of the ReLU family: (a, b, torch twin); their records are built by _ab_record.
_RELU_FAMILY = {
    "relu": (0.0, 1.0, TorchTwin(_t_relu, _t_relu_, _d_relu)),
    "abs": (-1.0, 1.0, TorchTwin(_t_abs)),
    "leaky_relu": (LEAKY_SLOPE, 1.0, TorchTwin(_t_leaky)),
}
_MAKERS = {
    "erf": _make_erf,
    "sigmoid": _make_sigmoid,
    "tanh": _make_tanh,
    "softplus": _make_softplus,
    "gelu": _make_gelu,
}
BUILTIN_ACTIVATIONS = ("relu", "abs", "leaky_relu", "erf", "sigmoid", "tanh", "softplus", "gelu")
_REGISTRY: dict = {}


def register_activation(activation: Activation) -> Activation:
    """Make a record known by its name to :func:`~lbkit.get_activation` (and so to every name-taking function).

    Parameters
    ----------
    activation : Activation
        The record; its ``name`` must not be a built-in's or already registered.

    Returns
    -------
    Activation
        The same record.

    Raises
    ------
    TypeError
        If ``activation`` is not an :class:`~lbkit.Activation`.
    ValueError
        If its name is taken.
    """
    if not isinstance(activation, Activation):
        raise TypeError(f"register_activation takes an Activation, got {type(activation).__name__}")
    key = activation.name.lower()
    if key in BUILTIN_ACTIVATIONS or key in _REGISTRY:
        raise ValueError(f"an activation named {activation.name!r} is already known")
    _REGISTRY[key] = activation
    return activation


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
    for name, (a0, b0, _) in _RELU_FAMILY.items():
        if (a, b) == (a0, b0):
            return get_activation(name)
    return _ab_record(a, b, f"ab_relu(a={a:g}, b={b:g})")


def _ab_record(a: float, b: float, name: str, torch_twin: TorchTwin | None = None) -> Activation:
    """The record of sigma(t) = a min(t, 0) + b max(t, 0): every fact from the ReLU's closed forms."""
    even, odd = (b - a) / 2, (b + a) / 2  # sigma(t) = even |t| + odd t
    if a == 0:
        fn = (lambda t: np.maximum(t, 0.0)) if b == 1 else (lambda t: b * np.maximum(t, 0.0))
    elif a == -b:
        fn = np.abs if b == 1 else (lambda t: b * np.abs(t))
    else:
        fn = lambda t: np.where(t > 0, b * t, a * t)  # noqa: E731

    def coefficients(m_max):
        c = _relu_coefficients(m_max)
        return c * (b - a * np.where(np.arange(m_max + 1) % 2 == 0, 1.0, -1.0))

    # sigma = (b - a) relu(t) + a t, so K = (b - a)^2 K_relu + a (b - a) rho + a^2 rho and K' = (b - a)^2 K'_relu + ab
    # (|t| = 2 relu(t) - t: K = 4 K_relu - rho); the named members keep their shortest forms
    def kernel(r):
        if a == 0:
            return b * b * _relu_kernel(r)
        if a == -b:
            return b * b * (4 * _relu_kernel(r) - r)
        return (b - a) ** 2 * _relu_kernel(r) + a * (b - a) * r + a * a * r

    def kernel_derivative(r):
        if a == 0:
            return b * b * _relu_kernel_derivative(r)
        if a == -b:
            return b * b * (4 * _relu_kernel_derivative(r) - 1)
        return (b - a) ** 2 * _relu_kernel_derivative(r) + a * b

    def pair(z, sign, out):
        return _ab_pair(z, sign, out, 2 * even if sign > 0 else 2 * odd, sign > 0)

    return Activation(
        fn,
        name,
        derivative=(lambda t: b * np.sign(t)) if a == -b else (lambda t: np.where(t > 0, b, a)),
        parity="odd" if even == 0 else ("even" if odd == 0 else "none"),
        part_degrees=(_INF if even else -1, 1 if odd else -1),
        coefficients=coefficients,
        coefficient_source=_CLOSED,
        kernel=kernel,
        kernel_derivative=kernel_derivative,
        second_moments=(even * even, odd * odd),
        symmetrized_form=pair,
        certified_kernel=_ab_certified_kernel(a, b),
        torch_twin=torch_twin
        if torch_twin is not None
        else TorchTwin(lambda z: b * z.clamp(min=0) + a * z.clamp(max=0)),
    )


def _ab_certified_kernel(a: float, b: float):
    """``k -> KernelPart`` of a min(t, 0) + b max(t, 0): odd part ((a + b)/2) t, even part ((b - a)/2) |t|."""
    even, odd = (b - a) / 2, (b + a) / 2

    def certified(k):
        if k % 2:  # the odd part: odd * t, kernel odd^2 rho
            if odd == 0:
                return None

            def value_mp(r):
                import mpmath as mp

                return r * ((mp.mpf(a) + mp.mpf(b)) / 2) ** 2

            o2 = odd * odd
            return KernelPart(lambda r: r * o2, value_mp, o2, o2, 256 * _U)
        if even == 0:
            return None
        scale = (b - a) ** 2  # the even part (b - a)/2 |t|: kernel (b - a)^2 times the ReLU's even part

        def value_mp(r):
            import mpmath as mp

            return (mp.mpf(b) - mp.mpf(a)) ** 2 * _relu_even_kernel_mp(r)

        # Lipschitz constant: |d/drho| = scale |arcsin rho| / (2 pi) <= scale / 4; |K| <= scale / 4 <= 0.42 scale
        return KernelPart(lambda r: scale * _relu_even_kernel(r), value_mp, scale * 0.25, 0.42 * scale, 256 * _U)

    return certified


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
        if key not in _REGISTRY:
            if key in _RELU_FAMILY:
                a, b, twin = _RELU_FAMILY[key]
                _REGISTRY[key] = _ab_record(a, b, key, twin)
            elif key in _MAKERS:
                _REGISTRY[key] = _MAKERS[key]()
            else:
                raise ValueError(
                    f"activation must be one of {', '.join(BUILTIN_ACTIVATIONS)} (or a vectorised callable), "
                    f"got {name_or_callable!r}"
                )
        return _REGISTRY[key]
    if callable(name_or_callable):
        name = getattr(name_or_callable, "__name__", "custom")
        return Activation(name_or_callable, "custom" if name == "<lambda>" else name)
    raise TypeError(
        f"an activation is a name ({', '.join(BUILTIN_ACTIVATIONS)}) or a vectorised callable, "
        f"got {name_or_callable!r} of type {type(name_or_callable).__name__}"
    )
