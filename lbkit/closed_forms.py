"""Closed forms and high-precision Hermite coefficients.

The formulas lbkit knows exactly: the orthonormal Hermite coefficients and
dual kernels of ReLU and erf in closed form, and a 40-digit quadrature of the
coefficients of any smooth function given in mpmath.  The records of
:mod:`lbkit.activation_library` are built from them.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy.special import gammaln

from ._checks import check_choice, check_int

__all__ = ["FOURIER_A", "fourier_odd_coefficient"]

_SQRT2PI = math.sqrt(2 * math.pi)


# ----------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------
def _relu_coefficients(m_max: int) -> np.ndarray:
    """c_0 = 1/sqrt(2 pi), c_1 = 1/2, c_m = He_{m-2}(0) / sqrt(2 pi m!) for m >= 2."""
    c = np.zeros(m_max + 1)
    c[0] = 1 / _SQRT2PI
    if m_max >= 1:
        c[1] = 0.5
    m = np.arange(2, m_max + 1, 2)
    j = m - 2  # He_j(0) = (-1)^(j/2) (j-1)!!  =  (-1)^(j/2) j! / (2^(j/2) (j/2)!)
    log_abs = gammaln(j + 1) - (j / 2) * math.log(2) - gammaln(j / 2 + 1) - 0.5 * gammaln(m + 1)
    c[m] = (-1.0) ** (j // 2) * np.exp(log_abs) / _SQRT2PI
    return c


def _erf_coefficients(m_max: int) -> np.ndarray:
    """c_m = (2/sqrt(3 pi)) (j-1)!! (-2/3)^(j/2) / sqrt(m!) for odd m, j = m - 1."""
    c = np.zeros(m_max + 1)
    m = np.arange(1, m_max + 1, 2)
    j = m - 1
    log_abs = (
        gammaln(j + 1)
        - (j / 2) * math.log(2)
        - gammaln(j / 2 + 1)  # (j-1)!!
        + (j / 2) * math.log(2 / 3)
        - 0.5 * gammaln(m + 1)
    )
    c[m] = (2 / math.sqrt(3 * math.pi)) * (-1.0) ** (j // 2) * np.exp(log_abs)
    return c


def _relu_kernel(rho):
    return (np.sqrt(np.maximum(1 - rho**2, 0.0)) + (np.pi - np.arccos(rho)) * rho) / (2 * np.pi)


def _relu_even_kernel(rho):
    """The ReLU kernel's even part (sqrt(1 - rho^2) + rho arcsin rho) / (2 pi), rho clipped to [-1, 1]."""
    r = np.clip(rho, -1.0, 1.0)
    return (np.sqrt((1 - r) * (1 + r)) + r * np.arcsin(r)) / (2 * np.pi)


def _relu_even_kernel_mp(rho):
    """The same in mpmath (for one mpf)."""
    import mpmath as mp

    r = max(min(rho, mp.mpf(1)), mp.mpf(-1))
    return (mp.sqrt((1 - r) * (1 + r)) + r * mp.asin(r)) / (2 * mp.pi)


def _relu_kernel_derivative(rho):
    """K'(rho) = E[1{u > 0} 1{v > 0}] = (pi - arccos rho) / (2 pi)."""
    return (np.pi - np.arccos(rho)) / (2 * np.pi)


# ----------------------------------------------------------------------------
# high-precision Hermite coefficients (trapezoidal rule in mpmath)
# ----------------------------------------------------------------------------
@cache
def _mp_coefficients(f, m_max: int) -> np.ndarray:
    """Hermite coefficients c_0..c_{m_max} of a smooth function ``f`` (mpf -> mpf), 40 significant digits.

    The trapezoidal rule with step 0.1 on [-L, L], L = 2 sqrt(m_max) + 15, is
    exponentially accurate for integrands analytic in a strip (error below
    1e-40 for these activations; the test suite checks it by halving the step).
    """
    import mpmath as mp

    with mp.workdps(40):
        h = mp.mpf(1) / 10
        n_half = int((2 * math.sqrt(m_max) + 15) / 0.1)
        sq = [mp.sqrt(m) for m in range(m_max + 2)]
        inv = [mp.mpf(0)] + [1 / s for s in sq[1:]]
        const = h / mp.sqrt(2 * mp.pi)
        c = [mp.mpf(0)] * (m_max + 1)
        for i in range(-n_half, n_half + 1):
            x = i * h
            wf = f(x) * mp.exp(-x * x / 2) * const
            h0, h1 = mp.mpf(1), x
            c[0] += wf
            if m_max >= 1:
                c[1] += wf * h1
            for m in range(1, m_max):
                h0, h1 = h1, (x * h1 - sq[m] * h0) * inv[m + 1]
                c[m + 1] += wf * h1
        out = np.array([float(v) for v in c])
    out.setflags(write=False)
    return out


# ----------------------------------------------------------------------------
# odd coefficients of tanh and the sigmoid as a Fourier integral
# ----------------------------------------------------------------------------
#: The constant a of the Fourier transform pi xi / sinh(a xi) of the activation's derivative.
FOURIER_A = {"tanh": math.pi / 2, "sigmoid": math.pi}


def fourier_odd_coefficient(m: int, activation: str) -> float:
    """An odd Hermite coefficient of tanh or the sigmoid, from its Fourier integral (30 digits).

    .. math:: c_m = \\frac{(-1)^{(m-1)/2}}{\\sqrt{m!}}\\int_0^\\infty
              \\frac{\\xi^m e^{-\\xi^2/2}}{\\sinh(a\\xi)}\\,d\\xi ,
              \\qquad a = \\pi/2 \\text{ (tanh)},\\ a = \\pi \\text{ (sigmoid)},

    because :math:`\\sigma'` has Fourier transform :math:`\\pi\\xi/\\sinh(a\\xi)` and
    :math:`c_m\\sqrt{m!} = \\mathbb E[\\sigma^{(m)}(z)]` (chapter 4,
    lem-odd-coefficients-fourier).  A route independent of the trapezoidal
    rule behind the activations' 40-digit coefficients.

    Parameters
    ----------
    m : int
        An odd degree, ``1 <= m <= 999``.
    activation : {"tanh", "sigmoid"}

    Returns
    -------
    float
        :math:`c_m`, the integral evaluated by mpmath at 30 significant digits.

    Raises
    ------
    TypeError
        If ``m`` is not an integer.
    ValueError
        If ``m`` is even or outside ``[1, 999]``, or ``activation`` is neither name.

    Examples
    --------
    >>> round(fourier_odd_coefficient(1, "tanh"), 6), round(fourier_odd_coefficient(3, "sigmoid"), 6)
    (0.605706, -0.025473)
    """
    import mpmath as mp

    m = check_int(m, "m", minimum=1, maximum=999)
    if m % 2 == 0:
        raise ValueError(f"m must be odd (the integral formula gives the odd coefficients), got {m}")
    check_choice(activation, "activation", FOURIER_A)
    with mp.workdps(30):
        a = mp.pi / (2 if activation == "tanh" else 1)
        r = mp.sqrt(m)
        integral = mp.quad(lambda x: x**m * mp.exp(-x * x / 2) / mp.sinh(a * x), [0, r / 2, r, 2 * r, mp.inf])
        return float((-1) ** ((m - 1) // 2) * integral / mp.sqrt(mp.factorial(m)))
