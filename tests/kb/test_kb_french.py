"""French words stemmed on both engines: a plural or another form of a verb finds the article.

PostgreSQL stems French (`french_unaccent`); SQLite's FTS5 matched the words as typed, so that
"imprimantes" missed an article about an "imprimante" and "connectez" one saying "connecter",
under `make run`. The French FTS5 table now holds the words stemmed by the same Snowball rules
(desk.kb.french).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from desk.extensions import db
from desk.kb import french
from desk.kb.models import ArticleStatus
from desk.kb.services import ArticleDraft, create_article

PRINTER = "ajouter-une-imprimante"
VPN = "se-connecter-au-vpn"
PASSWORD = "reinitialisation-du-mot-de-passe"

ARTICLES = [
    (
        "Ajouter une imprimante",
        "Depuis votre poste, ajoutez l’imprimante du couloir : elle imprime en couleur.",
    ),
    (
        "Se connecter au VPN",
        "Une fois connecté, votre poste voit les dossiers partagés du service.",
    ),
    (
        "Réinitialisation du mot de passe",
        "Le lien reçu par courriel est valable une heure.",
    ),
]

# What people type, in another form than the articles' words.
FRENCH = [
    ("imprimantes", PRINTER),  # a plural: "imprimante"
    ("imprimer", PRINTER),  # the verb: "imprimante", "imprime"
    ("connectez", VPN),  # "connecter", "connecté"
    ("connecté", VPN),
    ("partager", VPN),  # "partagés"
    ("réinitialiser", PASSWORD),  # "Réinitialisation"
    ("Imprimantes partager", None),  # all the words in no article: any of them, ranked
]


@pytest.fixture
def articles(app_ctx):
    for title, body in ARTICLES:
        draft = ArticleDraft(title_fr=title, body_fr=body)
        draft.status = ArticleStatus.PUBLISHED
        create_article(draft, actor=None)
    db.session.commit()
    return app_ctx


def _suggested(client, query, language="fr"):
    """[(slug, language shown, snippet, its marked words)] of /aide/suggestions."""
    response = client.get(
        "/aide/suggestions", query_string={"q": query}, headers={"Accept-Language": language}
    )
    assert response.status_code == 200
    return [
        (
            hit["url"].split("?")[0].rsplit("/", 1)[1],
            hit["lang"],
            "".join(piece for piece, _marked in hit["snippet"]),
            [piece for piece, marked in hit["snippet"] if marked],
        )
        for hit in response.json["articles"]
    ]


@pytest.mark.parametrize(("query", "slug"), FRENCH)
def test_another_form_of_a_french_word_finds_the_article(articles, client, query, slug):
    found = [hit[0] for hit in _suggested(client, query)]
    if slug is None:  # "imprimantes" or "partager": both articles
        assert set(found) == {PRINTER, VPN}, found
    else:
        assert found and found[0] == slug, found


def test_on_an_english_page_french_words_are_stemmed_too(articles, client):
    # Found by the French rules, ranked after what the English ones find (nothing here).
    assert [hit[0] for hit in _suggested(client, "imprimantes", "en")] == [PRINTER]


def test_the_snippet_marks_the_words_as_written(articles, client):
    (slug, shown, snippet, marked), *_ = _suggested(client, "imprimantes")
    assert (slug, shown) == (PRINTER, "fr")
    assert marked == ["imprimante", "imprime"]
    # A piece of the text as written, accents and all (not the stems the search compares).
    assert "l’imprimante" in snippet and snippet.rstrip(".") in ARTICLES[0][1]
    (slug, _shown, snippet, marked), *_ = _suggested(client, "connecter")
    assert slug == VPN and marked == ["connecté"]
    assert "dossiers partagés" in snippet and snippet.rstrip(".") in ARTICLES[1][1]


def test_the_stems_are_postgresqls(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("compares with PostgreSQL's french_unaccent")
    words = "Imprimantes imprimer connectées Connexions réseaux chevaux préférences activation"
    # french_unaccent: unaccent, then french_stem (which folds the case).
    theirs = db.session.scalar(
        text(
            "SELECT string_agg((ts_lexize('french_stem', unaccent(w)))[1], ' ' ORDER BY n)"
            " FROM unnest(string_to_array(:words, ' ')) WITH ORDINALITY AS t(w, n)"
        ),
        {"words": words},
    )
    assert french.stems(words) == theirs


MARKS = ("[", "]")


def _snippet(text_, words, size=6):
    prefixes = tuple(french.stem(word) for word in words)
    return french.snippet(
        text_, french.stems(text_), prefixes, marks=MARKS, ellipsis=" … ", size=size
    )


def test_a_snippet_is_cut_around_the_matched_words():
    text_ = (
        "Un deux trois quatre cinq six sept. Les imprimantes du hall sont partagées ; huit neuf."
    )
    assert _snippet(text_, ["imprimante", "partager"], size=6) == (
        " … Les [imprimantes] du hall sont [partagées] … "
    )
    # At the start and at the end of the text, the text's own first and last characters.
    assert _snippet("« Imprimante » en panne.", ["imprimer"]) == "« [Imprimante] » en panne."
    # A hyphenated word's parts in a row ("wifi" typed finds "Wi-Fi"), not each part alone.
    assert (
        french.snippet(
            "Le Wi-Fi du hall ; le fichier.",
            french.stems("Le Wi-Fi du hall ; le fichier."),
            ("wif",),
            (("wi", "fi"),),
            marks=MARKS,
            ellipsis=" … ",
            size=10,
        )
        == "Le [Wi]-[Fi] du hall ; le fichier."
    )
    # No word matched: the first words.
    assert _snippet(text_, ["scanner"], size=3) == "Un deux trois … "


def test_a_text_changed_without_being_indexed_gives_its_first_words_unmarked():
    assert (
        french.snippet(
            "Imprimante du hall", "imprim", ("imprim",), marks=MARKS, ellipsis=" … ", size=2
        )
        == "Imprimante du … "
    )


@pytest.fixture
def scratch_sqlite(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("the French FTS5 table is SQLite's")
    path = Path(url.database).with_name(f"scratch-{uuid.uuid4().hex}.sqlite3")
    yield url.set(database=str(path))
    path.unlink(missing_ok=True)


def test_the_migration_indexes_the_existing_articles_stemmed(scratch_sqlite):
    from flask_migrate import downgrade, upgrade

    from config import TestingConfig
    from desk import create_app

    url = scratch_sqlite.render_as_string(hide_password=False)
    other = create_app(
        TestingConfig({**dict(__import__("os").environ), "DESK_TEST_DATABASE_URL": url})
    )
    engine = create_engine(url)
    title, body = ARTICLES[0]
    with other.app_context():
        directory = other.extensions["migrate"].directory
        # The revision before the French table's (b8e2d4f6a1c3): articles indexed unstemmed.
        upgrade(directory=directory, revision="5c9cb7848517")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO kb_article (id, slug, title_fr, title_en, body_fr, body_en,"
                    " plain_fr, plain_en, keywords, status, audience, created_at, updated_at,"
                    " version) VALUES (7, 's', :title, '', :body, '', :body, '', 'Laser',"
                    " 'published', 'everyone', '2026-12-06', '2026-12-06', 1)"
                ),
                {"title": title, "body": body},
            )
        upgrade(directory=directory, revision="b8e2d4f6a1c3")
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT rowid, title, keywords, body_fr, body_en FROM kb_article_fts_fr"
                    " WHERE kb_article_fts_fr MATCH '\"imprim\"*'"
                )
            ).one()
        # What the saving code (desk.kb.fts5.write_rows) would have written.
        assert tuple(row) == (7, french.stems(title), french.stems("Laser"), french.stems(body), "")
        downgrade(directory=directory, revision="5c9cb7848517")
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT rowid FROM kb_article_fts WHERE kb_article_fts MATCH 'imprimante'")
            ).all()
        assert found == [(7,)]
        db.session.remove()
        db.engine.dispose()
    engine.dispose()
