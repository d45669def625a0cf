"""Every string of the UI has a French translation (French is the primary language)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ui_strings(tmp_path_factory) -> set:
    """Every msgid the code and templates use, as `make messages` extracts them (once)."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def _french_catalog():
    with (ROOT / "desk/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh, locale="fr")


def test_every_ui_string_is_translated_to_french(ui_strings):
    wanted = ui_strings
    catalog = _french_catalog()
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == []


def test_the_catalogue_holds_no_translation_the_ui_no_longer_uses(ui_strings):
    # A leftover entry is a translation nobody reviews any more, and a msgid that comes back
    # later would silently pick up its outdated French.
    obsolete = sorted(str(m.id) for m in _french_catalog() if m.id and m.id not in ui_strings)
    assert obsolete == []
