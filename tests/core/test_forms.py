"""desk's form base: WTForms' own messages in the reader's language, catalogues loaded once;
the fields read as a browser sends them."""

from __future__ import annotations

import io

from flask_babel import force_locale
from werkzeug.datastructures import FileStorage
from wtforms import FileField, IntegerField, StringField
from wtforms.validators import InputRequired, Length

from desk.core.forms import DeskForm, wtforms_translations


class _Form(DeskForm):
    class Meta:
        csrf = False

    number = IntegerField(validators=[InputRequired()])


def _errors(app, locale: str, data: dict[str, str]) -> list[str]:
    with app.test_request_context(method="POST", data=data), force_locale(locale):
        form = _Form()
        assert not form.validate()
        return form.errors["number"]


def test_wtforms_messages_follow_the_readers_language(app):
    assert _errors(app, "fr", {}) == ["Ce champ est requis."]
    assert _errors(app, "en", {}) == ["This field is required."]
    assert _errors(app, "fr", {"number": "douze"}) == ["N'est pas un entier valide."]


def test_each_language_is_read_from_disk_once_per_process(app):
    wtforms_translations.cache_clear()
    for _ in range(3):
        _errors(app, "fr", {})
        _errors(app, "en", {})
    info = wtforms_translations.cache_info()
    assert info.misses == 2 and info.hits >= 4


class _Sentences(DeskForm):
    class Meta:
        csrf = False

    agreed = IntegerField("I have read the rules.", validators=[InputRequired("Read them.")])
    how = IntegerField("How did it reach you ?", validators=[InputRequired("Say how.")])
    plain = IntegerField("Number", validators=[InputRequired("Give one.")])


def test_the_error_summary_drops_a_label_s_own_end_mark(app):
    from desk.core.form_errors import summarise_errors

    with app.test_request_context(method="POST", data={}):
        form = _Sentences()
        assert not form.validate()
        lines = [(e.label, e.message) for e in summarise_errors(form)]
    # Shown as "label: message": never "rules. : Read them." nor "you ? : Say how."
    assert lines == [
        ("I have read the rules", "Read them."),
        ("How did it reach you", "Say how."),
        ("Number", "Give one."),
    ]


class _WithFile(DeskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[InputRequired(), Length(max=20)])
    document = FileField()


def test_a_form_reads_files_only_for_its_file_fields(app):
    """A file sent under a text field's name is not that field's value (its checks failed on
    a file object: a 500); the file field still gets its file."""
    data = {"name": (io.BytesIO(b"x" * 100), "n.txt"), "document": (io.BytesIO(b"%PDF"), "a.pdf")}
    with app.test_request_context(method="POST", data=data, content_type="multipart/form-data"):
        form = _WithFile()
        assert not form.validate()
        assert list(form.errors) == ["name"]  # required: the file is not its text
        assert isinstance(form.document.data, FileStorage)
        assert form.document.data.filename == "a.pdf"


def test_a_form_does_not_read_a_json_body(app):
    with app.test_request_context(method="POST", json={"name": ["a", 1], "document": 5}):
        form = _WithFile()
        assert not form.validate()
        assert form.name.data is None and form.document.data is None


def test_an_email_field_refuses_10_mb_at_once(app):
    """email_validator read a 10 MB value character by character before looking at its
    length: about 2 s of a web worker per POST, for anyone who sends one (the login form's
    e-mail, found over gunicorn). desk's Email refuses anything longer than an address at
    once, with the message of any invalid address; a real address still passes."""
    import time

    from desk.core.forms import Email

    class _EmailForm(DeskForm):
        class Meta:
            csrf = False

        email = StringField(validators=[Email("Enter a valid e-mail address.")])

    def _check(value: str) -> tuple[bool, float, dict]:
        with app.test_request_context(method="POST", data={"email": value}):
            form = _EmailForm()
            started = time.perf_counter()
            valid = form.validate()
            return valid, time.perf_counter() - started, form.errors

    # A body past 1 MB is now refused before any form reads it (tests/security/
    # test_form_size.py); the check is still timed on its own, on 10 MB, the limit lifted.
    app.config["MAX_FORM_BODY_SIZE"] = None
    try:
        valid, seconds, errors = _check("a" * 10_000_000)
    finally:
        app.config["MAX_FORM_BODY_SIZE"] = 1_000_000
    assert not valid and errors == {"email": ["Enter a valid e-mail address."]}
    assert seconds < 0.5  # 2.2 s on an idle machine before
    assert _check("alice.martin@umontpellier.fr")[0]
    assert not _check("a" * 243 + "@example.org")[0]  # 255 characters, one past the limit


def test_every_email_check_is_desks():
    """WTForms' own Email is the slow one (above): a test fails on it anywhere in desk."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "desk"
    wtforms_email = re.compile(r"validators import[^\n]*\bEmail\b|validators\.Email\(")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.relative_to(root).as_posix() != "core/forms.py"
        if wtforms_email.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use desk.core.forms.Email"
