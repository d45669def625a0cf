"""What the article editor refuses: a title or text that shows nothing is no title or text."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.extensions import db
from desk.kb.models import Article
from desk.reference.models import Category
from tests.support.factories import make_user


def _form(**values):
    base = {
        "title_fr": "Imprimer en couleur",
        "body_fr": "Choisissez **couleur** dans les options.",
        "title_en": "",
        "body_en": "",
        "keywords": "",
        "category": "",
        "status": "published",
        "audience": "everyone",
    }
    base.update(values)
    return base


def _count():
    return db.session.scalar(select(func.count()).select_from(Article))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title_fr": "\u200b"}, "title_fr"),  # a zero-width space
        ({"title_fr": "\u200e\u2060\ufeff \u00a0"}, "title_fr"),  # marks, joiner, spaces
        ({"title_fr": "\x01\x02"}, "title_fr"),  # control characters
        ({"title_fr": "\u3164\u2800"}, "title_fr"),  # letters that draw nothing
        ({"body_fr": "\u200b\u200b"}, "body_fr"),
        ({"body_fr": "\u200b\n\n\u2060"}, "body_fr"),
        ({"title_fr": "\u200b", "body_fr": "\u200b"}, "title_fr"),  # no language at all
    ],
)
def test_a_title_or_text_that_shows_nothing_is_refused_next_to_it(demo_kb, login, values, field):
    tech = login(make_user(role=Role.TECHNICIAN))
    before = _count()
    response = tech.submit("/aide/gestion/nouveau", _form(**values))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert _count() == before


def test_invisible_characters_inside_a_real_title_are_kept(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    title = "Wi\u00adFi des invités"  # a soft hyphen where the word may break
    assert tech.submit("/aide/gestion/nouveau", _form(title_fr=title)).status_code == 302
    assert db.session.scalar(select(Article.title_fr).filter_by(title_fr=title)) == title


def test_an_invisible_english_version_is_left_out_not_published_blank(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    response = tech.submit("/aide/gestion/nouveau", _form(title_en="\u200b", body_en="\u200b"))
    assert response.status_code == 302
    article = db.session.scalar(select(Article).filter_by(title_fr="Imprimer en couleur"))
    assert (article.title_en, article.body_en) == ("", "")
    # An English reader gets the French article, marked as such, not an empty page.
    english = login(make_user(email="en@umontpellier.fr", locale="en"))
    page = english.get(f"/aide/{article.slug}").text
    assert 'lang="fr"' in page and "Imprimer en couleur" in page


@pytest.mark.parametrize(
    "forged",
    ["999999", "abc", "-1", "1.5", "99999999999999999999", " ", "0x1", "٣"],  # last: Arabic 3
)
def test_a_forged_category_is_refused_next_to_it_not_saved_as_none(demo_kb, login, forged):
    tech = login(make_user(role=Role.TECHNICIAN))
    before = _count()
    response = tech.submit("/aide/gestion/nouveau", _form(category=forged))
    assert response.status_code == 400
    assert 'id="category-error"' in response.text
    assert "Choisissez un élément de la liste." in response.text
    assert _count() == before


def test_a_forged_category_leaves_an_articles_category_as_it_was(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    category = db.session.scalar(select(Category).order_by(Category.id))
    tech.submit("/aide/gestion/nouveau", _form(category=str(category.id)))
    article = db.session.scalar(select(Article).filter_by(title_fr="Imprimer en couleur"))
    url = f"/aide/gestion/{article.id}"
    response = tech.submit(url, _form(category="abc", version=str(article.version)))
    assert response.status_code == 400 and 'id="category-error"' in response.text
    db.session.expire_all()
    assert article.category_id == category.id
    # Choosing "no category" on purpose still works.
    response = tech.submit(url, _form(category="", version=str(article.version)))
    assert response.status_code == 302
    db.session.expire_all()
    assert article.category_id is None


def test_article_zero_is_no_article_not_a_second_new_page(demo_kb, login):
    tech = login(make_user(role=Role.TECHNICIAN))
    before = _count()
    assert tech.get("/aide/gestion/0").status_code == 404
    response = tech.submit("/aide/gestion/0", _form(version="1"), page="/aide/gestion/nouveau")
    assert response.status_code == 404
    assert _count() == before
