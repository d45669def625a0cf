"""One field at a time: every form filled as its page fills it, then one value made tricky.

`test_fuzz.py` draws random values for every field at once, so a form nearly always fails its
validation early and the code behind a valid form is rarely reached. Here each form is sent
as the page rendered it (hidden fields, selected options, checked boxes), with one field
changed: the view then runs with that one bad value past everything else. The values are the
numbers Python's `int()` refuses although `str.isdigit()` accepts them (superscripts, more
than 4,300 digits), digits of other scripts, padded and blank numbers, dates out of range,
text longer than any column. Found this way: a
blank-but-for-a-space version field of the article editor, and a superscript page size of the
queue list, both ended in a 500.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from werkzeug.datastructures import MultiDict

from tests.conftest import Client
from tests.security.access_world import build_access_world
from tests.security.test_fuzz import _check, _clients, _get_pages

TRICKY = [
    "²",  # isdigit() but not int()
    "١٢",  # Arabic-Indic digits: int() reads them
    "１２",  # full-width digits
    " ",
    " 7 ",
    "9" * 5000,  # past int()'s 4,300 digits
    "2147483648",
    "-1",
    "+1",
    "1.5",
    "1e309",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "24:60",
    "x" * 5000,  # past every column's length
    "é@é.fr",
]
SKIPPED_ACTIONS = ("/delete", "/remove", "/logout", "/password", "/mot-de-passe")


class _FilledForms(HTMLParser):
    """Every form of a page with the values a browser would send unchanged."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: list | None = None  # [name, first option, selected option]
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self._form = {
                "action": a.get("action") or "",
                "method": method,
                "fields": [],
                "files": [],
            }
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        name, kind = a["name"], (a.get("type") or "text").lower()
        if tag == "input" and kind == "file":
            self._form["files"].append(name)
        if tag == "input" and kind not in ("file", "submit", "button", "image", "reset"):
            if kind in ("checkbox", "radio"):  # an unchecked one is fuzzed, not sent as it is
                value = (a.get("value") or "on") if "checked" in a else None
            else:
                value = a.get("value") or ""
            self._form["fields"].append((name, value))
        elif tag == "select":
            self._select = [name, None, None]
        elif tag == "textarea":
            self._textarea = name
            self._form["fields"].append((name, ""))

    def _option(self, a):
        value = a.get("value") or ""
        if self._select[1] is None:
            self._select[1] = value
        if "selected" in a:
            self._select[2] = value

    def handle_data(self, data):
        if self._textarea is not None and self._form is not None:
            name, _old = self._form["fields"].pop()
            self._form["fields"].append((name, data))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, first, selected = self._select
            self._form["fields"].append((name, selected if selected is not None else first))
            self._select = None


def _targets(app, world, clients: dict[str, Client]) -> list[tuple[str, str, str, dict]]:
    seen, targets = set(), []
    for _rule, page in _get_pages(app, world):
        for role, client in clients.items():
            parser = _FilledForms()
            parser.feed(client.get(page).get_data(as_text=True))
            for form in parser.forms:
                action = urlsplit(form["action"] or page).path or page
                names = tuple(sorted({n for n, _v in form["fields"]}))
                key = (role, action, form["method"], names)
                if key in seen or action.endswith(SKIPPED_ACTIONS) or not names:
                    continue
                seen.add(key)
                targets.append((role, action, form["method"], form))
    return targets


def _send(client: Client, action: str, method: str, pairs: list[tuple[str, str]]):
    if method == "post":
        data = MultiDict([p for p in pairs if p[0] != "csrf_token"])
        data.add("csrf_token", client.last_csrf or "")
        return client.post(action, data=data)
    return client.get(f"{action}?{urlencode(pairs)}")


