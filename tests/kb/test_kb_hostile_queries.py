"""What people (and scripts) type into the help's three search boxes — the help page, the live
suggestions and the catalogue — answered without a 5xx, on both engines; accents, plurals and
full-text operators read as words; and what the catalogue offers before a form."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.kb.models import Article, ArticleStatus, Audience
from desk.kb.services import ArticleDraft, create_article
from tests.support.factories import make_user

NETWORK = "reseau-verifications-avant-un-ticket"
PASSWORD = "mot-de-passe-oublie"
STAFF_ONLY = "procedure-interne-association-zoom"

OPERATORS = [
    "",
    " ",
    '"',
    '"réseau',
    "réseau*",
    "*",
    "AND",
    "réseau AND",
    "AND OR NOT",
    ":",
    "plain_fr:réseau",
    "{title keywords} : zoom",
    "(",
    "réseau)",
    "-",
    "-réseau",
    "réseau -câble",
    "NEAR(zoom licence, 2)",
    "^zoom",
    "zoom:*",
    "!zoom & | <->",
    "x" * 10_000,
    "réseau " * 1_500,
]


def test_any_query_on_the_three_boxes_is_answered(demo_kb, login):
    reader = login(make_user())
    for query in OPERATORS:
        for url in ("/aide", "/aide/suggestions", "/catalogue"):
            assert reader.get(url, query_string={"q": query}).status_code == 200, (url, query)


def test_a_nul_byte_is_a_400_not_a_5xx(demo_kb, login):
    reader = login(make_user())
    for url in ("/aide", "/aide/suggestions", "/catalogue"):
        assert reader.get(url, query_string={"q": "réseau\x00"}).status_code == 400


def _first(reader, query):
    found = reader.get("/aide/suggestions", query_string={"q": query}).json["articles"]
    return found[0]["url"].split("?")[0].removeprefix("/aide/") if found else None


WORDS = [
    ("reseau", NETWORK),
    ("réseau", NETWORK),
    ("RÉSEAU", NETWORK),
    ("réseaux", NETWORK),
    ('"réseau"', NETWORK),
    ("réseau*", NETWORK),
    ("-réseau", NETWORK),
    ("réseau AND câble", NETWORK),
    ("mot de passe oublie", PASSWORD),
    ("mot de passe oublié", PASSWORD),
    ("mots de passe oubliés", PASSWORD),
]


def test_accents_plurals_and_operators_are_words(demo_kb, login):
    reader = login(make_user())
    assert [_first(reader, query) for query, _slug in WORDS] == [slug for _query, slug in WORDS]


def test_printers_find_the_printer_article(demo_kb, login):
    editor = make_user(role=Role.TECHNICIAN)
    create_article(
        ArticleDraft(
            title_fr="Ajouter une imprimante",
            body_fr="Depuis votre poste, ajoutez l’imprimante du couloir.",
            status=ArticleStatus.PUBLISHED,
        ),
        actor=editor,
    )
    db.session.commit()
    reader = login(make_user())
    assert _first(reader, "imprimante") == _first(reader, "imprimantes") == "ajouter-une-imprimante"


def test_the_catalogue_offers_no_draft_and_no_staff_only_article(demo_kb, login):
    network = db.session.scalar(select(Article).filter_by(slug=NETWORK))
    hidden = create_article(
        ArticleDraft(
            title_fr="Brouillon réseau pas encore relu",
            body_fr="Texte provisoire sur le réseau.",
            category_id=network.category_id,
            request_type_ids=[rt.id for rt in network.request_types],
            status=ArticleStatus.DRAFT,
        ),
        actor=make_user(role=Role.TECHNICIAN, email="redac@umontpellier.fr"),
    )
    internal = create_article(
        ArticleDraft(
            title_fr="Procédure interne réseau des techniciens",
            body_fr="Console du réseau : étapes réservées au centre de services.",
            category_id=network.category_id,
            request_type_ids=[rt.id for rt in network.request_types],
            status=ArticleStatus.PUBLISHED,
            audience=Audience.STAFF,
        ),
        actor=make_user(role=Role.TECHNICIAN, email="redac2@umontpellier.fr"),
    )
    db.session.commit()
    student = login(make_user("etu@etu.umontpellier.fr", is_staff=False))
    staff_requester = login(make_user("agent@umontpellier.fr"))
    for reader in (student, staff_requester):
        pages = [
            reader.get("/catalogue/probleme-connexion-reseau").text,
            reader.get("/catalogue?q=réseau").text,
            reader.get("/aide?q=réseau").text,
            str(reader.get("/aide/suggestions?q=réseau&from=probleme-connexion-reseau").json),
        ]
        for page in pages:
            assert hidden.slug not in page and internal.slug not in page
        assert f"/aide/{NETWORK}" in pages[0]  # the form's own article, before the form
        assert reader.get(f"/aide/{hidden.slug}").status_code == 404
        assert reader.get(f"/aide/{internal.slug}").status_code == 404
    # Technicians do read internal procedures (drafts stay on the editors' pages).
    tech = login(make_user(role=Role.TECHNICIAN, email="tech@umontpellier.fr"))
    assert internal.slug in tech.get("/aide?q=réseau").text


def test_the_form_offers_its_articles_in_the_readers_language(demo_kb, login):
    french = login(make_user(email="fr@umontpellier.fr", locale="fr"))
    english = login(make_user(email="en@umontpellier.fr", locale="en"))
    url = "/catalogue/probleme-connexion-reseau"
    page = french.get(url).text
    assert "Plus de réseau : les vérifications à faire avant de signaler" in page
    page = english.get(url).text
    assert "No network: the checks to make before reporting it" in page
    assert "Plus de réseau" not in page
