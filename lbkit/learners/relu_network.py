"""The ReLU network :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x + b_j)` in torch.

Its closed-form second moment without biases (:func:`relu_second_moment`), chapter 2's small functional
network with biases (parameters in a dict, for ``torch.func``: :func:`relu_net` and its loss, gradients,
derivative queries and gradient spread), and the minibatch-gradient noise of the two-layer student at
initialisation (:func:`minibatch_gradient_sd`).

Importing this module imports torch.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._checks import check_budget, check_callable, check_choice, check_int, check_real

# importing .utils settles MKL's vector-math dispatch before the first torch op of this module (see there)
from . import utils  # noqa: F401

__all__ = [
    "relu_second_moment",
    "relu_net_params",
    "relu_net",
    "relu_net_loss",
    "flatten_parameters",
    "relu_net_batch_gradients",
    "relu_net_derivative_queries",
    "relu_net_gradient_spread",
    "minibatch_gradient_sd",
]

#: The parameter blocks of :func:`relu_net`, in the order :func:`flatten_parameters` concatenates them.
RELU_NET_BLOCKS = ("W", "b", "a")


def relu_second_moment(W: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """:math:`\\mathbb E[h(x)^2]` for :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x)` under :math:`N(0, I_n)`.

    In closed form through the ReLU's dual kernel,
    :math:`\\mathbb E[\\mathrm{relu}(u\\cdot x)\\,\\mathrm{relu}(v\\cdot x)] = \\|u\\|\\|v\\|
    \\bigl(\\sqrt{1-\\rho^2} + (\\pi - \\arccos\\rho)\\rho\\bigr)/(2\\pi)` with
    :math:`\\rho = \\cos\\angle(u, v)` (:math:`1/2` on the diagonal), and
    differentiable in ``W`` and ``a`` (torch autograd).

    Parameters
    ----------
    W : torch.Tensor of shape (width, n)
        Hidden weights, no zero row.
    a : torch.Tensor of shape (width,)
        Output weights, of the same dtype.

    Returns
    -------
    torch.Tensor
        A 0-d tensor.

    Raises
    ------
    TypeError
        If ``W`` or ``a`` is not a torch tensor.
        If ``W`` and ``a`` are not floating-point tensors of one dtype.
    ValueError
        If the shapes do not match ``(width, n)`` and ``(width,)``, an entry is
        not finite, a row of ``W`` is zero (or its norm overflows), or the result overflows.

    Examples
    --------
    >>> W = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    >>> round(float(relu_second_moment(W, torch.tensor([1.0, 1.0], dtype=torch.float64))), 12)   # 5/2 + 2/pi
    3.136619772368
    """
    if not isinstance(W, torch.Tensor) or not isinstance(a, torch.Tensor):
        raise TypeError(f"W and a must be torch tensors, got {type(W).__name__} and {type(a).__name__}")
    if W.ndim != 2 or a.shape != (W.shape[0],):
        raise ValueError(
            f"W must have shape (width, n) and a shape (width,), got {tuple(W.shape)} and {tuple(a.shape)}"
        )
    if not (W.is_floating_point() and a.dtype == W.dtype):
        raise TypeError(f"W and a must be floating-point tensors of one dtype, got {W.dtype} and {a.dtype}")
    if not (bool(torch.isfinite(W).all()) and bool(torch.isfinite(a).all())):
        raise ValueError("W and a must be finite (they hold NaN or infinite entries)")
    norms = W.norm(dim=1)
    if not bool((norms > 0).all()) or not bool(torch.isfinite(norms).all()):
        raise ValueError("every row of W must be non-zero, with a norm inside the dtype's range")
    U = W / norms[:, None]
    off = ~torch.eye(len(a), dtype=torch.bool)
    rho = torch.where(off, U @ U.T, torch.zeros(())).clamp(-1.0, 1.0)
    K = (torch.sqrt(1 - rho**2) + (math.pi - torch.arccos(rho)) * rho) / (2 * math.pi)  # dual kernel
    K = torch.where(off, K, 0.5)  # K(1) = 1/2
    return _check_overflow(a @ (norms[:, None] * norms[None, :] * K) @ a, "relu_second_moment", {"W": W, "a": a})


# ----------------------------------------------------------------------------
# h(x) = sum_j a_j relu(w_j . x + b_j), with its parameters in a dict
# ----------------------------------------------------------------------------
def _traced(*tensors) -> bool:
    """True inside a ``torch.func`` transform (grad, jacrev, vmap): values are not inspected there."""
    return any(torch._C._functorch.is_functorch_wrapped_tensor(t) for t in tensors)


def _check_finite_tensors(name: str, tensors: dict) -> None:
    """Refuse NaN or infinite entries (outside ``torch.func`` transforms, whose callers check their inputs)."""
    if _traced(*tensors.values()):
        return
    for key, t in tensors.items():
        if not bool(torch.isfinite(t).all()):
            bad = int(t.numel() - int(torch.isfinite(t).sum()))
            raise ValueError(f"{name}{key} must be finite, got {bad} NaN or infinite entries")


def _check_overflow(out: torch.Tensor, what: str, inputs: dict) -> torch.Tensor:
    """Refuse a result that overflowed (NaN or infinite) for finite inputs, naming the inputs' largest entries."""
    if _traced(out, *inputs.values()) or bool(torch.isfinite(out).all()):
        return out
    sizes = ", ".join(f"{k} up to {float(v.abs().max()) if v.numel() else 0.0:g}" for k, v in inputs.items())
    raise ValueError(f"{what} overflows {out.dtype} for inputs with entries {sizes} in absolute value; rescale them")


def _check_params(params, name: str = "params") -> tuple[int, int]:
    """(width, n) of a parameter dict {"W": (width, n), "b": (width,), "a": (width,)} of one float dtype, finite."""
    if not isinstance(params, dict) or set(params) != set(RELU_NET_BLOCKS):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise TypeError(f"{name} must be a dict with the keys 'W', 'b', 'a' (torch tensors), got {got}")
    W, b, a = (params[k] for k in RELU_NET_BLOCKS)
    if not all(isinstance(t, torch.Tensor) for t in (W, b, a)):
        got = ", ".join(type(t).__name__ for t in (W, b, a))
        raise TypeError(f"{name}['W'], ['b'] and ['a'] must be torch tensors, got {got}")
    if W.ndim != 2 or b.shape != (W.shape[0],) or a.shape != (W.shape[0],):
        raise ValueError(
            f"{name} must hold W of shape (width, n), b and a of shape (width,), got "
            f"{tuple(W.shape)}, {tuple(b.shape)} and {tuple(a.shape)}"
        )
    if not (W.is_floating_point() and b.dtype == W.dtype == a.dtype):
        raise TypeError(f"{name} must hold floating-point tensors of one dtype, got {W.dtype}, {b.dtype}, {a.dtype}")
    _check_finite_tensors(name, {f"[{k!r}]": params[k] for k in RELU_NET_BLOCKS})
    return W.shape[0], W.shape[1]


def _check_tensor(value, name: str, shape: tuple, shape_text: str, dtype) -> None:
    """A torch tensor of the given shape (None: any length on that axis) and dtype, finite."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor of shape {shape_text}, got {type(value).__name__}")
    if value.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, value.shape)):
        raise ValueError(f"{name} must have shape {shape_text}, got {tuple(value.shape)}")
    if value.dtype != dtype:
        raise TypeError(f"{name} must have the parameters' dtype {dtype}, got {value.dtype}")
    _check_finite_tensors(name, {"": value})


def relu_net_params(n: int, width: int, generator: torch.Generator, *, bias_scale: float = 0.5, dtype=torch.float64):
    """Random parameters of :math:`h(x) = \\sum_{j=1}^{\\text{width}} a_j\\,\\mathrm{relu}(w_j\\cdot x + b_j)`.

    Gaussian entries, drawn from ``generator`` in this order: ``W`` with variance
    :math:`1/n`, ``b`` with standard deviation ``bias_scale``, ``a`` with variance
    :math:`1/\\text{width}`.

    Parameters
    ----------
    n, width : int
        Input dimension and number of hidden units, both ``>= 1``.
    generator : torch.Generator
        The source of the draws (required: no global random state).
    bias_scale : float, default 0.5
        Standard deviation of the biases, ``>= 0``.
    dtype : torch.dtype, default torch.float64

    Returns
    -------
    dict
        ``{"W": (width, n), "b": (width,), "a": (width,)}`` tensors.

    Raises
    ------
    TypeError
        If ``n`` or ``width`` is not an integer, ``generator`` is not a ``torch.Generator``
        or ``dtype`` is not a real floating-point torch dtype.
    ValueError
        If ``n`` or ``width`` is below 1, ``bias_scale`` is negative or not finite,
        or ``W`` would exceed lbkit's memory limit.

    Examples
    --------
    >>> params = relu_net_params(3, 4, torch.Generator().manual_seed(0))
    >>> {k: tuple(v.shape) for k, v in params.items()}
    {'W': (4, 3), 'b': (4,), 'a': (4,)}
    """
    n, width = check_int(n, "n", minimum=1), check_int(width, "width", minimum=1)
    bias_scale = check_real(bias_scale, "bias_scale", minimum=0)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a real floating-point torch dtype such as torch.float64, got {dtype!r}")
    check_budget(width * n * dtype.itemsize, f"W of shape ({width}, {n})", "choose a smaller n or width")
    return {
        "W": torch.randn(width, n, generator=generator, dtype=dtype) / math.sqrt(n),
        "b": bias_scale * torch.randn(width, generator=generator, dtype=dtype),
        "a": torch.randn(width, generator=generator, dtype=dtype) / math.sqrt(width),
    }


def relu_net(params, X: torch.Tensor) -> torch.Tensor:
    """:math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x + b_j)` at the rows of ``X``.

    A pure function of ``params``, so that ``torch.func`` (``grad``, ``jacrev``,
    ``vmap``) can differentiate it.  Types, shapes and dtypes are checked
    always; the values (finite inputs, no overflow) only outside those
    transforms, where the tensors have no values to inspect.

    Parameters
    ----------
    params : dict
        ``{"W": (width, n), "b": (width,), "a": (width,)}`` tensors of one floating dtype.
    X : torch.Tensor of shape (N, n)
        Of the parameters' dtype.

    Returns
    -------
    torch.Tensor of shape (N,)

    Raises
    ------
    TypeError
        If ``params`` is not such a dict, or ``X`` is not a tensor of the parameters' dtype.
    ValueError
        If the shapes do not fit, an entry is not finite, or the result overflows.

    Examples
    --------
    >>> params = {"W": torch.eye(2), "b": torch.zeros(2), "a": torch.tensor([1.0, -1.0])}
    >>> relu_net(params, torch.tensor([[1.0, 2.0], [-1.0, 3.0]]))
    tensor([-1., -3.])
    """
    _, n = _check_params(params)
    _check_tensor(X, "X", (None, n), f"(N, n={n})", params["W"].dtype)
    out = torch.relu(X @ params["W"].T + params["b"]) @ params["a"]
    return _check_overflow(out, "relu_net", {"X": X, **{f"params[{k!r}]": params[k] for k in RELU_NET_BLOCKS}})


def relu_net_loss(params, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The empirical square loss :math:`\\frac1N\\sum_i (h(x_i) - y_i)^2` of :func:`relu_net`.

    Parameters
    ----------
    params : dict
        As :func:`relu_net`.
    X : torch.Tensor of shape (N, n)
    y : torch.Tensor of shape (N,)
        Of the parameters' dtype.

    Returns
    -------
    torch.Tensor
        A 0-d tensor, differentiable in ``params``.

    Raises
    ------
    TypeError, ValueError
        As :func:`relu_net`; also if ``y`` is not a tensor of shape (N,) or the loss overflows.

    Examples
    --------
    >>> params = {"W": torch.eye(2), "b": torch.zeros(2), "a": torch.tensor([1.0, -1.0])}
    >>> float(relu_net_loss(params, torch.tensor([[1.0, 2.0]]), torch.tensor([0.0])))
    1.0
    """
    h = relu_net(params, X)
    _check_tensor(y, "y", (X.shape[0],), f"(N,) = ({X.shape[0]},)", params["W"].dtype)
    loss = ((h - y) ** 2).mean()
    return _check_overflow(loss, "relu_net_loss", {"X": X, "y": y, "params['a']": params["a"]})


