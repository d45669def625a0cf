"""The outer layer of every response: the reverse proxy's view of the client.

Wired once in `create_app`.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_proxy(app: Flask) -> None:
    """Trust DESK_TRUSTED_PROXIES hops of X-Forwarded-* (client address, https scheme, host).

    With 0 (the default) the headers are ignored: a client could otherwise forge its address
    and escape the per-address rate limits.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
