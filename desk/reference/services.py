"""Upserts for reference data, used by the YAML loader and the admin pages."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.auth.services import UserSpec, create_or_update_user
from desk.extensions import db
from desk.inbound.address import own_mailbox, valid_queue_address
from desk.reference.loader import LoadError, LoadReport, require, section
from desk.reference.models import Building, Category, Domain, Floor, Queue, Site


def _upsert(
    model, report: LoadReport, section_name: str, lookup: dict[str, Any], /, **values
) -> Any:
    """Find by `lookup`, create if absent, then set `values`."""
    row = db.session.scalar(select(model).filter_by(**lookup))
    created = row is None
    if created:
        row = model(**lookup)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    report.add(section_name, created)
    return row


def english_name(item: dict[str, Any]) -> dict[str, Any]:
    """`name_en` of a place or calendar, only when the file gives one: a file without English
    names (all of them before 2026-12) must not erase names an admin typed since."""
    if "name_en" not in item:
        return {}
    return {"name_en": str(item["name_en"] or "").strip() or None}


def domain_by_code(code: str, where: str) -> Domain:
    """A domain that must exist."""
    domain = db.session.scalar(select(Domain).filter_by(code=code))
    if domain is None:
        raise LoadError(f"{where}: unknown domain '{code}'")
    return domain


@section("domains", order=10)
def load_domains(items: list[dict], report: LoadReport) -> None:
    """Domains with their categories."""
    for i, item in enumerate(items):
        where = f"domains[{i}]"
        domain = _upsert(
            Domain,
            report,
            "domains",
            {"code": require(item, "code", where)},
            name_fr=require(item, "name_fr", where),
            name_en=item.get("name_en", ""),
            position=item.get("position", i),
        )
        db.session.flush()
        for j, cat in enumerate(item.get("categories") or []):
            cwhere = f"{where}.categories[{j}]"
            _upsert(
                Category,
                report,
                "categories",
                {"domain_id": domain.id, "code": require(cat, "code", cwhere)},
                name_fr=require(cat, "name_fr", cwhere),
                name_en=cat.get("name_en", ""),
                position=cat.get("position", j),
            )


@section("queues", order=20)
def load_queues(items: list[dict], report: LoadReport) -> None:
    """Queues, each in an existing domain."""
    addresses = _queue_addresses(items)
    for i, item in enumerate(items):
        where = f"queues[{i}]"
        domain = domain_by_code(require(item, "domain", where), where)
        code = require(item, "code", where)
        _keep_domain_if_used(db.session.scalar(select(Queue).filter_by(code=code)), domain, where)
        _upsert(
            Queue,
            report,
            "queues",
            {"code": code},
            domain_id=domain.id,
            name_fr=require(item, "name_fr", where),
            name_en=item.get("name_en", ""),
            is_active=item.get("active", True),
            inbound_address=addresses[i],
        )


def desks_own_mailbox(address: str) -> str:
    """Which of desk's own addresses, as configured, `address` is (the setting's name), else
    "" (desk.inbound.address.own_mailbox): no queue may have one, from the file or the admin."""
    config = current_app.config
    senders = [parseaddr(config[name])[1] for name in ("MAIL_FROM", "MAIL_FROM_EN")]
    return own_mailbox(address, reply_base=config["REPLY_ADDRESS"] or "", senders=senders)


def _queue_addresses(items: list[dict]) -> list[str | None]:
    """Each queue's `address`, lower case, checked before anything is written: one address,
    of one queue (desk.inbound files a message to it in whichever queue has it), and not one
    of desk's own (`desk.inbound.address.own_mailbox`). Unchecked, a typo saved an address no
    mail reaches ("Support <support@univ.fr>", two addresses in one), and desk's answers
    about a refused request (whose Reply-To it is) went nowhere; a second queue's copy
    stopped the load with a database error, and so did two queues of the file exchanging
    theirs (the one that moves first now lets go of its old one)."""
    addresses: list[str | None] = []
    owners: dict[str, tuple[int, str]] = {}
    for i, item in enumerate(items):
        where = f"queues[{i}]"
        code = require(item, "code", where)
        address = str(item.get("address") or "").strip().lower() or None
        addresses.append(address)
        if address is None:
            continue
        if not valid_queue_address(address):
            raise LoadError(f"{where} (queue '{code}'): '{address}' is not an e-mail address")
        mailbox = desks_own_mailbox(address)
        if mailbox:
            raise LoadError(
                f"{where} (queue '{code}'): '{address}' is desk's own mailbox ({mailbox}): "
                "mail to it is desk's replies, not new requests"
            )
        if address in owners:
            first, other = owners[address]
            raise LoadError(
                f"{where} (queue '{code}'): address '{address}' is already that of queue "
                f"'{other}' (queues[{first}])"
            )
        owners[address] = (i, str(code))
    # Queues the file does not name keep theirs.
    named = {str(item.get("code")) for item in items}
    for code, address in db.session.execute(
        select(Queue.code, func.lower(Queue.inbound_address)).where(
            func.lower(Queue.inbound_address).in_(list(owners)), Queue.code.not_in(named)
        )
    ):
        i, own = owners[address]
        raise LoadError(
            f"queues[{i}] (queue '{own}'): address '{address}' is already that of queue '{code}'"
        )
    for queue in db.session.scalars(
        select(Queue).where(func.lower(Queue.inbound_address).in_(list(owners)))
    ):
        if owners[queue.inbound_address.lower()][1] != queue.code:
            queue.inbound_address = None  # it moves to another queue of the file
    db.session.flush()
    return addresses


def _keep_domain_if_used(queue: Queue | None, domain: Domain, where: str) -> None:
    """A queue in use keeps its domain, as on the admin's queue form (desk.admin.services):
    moved, its catalogue entries would route their requests into the other domain."""
    from desk.admin.services import queue_usage  # the admin package imports this module

    if queue is None or queue.domain_id == domain.id or not queue_usage(queue).in_use:
        return
    raise LoadError(
        f"{where}: queue '{queue.code}' cannot move to domain '{domain.code}': tickets, "
        "catalogue entries or routing rules use it"
    )


@section("sites", order=30)
def load_sites(items: list[dict], report: LoadReport) -> None:
    """Sites with their buildings and floors."""
    for i, item in enumerate(items):
        where = f"sites[{i}]"
        site = _upsert(
            Site,
            report,
            "sites",
            {"code": str(require(item, "code", where))},
            name=require(item, "name", where),
            is_active=item.get("active", True),
            **english_name(item),
        )
        db.session.flush()
        for j, bld in enumerate(item.get("buildings") or []):
            bwhere = f"{where}.buildings[{j}]"
            building = _upsert(
                Building,
                report,
                "buildings",
                {"site_id": site.id, "code": str(require(bld, "code", bwhere))},
                name=require(bld, "name", bwhere),
                is_active=bld.get("active", True),
                **english_name(bld),
            )
            db.session.flush()
            for k, fl in enumerate(bld.get("floors") or []):
                fwhere = f"{bwhere}.floors[{k}]"
                _upsert(
                    Floor,
                    report,
                    "floors",
                    {"building_id": building.id, "code": str(require(fl, "code", fwhere))},
                    name=require(fl, "name", fwhere),
                    position=fl.get("position", k),
                    is_active=fl.get("active", True),
                    **english_name(fl),
                )


@section("users", order=40)
def load_users(items: list[dict], report: LoadReport) -> None:
    """Demo or bootstrap accounts (passwords are only set when given)."""
    for i, item in enumerate(items):
        where = f"users[{i}]"
        try:
            role = Role(item.get("role", "requester"))
        except ValueError:
            raise LoadError(f"{where}: unknown role '{item.get('role')}'") from None
        spec = UserSpec(
            email=require(item, "email", where),
            display_name=item.get("name", ""),
            password=item.get("password"),
            role=role,
            is_staff=item.get("staff", True),
            queue_codes=tuple(item.get("queues") or ()),
            lead_queue_codes=tuple(item.get("leads") or ()),
            locale=item.get("locale"),
        )
        try:
            _user, created = create_or_update_user(spec, commit=False)
        except ValueError as exc:
            raise LoadError(f"{where}: {exc}") from None
        report.add("users", created)
