"""One figure style for the whole book, and the small plotting and formatting helpers chapters share.

Imports matplotlib and seaborn lazily, so ``import lbkit`` stays numpy-only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["set_theme", "PALETTE", "plane_grid", "sci", "glue_values"]

#: Colours used consistently across chapters (seaborn "colorblind").
PALETTE = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494"]


def set_theme() -> None:
    """Apply the book's seaborn theme (white grid, colour-blind palette, readable sizes)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 9,
            "image.cmap": "RdBu_r",
        }
    )


def plane_grid(n: int, i: int, j: int, lim: float = 3.0, num: int = 201):
    """Points of the plane spanned by coordinates ``i`` and ``j`` of :math:`\\mathbb R^n`.

    Returns
    -------
    u, v : ndarray of shape (num,)
        Grid values along coordinate ``i`` and ``j``.
    X : ndarray of shape (num * num, n)
        The grid points (all other coordinates zero), ``v`` varying slowest.
    """
    u = np.linspace(-lim, lim, num)
    v = np.linspace(-lim, lim, num)
    U, V = np.meshgrid(u, v)
    X = np.zeros((num * num, n))
    X[:, i] = U.ravel()
    X[:, j] = V.ravel()
    return u, v, X


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(x: float, digits: int = 1) -> str:
    """``x`` in scientific notation as text for the prose, e.g. ``'1.4 × 10⁸'``.

    MyST-NB's glue formats numbers with Python format codes, which cannot
    write a power of ten; glue this string instead (``glue(name, sci(x))``).

    Parameters
    ----------
    x : float
        A finite number.
    digits : int, default 1
        Digits after the decimal point of the mantissa.

    Returns
    -------
    str
        ``"<mantissa> × 10<exponent>"`` with the exponent in Unicode superscripts.

    Raises
    ------
    ValueError
        If ``x`` is not finite.

    Examples
    --------
    >>> sci(1.4e8)
    '1.4 × 10⁸'
    >>> sci(0.000123, digits=2)
    '1.23 × 10⁻⁴'
    """
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"sci needs a finite number, got {x}")
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa} × 10" + str(int(exponent)).translate(_SUPERSCRIPTS)


def glue_values(**values) -> None:
    """Glue numbers and strings for the prose, in the order given: MyST-NB's ``glue(name, value, display=False)``.

    numpy scalars are stored as the Python numbers they hold (``np.float64(0.5)`` as ``0.5``,
    ``np.int64(3)`` as ``3``), so that the page shows the number and not its numpy repr.

    Parameters
    ----------
    **values : int, float, str or numpy scalar
        ``name=value`` pairs; a name that is not an identifier goes through ``**{name: value}``.

    Raises
    ------
    TypeError
        If a value is not a number or a string (a bool, an array, None ...); nothing is glued then.
    ImportError
        If MyST-NB is not installed.

    Examples
    --------
    >>> glue_values(zero_frac=np.float64(0.3333), game_fit=np.int64(4))   # doctest: +SKIP
    """
    plain = {}
    for name, value in values.items():
        if isinstance(value, (np.floating, np.integer)):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(
                f"glue_values takes numbers and strings, got {name}={value!r} of type {type(value).__name__}"
            )
        plain[name] = value
    from myst_nb import glue

    for name, value in plain.items():
        glue(name, value, display=False)