def flatten_parameters(tree, rows: int | None = None) -> torch.Tensor:
    """Concatenate the blocks ``W``, ``b``, ``a`` of a parameter-shaped dict into one vector (or one row each).

    Parameters
    ----------
    tree : dict
        Tensors under the keys ``"W"``, ``"b"``, ``"a"``: parameters, gradients
        (shaped like the parameters), or per-row derivatives (a leading axis of
        length ``rows``, as ``jacrev`` and ``vmap`` return them).
    rows : int or None, default None
        ``None``: one vector of length :math:`p` (all entries).  An int: a matrix
        of shape (rows, p), row ``i`` from entry ``i`` of every block's leading axis.

    Returns
    -------
    torch.Tensor of shape (p,) or (rows, p)

    Raises
    ------
    TypeError
        If ``tree`` lacks one of the keys, its blocks are not floating-point tensors of one
        dtype, or ``rows`` is not an integer.
    ValueError
        If ``rows < 1``, a block's leading axis is not of length ``rows``, the blocks'
        shapes do not fit one network (``W``: (width, n), ``b`` and ``a``: (width,), after
        the leading axis), or an entry is not finite.

    Examples
    --------
    >>> tree = {"W": torch.ones(2, 3), "b": torch.zeros(2), "a": torch.full((2,), 2.0)}
    >>> flatten_parameters(tree)
    tensor([1., 1., 1., 1., 1., 1., 0., 0., 2., 2.])
    """
    if not isinstance(tree, dict) or not set(RELU_NET_BLOCKS) <= set(tree):
        raise TypeError(f"tree must be a dict with the keys 'W', 'b', 'a', got {type(tree).__name__}")
    W, b, a = (tree[k] for k in RELU_NET_BLOCKS)
    if not all(isinstance(t, torch.Tensor) for t in (W, b, a)):
        got = ", ".join(type(t).__name__ for t in (W, b, a))
        raise TypeError(f"tree['W'], ['b'] and ['a'] must be torch tensors, got {got}")
    if not (W.is_floating_point() and b.dtype == W.dtype == a.dtype):
        raise TypeError(f"tree must hold floating-point tensors of one dtype, got {W.dtype}, {b.dtype}, {a.dtype}")
    lead = 0 if rows is None else 1
    if rows is not None:
        rows = check_int(rows, "rows", minimum=1)
        bad = {k: tuple(tree[k].shape) for k in RELU_NET_BLOCKS if tree[k].ndim == 0 or tree[k].shape[0] != rows}
        if bad:
            raise ValueError(f"every block needs a leading axis of length rows={rows}, got shapes {bad}")
    if W.ndim != 2 + lead or b.shape != W.shape[: 1 + lead] or a.shape != W.shape[: 1 + lead]:
        raise ValueError(
            f"tree must hold W of shape {'(rows, ' if lead else '('}width, n), b and a of shape "
            f"{'(rows, ' if lead else '('}width) with rows={rows}, got {tuple(W.shape)}, {tuple(b.shape)} and "
            f"{tuple(a.shape)}" + ("; pass rows= for per-row derivatives" if rows is None and W.ndim == 3 else "")
        )
    _check_finite_tensors("tree", {f"[{k!r}]": tree[k] for k in RELU_NET_BLOCKS})
    if rows is None:
        return torch.cat([tree[k].reshape(-1) for k in RELU_NET_BLOCKS])
    return torch.cat([tree[k].reshape(rows, -1) for k in RELU_NET_BLOCKS], dim=1)


