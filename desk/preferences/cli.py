"""`flask desk import-hr-phones FILE.csv`."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import force_locale

from desk.preferences.services import import_hr_phones
from desk.reference.places_import import UnreadableCsv, decode_csv, read_rows


def _is_header(cells: list[str]) -> bool:
    # HR exports sometimes start with "e-mail;phone" (or "courriel;téléphone"): no address and
    # no number there. A first line with a number is data even if its address lacks its @: it
    # is reported (unknown user), not skipped unseen as a header.
    return "@" not in cells[0] and not any(c.isdigit() for c in "".join(cells[1:]))


@click.command("import-hr-phones")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_hr_phones_command(path: Path) -> None:
    """Import professional phone numbers from an HR export (e-mail; phone). Safe to re-run.

    Columns are separated by ;, , or a tab, with an optional header line; the file may be
    UTF-8, UTF-16 with a BOM or Windows-1252. Numbers are stored in E.164 (+33467141234).
    """
    # One language for the whole output: the command's, English, as its help, its summary and
    # every other `flask desk` command speak; there is no reader's choice on a command line.
    # The reasons (a number too short, a file that is a spreadsheet) are the forms' and the
    # admin import's messages, which are translated: they came out in French before.
    with force_locale("en"):
        try:
            cells_by_line = read_rows(decode_csv(path.read_bytes()), _is_header)
        except UnreadableCsv as exc:
            raise click.ClickException(str(exc.message)) from None
        rows = [
            (line, cells[0], cells[1] if len(cells) > 1 else "") for line, cells in cells_by_line
        ]
        for text in import_hr_phones(rows).lines():
            click.echo(text)
