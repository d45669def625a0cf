"""Hyphenated words: "wifi" finds the article that writes only "Wi-Fi", and the other way round.

Both parsers split "Wi-Fi" into its parts (PostgreSQL also keeps "wi-fi" whole), so the word
"wifi" never matched it. The articles here write each word in one form only, so that nothing
else could make the search find them.
"""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.kb.models import ArticleStatus, HyphenatedWord
from desk.kb.search import rebuild_lexicon
from desk.kb.services import ArticleDraft, create_article, search_articles
from tests.support.factories import make_user
from tests.support.sql import statements_sent

ARTICLES = {
    "borne-wi-fi-de-la-salle-polyvalente": (
        "Borne Wi-Fi de la salle polyvalente",
        "Redémarrer la borne Wi-Fi : débrancher son alimentation dix secondes.",
    ),
    "transferer-un-e-mail-recu": (
        "Transférer un E-mail reçu",
        "Depuis le webmail, ouvrir l'e-mail puis choisir Transférer.",
    ),
    "ajouter-un-co-hote-a-une-reunion": (
        "Ajouter un co-hôte à une réunion",
        "Le co-hôte peut admettre les participants de la salle d'attente.",
    ),
    "photocopieuse-scanner-par-courriel": (
        "Photocopieuse : scanner par courriel",
        "La photocopieuse envoie le scan en pièce jointe à votre adresse email.",
    ),
}


@pytest.fixture
def hyphenated_kb(app_ctx):
    tech = make_user(role=Role.TECHNICIAN)
    for title, body in ARTICLES.values():
        create_article(
            ArticleDraft(title_fr=title, body_fr=body, status=ArticleStatus.PUBLISHED), actor=tech
        )
    db.session.commit()
    return app_ctx


def _slugs(query):
    return [h.article.slug for h in search_articles(query, None)]


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("wifi", "borne-wi-fi-de-la-salle-polyvalente"),
        ("WIFI", "borne-wi-fi-de-la-salle-polyvalente"),
        ("borne wifi", "borne-wi-fi-de-la-salle-polyvalente"),
        ("wifi salle polyvalente", "borne-wi-fi-de-la-salle-polyvalente"),
        ("email", "transferer-un-e-mail-recu"),
        ("Email reçu", "transferer-un-e-mail-recu"),
        ("cohôte", "ajouter-un-co-hote-a-une-reunion"),
        ("cohote reunion", "ajouter-un-co-hote-a-une-reunion"),
    ],
)
def test_a_word_typed_joined_finds_the_article_that_hyphenates_it(hyphenated_kb, query, slug):
    assert slug in _slugs(query)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("e-mail", "photocopieuse-scanner-par-courriel"),
        ("adresse e-mail", "photocopieuse-scanner-par-courriel"),
        ("Wi-Fi", "borne-wi-fi-de-la-salle-polyvalente"),
        ("co-hôte", "ajouter-un-co-hote-a-une-reunion"),
    ],
)
def test_a_hyphenated_word_typed_finds_it_joined_too(hyphenated_kb, query, slug):
    assert slug in _slugs(query)


def test_email_finds_both_spellings(hyphenated_kb):
    found = set(_slugs("email"))
    assert {"transferer-un-e-mail-recu", "photocopieuse-scanner-par-courriel"} <= found
    assert set(_slugs("e-mail")) >= {
        "transferer-un-e-mail-recu",
        "photocopieuse-scanner-par-courriel",
    }


def test_the_hyphenated_words_are_kept_joined_and_rebuilt(hyphenated_kb):
    pairs = set(db.session.execute(db.select(HyphenatedWord.joined, HyphenatedWord.word)))
    assert {("wifi", "wi-fi"), ("email", "e-mail"), ("cohote", "co-hote")} <= pairs
    rebuild_lexicon()
    assert set(db.session.execute(db.select(HyphenatedWord.joined, HyphenatedWord.word))) == pairs
    assert "borne-wi-fi-de-la-salle-polyvalente" in _slugs("wifi")


def test_a_typo_of_the_joined_word_is_corrected_to_it(hyphenated_kb):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("typo tolerance (the trigram lexicon) is PostgreSQL's")
    assert "borne-wi-fi-de-la-salle-polyvalente" in _slugs("wiifi")


def test_the_common_path_costs_one_small_look_up_more(hyphenated_kb):
    with statements_sent(db.engine) as sent:
        assert _slugs("wifi")[0] == "borne-wi-fi-de-la-salle-polyvalente"
    # The look-up of the hyphenated forms, the full-text query, the articles listed.
    assert len(sent) == 3, sent
    assert sum("kb_hyphenated_word" in s for s in sent) == 1
    with statements_sent(db.engine) as sent:
        _slugs("40")
    assert not any("kb_hyphenated_word" in s for s in sent)  # no word that could be joined


@pytest.mark.parametrize(
    "query",
    [
        "wi-fi:*",
        "wi-fi & | ! ( ) : * <->",
        "-wifi-",
        "wi--fi",
        "e-'mail",
        "a-b-c-d-e-f-g-h-i-j",
        "wifi' | !email",
        "co-hôte:* & (e-mail",
        "2024-12-06",
        "x-" * 300,
        "wifi\\ e-mail\x00",
    ],
)
def test_hyphens_and_tsquery_characters_never_error(hyphenated_kb, query):
    assert isinstance(search_articles(query, None), list)
    assert _slugs("wifi")  # and the session is still usable
