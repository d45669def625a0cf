"""`flask desk import-hr-phones`: E.164 numbers from an HR export, idempotent, with a report."""

from __future__ import annotations

from desk.auth.models import User
from desk.extensions import db
from desk.preferences.services import import_hr_phones
from tests.support.factories import make_user

EXPORT = (
    "Courriel;Téléphone\n"
    "alice@umontpellier.fr;04 67 14 12 34\n"
    "BOB@umontpellier.fr ; +33 (0)4.67.14.99.00\n"
    "ghost@umontpellier.fr;04 67 00 00 00\n"
    "carol@umontpellier.fr;06 12\n"
    "\n"
    "dave@umontpellier.fr;0467ABCDEF\n"
)


def _run(app, path):
    return app.test_cli_runner().invoke(args=["desk", "import-hr-phones", str(path)])


def _phone(email: str) -> str | None:
    db.session.expire_all()
    return db.session.query(User).filter_by(email=email).one().phone


def test_import_normalises_reports_and_is_idempotent(app, app_ctx, tmp_path):
    for name in ("alice", "bob", "carol", "dave"):
        make_user(f"{name}@umontpellier.fr")
    path = tmp_path / "rh.csv"
    path.write_bytes(EXPORT.encode("utf-8-sig"))
    result = _run(app, path)
    assert result.exit_code == 0, result.output
    assert "applied: 2" in result.output
    assert "unchanged: 0" in result.output
    assert "unknown users: 1" in result.output
    assert "invalid numbers: 2" in result.output
    assert "line 4: unknown user ghost@umontpellier.fr" in result.output
    assert "line 5: invalid number '06 12'" in result.output
    assert "line 7: invalid number '0467ABCDEF'" in result.output
    assert _phone("alice@umontpellier.fr") == "+33467141234"
    assert _phone("bob@umontpellier.fr") == "+33467149900"
    assert _phone("carol@umontpellier.fr") is None

    again = _run(app, path)
    assert "applied: 0" in again.output
    assert "unchanged: 2" in again.output
    assert _phone("alice@umontpellier.fr") == "+33467141234"


def test_windows_export_with_commas_and_no_header(app, app_ctx, tmp_path):
    make_user("eloise.mace@umontpellier.fr")
    path = tmp_path / "rh.csv"
    path.write_bytes("eloise.mace@umontpellier.fr,04 67 14 30 30\r\n".encode("cp1252"))
    result = _run(app, path)
    assert "applied: 1" in result.output, result.output
    assert _phone("eloise.mace@umontpellier.fr") == "+33467143030"


def test_a_missing_column_is_reported_with_its_line(app, app_ctx, tmp_path):
    make_user("alice@umontpellier.fr")
    path = tmp_path / "rh.csv"
    path.write_text("alice@umontpellier.fr\n;04 67 14 12 34\n", encoding="utf-8")
    result = _run(app, path)
    assert "invalid numbers: 2" in result.output
    assert "line 1: invalid number ''" in result.output
    assert "line 2: invalid number '04 67 14 12 34' (no e-mail address)" in result.output
    assert _phone("alice@umontpellier.fr") is None


def test_when_an_email_repeats_the_last_line_wins(app_ctx):
    make_user("alice@umontpellier.fr")
    summary = import_hr_phones(
        [(1, "alice@umontpellier.fr", "0467141234"), (2, "alice@umontpellier.fr", "0467149900")]
    )
    assert summary.superseded == [1]
    assert [a[0] for a in summary.applied] == [2]
    assert _phone("alice@umontpellier.fr") == "+33467149900"


def test_an_imported_number_shows_read_only_on_the_preferences_page(app, app_ctx, login, tmp_path):
    path = tmp_path / "rh.csv"
    path.write_text("alice@umontpellier.fr;+33 4 67 14 12 34\n", encoding="utf-8")
    user = make_user("alice@umontpellier.fr")
    assert "applied: 1" in _run(app, path).output
    page = login(user).get("/preferences").text
    assert "04 67 14 12 34" in page
    assert "Système RH" in page
    assert 'name="phone"' not in page


def test_a_file_that_is_no_csv_is_an_error_message_not_a_traceback(app, app_ctx, tmp_path):
    path = tmp_path / "rh.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    result = _run(app, path)
    assert result.exit_code == 1
    assert "Error:" in result.output and "CSV" in result.output
    assert "Traceback" not in result.output


def test_a_first_line_with_a_mistyped_address_is_reported_not_taken_for_a_header(
    app, app_ctx, tmp_path
):
    """A file without a header whose first address lacks its @ lost that line unseen: it was
    taken for the header. A line holding a number is data, and reported."""
    make_user("alice@umontpellier.fr")
    path = tmp_path / "rh.csv"
    path.write_text(
        "alice.umontpellier.fr;04 67 14 12 34\nalice@umontpellier.fr;04 67 14 12 35\n",
        encoding="utf-8",
    )
    result = _run(app, path)
    assert "unknown users: 1" in result.output, result.output
    assert "line 1: unknown user alice.umontpellier.fr" in result.output
    assert _phone("alice@umontpellier.fr") == "+33467141235"


def test_the_whole_report_is_in_english_reasons_included(app, app_ctx, tmp_path):
    """The summary spoke English and its reasons French ('invalid number (Ce numéro de
    téléphone est trop court.)'): the command speaks one language, English, throughout."""
    make_user("carol@umontpellier.fr")
    path = tmp_path / "rh.csv"
    path.write_text("carol@umontpellier.fr;06 12\ndave@umontpellier.fr;04 67 AB\n")
    output = _run(app, path).output
    assert "line 1: invalid number '06 12' (This phone number is too short.)" in output
    assert "line 2: invalid number '04 67 AB' (" in output
    assert "é" not in output and "numéro" not in output
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    refused = _run(app, path).output
    assert "Error: This is a spreadsheet file, not a CSV file" in refused, refused
