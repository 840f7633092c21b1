"""The training engine: batched students equal separate runs, the hand-written gradient equals autograd and a
numpy gradient (micrograd-style), the gradient noise has the stated variance, torch f_S equals lbkit's numpy f_S,
determinism, and validation."""

import math
from contextlib import contextmanager

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lbkit  # noqa: E402 (after the torch skip)
from lbkit.learners import BatchedGDRegressor, GDRegressor, TwoLayerNet  # noqa: E402 (after the torch skip)
from lbkit.learners._engine import torch_network, torch_target_values  # noqa: E402 (after the torch skip)


def relu_net(n, S):
    return lbkit.orthogonal_network(n, S, "relu", normalized=True)


# -- torch f_S ------------------------------------------------------------------------------------------------------


def test_float32_globals_equal_a_fresh_process():
    """Every process-wide setting the float32 evaluation of f_S below reads is as a fresh process has it.

    Runs just before that test (file order), so a test earlier in the suite that leaves torch's float32
    settings or thread count, flush-to-zero, numpy's error state, mpmath's precision or a built-in activation
    (its function, pair forms, torch twin or coefficients, bit for bit on a grid) changed fails here, naming
    what changed; the float32 flake of the test below was looked for this way.  (The fresh process inherits
    this one's environment, so environment variables are not compared; the f_S test prints them on failure.)
    """
    import json
    import subprocess
    import sys

    here = globals_fingerprint()
    code = "import json, tests.test_batched as t; print(json.dumps(t.globals_fingerprint()))"
    root = __import__("pathlib").Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    fresh = json.loads(proc.stdout.strip().splitlines()[-1])
    here = json.loads(json.dumps(here))
    changed = {k: (fresh.get(k), here.get(k)) for k in sorted(set(fresh) | set(here)) if fresh.get(k) != here.get(k)}
    assert not changed, f"process-wide state differs from a fresh process (fresh, here): {changed}"


def globals_fingerprint() -> dict:
    """Process-wide state a float32 evaluation of f_S can depend on, as plain data (see the test above)."""
    import mpmath

    from lbkit.activation_library import BUILTIN_ACTIVATIONS

    state = {k: v for k, v in float32_state().items() if k not in ("cpu_flags", "interop_threads")}
    state["flush_denormal"] = bool((torch.tensor([1e-30], dtype=torch.float32) * 1e-10).item() == 0)
    state["numpy_errstate"] = np.geterr()
    state["mpmath_dps"] = mpmath.mp.dps
    z = np.linspace(-8, 8, 2001)
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):  # numpy's defaults
        for name in BUILTIN_ACTIVATIONS:
            state[f"activation {name}"] = _activation_fingerprint(lbkit.get_activation(name), z)
    return state


def _activation_fingerprint(act, z) -> str:
    """SHA-256 of an activation's values, pair forms, torch twin and coefficients on the grid ``z``."""
    import hashlib

    twin = act.torch_twin.fn(torch.from_numpy(z.astype(np.float32))).numpy()
    parts = [act(z), act.symmetrized(z.copy(), 1), act.symmetrized(z.copy(), -1), twin, act.hermite_coefficients(30)]
    return hashlib.sha256(b"".join(np.ascontiguousarray(p).tobytes() for p in parts)).hexdigest()


