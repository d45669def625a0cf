"""Identity tables: directory links, CAS sessions, sync runs and conflicts, the mapping.

The mapping (which LDAP attribute feeds which account field, which affiliations are staff,
which directory group gives which role and queues) is data loaded from the reference YAML.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.auth.models import User
from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.reference.models import Queue

JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class DirectoryLink(db.Model):
    """Which directory entry an account comes from, and what the last sync applied."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    # The login the CAS returns (uid or supannAliasLogin), lower-cased. None once the sync
    # found the entry gone: universities give a login to someone else after its person
    # left, and the newcomer is not this account (the login moves to `former_login`).
    login: Mapped[str | None] = mapped_column(String(128), unique=True)
    # The login the link gave up when its entry left the directory, kept for the record
    # (audit, the person's data export); never looked up to sign anyone in.
    former_login: Mapped[str | None] = mapped_column(String(128))
    # No length limit: LDAP puts none on a DN (RFC 4514), and a deep tree with long branch
    # names passes 512 characters in OpenLDAP; cut to a column, it failed the sign-in and
    # every night's sync on PostgreSQL.
    dn: Mapped[str] = mapped_column(Text)
    # The entry's lasting id (DESK_LDAP_ENTRY_ID_ATTRIBUTE, entryUUID), only ever as the
    # directory gave it: a renamed entry (new uid, new DN) is found by it and stays this
    # account. None: linked before desk kept it (filled at the next sync or sign-in), or no
    # directory.
    entry_id: Mapped[str | None] = mapped_column(String(128), unique=True, index=True)
    entity: Mapped[str | None] = mapped_column(String(128))
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # What the directory said last time, per managed field: a desk value that differs from it
    # was changed locally, and is reported as a conflict instead of being overwritten.
    applied: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Deactivated because the entry disappeared; reactivated if that entry (its entry id)
    # comes back.
    is_gone: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class CasSession(db.Model):
    """A desk session opened by a CAS service ticket; single logout ends it by ticket."""

    ticket: Mapped[str] = mapped_column(String(256), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # "logout" (desk), "cas" (single logout), "deactivated" (left the directory).
    ended_reason: Mapped[str | None] = mapped_column(String(20))


class CasHandoff(db.Model):
    """A validated CAS login waiting for its person's confirmation (desk.identity.handoff):
    what the validation returned, kept here and not in the cookie (released attributes can be
    kilobytes) and so that single logout, server to server, can drop it by its ticket."""

    ticket: Mapped[str] = mapped_column(String(256), primary_key=True)
    principal: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, list[str]]] = mapped_column(JSONType)
    # The name the confirmation shows (from the directory entry or the attributes).
    display_name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DirectorySync(db.Model):
    """One run of the directory sync: when, who asked, what it did or why it stopped."""

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # "running", "ok", "stopped" (mass-deactivation guard), "failed" (see `reason`).
    status: Mapped[str] = mapped_column(String(20), default="running")
    # Why a run failed, as a kind and its data, rendered in the reader's language when shown
    # (desk.identity.admin): "unreachable", "cut_short" (a size or time limit),
    # "groups_missing" (data: the groups' cns) or "error" (an unexpected exception; data: its
    # class name only, desk.identity.tasks, the traceback is in the logs). None: it did not
    # fail, or it failed before desk kept reasons (shown as unreachable, then the only one).
    reason: Mapped[str | None] = mapped_column(String(30))
    reason_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Counts (entries, updated, renamed, deactivated, released, reactivated, linked,
    # not_linked, shared_email, conflicts, would_deactivate).
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor: Mapped[User | None] = relationship()


class DirectoryConflict(db.Model):
    """A field changed in desk that the directory would set otherwise; kept until resolved."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(30))
    local_value: Mapped[str] = mapped_column(String(500))
    directory_value: Mapped[str] = mapped_column(String(500))
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class DirectoryAttribute(db.Model):
    """Account field ← LDAP (or CAS) attribute names, the first present one wins."""

    field: Mapped[str] = mapped_column(String(30), primary_key=True)
    names: Mapped[list[str]] = mapped_column(JSONType, default=list)


class DirectoryAffiliation(db.Model):
    """An eduPersonAffiliation value and whether it makes the person staff."""

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)


class DirectoryGroup(db.Model):
    """A directory group (cn) whose members get a role and queues in desk."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cn: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    queues: Mapped[list[DirectoryGroupQueue]] = relationship(cascade="all, delete-orphan")


class DirectoryGroupQueue(db.Model):
    """A queue a directory group's members join (as lead or not)."""

    group_id: Mapped[int] = mapped_column(
        ForeignKey("directory_group.id", ondelete="CASCADE"), primary_key=True
    )
    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queue.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    queue: Mapped[Queue] = relationship()
