"""A small CAS 3.0 server for tests, written from the Apereo CAS protocol specification.

Apereo CAS cannot run here (Java), so this speaks the parts of the protocol desk uses, over real
HTTP on a free port:

- `GET /cas/login?service=S[&renew=true|&gateway=true]`: with a valid ticket-granting cookie
  (TGC) and no `renew`, a service ticket is issued at once (single sign-on); otherwise the
  login form. `POST /cas/login` checks the credentials, sets the TGC and redirects to
  `S?ticket=ST-...` (spec 2.1, 2.2).
- `GET /cas/p3/serviceValidate?service=S&ticket=ST`: single use; expired, unknown or reused
  tickets give INVALID_TICKET, a service other than the one the ticket was issued for gives
  INVALID_SERVICE, missing parameters INVALID_REQUEST; success carries `cas:user` and
  `cas:attributes` (spec 2.5, 2.6; section 2.5.7 for the attributes).
- `GET /cas/logout[?service=S]`: ends the SSO session and, for every service ticket the
  session issued, POSTs the SAML `LogoutRequest` (form field `logoutRequest`, `SessionIndex`
  = the service ticket) to the service it was issued for (spec 2.3, appendix C).

Tests can make it misbehave the ways a real CAS or network does: attributes missing or sent
in another XML encoding, tickets that expire at once, the server stopped, or validation
answered with any status and body (`validation_answer`), sent a few bytes at a time
(`validation_drip`).
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

NS = "http://www.yale.edu/tp/cas"


@dataclass
class Account:
    """A CAS account: its password and the attributes released to services."""

    password: str
    attributes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ServiceTicket:
    ticket: str
    service: str
    username: str
    tgt: str
    issued_at: float
    new_login: bool
    used: bool = False


@dataclass
class Sso:
    tgt: str
    username: str
    tickets: list[ServiceTicket] = field(default_factory=list)


class CasServer:
    """The state and the HTTP server; `url` is the CAS prefix (…/cas/)."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.tickets: dict[str, ServiceTicket] = {}
        self.sessions: dict[str, Sso] = {}
        self.ticket_ttl = 10.0  # seconds, as Apereo's default service ticket lifetime
        self.response_encoding = "UTF-8"
        self.slo_results: list[tuple[str, int]] = []  # (service, HTTP status) of each SLO POST
        self.validations = 0
        # (status, content type, body) sent instead of the protocol's answer to validation.
        self.validation_answer: tuple[int, str, bytes] | None = None
        # Seconds between two chunks of the validation answer (a CAS, or a proxy, that drips).
        self.validation_drip = 0.0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up ---------------------------------------------------------------------------

    def add_account(self, username: str, password: str, **attributes: str | list[str]) -> None:
        self.accounts[username] = Account(
            password, {k: v if isinstance(v, list) else [v] for k, v in attributes.items()}
        )

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_port}/cas/"

    def start(self, port: int = 0) -> CasServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering (the CAS is down); `start(port)` brings it back on the same port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._httpd = None

    # -- protocol -------------------------------------------------------------------------

    def issue_ticket(self, sso: Sso, service: str, *, new_login: bool) -> ServiceTicket:
        ticket = ServiceTicket(
            "ST-" + secrets.token_urlsafe(24),
            service,
            sso.username,
            sso.tgt,
            time.time(),
            new_login,
        )
        with self._lock:
            self.tickets[ticket.ticket] = ticket
            sso.tickets.append(ticket)
        return ticket

    def login(self, username: str, password: str) -> Sso | None:
        account = self.accounts.get(username)
        if account is None or not secrets.compare_digest(account.password, password):
            return None
        sso = Sso("TGT-" + secrets.token_urlsafe(24), username)
        self.sessions[sso.tgt] = sso
        return sso

    def validate(self, ticket: str | None, service: str | None) -> bytes:
        self.validations += 1
        if not ticket or not service:
            return self._failure("INVALID_REQUEST", "'service' and 'ticket' are required")
        with self._lock:
            st = self.tickets.get(ticket)
            if st is not None:
                # A service ticket is good for one validation attempt, whatever its outcome.
                del self.tickets[ticket]
        if st is None or st.used:
            return self._failure("INVALID_TICKET", f"Ticket {ticket} not recognized")
        st.used = True
        if time.time() - st.issued_at > self.ticket_ttl:
            return self._failure("INVALID_TICKET", f"Ticket {ticket} has expired")
        if st.service != service:
            return self._failure("INVALID_SERVICE", f"Ticket {ticket} was not issued for {service}")
        return self._success(st)

    def logout(self, tgt: str) -> None:
        """End an SSO session and send the back-channel logout to each of its services."""
        sso = self.sessions.pop(tgt, None)
        if sso is None:
            return
        for st in sso.tickets:
            self.send_logout_request(st.service, st.ticket)

    def logout_user(self, username: str) -> None:
        for tgt in [t for t, s in self.sessions.items() if s.username == username]:
            self.logout(tgt)

    def send_logout_request(self, service: str, session_index: str) -> int:
        body = urllib.parse.urlencode({"logoutRequest": logout_request(session_index)}).encode()
        # The service URL is desk's own callback (http on 127.0.0.1), never user input.
        request = urllib.request.Request(service, data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        self.slo_results.append((service, status))
        return status

    def _success(self, st: ServiceTicket) -> bytes:
        account = self.accounts[st.username]
        attributes = {
            "authenticationDate": [dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
            "isFromNewLogin": ["true" if st.new_login else "false"],
            "longTermAuthenticationRequestTokenUsed": ["false"],
            **account.attributes,
        }
        lines = "".join(
            f"<cas:{name}>{escape(value)}</cas:{name}>"
            for name, values in attributes.items()
            for value in values
        )
        return self._document(
            "<cas:authenticationSuccess>"
            f"<cas:user>{escape(st.username)}</cas:user>"
            f"<cas:attributes>{lines}</cas:attributes>"
            "</cas:authenticationSuccess>"
        )

    def _failure(self, code: str, message: str) -> bytes:
        return self._document(
            f'<cas:authenticationFailure code="{code}">{escape(message)}'
            "</cas:authenticationFailure>"
        )

    def _document(self, body: str) -> bytes:
        text = (
            f'<?xml version="1.0" encoding="{self.response_encoding}"?>\n'
            f'<cas:serviceResponse xmlns:cas="{NS}">{body}</cas:serviceResponse>'
        )
        # Characters outside the declared encoding become XML character references.
        return text.encode(self.response_encoding, "xmlcharrefreplace")


def logout_request(session_index: str) -> str:
    """The SAML 2 LogoutRequest of the CAS protocol's single logout (appendix C)."""
    issued = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="LR-{secrets.token_hex(8)}" Version="2.0" IssueInstant="{issued}">'
        "<saml:NameID>@NOT_USED@</saml:NameID>"
        f"<samlp:SessionIndex>{escape(session_index)}</samlp:SessionIndex>"
        "</samlp:LogoutRequest>"
    )


LOGIN_FORM = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>CAS – Service d'authentification</title></head>
<body><h1>Service d'authentification centralisé</h1>{error}
<form method="post" action="/cas/login">
<input type="hidden" name="service" value="{service}">
<label for="username">Identifiant</label><input id="username" name="username">
<label for="password">Mot de passe</label><input id="password" name="password" type="password">
<button type="submit" name="submit">Connexion</button>
</form></body></html>"""


def _handler(cas: CasServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _query(self) -> dict[str, str]:
            query = urllib.parse.urlsplit(self.path).query
            return {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}

        def _tgc(self) -> Sso | None:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            morsel = cookie.get("TGC")
            return cas.sessions.get(morsel.value) if morsel else None

        def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for start in range(0, len(body), 16):
                self.wfile.write(body[start : start + 16])
                self.wfile.flush()
                time.sleep(cas.validation_drip)

        def _redirect(self, location: str, headers: dict | None = None) -> None:
            self._send(302, b"", "text/plain", {"Location": location, **(headers or {})})

        def _form(self, service: str, error: str = "", status: int = 200) -> None:
            page = LOGIN_FORM.format(service=html.escape(service), error=error)
            self._send(status, page.encode(), "text/html; charset=utf-8")

        def _to_service(self, sso: Sso, service: str, new_login: bool, headers=None) -> None:
            st = cas.issue_ticket(sso, service, new_login=new_login)
            sep = "&" if urllib.parse.urlsplit(service).query else "?"
            self._redirect(f"{service}{sep}ticket={st.ticket}", headers)

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            query = self._query()
            if path == "/cas/login":
                service = query.get("service", "")
                sso = self._tgc()
                if sso and service and query.get("renew") != "true":
                    return self._to_service(sso, service, new_login=False)
                if query.get("gateway") == "true" and service:
                    return self._redirect(service)
                return self._form(service)
            if path == "/cas/p3/serviceValidate":
                body = cas.validate(query.get("ticket"), query.get("service"))
                status, ctype = 200, f"application/xml; charset={cas.response_encoding}"
                if cas.validation_answer is not None:
                    status, ctype, body = cas.validation_answer
                if cas.validation_drip:
                    return self._drip(status, body, ctype)
                return self._send(status, body, ctype)
            if path == "/cas/logout":
                sso = self._tgc()
                if sso:
                    cas.logout(sso.tgt)
                expire = {"Set-Cookie": "TGC=; Path=/cas/; Max-Age=0"}
                if query.get("service"):
                    return self._redirect(query["service"], expire)
                page = (
                    b"<!doctype html><html lang='fr'><body><p>Deconnexion reussie</p></body></html>"
                )
                return self._send(200, page, "text/html; charset=utf-8", expire)
            self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            if urllib.parse.urlsplit(self.path).path != "/cas/login":
                return self._send(404, b"not found", "text/plain")
            length = int(self.headers.get("Content-Length", "0"))
            form = {
                k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()
            }
            service = form.get("service", "")
            sso = cas.login(form.get("username", ""), form.get("password", ""))
            if sso is None:
                return self._form(
                    service, "<p id='error'>Identifiant ou mot de passe incorrect</p>", 401
                )
            cookie = {"Set-Cookie": f"TGC={sso.tgt}; Path=/cas/; HttpOnly"}
            if not service:
                return self._send(200, b"Connexion reussie", "text/plain", cookie)
            self._to_service(sso, service, new_login=True, headers=cookie)

    return Handler