def relu_net_batch_gradients(params, X, y) -> np.ndarray:
    """The gradient of :func:`relu_net_loss` on each of ``B`` batches, in one vectorised call.

    ``torch.func.vmap`` of ``torch.func.grad`` over the leading axis, each
    gradient flattened by :func:`flatten_parameters`.  Batches of size 1 give
    the per-example gradients.

    Parameters
    ----------
    params : dict
        As :func:`relu_net`, of dtype float64.
    X : ndarray of shape (B, b, n)
        ``B`` batches of ``b`` inputs each.
    y : ndarray of shape (B, b)
        Their labels.

    Returns
    -------
    G : ndarray of shape (B, p)
        Row ``i``: the gradient of the square loss on batch ``i``.

    Raises
    ------
    TypeError
        If ``params`` is not a float64 parameter dict, or ``X``, ``y`` are not real arrays.
    ValueError
        If the shapes do not fit ``params``, ``X``, ``y`` or ``params`` is not finite,
        the gradients overflow, or they would exceed lbkit's memory limit.

    Examples
    --------
    >>> params = relu_net_params(3, 4, torch.Generator().manual_seed(0))
    >>> relu_net_batch_gradients(params, np.ones((5, 2, 3)), np.zeros((5, 2))).shape
    (5, 20)
    """
    from torch.func import grad, vmap

    from .._checks import check_real_array

    width, n = _check_params(params)
    if params["W"].dtype != torch.float64:
        raise TypeError(f"params must be float64 tensors, got {params['W'].dtype}")
    X, y = check_real_array(X, "X"), check_real_array(y, "y")
    if X.ndim != 3 or X.shape[2] != n or y.shape != X.shape[:2]:
        raise ValueError(f"X must have shape (B, b, n={n}) and y shape (B, b), got {X.shape} and {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite (they hold NaN or infinite entries)")
    p = width * (n + 2)
    check_budget(X.shape[0] * p * 8, f"{X.shape[0]} gradients of {p} parameters", "use fewer batches")
    G = vmap(grad(relu_net_loss), in_dims=(None, 0, 0))(params, torch.from_numpy(X), torch.from_numpy(y))
    out = flatten_parameters(_finite_gradients(G, X, y, params), rows=X.shape[0]).numpy()
    return out


