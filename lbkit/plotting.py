"""One figure style for the whole book, and the small plotting and formatting helpers chapters share.

Imports matplotlib and seaborn lazily, so ``import lbkit`` stays numpy-only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["set_theme", "PALETTE", "plane_grid", "sci", "glue_values", "draw_orthogonal_network", "plane_heatmap"]

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


def plane_heatmap(u, v, Z, *, labels, vmax: float, levels, figsize=(5.2, 4.4)):
    """A function on a plane (as :func:`plane_grid` lays it out) as a heat map with contour lines.

    A diverging colour map symmetric about zero (``RdBu_r`` from ``-vmax`` to
    ``vmax``), thin black contour lines at ``levels``, equal axes and a colour bar.

    Parameters
    ----------
    u : array_like of shape (nu,)
        Grid values along the horizontal axis.
    v : array_like of shape (nv,)
        Grid values along the vertical axis.
    Z : array_like of shape (nv, nu)
        The function's values, ``Z[r, c]`` at the point ``(u[c], v[r])``.
    labels : tuple of 3 str
        Labels of the horizontal axis, the vertical axis and the colour bar.
    vmax : float
        The colour scale runs from ``-vmax`` to ``vmax``; ``> 0``.
    levels : array_like of shape (L,)
        Values at which contour lines are drawn, increasing.
    figsize : tuple of 2 float, default (5.2, 4.4)
        Figure size in inches.

    Returns
    -------
    fig, ax : matplotlib Figure and Axes

    Raises
    ------
    TypeError
        If ``labels`` is not three strings, or ``u``, ``v``, ``Z``, ``levels``,
        ``vmax`` are not real numbers.
    ValueError
        If the shapes do not match, a value is not finite, ``vmax <= 0``, or
        ``levels`` is not increasing.

    Examples
    --------
    >>> u, v, X = plane_grid(2, 0, 1, num=11)
    >>> fig, ax = plane_heatmap(u, v, (X[:, 0] * X[:, 1]).reshape(11, 11),
    ...                         labels=("$x_0$", "$x_1$", "$x_0 x_1$"), vmax=9.0, levels=[-4, 0, 4])
    >>> ax.get_xlabel(), ax.get_aspect()
    ('$x_0$', 1.0)
    """
    import matplotlib.pyplot as plt

    from ._checks import check_real, check_real_array

    u, v, Z = (check_real_array(a, name) for a, name in ((u, "u"), (v, "v"), (Z, "Z")))
    levels = check_real_array(levels, "levels")
    if u.ndim != 1 or v.ndim != 1 or Z.shape != (v.size, u.size):
        raise ValueError(
            f"u and v must be 1-d and Z of shape (len(v), len(u)), got shapes {u.shape}, {v.shape} and {Z.shape}"
        )
    if not all(np.all(np.isfinite(a)) for a in (u, v, Z, levels)):
        raise ValueError("u, v, Z and levels must be finite (they hold NaN or infinite entries)")
    if levels.ndim != 1 or levels.size == 0 or np.any(np.diff(levels) <= 0):
        raise ValueError(f"levels must be a non-empty increasing 1-d array, got {levels!r}")
    if not (isinstance(labels, (tuple, list)) and len(labels) == 3 and all(isinstance(t, str) for t in labels)):
        raise TypeError(f"labels must be three strings (x axis, y axis, colour bar), got {labels!r}")
    vmax = check_real(vmax, "vmax", minimum=0, min_open=True)
    fig, ax = plt.subplots(figsize=figsize)
    mesh = ax.pcolormesh(u, v, Z, cmap="RdBu_r", vmin=-vmax, vmax=vmax, shading="auto")
    ax.contour(u, v, Z, levels=levels, colors="k", linewidths=0.5)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_aspect("equal")
    fig.colorbar(mesh, ax=ax, label=labels[2])
    return fig, ax


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
