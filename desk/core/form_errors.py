"""Form accessibility: the attributes that tie a field to its hint and errors, and the
error summary every page with invalid fields shows (RGAA 11.10, WCAG 3.3.1).

Fields rendered through templates/macros/_forms.html record their errors on `g` while the
page renders; base.html renders the content first, so the page title can start with the
number of errors and a page whose template forgot the summary still gets one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from flask_babel import gettext
from markupsafe import Markup, escape


@dataclass(frozen=True)
class ErrorEntry:
    """One line of the error summary: the field's label and message, and where to go."""

    target: str | None
    label: str
    message: str


def _target(field) -> str:
    # A group of radios or checkboxes is a fieldset: the link goes to its first option.
    option_type = getattr(getattr(field, "option_widget", None), "input_type", "")
    if getattr(field, "choices", None) and option_type in ("radio", "checkbox"):
        return f"{field.id}-0"
    return field.id


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):  # FormField: {subfield: [messages]}
        return [str(m) for value in errors.values() for m in _messages(value)]
    return [str(m) for m in errors or []]


def _record(entries: list[ErrorEntry]) -> None:
    recorded: list[ErrorEntry] = g.setdefault("page_errors", [])
    for entry in entries:
        if entry not in recorded:
            recorded.append(entry)


_LABEL_END = " .?!:\u00a0\u202f"


def field_entries(field) -> list[ErrorEntry]:
    """The summary lines of one field's errors."""
    label = str(field.label.text) if field.label else field.name
    # "Label: message": a label that is a sentence or a question loses its own end mark
    # ("J’ai déjà créé mon compte. : Créez…" read as a typo).
    label = label.rstrip(_LABEL_END) or label
    return [ErrorEntry(_target(field), label, m) for m in _messages(field.errors)]


def aria(field, hint=None, *, required: bool = False, autocomplete: str | None = None) -> dict:
    """Render kwargs tying a field to its hint and error text; records its errors."""
    ids = []
    if hint:
        ids.append(f"{field.id}-hint")
    if field.errors:
        ids.append(f"{field.id}-error")
        _record(field_entries(field))
    kwargs: dict = {}
    if ids:
        kwargs["aria-describedby"] = " ".join(ids)
    if field.errors:
        kwargs["aria-invalid"] = "true"
    if required:
        kwargs["required"] = True
    if autocomplete:
        kwargs["autocomplete"] = autocomplete
    # What is typed in a field for one language (name_fr, body_en) is in that language: a
    # screen reader reads it, and a browser checks its spelling, in that one. The label
    # and hint around it stay in the page's language.
    language = field.name.rpartition("_")[2]
    if language in ("fr", "en") and field.name != language:
        kwargs["lang"] = language
    if field.type in ("FileField", "MultipleFileField"):
        kwargs.update(_file_limit())
    return kwargs


def _file_limit() -> dict:
    """The upload limit for desk.js, which checks a chosen file against it: a file past the
    request's size got the server's 413 page instead of the form, and what was typed in
    the form with it was lost."""
    limit = current_app.config["MAX_UPLOAD_MB"]
    message = gettext("The file is too large (maximum %(max)d MB).", max=limit)
    return {"data-max-bytes": limit * 1024 * 1024, "data-too-large": message}


def error_attrs(target: str, label, messages, *, error_id: str | None = None) -> Markup:
    """For a field written by hand in a template (no WTForms field): its errors join the
    page's summary as a link to `target`, and the returned ` aria-invalid aria-describedby`
    attributes tie the input to the error text whose id is `error_id` (`target`-error)."""
    if isinstance(messages, str) or not isinstance(messages, list | tuple):
        messages = [messages] if messages else []
    if not messages:
        return Markup("")
    _record([ErrorEntry(target, str(label), str(m)) for m in messages])
    return Markup(' aria-invalid="true" aria-describedby="%s"') % (error_id or f"{target}-error")


def _form_entries(form) -> list[ErrorEntry]:
    return [ErrorEntry(None, "", str(m)) for m in getattr(form, "form_errors", [])]


def summarise_errors(form) -> list[ErrorEntry]:
    """Every error of `form`, field by field then the form's own; marks the summary shown.

    Fields are in the order the page drew them (the errors recorded while drawing), those it
    did not draw after them in the form class's order: the page's order is not always the
    class's (a place's lists, asked in the middle of a form, are often its first fields)."""
    drawn = {entry: i for i, entry in enumerate(g.get("page_errors", []))}
    entries = [e for f in form if f.errors for e in field_entries(f)]
    entries.sort(key=lambda e: drawn.get(e, len(drawn)))  # stable: the rest keep their order
    entries += _form_entries(form)
    _record(entries)
    if entries:
        g.error_summary_shown = True
    return entries


_SLOT = Markup("<!--error-summary-%d-->")


def error_summary_slot(form) -> Markup:
    """Where a page's error summary goes, above its fields (macros/_forms.html form_errors).

    The fields below it are not drawn yet, so the summary is written once the page's content
    is (base.html, `fill_error_summaries`): it then lists the errors in the order the page
    drew them, not in the form class's. Marks the summary shown, so base.html draws none."""
    slots: list = g.setdefault("error_summary_slots", [])
    slots.append(form)
    if any(f.errors for f in form) or _form_entries(form):
        g.error_summary_shown = True
    return _SLOT % (len(slots) - 1)


def fill_error_summaries(content) -> Markup:
    """The page's content with each summary slot replaced by its summary, in page order."""
    html = escape(content)  # the rendered content: Markup already, left as it is
    draw = current_app.jinja_env.get_template("macros/_forms.html").module.error_summary
    for i, form in enumerate(g.pop("error_summary_slots", [])):
        html = html.replace(_SLOT % i, draw(summarise_errors(form)), 1)
    return html


def alert_attrs() -> Markup:
    """Attributes of a page's own message that what was sent was refused (an edit conflict,
    an action on an erased ticket): like a refused action's flashed message, the title then
    starts with « Error: » and static/desk.js moves the focus to it. A role="alert" drawn with
    the page is not announced when the page loads; the screen reader read the old title."""
    g.page_alert = True
    return Markup(' tabindex="-1" data-flash-error')


def page_alert() -> bool:
    """Whether the page shows its own refusal message (`alert_attrs`)."""
    return bool(g.get("page_alert"))


def page_errors() -> list[ErrorEntry]:
    """The errors recorded while rendering this page."""
    return list(g.get("page_errors", []))


def error_summary_shown() -> bool:
    """Whether the page's own template rendered a summary."""
    return bool(g.get("error_summary_shown"))