def test_first_threaded_vml_call_in_a_fresh_process_is_accurate():
    """A fresh process that imports lbkit's trainers gets high-accuracy VML kernels even on its first threaded call.

    Importing ``lbkit.learners._engine`` settles MKL's VML dispatch (see ``lbkit.learners.utils``); then the first
    ``tanh`` and ``erf`` of the process, on 8 threads at once, agree with float64 to float32 rounding (the
    low-accuracy kernel errs by about 1000 ulp).  Without the settling the race is rare (pytorch/pytorch#188792
    reports 216 of 4,160 first calls in a storm of fresh processes), so this test guards the settling's presence
    and effect rather than reproducing the race; it also shows that the settled kernels give, bit for bit, what
    a process that made its first tanh call on one thread computes.
    """
    import subprocess
    import sys

    code = """
import numpy as np, torch
import lbkit.learners._engine
z = np.random.default_rng(1).standard_normal(8 * 4096).astype(np.float32) * 2
torch.set_num_threads(8)
t, e = torch.tanh(torch.from_numpy(z)).numpy(), torch.erf(torch.from_numpy(z)).numpy()
from math import erf
ref_t, ref_e = np.tanh(z.astype(float)), np.array([erf(v) for v in z.astype(float)])
print(float(np.max(np.abs(t - ref_t))), float(np.max(np.abs(e - ref_e))), t.tobytes().hex()[:64])
"""
    root = __import__("pathlib").Path(__file__).resolve().parent.parent
    runs = [
        subprocess.run([sys.executable, "-c", src], cwd=root, capture_output=True, text=True, timeout=300)
        for src in (code, code.replace("import lbkit.learners._engine", "torch.tanh(torch.ones(1)); import math"))
    ]
    assert all(r.returncode == 0 for r in runs), [r.stderr[-2000:] for r in runs]
    (err_t, err_e, head), (_, _, head_plain) = (r.stdout.split() for r in runs)
    assert float(err_t) < 1e-7 and float(err_e) < 1e-7, (err_t, err_e)  # 1 ulp at 1 is 6e-8; the race gives 1e-4
    assert head == head_plain  # the settled kernels are the ordinary ones


@pytest.mark.parametrize(
    "activation, S",
    [
        ("relu", [0, 3]),
        ("relu", [1, 2, 4, 5]),
        ("tanh", [0, 2, 5]),
        ("sigmoid", [1, 3, 4]),
        ("erf", [0]),
        ("abs", [2, 3]),
        ("leaky_relu", [0, 1]),
        ("softplus", [0, 4]),
        ("gelu", [1, 5]),
    ],
)
def test_torch_evaluation_of_f_S_equals_lbkit_to_float_tolerance(activation, S):
    """float32 torch against float64 lbkit, under pinned float32 settings; a failure says which kernel was off.

    This test failed once (tanh-S2, 4.3e-4 against 2e-5) in a fresh-clone CI run of the full suite and never
    again.  The likely cause, found in session 8: torch computes a contiguous float32 ``tanh`` (and ``erf``,
    ``exp``, ``sqrt``, ...) with MKL's VML, each intra-op thread on its chunk (gdb: ``vmsTanh(12000, ...,
    mode=VML_HA|VML_ERRMODE_IGNORE|VML_FTZDAZ_OFF)`` from two threads here), and the oneMKL that torch 2.13 links
    (2024.2, build 20240605) chooses each function's kernel on its first call; when several threads make that
    first call at once, one can run the low-accuracy kernel on its whole chunk, about 1000 ulp
    (pytorch/pytorch#188792, fixed in oneMKL 2025).  That fits every fact: tanh is the one activation here whose
    torch twin goes through VML besides erf; the error (about 1e-4 relative) is that of the low-accuracy kernel;
    it happens only on the first call in a process, under load, and never on a re-run.  The fix:
    ``lbkit.learners.utils`` settles the dispatch of every VML-backed op at import, with one call on one element
    in one thread (:func:`test_first_threaded_vml_call_in_a_fresh_process_is_accurate`).

    Ruled out on the way (this machine: AMD EPYC with AVX-512 and AVX512_BF16, torch 2.13, oneDNN 3.12; worst
    error of this tanh case 6.6e-7):

    * a state leak from a property test: hypothesis is derandomised (tests/conftest.py), no hypothesis test
      runs before this file in the default order (only lbkit's doctests and test_activation_record,
      _activations, _adversary, _api_page, _architecture, _assignment_variants, _assignments,
      _autograder_fresh_env, whose notebooks and grading run in subprocesses), and even with
      derandomisation off and three ``--hypothesis-seed`` values, test_properties, test_hostile and
      test_probe run first leave every global this evaluation reads unchanged and this test passes;
    * lbkit's caches: the Hermite-coefficient caches return read-only arrays or copies, the built-in
      activations cannot be re-registered, and the norm enters both sides through the same network object
      (``f.a`` and ``f``'s own patterns), so no lbkit state can make the two sides differ;
    * torch's float32 tanh once dispatched: 6e7 inputs in five ranges, contiguous, strided and transposed, 1
      and 2 threads, under ATEN_CPU_CAPABILITY default, avx2 and avx512: worst absolute error 3.1e-8;
    * 250 re-runs (threads 1-8, every ATen capability, MKL_CBWR, oneDNN fpmath, flush-to-zero, float32
      matmul precision highest/high/medium, oneDNN ieee/tf32/bf16, three file orders): worst 6.6e-7.

    The settings that could matter are pinned here, ``test_float32_globals_equal_a_fresh_process`` (run just
    before) fails on any leak of them, and a failure re-runs the evaluation step by step (matmul, activation,
    output sum, each against float64 on the same float32 inputs) and three more times, so that its message
    names the kernel that was off and whether it was repeatable.
    """
    f = lbkit.orthogonal_network(6, S, activation, normalized=not lbkit.get_activation(activation).vanishes(len(S)))
    X = lbkit.sample("gaussian", 3000, 6, rng=1).astype(np.float32)
    ref = f(X.astype(float))
    scale = max(1.0, float(np.sqrt(np.mean(ref**2))))
    state_before = float32_state()
    with pinned_float32_settings():
        got = torch_target_values(f, torch.from_numpy(X)).numpy()
        err = np.abs(got - ref)
        if not np.all(err <= 2e-5 * scale):
            worst = int(np.argmax(err))
            S_, U, chi, act = torch_network(f)
            f64 = (act(torch.from_numpy(X.astype(float))[:, S_] @ U.double().T) @ chi.double()).numpy()
            repeats = [
                float(np.max(np.abs(torch_target_values(f, torch.from_numpy(X)).numpy() - ref))) for _ in range(3)
            ]
            pytest.fail(
                f"max error {err[worst]:.3g} > {2e-5 * scale:.3g} at row {worst}: x = {X[worst].tolist()}, "
                f"lbkit {ref[worst]!r}, torch float32 {got[worst]!r}, torch float64 {f64[worst]!r} "
                f"(float64 torch vs lbkit: {float(np.max(np.abs(f64 - ref))):.3g}); "
                f"{int(np.sum(err > 2e-5 * scale))} of {err.size} rows fail; three re-runs: {repeats}.\n"
                f"step by step: {float32_stages(f, X)}\n"
                f"state when the test started: {state_before}\nstate while pinned: {float32_state()}"
            )


