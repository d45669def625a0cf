"""Fill French translations from a JSON {msgid: msgstr} file into the .po catalog.

Usage: python tools/po_fill.py FILE.json [FILE.json ...]  (then `make translations`).
Keeps existing translations unless the JSON gives a new one; reports what is still missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "desk/translations/fr/LC_MESSAGES/messages.po"


def main(paths: list[str]) -> int:
    given: dict[str, str] = {}
    for path in paths:
        given.update(json.loads(Path(path).read_text(encoding="utf-8")))
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    for message in catalog:
        if message.id and message.id in given:
            message.string = given[message.id]
            message.flags.discard("fuzzy")
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    for msgid in missing:
        print("missing:", json.dumps(msgid, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
