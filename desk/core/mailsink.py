"""A local SMTP sink for development and tests: every message becomes an .eml file.

`python -m desk.core.mailsink DIR [PORT]` listens on 127.0.0.1 and never relays anything.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class EmlWriter:
    """aiosmtpd handler writing each accepted message to DIR/<time>-<n>.eml."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        with self._lock:
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._counter):05d}.eml"
        (self.directory / name).write_bytes(envelope.original_content or b"")
        return "250 Message accepted for delivery"


def start_sink(directory: Path, port: int = 8025) -> Controller:
    """Start the sink in a background thread; call `.stop()` on the result."""
    controller = Controller(EmlWriter(directory), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def main() -> None:
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "instance/mail")
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8025
    controller = start_sink(directory, port)
    print(f"mail sink on 127.0.0.1:{port}, writing to {directory}/", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