def float32_stages(f, X) -> dict:
    """The largest error of each float32 step of ``act(X[:, S] @ U.T) @ chi``, against float64 on its float32 inputs."""
    S, U, chi, act = torch_network(f)
    XS = torch.from_numpy(X)[:, S]
    Z = XS @ U.T
    H = act(Z)
    out = H @ chi
    return {
        "matmul X_S U^T": float((Z.double() - XS.double() @ U.double().T).abs().max()),
        "activation": float((H.double() - act(Z.double())).abs().max()),
        "output sum H chi": float((out.double() - H.double() @ chi.double()).abs().max()),
    }


def float32_state() -> dict:
    """Everything global that can change a float32 CPU evaluation in torch, and the CPU's vector extensions."""
    import os

    state = {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "matmul_precision": torch.get_float32_matmul_precision(),
        "default_dtype": str(torch.get_default_dtype()),
        "mkldnn_enabled": torch.backends.mkldnn.enabled,
        "mkl_available": torch.backends.mkl.is_available(),
        "autocast_cpu": torch.is_autocast_enabled("cpu"),
        "grad_enabled": torch.is_grad_enabled(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
    }
    for path in ("backends.fp32_precision", "backends.mkldnn.fp32_precision", "backends.mkldnn.matmul.fp32_precision"):
        obj = torch
        try:
            for part in path.split("."):
                obj = getattr(obj, part)
            state[path] = obj
        except AttributeError:
            pass
    state["env"] = {
        k: os.environ.get(k)
        for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "DNNL_MAX_CPU_ISA")
    }
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line.split(":", 1)[1].split() for line in fh if line.startswith("flags")), [])
        state["cpu_flags"] = sorted(f for f in flags if f.startswith(("avx", "amx", "fma", "f16c", "sse4")))
    except OSError:
        state["cpu_flags"] = "unknown"
    return state


