"""Draw the book's logo and favicon into ``_static/`` (no external assets, no text, no fonts).

The logo is the network of chapter 0 on the plane of its two coordinates:
f_S(x) = sqrt(2) sgn(x_1 x_4) min(|x_1|, |x_4|) for S = {1, 4} and the ReLU, in the
diverging colours of the book's figures (red positive, blue negative), inside a disc.
Its four quadrants of alternating sign are the coordinate-oddness that makes the
family orthogonal, and they still read at 16 pixels.

Usage (from the repository root)::

    python tools/make_logo.py            # write _static/logo.png and _static/favicon.png
    python tools/make_logo.py --check    # exit 1 if the committed files differ from a fresh drawing

The output is byte-for-byte deterministic for a given matplotlib (no date or software
stamp in the PNG); ``tests/test_site.py`` checks the committed files with ``--check``.
"""

from __future__ import annotations

import argparse
import io
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
STATIC = ROOT / "_static"
# (file name, format, size in inches, dpi); the PNG logo is also the social-preview image
OUTPUTS = (
    ("logo.png", "png", 2.0, 128),  # 256 x 256 pixels
    ("favicon.png", "png", 0.5, 96),  # 48 x 48 pixels
)


def draw(size: float):
    """The logo as a matplotlib figure of ``size`` x ``size`` inches, transparent outside the disc."""
    t = np.linspace(-3.0, 3.0, 241)
    x1, x4 = np.meshgrid(t, t)
    z = np.sqrt(2.0) * np.sign(x1 * x4) * np.minimum(np.abs(x1), np.abs(x4))
    fig = plt.figure(figsize=(size, size))
    fig.patch.set_alpha(0.0)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(-3.2, 3.2)
    ax.set_ylim(-3.2, 3.2)
    ax.set_aspect("equal")
    mesh = ax.imshow(
        z, cmap="RdBu_r", vmin=-3.3, vmax=3.3, extent=(-3, 3, -3, 3), origin="lower", interpolation="bilinear"
    )
    disc = Circle((0, 0), 3.0, transform=ax.transData)
    mesh.set_clip_path(disc)
    # the zero set of f_S: the two axes, where the sign flips
    ax.plot([-3, 3], [0, 0], color="#1f2937", lw=size * 1.2, solid_capstyle="butt")
    ax.plot([0, 0], [-3, 3], color="#1f2937", lw=size * 1.2, solid_capstyle="butt")
    ax.add_patch(Circle((0, 0), 3.0, fill=False, edgecolor="#1f2937", lw=size * 2.0))
    return fig


def render(fmt: str, size: float, dpi: int) -> bytes:
    fig = draw(size)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, transparent=True, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    for name, fmt, size, dpi in OUTPUTS:
        data = render(fmt, size, dpi)
        path = STATIC / name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes)")
    if stale:
        print(f"out of date (run python tools/make_logo.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
