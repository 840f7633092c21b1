"""One figure style for the whole book, and the small plotting and formatting helpers chapters share.

Imports matplotlib and seaborn lazily, so ``import lbkit`` stays numpy-only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["set_theme", "PALETTE", "plane_grid", "sci", "glue_values", "draw_orthogonal_network"]

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


def draw_orthogonal_network(f, ax) -> int:
    """Draw the network :math:`f_S` as a diagram: inputs, the :math:`2^k` hidden units, the output.

    Inputs in ``S`` are filled discs, the others open and labelled "not in S"; each hidden unit is a box
    labelled with its sign pattern :math:`w`; an edge is drawn for every non-zero weight, in
    ``PALETTE[1]`` when the weight is positive and ``PALETTE[0]`` when negative (the output
    edges, of weight :math:`\\chi(w)`, thicker).  The axes are turned off.

    Parameters
    ----------
    f : OrthogonalNetwork
        A network with at most 16 inputs and 16 hidden units (``k <= 4``), so that the drawing stays legible.
    ax : matplotlib.axes.Axes
        Where to draw (about 7.5 x 5.4 inches suits ``n = 5``, ``k = 3``).

    Returns
    -------
    int
        The number of input-to-hidden edges drawn (one per non-zero hidden weight, :math:`k\\,2^k`).

    Raises
    ------
    TypeError
        If ``f`` is not an OrthogonalNetwork.
    ValueError
        If ``f`` has more than 16 inputs or hidden units.
    """
    from .family import OrthogonalNetwork

    if not isinstance(f, OrthogonalNetwork):
        raise TypeError(f"f must be an OrthogonalNetwork (from orthogonal_network), got {type(f).__name__}")
    if f.n > 16 or f.n_hidden > 16:
        raise ValueError(f"the diagram is legible for n <= 16 and k <= 4, got n = {f.n}, k = {f.k}")
    W, a, S = f.W, f.a, list(f.S)
    pos_col, neg_col = PALETTE[1], PALETTE[0]
    y_in = np.linspace(3.5, -3.5, f.n)
    y_hid = np.linspace(4.2, -4.2, f.n_hidden)
    n_edges = 0
    for j in range(f.n_hidden):
        for i in range(f.n):
            if W[j, i] != 0:
                ax.plot([0, 1], [y_in[i], y_hid[j]], color=pos_col if W[j, i] > 0 else neg_col, lw=1.1, zorder=1)
                n_edges += 1
        ax.plot([1, 2], [y_hid[j], 0], color=pos_col if a[j] > 0 else neg_col, lw=2.2, zorder=1)
    for i in range(f.n):
        inside = i in S
        ax.scatter(
            0,
            y_in[i],
            s=520,
            zorder=2,
            facecolor="#333333" if inside else "white",
            edgecolor="#333333" if inside else "#aaaaaa",
            linewidth=1.5,
        )
        ax.text(
            -0.09,
            y_in[i],
            f"$x_{i}$" + ("" if inside else "  (not in $S$)"),
            ha="right",
            va="center",
            color="black" if inside else "#888888",
            fontsize=11,
        )
    for j in range(f.n_hidden):  # hidden units: boxes labelled sigma(w) with the sign pattern w
        label = r"$\sigma$ (" + ",".join("+" if s > 0 else "\u2212" for s in np.sign(W[j, S])) + ")"
        ax.text(
            1,
            y_hid[j],
            label,
            ha="center",
            va="center",
            fontsize=9.5,
            family="monospace",
            zorder=3,
            bbox=dict(boxstyle="round,pad=0.35", facecolor="white", edgecolor="#333333", linewidth=1.3),
        )
    ax.scatter(2, 0, s=700, zorder=2, facecolor="white", edgecolor="#333333", linewidth=1.5)
    ax.text(2.14, 0, "$f_S(x)$", ha="left", va="center", fontsize=12)
    ax.plot([], [], color=pos_col, lw=2, label=rf"$+1/\sqrt{{{f.k}}}$ or $\chi(w)=+1$")
    ax.plot([], [], color=neg_col, lw=2, label=rf"$-1/\sqrt{{{f.k}}}$ or $\chi(w)=-1$")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    ax.set_xlim(-0.75, 2.45)
    ax.set_ylim(-4.8, 4.8)
    ax.axis("off")
    return n_edges