@contextmanager
def pinned_float32_settings():
    """One thread, IEEE float32 matmuls, no flush-to-zero, no autocast; every setting restored afterwards."""
    threads, precision = torch.get_num_threads(), torch.get_float32_matmul_precision()
    mkldnn_matmul = getattr(getattr(torch.backends.mkldnn, "matmul", None), "fp32_precision", None)
    torch.set_num_threads(1)
    torch.set_float32_matmul_precision("highest")
    if mkldnn_matmul is not None:
        torch.backends.mkldnn.matmul.fp32_precision = "ieee"
    torch.set_flush_denormal(False)
    try:
        with torch.autocast("cpu", enabled=False):
            yield
    finally:
        torch.set_num_threads(threads)
        torch.set_float32_matmul_precision(precision)
        if mkldnn_matmul is not None:
            torch.backends.mkldnn.matmul.fp32_precision = mkldnn_matmul


# -- batched = separate ---------------------------------------------------------------------------------------------

SETTINGS = {"width": 32, "max_steps": 120, "eval_every": 30, "n_test": 512, "batch_size": 64, "lr": 1e-2}


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9},
        {"loss": "logistic"},
        {"noise": 0.05},
        {"n_train": 200},
        {"activation": "tanh"},
    ],
)
def test_batched_students_equal_separate_runs(extra):
    n = 8
    if extra.get("loss") == "logistic":
        fs = [lambda X, S=S: np.tanh(relu_net(n, S)(X)) for S in ([0, 1], [2, 3, 4, 5], [1, 6])]
    else:
        fs = [relu_net(n, [0, 1]), relu_net(n, [2, 3, 4, 5]), relu_net(n, [1, 6])]
    seeds = [3, 11, 5]
    kw = {**SETTINGS, **extra}
    bgd = BatchedGDRegressor(rng=seeds, **kw).fit(fs, n=n)
    for f, seed, hist, model in zip(fs, seeds, bgd.history_, bgd.models_):
        one = GDRegressor(rng=seed, **kw).fit(f, n=n)
        np.testing.assert_array_equal(hist["step"], one.history_["step"])
        np.testing.assert_allclose(hist["test_loss"], one.history_["test_loss"], rtol=2e-4, atol=1e-6)
        for p, q in zip(model.parameters(), one.model_.parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"width": 256, "batch_size": 256, "num_threads": 2},
        {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9},
        {"noise": 0.05, "activation": "tanh"},
        {"n_train": 200, "activation": "sigmoid"},
    ],
)
def test_a_batched_student_is_bit_for_bit_its_separate_run(extra):
    """Stronger than the test above where the kernels allow it (widths that are multiples of 16 on x86 with MKL,
    the book's settings): every product of the engine is one whose batched form rounds each student's entries as
    the single product does (the output layer as ``a^T H^T``, the targets grouped by shape, never padded), so a
    student's trajectory does not depend on the other students at all, even with mixed supports."""
    n = 12
    fs = [relu_net(n, [0, 1]), relu_net(n, [2, 3, 4, 5]), relu_net(n, [1, 6]), relu_net(n, [7, 8, 9, 10])]
    seeds = [3, 11, 5, 8]
    kw = {**SETTINGS, "max_steps": 60, **extra}
    bgd = BatchedGDRegressor(rng=seeds, **kw).fit(fs, n=n)
    for f, seed, hist, model in zip(fs, seeds, bgd.history_, bgd.models_):
        one = GDRegressor(rng=seed, **kw).fit(f, n=n)
        np.testing.assert_array_equal(hist["test_loss"], one.history_["test_loss"])
        for p, q in zip(model.parameters(), one.model_.parameters()):
            assert torch.equal(p, q)


def test_batched_stops_each_student_at_its_own_target_or_cap():
    fs = [relu_net(8, [0, 1]), relu_net(8, [0, 1, 2, 3])]
    bgd = BatchedGDRegressor(
        width=32, lr=1e-2, max_steps=[400, 60], eval_every=[5, 20], target_loss=0.5, n_test=512, rng=[0, 1]
    ).fit(fs)
    h0, h1 = bgd.history_
    assert bgd.steps_to_target_[0] is not None and h0["step"][-1] == bgd.steps_to_target_[0]
    assert h0["test_loss"][-1] < 0.5 and np.all(np.diff(h0["step"]) == 5)
    assert bgd.steps_to_target_[1] is None and list(h1["step"]) == [0, 20, 40, 60]
    single = GDRegressor(width=32, lr=1e-2, max_steps=400, eval_every=5, target_loss=0.5, n_test=512, rng=0).fit(fs[0])
    assert single.steps_to_target_ == bgd.steps_to_target_[0]


