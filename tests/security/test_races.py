"""Two people saving the same thing at the same moment: the second is told of the conflict.

A form checks that a code is free, then saves. Here another connection commits the same code
between the two (just before the app's INSERT reaches PostgreSQL), as a second administrator
clicking "Save" at the same moment would: the unique key refuses the app's row. The answer is
the 409 page in the user's language, nothing half-saved, never a 500.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select

from desk.auth.models import Role
from desk.extensions import db
from desk.reference.models import Domain, Queue, Site
from tests.support.factories import make_domain, make_user
from tests.support.sql import committed_first


def _count(model, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_a_queue_code_taken_meanwhile_is_a_conflict_not_a_500(app_ctx, login):
    admin = login(make_user(role=Role.ADMIN))
    domain = make_domain("it")
    admin.get("/admin/queues/new")
    with committed_first(
        "queue",
        {
            "code": "visio",
            "name_fr": "Visio (l’autre)",
            "name_en": "",
            "domain_id": domain.id,
            "is_active": True,
        },
    ) as beaten:
        response = admin.post(
            "/admin/queues/new",
            data={
                "csrf_token": admin.last_csrf,
                "code": "visio",
                "name_fr": "Visio",
                "domain": str(domain.id),
                "is_active": "y",
            },
        )
    assert beaten, "the app never inserted: the race was not run"
    assert response.status_code == 409
    assert "Quelqu’un d’autre a modifié cet élément. Rechargez la page" in response.text
    db.session.expire_all()
    assert [q.name_fr for q in db.session.scalars(select(Queue).filter_by(code="visio"))] == [
        "Visio (l’autre)"
    ]
    # The session was rolled back: the next page works.
    assert admin.get("/admin/queues").status_code == 200


def test_a_site_code_taken_meanwhile_is_a_conflict_not_a_500(app_ctx, login):
    admin = login(make_user(role=Role.ADMIN))
    admin.get("/admin/places")
    with committed_first(
        "site", {"code": "campus-triolet", "name": "Campus Triolet", "is_active": True}
    ) as beaten:
        response = admin.post(
            "/admin/places",
            data={"csrf_token": admin.last_csrf, "name": "Campus Triolet"},
        )
    assert beaten
    assert response.status_code == 409
    assert "Quelqu’un d’autre a modifié cet élément" in response.text
    assert _count(Site, code="campus-triolet") == 1


def test_other_integrity_errors_stay_500s(app_ctx):
    """Only a conflict with another change is a 409: a NOT NULL violation is a bug."""
    from sqlalchemy.exc import IntegrityError

    from desk.core.errors import lost_to_a_concurrent_change

    with db.engine.connect() as conn:
        try:
            conn.execute(insert(Domain.__table__).values(code=None, name_fr="x"))
        except IntegrityError as exc:
            assert not lost_to_a_concurrent_change(exc)
        else:
            raise AssertionError("NULL code accepted")