def _finite_gradients(G, X, y, params):
    """Refuse gradients that overflowed float64 for finite inputs (before flattening, which refuses them too)."""
    if all(bool(torch.isfinite(G[k]).all()) for k in RELU_NET_BLOCKS):
        return G
    big = {
        "X": float(np.max(np.abs(X))) if X.size else 0.0,
        "y": float(np.max(np.abs(y))) if y.size else 0.0,
        "params": max(float(params[k].abs().max()) for k in RELU_NET_BLOCKS),
    }
    sizes = ", ".join(f"{k} up to {v:g}" for k, v in big.items())
    raise ValueError(f"the gradients overflow float64 for entries {sizes} in absolute value; rescale them")


def relu_net_derivative_queries(params, block: str):
    """The normalised derivatives of :func:`relu_net` along the output weights or the biases, as CSQ queries.

    Under :math:`x\\sim N(0, I_n)`, :math:`z_j = w_j\\cdot x + b_j \\sim N(b_j, \\|w_j\\|^2)`, so the
    norms of the derivatives are label-free closed forms (:math:`\\Phi`, :math:`\\varphi`: the
    standard normal distribution function and density, :math:`\\mu = b_j`, :math:`s = \\|w_j\\|`):

    * ``"a"``: :math:`\\partial h/\\partial a_j = \\mathrm{relu}(z_j)`, of norm
      :math:`\\sqrt{(\\mu^2 + s^2)\\,\\Phi(\\mu/s) + \\mu s\\,\\varphi(\\mu/s)}`;
    * ``"b"``: :math:`\\partial h/\\partial b_j = a_j\\,\\mathbf 1[z_j > 0]`, of norm
      :math:`|a_j|\\sqrt{\\Phi(\\mu/s)}`.

    Parameters
    ----------
    params : dict
        As :func:`relu_net`; no zero row of ``W``.
    block : {"a", "b"}

    Returns
    -------
    queries : list of callable
        ``queries[j](X)``, ``X`` of shape (N, n), returns shape (N,): the derivative
        along coordinate ``j`` of the block divided by its norm (so
        :math:`\\mathbb E[\\phi_j^2] = 1`).
    norms : ndarray of shape (width,)
        The norms :math:`\\|\\partial_j h\\|`.

    Raises
    ------
    TypeError
        If ``params`` is not a parameter dict.
    ValueError
        If ``block`` is not ``"a"`` or ``"b"``, an entry of ``params`` is not finite, a row
        of ``W`` is zero or its norm is outside float64's range, or a norm underflows to 0
        or overflows.

    Examples
    --------
    >>> params = {"W": torch.tensor([[1.0, 0.0]]), "b": torch.tensor([0.0]), "a": torch.tensor([-2.0])}
    >>> queries, norms = relu_net_derivative_queries(params, "b")
    >>> float(norms[0]) == 2 * math.sqrt(0.5), queries[0](np.array([[1.0, 5.0], [-1.0, 5.0]])).round(4).tolist()
    (True, [-1.4142, -0.0])
    """
    from scipy.stats import norm

    _check_params(params)
    check_choice(block, "block", ("a", "b"))
    W, b, a = (params[k].detach().cpu().numpy().astype(np.float64, copy=False) for k in RELU_NET_BLOCKS)
    with np.errstate(over="ignore", under="ignore"):
        s = np.linalg.norm(W, axis=1)
    if not (np.all(s > 0) and np.all(np.isfinite(s))):
        raise ValueError(
            "every row of params['W'] must be non-zero (a unit with w_j = 0 has a constant derivative), with a norm "
            f"inside float64's range; got row norms {s.tolist()}"
        )
    mu = b
    with np.errstate(over="ignore", invalid="ignore"):
        if block == "a":
            norms = np.sqrt((mu**2 + s**2) * norm.cdf(mu / s) + mu * s * norm.pdf(mu / s))
        else:
            norms = np.abs(a) * np.sqrt(norm.cdf(b / s))
    if not np.all(np.isfinite(norms)) or (block == "a" and not np.all(norms > 0)):
        raise ValueError(
            f"the norms of the derivatives along params[{block!r}] are {norms.tolist()}: outside float64's range "
            f"(params with entries up to {max(np.max(np.abs(v)) for v in (W, b, a)):g} in absolute value); rescale them"
        )
    if block == "a":
        queries = [lambda X, j=j: np.maximum(X @ W[j] + b[j], 0.0) / norms[j] for j in range(len(a))]
    else:
        queries = [
            lambda X, j=j: np.sign(a[j]) * (X @ W[j] + b[j] > 0) / np.sqrt(norm.cdf(b[j] / s[j])) for j in range(len(a))
        ]
    return queries, norms