def test_batched_is_deterministic_and_spawns_seeds_from_one_rng():
    fs = [relu_net(6, [0, 1])] * 3
    a = BatchedGDRegressor(width=16, max_steps=40, eval_every=20, n_test=256, rng=7).fit(fs)
    b = BatchedGDRegressor(width=16, max_steps=40, eval_every=20, n_test=256, rng=7).fit(fs)
    for ha, hb in zip(a.history_, b.history_):
        np.testing.assert_array_equal(ha["test_loss"], hb["test_loss"])
    # the three students of one seed are different students
    assert len({h["test_loss"][-1] for h in a.history_}) == 3
    assert a.predict(np.zeros((2, 6))).shape == (3, 2)
    assert "rng=7" in repr(a) and repr(BatchedGDRegressor(max_steps=[1, 2], rng=0)).startswith(
        "BatchedGDRegressor(max_steps=[1, 2]"
    )


@pytest.mark.parametrize("threads", [1, 2])
def test_same_seed_same_result_with_one_or_two_threads(threads):
    f = relu_net(16, [0, 1, 2, 3])
    ref = GDRegressor(width=64, max_steps=150, eval_every=50, rng=2, num_threads=1).fit(f)
    other = GDRegressor(width=64, max_steps=150, eval_every=50, rng=2, num_threads=threads).fit(f)
    np.testing.assert_array_equal(ref.history_["test_loss"], other.history_["test_loss"])
    prev = torch.get_num_threads()
    torch.set_num_threads(threads)  # the process setting does not leak into fit either
    try:
        again = GDRegressor(width=64, max_steps=150, eval_every=50, rng=2).fit(f)
    finally:
        torch.set_num_threads(prev)
    np.testing.assert_array_equal(ref.history_["test_loss"], again.history_["test_loss"])


# -- the engine's gradient against autograd --------------------------------------------------------------------------


def _streams(seed, n, n_test):
    """Replicate the engine's seeding: the test set, then the first minibatch, and the initial network."""
    data_rng, init_rng, _ = np.random.default_rng(seed).spawn(3)
    g = torch.Generator().manual_seed(int(data_rng.integers(2**62)))
    torch.randn(n_test, n, generator=g)
    init = torch.Generator().manual_seed(int(init_rng.integers(2**62)))
    return g, init


@pytest.mark.parametrize(
    "optimizer, steps, activation, loss",
    [
        ("sgd", 1, "relu", "square"),
        ("adam", 5, "relu", "square"),
        ("sgd", 1, "tanh", "square"),
        ("adam", 3, "sigmoid", "square"),
        ("sgd", 1, "relu", "logistic"),
        ("adam", 5, "relu", "logistic"),
        ("sgd", 2, "tanh", "logistic"),
    ],
)
@pytest.mark.parametrize("transposed_gW", [False, True])
def test_engine_steps_equal_autograd_and_torch_optimizers(
    monkeypatch, optimizer, steps, activation, loss, transposed_gW
):
    import lbkit.learners._engine as engine

    monkeypatch.setattr(engine, "_GW_TRANSPOSED_UP_TO", 1.0 if transposed_gW else 0.0)
    n, width, B, n_test, lr = 5, 12, 16, 64, 0.05
    net_S = relu_net(n, [0, 2])
    # the logistic loss needs E[y | x] in [-1, 1]: labels y = +-1 drawn with P(y = 1 | x) = (1 + tanh f_S(x)) / 2
    f = net_S if loss == "square" else (lambda X: np.tanh(net_S(X)))
    gd = GDRegressor(
        width=width,
        activation=activation,
        loss=loss,
        batch_size=B,
        n_test=n_test,
        lr=lr,
        optimizer=optimizer,
        max_steps=steps,
        eval_every=steps,
        rng=4,
    ).fit(f, n=n)
    g, init = _streams(4, n, n_test)
    net = TwoLayerNet(n, width, activation, generator=init)
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(net.parameters(), lr=lr)
    for _ in range(steps):
        X = torch.randn(B, n, generator=g)
        y = torch.from_numpy(f(X.double().numpy())).float()
        opt.zero_grad()
        if loss == "square":
            torch.mean((net(X) - y) ** 2).backward()
        else:  # the labels' coin flips come from the same stream, after the inputs
            u = torch.rand(B, generator=g)
            labels = torch.where(u < (1 + y) / 2, 1.0, -1.0)
            assert 0 < int((labels > 0).sum()) < B  # both labels occur: the sign of the gradient is exercised
            torch.mean(torch.nn.functional.softplus(-labels * net(X))).backward()
        opt.step()
    for p, q in zip(gd.model_.parameters(), net.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-6)


