"""Servers and workers that tests start end with the test process, however it ends."""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Looked up here, in the parent: the child between fork and exec should only make the call.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_test() -> None:
    """`preexec_fn` of a test's subprocess: the kernel sends it SIGTERM when the test process
    dies. A run killed or crashed mid-test otherwise leaves its Celery worker consuming the
    test's Redis database (taking the next run's tasks and sending them to a dead SMTP port)
    and its servers holding their ports. Linux only; elsewhere nothing changes.

    The signal follows the *thread* that started the process: start them from the test's own
    thread (fixtures and tests run there), not from a helper thread that ends first."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
