"""One world for the authorization matrix and the fuzzing: every role, and one object of each
kind a URL can name, plus spare objects for the routes that delete.

Requester A owns ticket A (IT, queue `reseau`) with a public and an internal attachment and
the signed rating link of its resolution e-mail; requester B and a student own nothing of it;
a technician works `reseau`, another `visio`, an HR technician `rh-admin`; an admin. The help
pages hold one staff-only article; queue `reseau` one canned reply.
"""

from __future__ import annotations

from types import SimpleNamespace

from desk.auth.models import Role
from desk.canned.models import CannedReply
from desk.catalog.models import RoutingRule, TicketKind
from desk.extensions import db
from desk.kb.models import ArticleStatus, Audience
from desk.kb.services import ArticleDraft, create_article
from desk.notifications.models import Channel, DeliveryStatus, Notification, NotificationEvent
from desk.reference.models import Category, Domain, Queue, QueueMembership
from desk.satisfaction.services import link_token
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.status.models import Disruption
from desk.tickets.attachments import add_attachment, check_content
from desk.tickets.models import EventKind, TicketEvent
from tests.catalog.world import build_world
from tests.support.factories import make_ticket, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = (
    "anonymous",
    "requester_a",
    "requester_b",
    "student",
    "tech_queue",
    "tech_other",
    "tech_hr",
    "admin",  # last: the admin's POSTs delete the spare objects
)


def _attachment(ticket, uploader, *, internal: bool):
    event = TicketEvent(
        ticket=ticket,
        actor=uploader,
        kind=EventKind.NOTE if internal else EventKind.COMMENT,
        is_internal=internal,
    )
    db.session.add(event)
    db.session.flush()
    return add_attachment(
        ticket, event, uploader, check_content("rapport.pdf", PDF), internal=internal
    )


def build_access_world() -> SimpleNamespace:
    """Create and commit the rows; returns them by name."""
    w = build_world()
    q = w.queues
    users = {
        "requester_a": make_user("alice@umontpellier.fr", name="Alice A"),
        "requester_b": make_user("bruno@umontpellier.fr", name="Bruno B"),
        "student": make_user("sam@etu.umontpellier.fr", name="Sam S", is_staff=False),
        "tech_queue": make_user(role=Role.TECHNICIAN, queues=(q["reseau"],), name="Tech Q"),
        "tech_other": make_user(role=Role.TECHNICIAN, queues=(q["visio"],), name="Tech O"),
        "tech_hr": make_user(role=Role.TECHNICIAN, queues=(q["rh-admin"],), name="Tech HR"),
        "admin": make_user(role=Role.ADMIN, name="Admin"),
    }
    ticket = make_ticket(
        request_type=w.types["list"], queue=q["reseau"], requester=users["requester_a"]
    )
    public = _attachment(ticket, users["requester_a"], internal=False)
    internal = _attachment(ticket, users["tech_queue"], internal=True)
    notification = Notification(
        event=NotificationEvent.SUBMITTED,
        ticket_id=ticket.id,
        recipient_id=users["requester_a"].id,
        channel=Channel.INAPP,
        dedupe_key=f"matrix-{ticket.id}",
        payload={"events": [{"event": "submitted", "reference": ticket.reference}]},
    )
    calendar = SlaCalendar(
        name="Ouvré", weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)}
    )
    policy = SlaPolicy(request_type=w.types["list"], calendar=calendar, first_response_minutes=60)
    spare_domain = Domain(code="spare", name_fr="Spare", name_en="Spare")
    spare_category = Category(domain=w.it, code="spare", name_fr="Spare", name_en="Spare")
    spare_queue = Queue(domain=w.it, code="spare", name_fr="Spare", name_en="Spare")
    member_queue = Queue(domain=w.it, code="members", name_fr="Membres", name_en="Members")
    failed = Notification(
        event=NotificationEvent.SUBMITTED,
        ticket_id=ticket.id,
        recipient_id=users["requester_a"].id,
        channel=Channel.EMAIL,
        status=DeliveryStatus.FAILED,
        dedupe_key=f"matrix-mail-{ticket.id}",
        payload={"events": [{"event": "submitted", "reference": ticket.reference}]},
    )
    spare_policy = SlaPolicy(request_type=w.types["zoom"], calendar=calendar)
    db.session.add_all([notification, failed, calendar, policy, spare_policy])
    db.session.add_all([spare_domain, spare_category, spare_queue, member_queue])
    db.session.flush()
    spare_rule = RoutingRule(name="Spare", position=99, kind=TicketKind.INCIDENT, queue=q["reseau"])
    spare_member = QueueMembership(queue=member_queue, user=users["tech_other"])
    db.session.add_all([spare_rule, spare_member])
    db.session.commit()
    spare_user = make_user(name="Spare")  # the admin's account pages deactivate it
    staff_article = create_article(
        ArticleDraft(
            title_fr="Procédure interne de la file réseau",
            body_fr="Réservé au personnel du centre de services.",
            status=ArticleStatus.PUBLISHED,
            audience=Audience.STAFF,
        ),
        actor=users["admin"],
    )
    canned_reply = CannedReply(queue_id=q["reseau"].id, title="Accueil", body_fr="Bonjour")
    disruption = Disruption(title_fr="Wi-Fi coupé au bâtiment B", category_id=w.cats["network"].id)
    db.session.add_all([canned_reply, disruption])
    db.session.commit()
    return SimpleNamespace(
        **vars(w),
        spare_user=spare_user,
        users=users,
        ticket=ticket,
        public_attachment=public,
        internal_attachment=internal,
        notification=notification,
        failed_notification=failed,
        member_queue=member_queue,
        calendar=calendar,
        policy=policy,
        spare_domain=spare_domain,
        spare_category=spare_category,
        spare_queue=spare_queue,
        spare_policy=spare_policy,
        spare_rule=spare_rule,
        staff_article=staff_article,
        canned_reply=canned_reply,
        disruption=disruption,
        rating_token=link_token(ticket.reference, users["requester_a"].id),
    )
