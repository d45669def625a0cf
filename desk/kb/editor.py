"""Editors' pages (technicians, administrators): write, edit with history, draft from a ticket,
and the report."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from desk.catalog.models import RequestType
from desk.core.access import STAFF, access
from desk.core.db import utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import page_language
from desk.core.input import parse_int
from desk.core.templating import register_nav
from desk.extensions import db
from desk.kb.forms import INCOMPLETE, INVALID_MESSAGES, ArticleForm
from desk.kb.models import Article, ArticleStatus, Audience
from desk.kb.report import kb_report
from desk.kb.services import (
    ArticleDraft,
    ArticleInvalid,
    EditConflict,
    create_article,
    draft_from_ticket,
    update_article,
)
from desk.kb.views import bp
from desk.reference.models import Category, Domain
from desk.status.services import follows_in

register_nav(_l("Write articles"), "kb.manage", STAFF, 74)
register_nav(_l("Knowledge base report"), "kb.report", STAFF, 72)

FIELD_LABELS = {
    "title_fr": _l("Title in French"),
    "title_en": _l("Title in English"),
    "body_fr": _l("Text in French"),
    "body_en": _l("Text in English"),
    "keywords": _l("Keywords"),
    "category_id": _l("Category"),
    "status": _l("Status"),
    "audience": _l("Who may read it"),
    "request_types": _l("Catalogue entries"),
}
REPORT_DAYS = (7, 30, 90, 365)


def _fill_choices(form: ArticleForm) -> None:
    categories = db.session.execute(
        select(Category, Domain)
        .join(Domain, Domain.id == Category.domain_id)
        .order_by(Domain.position, Category.position, Category.id)
    ).all()
    form.category.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(c.id, f"{d.name} › {c.name}") for c, d in categories
    ]
    form.request_types.choices = [
        SelectChoice(rt.id, rt.title)
        for rt in db.session.scalars(select(RequestType).order_by(RequestType.position))
    ]


def _draft(form: ArticleForm) -> ArticleDraft:
    return ArticleDraft(
        title_fr=form.title_fr.data or "",
        title_en=form.title_en.data or "",
        body_fr=form.body_fr.data or "",
        body_en=form.body_en.data or "",
        keywords=form.keywords.data or "",
        category_id=form.category.data,
        status=ArticleStatus(form.status.data),
        audience=Audience(form.audience.data),
        request_type_ids=list(form.request_types.data or []),
    )


@bp.get("/gestion")
@access(*STAFF)
def manage():
    """Every article, drafts and archives included."""
    articles = db.session.scalars(
        select(Article)
        .options(selectinload(Article.category), selectinload(Article.updated_by))
        .order_by(Article.updated_at.desc(), Article.id.desc())
    ).all()
    return render_template("kb/manage.html", articles=articles)


@bp.route("/gestion/nouveau", methods=["GET", "POST"])
@bp.route("/gestion/<int:article_id>", methods=["GET", "POST"])
@access(*STAFF)
def edit(article_id: int | None = None):
    """Write or edit an article; a save based on an outdated version is refused."""
    # Tested against None, not truth: /gestion/0 is no article (404), not a second "new" page.
    article = db.session.get(Article, article_id) if article_id is not None else None
    if article_id is not None and article is None:
        abort(404)
    form = ArticleForm(obj=article if request.method == "GET" else None)
    _fill_choices(form)
    if request.method == "GET" and article is not None:
        form.version.data = str(article.version)
        form.category.data = article.category_id
        form.request_types.data = [rt.id for rt in article.request_types]
    conflict = None
    if form.validate_on_submit() and _version_given(form, article):
        expected = parse_int(form.version.data)  # validated: a number, or none for a new one
        try:
            if article is None:
                article = create_article(_draft(form), actor=current_user)
                flash(_("Article created."), "success")
            else:
                changed = update_article(
                    article, _draft(form), expected_version=expected, actor=current_user
                )
                flash(_("Article saved.") if changed else _("Nothing changed."), "success")
            db.session.commit()
            return redirect(url_for("kb.edit", article_id=article.id))
        except ArticleInvalid as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "title_fr", form.title_fr)
            target.errors = [*target.errors, INVALID_MESSAGES[str(exc)]]
        except (EditConflict, StaleDataError):
            db.session.rollback()
            article = db.session.get(Article, article_id)
            conflict = article
    status = 409 if conflict else (400 if form.errors else 200)
    return render_template("kb/edit.html", form=form, article=article, conflict=conflict), status


def _version_given(form: ArticleForm, article: Article | None) -> bool:
    """An edit says the version it started from (the page always sends it): without one the
    save could not be checked against a colleague's and would overwrite it; refused as a
    forged version is. A new article has none."""
    if article is None or parse_int(form.version.data) is not None:
        return True
    form.version.errors = [*form.version.errors, INCOMPLETE]
    return False


@bp.get("/gestion/<int:article_id>/historique")
@access(*STAFF)
def history(article_id: int):
    """Who changed what, version by version."""
    article = db.session.get(Article, article_id)
    if article is None:
        abort(404)
    return render_template("kb/history.html", article=article, labels=FIELD_LABELS)


@bp.post("/gestion/depuis-ticket/<reference>")
@access(*STAFF)
def from_ticket(reference: str):
    """Draft an article from a resolved ticket the technician can see."""
    from desk.tickets.access import get_visible_ticket_or_404

    ticket = get_visible_ticket_or_404(current_user, reference[:20])
    try:
        article = draft_from_ticket(ticket, actor=current_user)
    except ArticleInvalid as exc:
        db.session.rollback()
        flash(str(INVALID_MESSAGES[str(exc)]), "error")
        # Back to the ticket page, whose button this is: never to the Referer header, which
        # the request's sender writes (every redirect desk makes stays on this site).
        return redirect(url_for("queues.ticket", reference=ticket.reference))
    db.session.commit()
    flash(_("Draft created from %(reference)s: check it before publishing.", reference=reference))
    return redirect(url_for("kb.edit", article_id=article.id))


@bp.get("/rapport")
@access(*STAFF)
def report():
    """Views, searches without result, deflections per article and per catalogue entry."""
    days = parse_int(request.args.get("days"))
    days = days if days in REPORT_DAYS else 30
    end = utcnow()
    start = end - dt.timedelta(days=days)
    return render_template(
        "kb/report.html",
        data=kb_report(start, end),
        # Following a known disruption is a request avoided too (desk.status).
        follows=follows_in(start, end),
        locale=page_language(),
        days=days,
        choices=REPORT_DAYS,
    )