def relu_net_gradient_spread(params, target, batch_sizes, n_batches: int, *, rng=None) -> np.ndarray:
    """The standard deviation of every minibatch-gradient coordinate over independent batches, per batch size.

    For each ``b`` in ``batch_sizes``, in order, draws ``n_batches * b`` inputs
    :math:`x \\sim N(0, I_n)` with :func:`lbkit.sample` (one call, from ``rng``),
    labels them :math:`y = \\text{target}(x)`, splits them into ``n_batches``
    consecutive batches of ``b``, computes each batch's square-loss gradient
    with :func:`relu_net_batch_gradients` and takes the sample standard
    deviation (``ddof=1``) of each coordinate over the batches.  With
    ``batch_sizes=[1]`` the row is :math:`\\sigma_j`, the spread of the
    per-example gradient.

    Parameters
    ----------
    params : dict
        As :func:`relu_net`, float64, with ``W`` of shape (width, n).
    target : callable
        ``target(X)``, ``X`` of shape (N, n), returns the labels, shape (N,).
    batch_sizes : sequence of int
        Each ``>= 1``.
    n_batches : int
        Number of batches per batch size, ``>= 2``.
    rng : None, int or numpy.random.Generator
        The source of the inputs (see :func:`lbkit.as_rng`).

    Returns
    -------
    spread : ndarray of shape (len(batch_sizes), p)
        ``p`` the number of parameters, in the order of :func:`flatten_parameters`.

    Raises
    ------
    TypeError
        If ``target`` is not callable or a batch size is not an integer.
    ValueError
        If ``batch_sizes`` is empty or not one-dimensional, a batch size is below 1,
        or ``n_batches < 2``; as :func:`relu_net_batch_gradients`.

    Examples
    --------
    >>> params = relu_net_params(3, 4, torch.Generator().manual_seed(0))
    >>> relu_net_gradient_spread(params, lambda X: X[:, 0], [1, 4], 10, rng=0).shape
    (2, 20)
    """
    from .._checks import _as_array, check_callable, check_output
    from ..distributions import as_rng, sample

    width, n = _check_params(params)
    check_callable(target, "target")
    sizes = _as_array(batch_sizes, "batch_sizes", "a non-empty sequence of integers").astype(object)
    if sizes.ndim != 1 or len(sizes) == 0:
        raise ValueError(f"batch_sizes must be a non-empty sequence of integers, got {batch_sizes!r}")
    sizes = [check_int(b, f"the batch size batch_sizes[{i}]", minimum=1) for i, b in enumerate(sizes)]
    n_batches = check_int(n_batches, "n_batches", minimum=2)
    check_budget(
        n_batches * max(sizes) * (n + 1) * 8 + n_batches * width * (n + 2) * 8,
        f"n_batches={n_batches} batches of up to {max(sizes)} inputs",
        "use fewer or smaller batches",
    )
    rng = as_rng(rng)
    rows = []
    for b in sizes:
        X = sample("gaussian", n_batches * b, n, rng=rng)
        y = check_output(target(X), n_batches * b, "target", X.shape)
        G = relu_net_batch_gradients(params, X.reshape(n_batches, b, n), y.reshape(n_batches, b))
        rows.append(G.std(axis=0, ddof=1))  # G: one gradient per batch, shape (n_batches, p)
    return np.array(rows)