# -- micrograd-style: TwoLayerNet + SGD against a numpy gradient -----------------------------------------------------


def _numpy_step(W, b, a, c, X, y, lr, loss):
    """One SGD step, gradient written out by hand in float64 numpy."""
    P = X @ W.T + b
    H = np.maximum(P, 0)
    h = H @ a + c
    N = len(y)
    if loss == "square":
        r = 2 * (h - y) / N  # d/dh of mean (h - y)^2
    else:
        r = -y / (1 + np.exp(y * h)) / N  # d/dh of mean log(1 + exp(-y h))
    dP = np.outer(r, a) * (P > 0)
    grads = {"W": dP.T @ X, "b": dP.sum(0), "a": H.T @ r, "c": r.sum()}
    return {k: v - lr * grads[k] for k, v in {"W": W, "b": b, "a": a, "c": c}.items()}


@pytest.mark.parametrize("loss", ["square", "logistic"])
def test_two_layer_net_sgd_step_matches_a_numpy_gradient(loss):
    n, width, N, lr = 4, 6, 10, 0.1
    net = TwoLayerNet(n, width, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, n))
    y = np.sign(rng.standard_normal(N)) if loss == "logistic" else rng.standard_normal(N)
    before = {k: getattr(net, k).detach().numpy().copy() for k in "Wbac"}
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    out = net(torch.from_numpy(X))
    yt = torch.from_numpy(y)
    L = torch.mean((out - yt) ** 2) if loss == "square" else torch.mean(torch.nn.functional.softplus(-yt * out))
    opt.zero_grad()
    L.backward()
    opt.step()
    expected = _numpy_step(*(before[k] for k in "Wbac"), X, y, lr, loss)
    for k in "Wbac":
        np.testing.assert_allclose(getattr(net, k).detach().numpy(), expected[k], rtol=1e-12, atol=1e-14)
        assert not np.allclose(before[k], expected[k])  # the step moved every parameter


def test_gradient_noise_has_the_stated_variance():
    """With SGD, one step with noise sigma differs from the noiseless step by -lr * sigma * xi, xi ~ N(0, I).

    With P = 2,497 parameters the sample variance of the difference / (lr sigma) has relative standard error
    sqrt(2/P) = 2.8 %; the test allows 5 standard errors (14 %), so noise of the wrong size (sigma^2 instead of
    sigma, or a factor 2) fails it, and its mean must be 0 within 5 standard errors.
    """
    f = relu_net(8, [0, 1])
    kw = {"width": 256, "optimizer": "sgd", "lr": 0.01, "max_steps": 1, "eval_every": 1, "rng": 3}
    sigma = 0.3
    base = GDRegressor(noise=0.0, **kw).fit(f).model_
    noisy = GDRegressor(noise=sigma, **kw).fit(f).model_
    diff = np.concatenate(
        [(q.detach().numpy() - p.detach().numpy()).ravel() for p, q in zip(base.parameters(), noisy.parameters())]
    ) / (-0.01 * sigma)
    P = diff.size
    assert P == 256 * 8 + 256 + 256 + 1
    assert abs(diff.mean()) < 5 / math.sqrt(P)
    assert abs(diff.var() - 1) < 5 * math.sqrt(2 / P)


