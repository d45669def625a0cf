"""A TCP proxy in front of a real server, that a fault test can freeze.

Frozen, it stops reading, accepting and forwarding, and keeps every socket open: the clients
see a server that stopped answering without closing anything, as a SIGSTOPped server's
sessions or a network path that silently drops packets (its kernel still acknowledges what
is sent, as a stopped server's does). Thawed, it forwards what waited, then carries on.
It stands in front of the shared PostgreSQL or Redis without touching them.

    with FreezableProxy("127.0.0.1", 5432) as proxy:   # proxy.port: point the app there
        proxy.freeze(); ...; proxy.thaw()
"""

from __future__ import annotations

import selectors
import socket
import threading

from tests.support.processes import free_port


class FreezableProxy:
    """One thread, one selector: each accepted connection is paired with one to upstream."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=64)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._running = threading.Event()
        self._running.set()
        self._stopped = False
        self._thread = threading.Thread(target=self._serve, name="frozen-proxy", daemon=True)

    def __enter__(self) -> FreezableProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def freeze(self) -> None:
        self._running.clear()

    def thaw(self) -> None:
        self._running.set()

    def close(self) -> None:
        self._stopped = True
        self._running.set()
        self._thread.join(10)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()

    def _serve(self) -> None:
        while not self._stopped:
            self._running.wait()
            for key, _events in self._selector.select(timeout=0.05):
                if not self._running.is_set():
                    break  # frozen meanwhile: leave the rest in the kernel's buffers
                if key.fileobj is self._listener:
                    self._accept()
                elif key.fileobj.fileno() == -1:  # type: ignore[union-attr]
                    continue  # its pair ended earlier in this round
                else:
                    self._forward(key.fileobj, key.data)  # type: ignore[arg-type]

    def _accept(self) -> None:
        client, _address = self._listener.accept()
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, server):
            sock.setblocking(True)
        self._selector.register(client, selectors.EVENT_READ, server)
        self._selector.register(server, selectors.EVENT_READ, client)

    def _forward(self, source: socket.socket, target: socket.socket) -> None:
        try:
            data = source.recv(65536)
            if data:
                target.sendall(data)
                return
        except OSError:
            pass
        for sock in (source, target):  # one side ended: end the pair
            if sock.fileno() != -1:
                self._selector.unregister(sock)
                sock.close()