def minibatch_gradient_sd(target, n: int, *, width: int = 256, batch_size: int = 256, n_batches: int = 200, rng: int):
    """Per-coordinate standard deviation of a student's minibatch gradient at initialisation.

    A :class:`~lbkit.learners.TwoLayerNet` of the given width, initialised from
    ``torch.Generator().manual_seed(rng)``, is held fixed; for each of
    ``n_batches`` fresh minibatches of ``batch_size`` Gaussian inputs (drawn
    with ``numpy.random.default_rng(rng)``) the gradient of the square loss
    :math:`\\frac1b\\sum_i (h(x_i) - f(x_i))^2` with respect to all parameters is
    computed, and the standard deviation (``ddof=1``) of every coordinate over
    the minibatches is returned: the noise that minibatch sampling adds to a
    gradient step.  Run it inside ``torch_threads(1)`` for the float32 results
    of a one-thread training run.

    Parameters
    ----------
    target : callable
        ``target(X)`` maps an array of shape (N, n) to the labels, shape (N,).
    n : int
        Input dimension, ``>= 1``.
    width : int, default 256
        Hidden units of the student.
    batch_size : int, default 256
        Minibatch size, ``>= 1``.
    n_batches : int, default 200
        Number of minibatches, ``>= 2``.
    rng : int
        Seed (keyword-only, required) of the initialisation and of the inputs.

    Returns
    -------
    ndarray of shape (width * (n + 2) + 1,)
        The standard deviations, coordinate by coordinate, in the order of
        ``TwoLayerNet.parameters()``: ``W`` (row by row), ``b``, ``a``, ``c``.

    Raises
    ------
    TypeError
        If ``target`` is not callable or an integer argument is not an integer.
    ValueError
        If ``n``, ``width`` or ``batch_size`` is below 1, ``n_batches`` below 2,
        ``rng`` negative, the gradients would exceed lbkit's memory limit, or
        ``target`` returns the wrong shape or NaN or infinite values.

    Examples
    --------
    >>> sd = minibatch_gradient_sd(lambda X: X[:, 0], 3, width=4, batch_size=8, n_batches=5, rng=0)
    >>> sd.shape
    (21,)
    """
    from .._checks import check_output
    from ..distributions import sample
    from ._net import TwoLayerNet

    check_callable(target, "target")
    n, width = check_int(n, "n", minimum=1), check_int(width, "width", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    n_batches, rng = check_int(n_batches, "n_batches", minimum=2), check_int(rng, "rng", minimum=0)
    p = width * (n + 2) + 1
    check_budget(
        8 * p * (n_batches + n + 2),
        f"n_batches={n_batches} gradients of {p} parameters (width={width}, n={n})",
        "use fewer batches or a smaller width",
    )
    check_budget(8 * batch_size * (n + 1), f"a batch of batch_size={batch_size} inputs", "use a smaller batch_size")
    model = TwoLayerNet(n, width, generator=torch.Generator().manual_seed(rng))
    draws = np.random.default_rng(rng)
    grads = []
    for _ in range(n_batches):
        X = sample("gaussian", batch_size, n, draws)
        y = check_output(target(X), batch_size, "target", X.shape)
        Xt, yt = torch.from_numpy(X).float(), torch.from_numpy(np.asarray(y, float)).float()
        model.zero_grad()
        torch.mean((model(Xt) - yt) ** 2).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]).numpy().astype(float))
    return np.std(grads, axis=0, ddof=1)
