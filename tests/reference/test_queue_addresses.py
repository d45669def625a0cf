"""`flask desk load-reference`: a queue's `address` (where a message opens a ticket in it,
desk.inbound) is checked before anything is written: one e-mail address, of one queue, and
none of desk's own mailbox. A refused file names the queue and its line, and changes nothing
(the loader's one transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.reference.models import Domain, Queue
from tests.support.factories import make_queue

HEAD = "domains: [{code: it, name_fr: Info}]\nqueues:\n"


def _load(app, tmp_path, queues: str):
    path = tmp_path / "ref.yaml"
    path.write_text(HEAD + queues, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["desk", "load-reference", str(path)])


def _nothing_loaded() -> bool:
    return db.session.scalar(select(func.count()).select_from(Domain)) == 0


def _refused(result, message: str) -> None:
    """The load failed with `message` (not a traceback)."""
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and "IntegrityError" not in result.output


def _addresses() -> dict[str, str | None]:
    db.session.expire_all()
    rows = db.session.execute(select(Queue.code, Queue.inbound_address))
    return dict(rows.all())


@pytest.mark.parametrize(
    "address",
    [
        "Support <support@univ.example>",  # a name with it
        "support@univ.example, aide@univ.example",  # two
        "support univ.example",
        "support@",
        "support@univ..example",
        "support@-univ.example",
    ],
)
def test_a_malformed_address_is_refused(app, app_ctx, tmp_path, address):
    result = _load(
        app,
        tmp_path,
        f"  - {{code: ok, domain: it, name_fr: A, address: aide@univ.example}}\n"
        f"  - {{code: support, domain: it, name_fr: S, address: '{address}'}}\n",
    )
    _refused(result, f"queues[1] (queue 'support'): '{address.lower()}' is not an e-mail address")
    assert _nothing_loaded()


def test_two_queues_of_the_file_with_one_address_are_refused(app, app_ctx, tmp_path):
    result = _load(
        app,
        tmp_path,
        "  - {code: support, domain: it, name_fr: S, address: support@univ.example}\n"
        "  - {code: reseau, domain: it, name_fr: R}\n"
        "  - {code: aide, domain: it, name_fr: A, address: Support@Univ.Example}\n",
    )
    _refused(
        result,
        "queues[2] (queue 'aide'): address 'support@univ.example' is already that of queue "
        "'support' (queues[0])",
    )
    assert _nothing_loaded()


def test_the_address_of_a_queue_the_file_does_not_name_is_refused(app, db, tmp_path):
    make_queue(code="rh").inbound_address = "rh@univ.example"
    db.session.commit()
    result = _load(
        app, tmp_path, "  - {code: aide, domain: it, name_fr: A, address: rh@univ.example}\n"
    )
    _refused(
        result, "queues[0] (queue 'aide'): address 'rh@univ.example' is already that of queue 'rh'"
    )
    assert _addresses() == {"rh": "rh@univ.example"}


@pytest.mark.parametrize(
    ("address", "setting"),
    [
        ("desk@univ.example", "DESK_REPLY_ADDRESS"),
        ("Desk@univ.example", "DESK_REPLY_ADDRESS"),
        ("desk+dem-2026-000001.0123456789abcdef@univ.example", "DESK_REPLY_ADDRESS"),
        ("centre@univ.example", "DESK_MAIL_FROM"),
    ],
)
def test_desks_own_mailbox_is_refused(app, app_ctx, tmp_path, monkeypatch, address, setting):
    monkeypatch.setitem(app.config, "REPLY_ADDRESS", "desk@univ.example")
    monkeypatch.setitem(app.config, "MAIL_FROM", "Centre de services <centre@univ.example>")
    monkeypatch.setitem(app.config, "MAIL_FROM_EN", "Service centre <centre@univ.example>")
    result = _load(
        app, tmp_path, f"  - {{code: support, domain: it, name_fr: S, address: '{address}'}}\n"
    )
    _refused(
        result,
        f"queues[0] (queue 'support'): '{address.lower()}' is desk's own mailbox ({setting})",
    )
    assert _nothing_loaded()


def test_good_addresses_load_and_two_queues_may_exchange_theirs(app, db, tmp_path):
    first = _load(
        app,
        tmp_path,
        "  - {code: support, domain: it, name_fr: S, address: ' Support@Univ.Example '}\n"
        "  - {code: aide, domain: it, name_fr: A, address: aide@univ.example}\n"
        "  - {code: reseau, domain: it, name_fr: R}\n",
    )
    assert first.exit_code == 0, first.output
    assert _addresses() == {
        "support": "support@univ.example",
        "aide": "aide@univ.example",
        "reseau": None,
    }
    swapped = _load(
        app,
        tmp_path,
        "  - {code: support, domain: it, name_fr: S, address: aide@univ.example}\n"
        "  - {code: aide, domain: it, name_fr: A, address: support@univ.example}\n",
    )
    assert swapped.exit_code == 0, swapped.output
    assert _addresses() == {
        "support": "aide@univ.example",
        "aide": "support@univ.example",
        "reseau": None,
    }
