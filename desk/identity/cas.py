"""The CAS client: login and logout URLs from python-cas (protocol 3.0), ticket validation,
and single-logout parsing.

Only this module knows the protocol. Validation answers become a `CasAnswer`, a refused ticket
`TicketRejected`, an unreachable or garbled CAS `CasUnavailable`. Both XML bodies (the
validation answer and the back-channel logout) are read with a hardened parser, bounded in
size and time: a CAS behind a broken proxy, or someone in between, must not be able to hang
a worker, fill its memory or feed it entities.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
import urllib3
from cas import CASClient
from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
CAS_NS = "http://www.yale.edu/tp/cas"
MAX_LOGOUT_REQUEST = 16 * 1024
# A CAS 3.0 answer with a few dozen attributes is a few kilobytes.
MAX_VALIDATION_RESPONSE = 1024 * 1024


class CasUnavailable(Exception):
    """The CAS did not answer, or answered something that is not a CAS response."""


class TicketRejected(Exception):
    """The CAS refused the ticket: unknown, used, expired or issued for another service."""


@dataclass(frozen=True)
class CasAnswer:
    """A validated ticket: the login and the released attributes (every value a list)."""

    user: str
    attributes: dict[str, list[str]]


class CasClient:
    """Login and logout URLs, and ticket validation at `p3/serviceValidate`."""

    def __init__(self, server_url: str, service_url: str, *, timeout: float = 10):
        # python-cas joins paths onto the prefix: without the trailing slash "cas/" is lost.
        self.server_url = server_url if server_url.endswith("/") else server_url + "/"
        self.service_url = service_url
        self.timeout = timeout
        self._client = CASClient(version=3, service_url=service_url, server_url=self.server_url)

    def login_url(self) -> str:
        return self._client.get_login_url()

    def logout_url(self, return_to: str | None = None) -> str:
        return self._client.get_logout_url(return_to)

    def validate(self, ticket: str) -> CasAnswer:
        """Validate at `p3/serviceValidate` (done here rather than by python-cas, which reads
        any body whole, with no overall deadline, through a parser that let an unknown XML
        encoding escape as a LookupError: a 500 for the person signing in)."""
        url = urljoin(self.server_url, "p3/serviceValidate")
        params = {"ticket": ticket, "service": self.service_url}
        try:
            body = self._fetch(url, params)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # urllib3's own errors (a read timing out mid-body) come through raw.read1 as they
            # are. Not str(exc): it carries the URL, and so the ticket, into the logs.
            raise CasUnavailable(f"{type(exc).__name__} at {url}") from exc
        return parse_validation_response(body)

    def _fetch(self, url: str, params: dict[str, str]) -> bytes:
        # `timeout` bounds each read only: a CAS (or a proxy) sending a byte now and then
        # would hold the login, and the worker, for ever. Hence the overall deadline.
        # No redirect is followed: the answer must come from the CAS itself, over its URL.
        deadline = time.monotonic() + self.timeout
        with requests.get(
            url, params=params, timeout=self.timeout, stream=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:  # the protocol answers even a refusal with 200
                raise CasUnavailable(f"HTTP {response.status_code} from {url}")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_VALIDATION_RESPONSE:
                raise CasUnavailable(f"an answer of {length} bytes")
            body = bytearray()
            # read1: what has arrived, at once (iter_content would wait for a full chunk).
            while chunk := response.raw.read1(16 * 1024, decode_content=True):
                body += chunk
                if len(body) > MAX_VALIDATION_RESPONSE:
                    raise CasUnavailable(f"an answer of more than {MAX_VALIDATION_RESPONSE} bytes")
                if time.monotonic() > deadline:
                    raise CasUnavailable(f"no complete answer within {self.timeout} s")
        return bytes(body)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _cas(name: str) -> str:
    return f"{{{CAS_NS}}}{name}"


def parse_validation_response(body: bytes) -> CasAnswer:
    """The login and attributes of a CAS 3.0 `serviceResponse`.

    `TicketRejected` for an `authenticationFailure` (or an empty user), `CasUnavailable` for
    anything that is not a CAS answer: an HTML maintenance page, a document with a DTD (a CAS
    sends none; entities are never expanded), XML in an unknown encoding.
    """
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError, LookupError) as exc:
        raise CasUnavailable(f"not a CAS response: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise CasUnavailable("not a CAS response: it has a DTD")
    outcome = next((child for child in root if isinstance(child.tag, str)), None)
    if root.tag != _cas("serviceResponse") or outcome is None:
        raise CasUnavailable(f"not a CAS response: <{root.tag}>")
    if outcome.tag == _cas("authenticationFailure"):
        raise TicketRejected(outcome.get("code", ""))
    users = outcome.findall(_cas("user"))
    if outcome.tag != _cas("authenticationSuccess") or not users:
        raise CasUnavailable(f"not a CAS response: <{outcome.tag}>")
    # A CAS escapes what it writes: markup inside <cas:user> (where `.text` would be the part
    # before it: "kbenali<!---->x" read as kbenali), or a second one, is not its answer.
    if len(users) > 1 or len(users[0]):
        raise CasUnavailable("not a CAS response: <cas:user> repeated or with markup inside")
    login = (users[0].text or "").strip()
    if not login:
        raise TicketRejected("")
    attributes: dict[str, list[str]] = {}
    for element in outcome.iterfind(f"{_cas('attributes')}/*"):
        if not isinstance(element.tag, str):  # a comment or processing instruction
            continue
        name = etree.QName(element).localname
        attributes.setdefault(name, [])
        # An empty element releases no value, as with python-cas; nor does one with markup
        # inside (only its first piece would be read: "a<b/>@x" as "a").
        if element.text is not None and not len(element):
            attributes[name].append(element.text)
    return CasAnswer(login, attributes)


def logout_session_index(logout_request: str) -> str | None:
    """The SessionIndex (the service ticket) of a SAML LogoutRequest, or None if malformed."""
    if not logout_request or len(logout_request) > MAX_LOGOUT_REQUEST:
        return None
    try:
        root = etree.fromstring(logout_request.encode("utf-8"), parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError, LookupError):
        return None
    # A CAS sends no DTD. With one, entities are left unexpanded, and `.text` stops at the
    # first of them ("ST-x&e;" read as "ST-x"): the index must be the element's whole text.
    if root.getroottree().docinfo.doctype or root.tag != f"{{{SAMLP}}}LogoutRequest":
        return None
    indexes = root.findall(f"{{{SAMLP}}}SessionIndex")
    if len(indexes) != 1 or len(indexes[0]) or not (indexes[0].text or "").strip():
        return None  # missing, repeated, or with markup inside (entities, comments)
    return indexes[0].text.strip()
