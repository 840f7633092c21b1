"""The training engine of lbkit's gradient-descent learners: M two-layer students as one tensor program.

:func:`train` runs the loop that :class:`~lbkit.learners.GDRegressor` (one
student) and :class:`~lbkit.learners.BatchedGDRegressor` (many) share.  The
parameters of all students are stacked along a leading axis, the forward pass
is a batched matrix product (``torch.baddbmm``), the gradient is written out
by hand and the optimisers (Adam, SGD, momentum) act entry by entry, so
student ``i`` follows the same trajectory it would follow alone: bit for bit
where the batched matrix products round each student's entries as the single
products do (on x86 with MKL, widths that are multiples of 16: the output layer
is computed as ``a^T H^T`` because MKL's batched ``H a`` takes a slow path that
rounds differently, and the targets are stacked only with targets of the same
shape), and up to float rounding otherwise.  A student leaves the program as
soon as it reaches ``target_loss`` or its own step cap.

Randomness, per student, from its ``rng``: three independent streams are
spawned from it (data, initialisation, gradient noise) and each seeds a
``torch.Generator``; the test set, the minibatches and the Boolean labels are
drawn in torch from the data stream.  Lbkit's orthogonal networks are
evaluated in float32 torch on the minibatches (checked equal to lbkit's
float64 evaluation to float tolerance in the tests); the test labels, and the
labels of any other target, come from the target itself in float64 numpy.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._checks import check_int
from ..activation_library import get_activation
from ..distributions import _draw, as_rng
from ._base import MEMORY_ENV, memory_limit
from ._net import forward_stacked, init_params
from .utils import torch_threads


def _per_student(value, name, M):
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != M:
            raise ValueError(f"{name} has {len(value)} entries for {M} students; give one integer or one per student")
        return [int(v) for v in value]
    return [int(value)] * M


def check_memory(M, n, est) -> None:
    """Refuse, before any work, a fit whose tensors would not fit in memory."""
    p = est.width
    n_params = p * n + 2 * p + 1
    per_student = (
        4 * n_params * 4  # parameters, gradients, two optimiser states
        + 4 * est.batch_size * (n + 4 * p + 8)  # minibatch and activations kept for backward
        + 4 * est.n_test * (n + 2 * p + 2)  # test set and its evaluation
        + (0 if est.n_train is None else 12 * est.n_train * (n + 1))
    )
    total, limit = M * per_student, memory_limit(getattr(est, "max_fit_bytes", None))
    if total > limit:
        raise ValueError(
            f"this fit would allocate about {total / 2**30:.1f} GiB ({M} student(s), n={n}, "
            f"width={p}, batch_size={est.batch_size}, n_test={est.n_test}, n_train={est.n_train}), "
            f"more than the {limit / 2**30:.1f} GiB allowed; reduce width, batch_size, n_test, "
            f"n_train or the number of students, or raise the limit with max_fit_bytes= or the environment "
            f"variable {MEMORY_ENV} (e.g. {MEMORY_ENV}=64GiB on a node with more memory)"
        )


# -- targets --------------------------------------------------------------------------------------------------------


def target_values(target, X) -> np.ndarray:
    """The target on X of shape (N, n), checked: shape (N,), finite, real."""
    N = X.shape[0]
    y = np.asarray(target(X))
    if np.iscomplexobj(y):
        raise TypeError("target returned complex values; labels must be real")
    try:
        y = y.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"target returned values of dtype {y.dtype}; labels must be real numbers") from exc
    if y.shape != (N,):
        raise ValueError(f"target returned shape {y.shape} for {N} inputs; expected ({N},)")
    if not np.all(np.isfinite(y)):
        raise ValueError(
            f"target returned {int(np.sum(~np.isfinite(y)))} NaN or infinite value(s) on {N} inputs; "
            f"labels must be finite"
        )
    return y


def check_not_zero(target, second_moment: float) -> None:
    """Refuse a target that is zero up to rounding: there is nothing to learn, and normalised losses blow up."""
    if second_moment > 1e-20:
        return
    why = ""
    act, k = getattr(target, "activation", None), getattr(target, "k", None)
    if act is not None and k is not None and hasattr(act, "vanishes") and act.vanishes(k):
        why = " (" + act.vanishing_reason(k) + ")"
    raise ValueError(
        f"the target is zero up to rounding: its mean square on the test set is {second_moment:.2g}"
        f"{why}; there is nothing to learn"
    )


def torch_network(target):
    """``(S, U, chi, act)`` for evaluating a target in torch (float32), or None when it cannot say how.

    ``f(x) = act(x[S] @ U.T) @ chi`` with ``U`` of shape (H, k) and ``chi`` of shape (H,): the target
    tells it through a ``torch_parts()`` method (lbkit's orthogonal networks have one).
    """
    parts = getattr(target, "torch_parts", None)
    spec = parts() if callable(parts) else None
    if spec is None:
        return None
    S, U, chi, act = spec
    return list(S), torch.from_numpy(U).float(), torch.from_numpy(chi).float(), act


def torch_target_values(target, X: torch.Tensor) -> torch.Tensor:
    """An lbkit orthogonal network evaluated in float32 torch on X of shape (N, n) (for tests and benchmarks)."""
    spec = torch_network(target)
    if spec is None:
        raise TypeError(
            f"torch evaluation covers lbkit's orthogonal networks with a built-in activation, got {target!r}"
        )
    S, U, chi, act = spec
    return act(X[:, S] @ U.T) @ chi


# -- the engine -----------------------------------------------------------------------------------------------------


class _Student:
    """The random streams, test set and labelled data of one student (everything drawn before training)."""

    def __init__(self, target, n, rng, est):
        self.target = target
        root = as_rng(rng)
        data_rng, init_rng, noise_rng = root.spawn(3)
        self.data_np = data_rng
        self.data = torch.Generator().manual_seed(int(data_rng.integers(2**62)))
        self.init = torch.Generator().manual_seed(int(init_rng.integers(2**62)))
        self.noise = torch.Generator().manual_seed(int(noise_rng.integers(2**62)))
        self.spec = torch_network(target) if est.distribution == "gaussian" else None
        self.gaussian = est.distribution == "gaussian"
        self.logistic = est.loss == "logistic"
        self.distribution, self.n = est.distribution, n
        X_test = self.draw(est.n_test)
        y_test = target_values(target, X_test.double().numpy())
        if self.logistic:
            self.check_mean(y_test)
            self.g_scale = float(np.mean(y_test**2))
            check_not_zero(target, self.g_scale)
        else:
            check_not_zero(target, float(np.mean(y_test**2)))
        self.X_test, self.y_test = X_test, torch.from_numpy(y_test).float()
        self.X_train = self.y_train = None
        if est.n_train is not None:
            self.X_train = self.draw(est.n_train)
            y = target_values(target, self.X_train.double().numpy())
            if self.logistic:
                self.check_mean(y)
            self.y_train = torch.from_numpy(y).float()

    def draw(self, N):
        if self.gaussian:
            return torch.randn(N, self.n, generator=self.data)
        return torch.from_numpy(_draw(self.distribution, N, self.n, self.data_np)).float()

    @staticmethod
    def check_mean(y):
        if np.any(np.abs(y) > 1):
            raise ValueError(
                "with loss='logistic' the target must return E[y | x] in [-1, 1], got values up "
                f"to {np.max(np.abs(y)):.4g} in absolute value"
            )

    def init_params(self, n, width, dtype=torch.float32):
        return init_params(n, width, self.init, dtype)


def _label_groups(students, active):
    """The active rows grouped by the shape and activation of their targets, each group's targets stacked.

    Returns ``[(rows, idx, U, chi, act)]`` with ``rows`` a (G,) index tensor (None when one group holds every row,
    in order), ``idx`` (G, k) column indices, ``U`` (G, H, k), ``chi`` (G, H).  No padding: a student's labels
    are computed by the same products as if it were trained alone (checked bit for bit in the tests).
    """
    groups = {}
    for j, i in enumerate(active):
        S, U, chi, act = students[i].spec
        groups.setdefault((len(S), U.shape[0], act), []).append(j)
    out = []
    for rows in groups.values():
        specs = [students[active[j]].spec for j in rows]
        idx = torch.tensor([sp[0] for sp in specs], dtype=torch.long)
        U, chi = torch.stack([sp[1] for sp in specs]), torch.stack([sp[2] for sp in specs])
        out.append((None if len(groups) == 1 else torch.tensor(rows), idx, U, chi, specs[0][3]))
    return out


def _network_labels(X, idx, U, chi, act):
    """``act(X[:, :, S] U^T) chi`` for G stacked targets: X (G, B, n) -> (G, B)."""
    XS = torch.gather(X, 2, idx.unsqueeze(1).expand(X.shape[0], X.shape[1], idx.shape[1]))
    return torch.bmm(chi.unsqueeze(1), act(torch.bmm(XS, U.transpose(1, 2))).transpose(1, 2)).squeeze(1)


# When n <= this fraction of the width p, W is kept as W^T and g_W computed as g_W^T = (r X)^T D: MKL's products
# are faster that way round there (a step 3-28 % faster at p = B = 256, M = 8, n = 16-128, one thread, this
# machine's A/B in one process) and 3-6 % slower at n = 192-512
_GW_TRANSPOSED_UP_TO = 0.5

# torch's fused Adam kernel (what torch.optim.Adam(fused=True) runs); the foreach path is the fallback
_FUSED_ADAM = getattr(torch, "_fused_adam_", None)


class _Program:
    """The stacked students still training: parameters, optimiser state, and their data and target tensors.

    Each row of a stacked tensor belongs to the student ``active[row]``; a student leaves (``retire``) by
    dropping its row from every stacked tensor at once.
    """

    _B1, _B2, _EPS = 0.9, 0.999, 1e-8  # Adam's constants (torch's defaults)

    def __init__(self, est, students, n):
        self.est, self.students, self.n = est, students, n
        M, B, p = len(students), est.batch_size, est.width
        self.logistic, self.fixed = est.loss == "logistic", est.n_train is not None
        self.adam, self.noise = est.optimizer == "adam", float(est.noise)
        self.lr, self.mom = float(est.lr), float(est.momentum)
        self.act = get_activation(est.activation).torch_twin  # the student's activation in torch
        self.torch_labels = all(s.spec is not None for s in students)
        inits = [s.init_params(n, p) for s in students]
        self.params = [torch.stack([x[q] for x in inits]) for q in range(4)]  # (M, p, n), (M, p), (M, p), (M,)
        self.transposed_gW = n <= _GW_TRANSPOSED_UP_TO * p
        if self.transposed_gW:  # W kept as W^T, (M, n, p), the layout its gradient comes in (same entries)
            self.params[0] = self.params[0].transpose(1, 2).contiguous()
        d = {"X_test": torch.stack([s.X_test for s in students]), "y_test": torch.stack([s.y_test for s in students])}
        if self.logistic:
            d["g_scale"] = torch.tensor([s.g_scale for s in students])
        if self.fixed:
            d["X_train"] = torch.stack([s.X_train for s in students])
            d["y_train"] = torch.stack([s.y_train for s in students])
        self.data = d
        self.label_groups = _label_groups(students, range(M)) if self.torch_labels and not self.fixed else None
        self.state1 = [torch.zeros_like(q) for q in self.params]
        self.state2 = [torch.zeros_like(q) for q in self.params] if self.adam else None
        self.adam_steps = [torch.zeros(()) for _ in self.params]  # the step count of torch's fused Adam
        self.active = list(range(M))  # student index of each row of the stacked tensors
        self.Xbuf = torch.zeros(M, B, n)
        self.Pbuf, self.Dbuf = torch.empty(M, B, p), torch.empty(M, B, p)

    def as_pn(self, t: torch.Tensor) -> torch.Tensor:
        """A first-layer tensor (weights or their gradient) in the (M, p, n) layout: a view when kept as W^T."""
        return t.transpose(1, 2) if self.transposed_gW else t

    @property
    def W(self) -> torch.Tensor:
        """The first-layer weights of the active students, (M, p, n)."""
        return self.as_pn(self.params[0])

    # -- one step: a batch, its labels, the gradients, the noise, the optimiser ---------------------------------
    def step(self, step: int) -> torch.Tensor:
        """One step of every active student; returns their minibatch losses."""
        gens = [self.students[i].data for i in self.active]
        Xb, yb = self.draw_batch(gens)
        if self.logistic:
            u = torch.stack([torch.rand(self.est.batch_size, generator=g) for g in gens])
            yb = torch.where(u < (1 + yb) / 2, 1.0, -1.0)
        per, grads = self.gradients(Xb, yb)
        if self.noise > 0:
            self.add_noise(grads)
        self.optimiser_step(grads, step)
        return per

    def draw_batch(self, gens):
        """A minibatch ``(Xb, yb)`` per active student (from its training set, or fresh)."""
        Ma, B, n, d = len(self.active), self.est.batch_size, self.n, self.data
        if self.fixed:
            ib = torch.stack([torch.randint(self.est.n_train, (B,), generator=g) for g in gens])
            return torch.gather(d["X_train"], 1, ib.unsqueeze(2).expand(Ma, B, n)), torch.gather(d["y_train"], 1, ib)
        Xb = self.Xbuf[:Ma]
        for j, i in enumerate(self.active):
            if self.students[i].gaussian:
                torch.randn(B, n, generator=gens[j], out=Xb[j])
            else:
                Xb[j] = self.students[i].draw(B)
        return Xb, self.labels(Xb)

    def labels(self, Xb):
        """The targets' values on fresh inputs: in torch when every target says how, else in float64 numpy."""
        if self.label_groups is not None:
            if len(self.label_groups) == 1:
                return _network_labels(Xb, *self.label_groups[0][1:])
            y = torch.empty(Xb.shape[:2])
            for rows, *target in self.label_groups:
                y[rows] = _network_labels(Xb[rows], *target)
            return y
        values = [target_values(self.students[i].target, Xb[j].double().numpy()) for j, i in enumerate(self.active)]
        return torch.stack([torch.from_numpy(v) for v in values]).float()

    def gradients(self, Xb, yb):
        """Minibatch losses and the gradients ``[g_W, g_b, g_a, g_c]``, by hand (``Xb`` is overwritten).

        ``g_W`` comes in the layout ``W`` is kept in: (M, n, p) when ``transposed_gW``, else (M, p, n).
        """
        W, (_, b, a, c) = self.W, self.params
        Ma, B = len(self.active), self.est.batch_size
        H, out = forward_stacked(W, b, a, c, Xb, self.act, self.Pbuf[:Ma])
        if self.logistic:
            z = -yb * out
            per = torch.nn.functional.softplus(z).mean(dim=1)
            r = torch.sigmoid(z).mul_(yb).mul_(-1.0 / B)
        else:
            diff = out - yb
            per = (diff * diff).mean(dim=1)
            r = diff.mul_(2.0 / B)
        g_a = torch.bmm(r.unsqueeze(1), H).squeeze(1)
        g_c = r.sum(dim=1)
        D = self.act.derivative_from_output(H, self.Dbuf[:Ma])
        rX = Xb.mul_(r.unsqueeze(2))  # Xb is not used again
        if self.transposed_gW:  # g_W^T = (r X)^T D: the same sums as D^T (r X) (bit for bit with MKL on x86)
            g_W = torch.bmm(rX.transpose(1, 2), D).mul_(a.unsqueeze(1))
        else:
            g_W = torch.bmm(D.transpose(1, 2), rX).mul_(a.unsqueeze(2))
        g_b = torch.bmm(r.unsqueeze(1), D).squeeze(1).mul_(a)
        return per, [g_W, g_b, g_a, g_c]

    def add_noise(self, grads):
        """Gaussian noise of size ``noise`` on every gradient coordinate, from each student's noise stream."""
        g_W, g_b, g_a, g_c = self.as_pn(grads[0]), *grads[1:]
        p, n, noise = self.est.width, self.n, self.noise
        for j, i in enumerate(self.active):
            gen = self.students[i].noise
            g_W[j] += noise * torch.randn(p, n, generator=gen)
            g_b[j] += noise * torch.randn(p, generator=gen)
            g_a[j] += noise * torch.randn(p, generator=gen)
            g_c[j] += noise * torch.randn((), generator=gen)

    def optimiser_step(self, grads, step: int) -> None:
        """Adam, SGD or momentum, entry by entry (so stacking students changes nothing)."""
        params, state1, lr, b1, b2, eps = self.params, self.state1, self.lr, self._B1, self._B2, self._EPS
        if self.adam and _FUSED_ADAM is not None:
            torch._foreach_add_(self.adam_steps, 1.0)
            _FUSED_ADAM(params, grads, state1, self.state2, [], self.adam_steps, lr=lr, beta1=b1, beta2=b2,
                        weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)  # fmt: skip
        elif self.adam:
            bc1, bc2 = 1 - b1**step, 1 - b2**step  # as torch.optim.Adam computes them
            torch._foreach_lerp_(state1, grads, 1 - b1)
            torch._foreach_mul_(self.state2, b2)
            torch._foreach_addcmul_(self.state2, grads, grads, 1 - b2)
            denom = torch._foreach_sqrt(self.state2)
            torch._foreach_div_(denom, math.sqrt(bc2))
            torch._foreach_add_(denom, eps)
            torch._foreach_addcdiv_(params, state1, denom, -lr / bc1)
        elif self.mom > 0:
            if step == 1:
                torch._foreach_copy_(state1, grads)
            else:
                torch._foreach_mul_(state1, self.mom)
                torch._foreach_add_(state1, grads)
            torch._foreach_add_(params, state1, alpha=-lr)
        else:
            torch._foreach_add_(params, grads, alpha=-lr)

    # -- evaluation and retirement --------------------------------------------------------------------------------
    def test_losses(self, rows) -> list:
        """Test losses of the given rows (indices into the stacked tensors)."""
        W, (_, b, a, c) = self.W, self.params
        d = self.data
        if len(rows) == W.shape[0]:  # every row: no copies
            Wr, br, ar, cr, Xr, yr, gr = W, b, a, c, d["X_test"], d["y_test"], d.get("g_scale")
        else:
            r = torch.tensor(rows)
            Wr, br, ar, cr, Xr, yr = W[r], b[r], a[r], c[r], d["X_test"][r], d["y_test"][r]
            gr = d["g_scale"][r] if self.logistic else None
        _, out = forward_stacked(Wr, br, ar, cr, Xr, self.act)
        if self.logistic:
            return (torch.mean((torch.tanh(out / 2) - yr) ** 2, dim=1) / gr).tolist()
        return torch.mean((out - yr) ** 2, dim=1).tolist()

    def retire(self, done) -> dict:
        """Drop the rows ``done`` from every stacked tensor; returns ``{student: (W, b, a, c)}`` of the leavers."""
        W, (_, b, a, c) = self.W, self.params
        copy = lambda t: t.clone(memory_format=torch.contiguous_format)  # noqa: E731  (W[j] may be a transposed view)
        final = {self.active[j]: (copy(W[j]), copy(b[j]), copy(a[j]), copy(c[j])) for j in done}
        gone = set(done)
        keep = [j for j in range(len(self.active)) if j not in gone]
        self.active = [self.active[j] for j in keep]
        if self.active:
            kt = torch.tensor(keep)
            self.params = [q[kt] for q in self.params]
            self.state1 = [s[kt] for s in self.state1]
            if self.adam:
                self.state2 = [s[kt] for s in self.state2]
            self.data = {key: value[kt] for key, value in self.data.items()}
            if self.label_groups is not None:
                self.label_groups = _label_groups(self.students, self.active)
        return final


def _progress_bar(est, caps, M):
    if not est.progress:
        return None
    from tqdm import tqdm  # text bars: identical output with or without ipywidgets

    return tqdm(total=max(caps), desc="GD steps" if M == 1 else f"GD steps ({M} students)", leave=False)


def _record(hist, students, rows, step, train_losses, test_losses) -> None:
    for j, row in enumerate(rows):
        h = hist[students[row]]
        h["step"].append(step)
        h["train_loss"].append(train_losses[j])
        h["test_loss"].append(test_losses[j])


def train(est, targets, n, rngs):
    """Train one student per target; returns per-student parameters (W, b, a, c), histories and steps to target.

    The gradient is written out by hand (no autograd): with pre-activations ``P = X W^T + b``,
    hidden units ``H = act(P)``, outputs ``h = H a + c`` and ``r = dL/dh`` (per example),
    ``dL/da = H^T r``, ``dL/dc = sum(r)``, ``dL/dW = a * (act'(P)^T (r * X))`` and ``dL/db = a * (act'(P)^T r)``.
    It is checked against autograd and against a numpy gradient in the tests.  Adam runs as torch's fused
    kernel (the update of ``torch.optim.Adam(fused=True)``), element by element like every other step.
    """
    M = len(targets)
    caps = _per_student(est.max_steps, "max_steps", M)
    evals = _per_student(est.eval_every, "eval_every", M)
    check_memory(M, n, est)
    final, to_target = [None] * M, [None] * M
    hist = [{"step": [], "train_loss": [], "test_loss": []} for _ in range(M)]
    next_eval = [min(e, cap) for e, cap in zip(evals, caps)]
    with torch_threads(est.num_threads):
        prog = _Program(est, [_Student(t, n, r, est) for t, r in zip(targets, rngs)], n)
        _record(hist, prog.active, range(M), 0, [float("nan")] * M, prog.test_losses(list(range(M))))
        bar = _progress_bar(est, caps, M)
        step, soonest = 0, min(next_eval)
        while prog.active:
            step += 1
            per = prog.step(step)
            if bar is not None:
                bar.update(1)
            if step < soonest:
                continue
            rows = [j for j, i in enumerate(prog.active) if next_eval[i] == step]
            tl = prog.test_losses(rows)
            _record(hist, prog.active, rows, step, per[rows].tolist(), tl)
            done = []
            for j, loss in zip(rows, tl):
                i = prog.active[j]
                if est.target_loss is not None and loss < est.target_loss:
                    to_target[i] = step
                    done.append(j)
                elif step >= caps[i]:
                    done.append(j)
                else:
                    next_eval[i] = min(step + evals[i], caps[i])
            for i, params in (prog.retire(done) if done else {}).items():
                final[i] = params
            if prog.active:
                soonest = min(next_eval[i] for i in prog.active)
        if bar is not None:
            bar.close()
    histories = [{k: np.array(v, dtype=int if k == "step" else float) for k, v in h.items()} for h in hist]
    return final, histories, to_target


def input_dimension(targets, n):
    """The input dimension ``n`` shared by the targets (given, or read from their ``n``)."""
    if n is None:
        ns = {getattr(t, "n", None) for t in targets}
        if None in ns:
            raise ValueError("n is required when a target has no attribute .n")
        if len(ns) > 1:
            raise ValueError(f"all targets must have the same input dimension n, got {sorted(ns)}")
        n = ns.pop()
    return check_int(n, "n", minimum=1)
