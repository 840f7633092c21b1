"""Functions the sweep tests run in worker processes (importable by name: the stdlib workers need that)."""

import os
import signal
import time


def _log_call(x):
    path = os.environ.get("LBKIT_TEST_CALL_LOG")
    if path:
        with open(path, "a") as fh:
            fh.write(f"{x}\n")


def noisy_point(x, *, rng, delay=0.0, fail=False, kill_marker=None):
    """``{"y": x + a standard normal draw}``; logs the call, sleeps ``delay`` s, raises when ``fail``.

    When ``kill_marker`` names an existing file, the file is removed and the process kills itself (SIGKILL), as
    a worker killed by the operating system or a cluster's scheduler would die; the next call runs normally.
    """
    _log_call(x)
    if kill_marker is not None and os.path.exists(kill_marker):
        os.remove(kill_marker)
        os.kill(os.getpid(), signal.SIGKILL)
    if fail:
        raise ArithmeticError(f"point x = {x} fails on purpose")
    time.sleep(delay)
    return {"y": x + float(rng.standard_normal()), "draws": [float(v) for v in rng.random(2)]}


def other_point(x, *, rng):
    """Another function with the same signature, to show that a store is tied to its function."""
    return {"y": -x}


def calls(path) -> list:
    """The x of every logged call, in order."""
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [int(line) for line in fh.read().split()]
