"""A role changed by the reference file (`flask desk load-reference`) is a change of role
like the administrator's page and the directory's groups make (desk.auth.roles)."""

from __future__ import annotations

import yaml

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications.models import NotificationEvent
from tests.support.factories import make_user
from tests.support.promotion import (
    assert_staff_defaults_and_own_choices,
    requester_saved_every_e_mail_off,
    technician_turns_sla_warnings_off,
)

CLAIRE = "claire.martin@umontpellier.fr"


def _load(app, tmp_path, role: str) -> None:
    path = tmp_path / "reference.yaml"
    path.write_text(
        yaml.safe_dump({"users": [{"email": CLAIRE, "name": "Claire Martin", "role": role}]}),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["desk", "load-reference", str(path)])
    assert result.exit_code == 0, result.output


def test_a_requester_the_file_makes_technician_gets_the_staff_s_e_mails(app, app_ctx, tmp_path):
    """Before 0f92c43 saving the notification page as a requester stored every staff event
    as 'no e-mail'. f9ca11a made a promotion by the directory or the admin's page drop those;
    a promotion by the reference file kept them: the new technician heard of nothing they
    were assigned, given back or asked. Their choices about their own requests stay, and a
    technician's own choice stays through the next load."""
    from desk.notifications.services import email_preferences

    claire = make_user(CLAIRE, role=Role.REQUESTER)
    requester_saved_every_e_mail_off(claire)
    _load(app, tmp_path, "technician")
    db.session.expire_all()
    assert claire.role is Role.TECHNICIAN
    assert_staff_defaults_and_own_choices(claire)
    technician_turns_sla_warnings_off(claire)
    _load(app, tmp_path, "admin")  # not a promotion from requester: the choice stays
    db.session.expire_all()
    assert claire.role is Role.ADMIN
    assert email_preferences(claire)[NotificationEvent.SLA_WARNING] is False
