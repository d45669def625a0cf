"""Every page links the favicon and the stylesheet that styles "Mes demandes" tabs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.factories import make_user


def test_pages_link_a_favicon_that_exists(app_ctx, client):
    page = client.get("/login").text
    match = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert match, "no favicon link"
    icon = client.get(match.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_my_requests_tabs_are_styled_by_a_loaded_stylesheet(app_ctx, login):
    page = login(make_user()).get("/mes-demandes").text
    assert '<nav class="tabs"' in page
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    css = "".join(login(make_user()).get(href).text for href in sheets)
    assert ".tabs {" in css and ".tabs a[aria-current]" in css


# -- Every class a page uses from a feature's stylesheet comes with that stylesheet -------------

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
COMMENT = re.compile(r"/\*.*?\*/", re.S)
JINJA = re.compile(r"{[{%].*?[%}]}", re.S)


def _defined_in() -> dict[str, set[str]]:
    """class name -> the stylesheets whose selectors name it."""
    found: dict[str, set[str]] = {}
    for sheet in (ROOT / "desk/static").glob("*.css"):
        for name in re.findall(r"\.([A-Za-z][\w-]*)", COMMENT.sub("", sheet.read_text())):
            found.setdefault(name, set()).add(sheet.name)
    return found


def _templates() -> dict[str, str]:
    return {str(p.relative_to(TEMPLATES)): p.read_text() for p in TEMPLATES.rglob("*.html")}


def _classes(text: str) -> set[str]:
    return {
        c for attr in re.findall(r'class="([^"]*)"', text) for c in JINJA.sub(" ", attr).split()
    }


def _with_includes(name: str, templates: dict[str, str], seen: set[str]) -> set[str]:
    """`name` and every template it includes by a literal name, recursively."""
    if name in seen or name not in templates:
        return seen
    seen.add(name)
    for included in re.findall(r'{%\s*include\s+"([^"]+)"', templates[name]):
        _with_includes(included, templates, seen)
    return seen


def _sheets(name: str, templates: dict[str, str]) -> set[str]:
    """The stylesheets a page links, itself or through the templates it extends."""
    text = templates[name]
    linked = set(re.findall(r"filename='([\w.-]+\.css)'", text))
    parent = re.search(r'{%\s*extends\s+"([^"]+)"', text)
    return linked | (_sheets(parent.group(1), templates) if parent else set())


def test_a_page_loads_every_stylesheet_its_classes_come_from():
    """Once, the technician's ticket page showed a ticket's form data unstyled: its rules were
    in catalog.css, which only the requester's page loaded. desk.css is on every page."""
    defined, templates = _defined_in(), _templates()
    pages = [n for n, text in templates.items() if re.search(r"{%\s*extends\s", text)]
    assert "queues/ticket.html" in pages and "desk.css" in _sheets("base.html", templates)
    missing = []
    for page in pages:
        sheets = _sheets(page, templates)
        for part in sorted(_with_includes(page, templates, set())):
            for name in sorted(_classes(templates[part])):
                where = defined.get(name, set())
                if where and "desk.css" not in where and not where & sheets:
                    missing.append(f"{page} ({part}): .{name} is styled only in {sorted(where)}")
    assert not missing, "\n".join(missing)