# -- validation ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"activation": ["relu"]}, TypeError, r"activation \(of the student\) must be a string, one of 'relu'"),
        ({"activation": "gelu"}, ValueError, r"activation \(of the student\) must be one of 'relu', 'sigmoid', 'tanh'"),
        ({"loss": None}, TypeError, "loss must be a string, one of 'square', 'logistic'; got None"),
        ({"momentum": 1.5}, ValueError, r"momentum must lie in \[0, 1\)"),
        ({"progress": "yes"}, TypeError, "progress must be True or False"),
        ({"width": 10**7}, ValueError, r"would allocate about .* GiB .* reduce width"),
        ({"n_test": 10**9}, ValueError, "GiB"),
        ({"max_steps": [5, 5]}, TypeError, "per-student values are for BatchedGDRegressor"),
    ],
)
def test_gd_regressor_refuses_bad_arguments_before_work(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        GDRegressor(rng=0, **kwargs).fit(relu_net(32, [0, 1]))


def test_batched_validation():
    fs = [relu_net(6, [0, 1])] * 2
    with pytest.raises(TypeError, match="rng is required"):
        BatchedGDRegressor().fit(fs)
    with pytest.raises(ValueError, match="rng has 3 entries for 2 targets"):
        BatchedGDRegressor(rng=[0, 1, 2]).fit(fs)
    with pytest.raises(ValueError, match="targets is empty"):
        BatchedGDRegressor(rng=0).fit([])
    with pytest.raises(TypeError, match="targets must be a sequence of callables"):
        BatchedGDRegressor(rng=0).fit(fs[0])
    with pytest.raises(ValueError, match=r"same input dimension n, got \[6, 7\]"):
        BatchedGDRegressor(rng=0).fit([fs[0], relu_net(7, [0, 1])])
    with pytest.raises(ValueError, match="max_steps has 3 entries for 2 students"):
        BatchedGDRegressor(rng=0, max_steps=[1, 2, 3]).fit(fs)
    with pytest.raises(ValueError, match=r"every entry of eval_every must be >= 1"):
        BatchedGDRegressor(rng=0, eval_every=[1, 0]).fit(fs)
    with pytest.raises(ValueError, match="GiB"):
        BatchedGDRegressor(rng=0, width=4096, batch_size=4096).fit(fs * 64)
    with pytest.raises(ValueError, match="not fitted yet"):
        BatchedGDRegressor(rng=0).predict(np.zeros((1, 6)))
    with pytest.raises(TypeError, match="complex values"):
        GDRegressor(rng=0, max_steps=1).fit(lambda X: X[:, 0] + 1j, n=3)


@pytest.mark.parametrize("n, width", [(8, 32), (16, 256)])
def test_both_ways_round_the_first_layer_gradient_give_the_same_trajectory(monkeypatch, n, width):
    """g_W = D^T (r X), or the transpose of (r X)^T D for small n (faster): the same sums, and on x86 with MKL
    (where the book runs) the same bits, so which one the engine picks never moves a trajectory."""
    import lbkit.learners._engine as engine

    fs = [relu_net(n, [0, 1, 2, 3]), relu_net(n, [1, 2])]
    kw = {"width": width, "max_steps": 40, "eval_every": 10, "n_test": 256, "batch_size": 64, "rng": [3, 4]}
    fits = {}
    for up_to in (0.0, 1.0):  # never transposed, always transposed
        monkeypatch.setattr(engine, "_GW_TRANSPOSED_UP_TO", up_to)
        fits[up_to] = BatchedGDRegressor(**kw, noise=1e-3).fit(fs)
    for h0, h1, m0, m1 in zip(fits[0.0].history_, fits[1.0].history_, fits[0.0].models_, fits[1.0].models_):
        np.testing.assert_array_equal(h0["test_loss"], h1["test_loss"])
        for p, q in zip(m0.parameters(), m1.parameters()):
            assert torch.equal(p, q)


def test_fused_adam_and_the_foreach_fallback_agree(monkeypatch):
    """The engine runs torch's fused Adam kernel; without it (another torch) the foreach path takes over."""
    import lbkit.learners._engine as engine

    assert engine._FUSED_ADAM is not None, "torch 2.13 has the fused CPU Adam kernel"
    f = relu_net(8, [0, 1, 2, 3])
    kw = {"width": 32, "max_steps": 200, "eval_every": 50, "n_test": 512, "batch_size": 64, "lr": 1e-2, "rng": 3}
    fused = GDRegressor(**kw).fit(f)
    monkeypatch.setattr(engine, "_FUSED_ADAM", None)
    fallback = GDRegressor(**kw).fit(f)
    np.testing.assert_allclose(fused.history_["test_loss"], fallback.history_["test_loss"], rtol=1e-4, atol=1e-6)
    for p, q in zip(fused.model_.parameters(), fallback.model_.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-3, atol=1e-5)
