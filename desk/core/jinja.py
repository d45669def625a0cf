"""The pages' Jinja environment: each template compiled once per language, its messages in.

A page calls `_()` some fifty times (a queue list: 54), each one a Jinja `Context.call`, a
catalogue look-up and a `%` format, for text that is the same on every render in that
language. So the app's environment keeps one overlay per language, and a template loaded
through it is compiled with the calls whose message is a literal replaced by the message
already translated: `{{ _("Status") }}` becomes the text « Statut » in the French
template's code, and `_("Queue %(name)s", name=q.name)` the translated pattern `%` its
values (still escaped at render, as Jinja's newstyle gettext does).

Only `_()` and `gettext()` with a literal message are folded, and only where they are
desk's page gettext (`desk.core.i18n._page_gettext`), whose result depends on nothing but
the language: plurals, contexts and every other call stay calls. A template compiled from a
string (`from_string`) is never folded: its caller may keep it and render it in another
language. The e-mails' environments are overlays of their own, never redirected here: each
is given its one language's catalogue as `folding` (desk.notifications.content).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask.templating import Environment
from flask_babel import get_locale, get_translations
from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from desk.core.elision import ElidingText

_FOLDED_NAMES = frozenset({"_", "gettext"})


class PageEnvironment(Environment):
    """Flask's environment, which hands a page's templates out of its language's overlay."""

    # Set on the per-language overlays: the catalogue their templates are compiled with.
    folding: Any = None

    def _language_overlay(self) -> PageEnvironment:
        if self.overlayed or not has_request_context():
            return self  # an overlay (a language's, an e-mail's) keeps its own templates
        from desk.core.i18n import _page_gettext

        if any(self.globals.get(name) is not _page_gettext for name in _FOLDED_NAMES):
            return self  # the folding would not be what these calls render
        locale = get_locale()
        if locale is None:
            return self
        overlays: dict[str, PageEnvironment] = self.__dict__.setdefault("_desk_overlays", {})
        code = str(locale)
        overlay = overlays.get(code)
        if overlay is None:
            # Shares the loader, globals, filters and policies; a template cache of its own.
            overlay = self.overlay(cache_size=self.cache.capacity if self.cache else 400)
            overlay.folding = get_translations()
            overlays[code] = overlay
        return overlay

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> Any:
        overlay = self._language_overlay()
        if overlay is not self:
            return overlay.get_template(name, parent, globals)
        return super().get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None, globals: Any = None) -> Any:
        overlay = self._language_overlay()
        if overlay is not self:
            return overlay.select_template(names, parent, globals)
        return super().select_template(names, parent, globals)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if self.folding is not None and name is not None:  # loaded by name, not from_string
            tree = _Folder(self.folding).visit(tree)
        return tree


class _Folder(NodeTransformer):
    """Replace `_("literal", key=value…)` by its translation, formatted as _page_gettext does."""

    def __init__(self, translations: Any) -> None:
        self.translations = translations

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        node = self.generic_visit(node)  # calls inside the arguments first
        if not (
            isinstance(node.node, nodes.Name)
            and node.node.name in _FOLDED_NAMES
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            return node
        text = self.translations.ugettext(node.args[0].value)
        if isinstance(text, ElidingText) and node.kwargs:
            return node  # « de » or « d’ » depends on the value: formatted at render
        if not node.kwargs:
            try:
                text = text % {}  # "%%" is one percent sign, as at render
            except (KeyError, ValueError, TypeError):
                return node  # the render raises as before
            return nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno)
        values = nodes.Dict(
            [nodes.Pair(nodes.Const(kw.key), kw.value, lineno=kw.lineno) for kw in node.kwargs],
            lineno=node.lineno,
        )
        # Markup % values escapes each value; a plain text (autoescape off) does not.
        pattern = nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno)
        return nodes.Mod(pattern, values, lineno=node.lineno)
