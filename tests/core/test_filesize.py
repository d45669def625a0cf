"""File sizes as the ticket pages show them next to each attachment."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from desk.core.i18n import filesize


@pytest.mark.parametrize(
    ("size", "fr", "en"),
    [
        (16, "0,1 Ko", "0.1 KB"),  # a few bytes read "0.0 KB", as if the file were empty
        (1, "0,1 Ko", "0.1 KB"),
        (0, "0,0 Ko", "0.0 KB"),
        (2150, "2,1 Ko", "2.1 KB"),
        (9_437_184, "9 216,0 Ko", "9,216.0 KB"),
    ],
)
def test_a_size_reads_in_the_reader_s_language_and_never_as_empty(app, size, fr, en):
    with app.test_request_context():
        with force_locale("fr"):
            assert filesize(size).replace("\u202f", " ").replace("\xa0", " ") == fr
        with force_locale("en"):
            assert filesize(size) == en
