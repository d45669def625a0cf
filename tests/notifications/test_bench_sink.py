"""The benchmarks check that every ticket was acknowledged exactly once by reading desk's
Message-IDs in the e-mails their SMTP sink receives: a change to the Message-ID's shape must
not turn that check into "0 acknowledged" (it did once, when the signature was added)."""

from __future__ import annotations

from bench.stack import MESSAGE_ID_RE
from bench.submit import REFERENCE_RE
from desk.notifications.mailer import message_id


def test_the_bench_sinks_read_the_reference_and_notification_of_desks_message_id(app_ctx):
    header = b"Message-ID: " + message_id("DEM-2026-000042", 1234).encode() + b"\r\n"
    found = MESSAGE_ID_RE.search(header)
    assert found is not None and found.groups() == (b"DEM-2026-000042", b"1234")
    assert REFERENCE_RE.search(header).group(1) == b"DEM-2026-000042"
