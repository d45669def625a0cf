"""The user account."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.reference.models import Building, Floor, QueueMembership, Site


class Role(enum.StrEnum):
    """What a user may do: ask, work queues, or administer."""

    REQUESTER = "requester"
    TECHNICIAN = "technician"
    ADMIN = "admin"


# Deactivated accounts not yet anonymised: what the retention sweep (desk.privacy) reads.
ENDED_PREDICATE = "is_active = false AND erased_at IS NULL"


class User(UserMixin, db.Model):
    """A person who logs in; e-mail is the login."""

    __table_args__ = (
        Index(
            "ix_user_ended",
            "deactivated_at",
            postgresql_where=text(ENDED_PREDICATE),
            sqlite_where=text(ENDED_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.REQUESTER,
    )
    # Staff (agents) versus students: some catalogue entries are for staff only.
    is_staff: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    # Break-glass: may still log in with a local password when single sign-on (CAS) is on.
    is_break_glass: Mapped[bool] = mapped_column(Boolean, default=False)
    # None means "follow the browser"; otherwise "fr" or "en".
    locale: Mapped[str | None] = mapped_column(String(5))
    # The language their browser last asked for (at sign-in, and when it changes): what desk
    # writes to them in, away from a page, while `locale` is None (desk.auth.language).
    browser_locale: Mapped[str | None] = mapped_column(String(5))
    # Professional number in E.164, imported from the HR system; users never edit it.
    phone: Mapped[str | None] = mapped_column(String(20))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    floor_id: Mapped[int | None] = mapped_column(ForeignKey("floor.id"))
    # Part of every session and remember-me cookie: bumping it (logout, password change,
    # deactivation) makes every cookie issued before unusable, on every device.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the account was last deactivated (None while active): its personal data are
    # erased a retention period later (desk.privacy), and then `erased_at` is set.
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[QueueMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    site: Mapped[Site | None] = relationship()
    building: Mapped[Building | None] = relationship()
    floor: Mapped[Floor | None] = relationship()

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash, never the password."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Constant-time comparison against the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """The session identifier Flask-Login stores: see desk.auth.sessions."""
        from desk.auth.sessions import session_id

        return session_id(self)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    @property
    def has_mailbox(self) -> bool:
        """Whether mail can reach this account: not one whose address is a stand-in under
        the reserved `.invalid` domain (RFC 2606), given to an erased account or to the second
        person of an address two directory entries share, until the directory gives theirs."""
        return not self.email.rstrip(".").lower().endswith(".invalid")

    @property
    def is_technician(self) -> bool:
        return self.role in (Role.TECHNICIAN, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def queue_ids(self) -> set[int]:
        return {m.queue_id for m in self.memberships}

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"
