"""The CAS client: a small interface over python-cas (protocol 3.0), and single-logout parsing.

Only this module knows the protocol. Validation answers become a `CasAnswer`, a refused ticket
`TicketRejected`, an unreachable or garbled CAS `CasUnavailable`. The back-channel logout body
is parsed with a hardened parser: it comes from the network, unauthenticated.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import requests
from cas import CASClient
from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MAX_LOGOUT_REQUEST = 16 * 1024


class CasUnavailable(Exception):
    """The CAS did not answer, or answered something that is not a CAS response."""


class TicketRejected(Exception):
    """The CAS refused the ticket: unknown, used, expired or issued for another service."""


@dataclass(frozen=True)
class CasAnswer:
    """A validated ticket: the login and the released attributes (every value a list)."""

    user: str
    attributes: dict[str, list[str]]


class _TimeoutSession(requests.Session):
    """requests has no session-wide timeout; a CAS that hangs must not hang the login."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


class CasClient:
    """Login and logout URLs, and ticket validation at `p3/serviceValidate`."""

    def __init__(self, server_url: str, service_url: str, *, timeout: float = 10):
        # python-cas joins paths onto the prefix: without the trailing slash "cas/" is lost.
        self.server_url = server_url if server_url.endswith("/") else server_url + "/"
        self._client = CASClient(
            version=3,
            service_url=service_url,
            server_url=self.server_url,
            session=_TimeoutSession(timeout),
        )

    def login_url(self) -> str:
        return self._client.get_login_url()

    def logout_url(self, return_to: str | None = None) -> str:
        return self._client.get_logout_url(return_to)

    def validate(self, ticket: str) -> CasAnswer:
        try:
            user, attributes, _pgtiou = self._client.verify_ticket(ticket)
        except requests.RequestException as exc:
            raise CasUnavailable(str(exc)) from exc
        except (ParseError, IndexError, AttributeError, ValueError) as exc:
            raise CasUnavailable(f"not a CAS response: {exc}") from exc
        if not user or not user.strip():
            raise TicketRejected(ticket)
        return CasAnswer(user.strip(), _listed(attributes or {}))


def _listed(attributes: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in attributes.items():
        values = value if isinstance(value, list) else [value]
        out[name] = [v for v in values if isinstance(v, str)]
    return out


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def logout_session_index(logout_request: str) -> str | None:
    """The SessionIndex (the service ticket) of a SAML LogoutRequest, or None if malformed."""
    if not logout_request or len(logout_request) > MAX_LOGOUT_REQUEST:
        return None
    try:
        root = etree.fromstring(logout_request.encode("utf-8"), parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.tag != f"{{{SAMLP}}}LogoutRequest":
        return None
    indexes = root.findall(f"{{{SAMLP}}}SessionIndex")
    if len(indexes) != 1 or not (indexes[0].text or "").strip():
        return None
    return indexes[0].text.strip()