def test_each_field_alone_with_a_tricky_value(app, app_ctx):
    world = build_access_world()
    clients = _clients(app, world)
    targets = _targets(app, world, clients)
    assert len(targets) > 40  # catalogue forms, ticket actions, admin pages, search forms...
    reached, failures = 0, []
    for role, action, method, form in targets:
        client, fields = clients[role], form["fields"]
        for index, (name, _value) in enumerate(fields):
            if name == "csrf_token":
                continue
            for value in TRICKY:
                pairs = [(n, v) for i, (n, v) in enumerate(fields) if i != index and v is not None]
                pairs.append((name, value))
                response = _send(client, action, method, pairs)
                what = f"{method.upper()} {action} as {role}: {name}={value[:20]!r}"
                try:
                    _check(response, what)
                except AssertionError:
                    failures.append(f"{what} -> {response.status_code}")
                reached += response.status_code in (200, 302, 303, 400, 409)
                if response.status_code == 302 and "/login" in response.location:
                    client.login(world.users[role].email)  # a form that signed us out
    assert not failures, "\n".join(failures)
    assert reached > len(targets) * 5


# (file name, content): what a careless or hostile sender attaches instead of the expected file.
HOSTILE_FILES = [
    ("", b""),
    ("vide.csv", b""),
    ("../../etc/passwd", b"root:x:0:0"),
    ("\u202egpj.exe", b"MZ\x90\x00"),
    ("n" * 1000 + ".csv", b"a;b\n"),
    ("binaire.csv", bytes(range(256)) * 40),
    ("utf16.csv", "prénom;nom\nÉlise;Durand\n".encode("utf-16")),
    ("latin1.csv", "prénom;nom\nÉlise;Durand\n".encode("latin-1")),
    ("nul.csv", b"a;b\x00c\n1;2\n"),
    ("une-ligne.csv", b"x" * 400_000),
    ("formule.csv", b'=HYPERLINK("http://x");=1+1\n@SUM(A1)\n'),
    ("colonnes.csv", b";" * 5000 + b"\n"),
]


def test_each_file_field_with_a_hostile_file(app, app_ctx):
    world = build_access_world()
    clients = _clients(app, world)
    targets = [t for t in _targets(app, world, clients) if t[3]["files"] and t[2] == "post"]
    assert len(targets) >= 4  # a catalogue form, the Wi-Fi guest list, a ticket, the places import
    failures, answered = [], 0
    for role, action, _method, form in targets:
        client = clients[role]
        for file_field in form["files"]:
            for filename, content in HOSTILE_FILES:
                data = MultiDict([(n, v) for n, v in form["fields"] if v is not None])
                data.pop("csrf_token", None)
                data.add("csrf_token", client.last_csrf or "")
                data.add(file_field, (io.BytesIO(content), filename))
                response = client.post(action, data=data, content_type="multipart/form-data")
                what = f"POST {action} as {role}: {file_field}={filename[:30]!r}"
                try:
                    _check(response, what)
                except AssertionError:
                    failures.append(f"{what} -> {response.status_code}")
                answered += response.status_code in (200, 302, 303, 400, 409, 413)
    assert not failures, "\n".join(failures)
    assert answered == sum(len(t[3]["files"]) for t in targets) * len(HOSTILE_FILES)


def test_each_form_with_its_text_fields_sent_as_files(app, app_ctx):
    """A hand-made request may send a text field as a file part: each form then lacks that
    field (a refusal, or its default), never a 500 (the field's checks ran on a file object)."""
    world = build_access_world()
    clients = _clients(app, world)
    targets = [t for t in _targets(app, world, clients) if t[2] == "post"]
    assert len(targets) > 40
    failures = []
    for role, action, _method, form in targets:
        client = clients[role]
        data = MultiDict([("csrf_token", client.last_csrf or "")])
        for name, value in form["fields"]:
            if value is not None and name != "csrf_token":
                data.add(name, (io.BytesIO(value.encode()), "champ.txt"))
        response = client.post(action, data=data, content_type="multipart/form-data")
        what = f"POST {action} as {role}, its fields as files"
        try:
            _check(response, what)
        except AssertionError:
            failures.append(f"{what} -> {response.status_code}")
        if response.status_code == 302 and "/login" in response.location:
            client.login(world.users[role].email)
    assert not failures, "\n".join(failures)
