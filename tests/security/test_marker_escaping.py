"""A marker payload typed into every field that is shown somewhere comes back escaped: ticket
pages (portal and staff), lists, search, admin pages, the bell, and both parts of the e-mails.

The marker goes in through the real forms where one exists (comments, replies, notes, admin
names) and directly for what comes from elsewhere (a person's name from the directory).
"""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy import select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification
from desk.reference.models import Queue
from desk.tickets.models import Ticket
from tests.security.access_world import build_access_world

MARKER = "<script>x</script>\"'"
ESCAPED = str(escape(MARKER))


def _version(html: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def _assert_escaped(html: str, where: str, *, present: bool = True) -> None:
    assert "<script>x</script>" not in html, f"unescaped marker in {where}"
    if present:
        assert ESCAPED in html or str(escape("<script>x</script>")) in html, f"missing: {where}"


def test_marker_is_escaped_everywhere_it_is_shown(app, app_ctx, login):
    world = build_access_world()
    requester, tech, admin_user = (world.users[r] for r in ("requester_a", "tech_queue", "admin"))
    requester.display_name = f"Alice {MARKER}"
    ticket = world.ticket
    ticket.subject = f"Sujet {MARKER}"
    ticket.data = {**ticket.data, "purpose": MARKER, "list_name": "liste"}
    db.session.commit()
    reference = ticket.reference

    owner = login(requester)
    page = f"/mes-demandes/{reference}"
    assert owner.submit(f"{page}/commentaire", {"body": f"Commentaire {MARKER}"}, page=page)
    staff = login(tech)
    staff_page = f"/tickets/{reference}"
    for action in ("reply", "note"):
        html = staff.get(staff_page).text
        response = staff.post(
            f"{staff_page}/{action}",
            data={
                "csrf_token": staff.last_csrf,
                "version": _version(html),
                "body": f"{action} {MARKER}",
            },
        )
        assert response.status_code == 302, response.text[:300]
    admin = login(admin_user)
    queue = db.session.scalar(select(Queue).where(Queue.code == "reseau"))
    response = admin.submit(
        f"/admin/queues/{queue.id}",
        {
            "code": "reseau",
            "name_fr": f"Réseau {MARKER}",
            "name_en": f"Network {MARKER}",
            "domain": str(queue.domain_id),
            "is_active": "y",
        },
    )
    assert response.status_code in (200, 302), response.text[:300]

    pages = {
        "portal list": owner.get("/mes-demandes"),
        "portal ticket": owner.get(page),
        "portal search": owner.get("/mes-demandes/recherche?q=Sujet"),
        "notifications": owner.get("/notifications"),
        "staff ticket": staff.get(staff_page),
        "queue list": staff.get("/queues/reseau"),
        "queue overview": staff.get("/queues"),
        "staff search": staff.get("/recherche?q=Sujet"),
        "admin queues": admin.get("/admin/queues"),
        "admin notifications": admin.get("/admin/notifications"),
        "error message": owner.get(f"/catalogue?q={MARKER}"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, (where, response.status_code)
        _assert_escaped(response.text, where, present=where not in ("admin notifications",))

    db.session.expire_all()
    emails = db.session.scalars(
        select(Notification).where(
            Notification.channel == Channel.EMAIL,
            Notification.dedupe_key.not_like("matrix-%"),  # the world's hand-made row
        )
    ).all()
    assert emails, "the reply should have queued an e-mail to the requester"
    for row in emails:
        subject, text, html = render_email(row.payload, row.id)
        assert "\n" not in subject
        _assert_escaped(html, f"e-mail HTML {row.id}")
        assert "<script>x</script>" in text or MARKER not in str(row.payload)  # text is text
    assert db.session.get(Ticket, ticket.id).subject.endswith(MARKER)  # stored as typed
