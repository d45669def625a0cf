"""`make run`'s supervisor: Ctrl-C pressed again while it stops does not leave children behind."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from desk.devserver import Supervisor

SLOW_TO_STOP = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: (time.sleep(1.0), sys.exit(0)))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_a_second_interrupt_during_stop_still_stops_every_child(tmp_path):
    saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    supervisor = Supervisor(dict(os.environ))
    try:
        supervisor.start("slow", sys.executable, "-u", "-c", SLOW_TO_STOP)
        ((_name, child),) = supervisor.children
        time.sleep(1.0)  # the child has installed its handler
        # The impatient developer presses Ctrl-C again while the child takes 1 s to stop.
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            supervisor.stop()
        except KeyboardInterrupt:
            pytest.fail("the second Ctrl-C interrupted the shutdown")
        assert child.poll() == 0  # it stopped cleanly, through its own SIGTERM handler
        assert supervisor.children == []
    finally:
        signal.signal(signal.SIGINT, saved[0])
        signal.signal(signal.SIGTERM, saved[1])
        for _name, process in supervisor.children:
            process.kill()
