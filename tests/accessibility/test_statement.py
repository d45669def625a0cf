"""The accessibility statement: public, in both languages, edited by admins, from data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from desk.accessibility.models import AccessibilityStatement, Conformance
from desk.extensions import db
from desk.reference.loader import LoadError, load_reference
from desk.tickets.models import Ticket
from tests.support.factories import make_user


def _statement() -> AccessibilityStatement:
    db.session.expire_all()
    return db.session.scalar(select(AccessibilityStatement))


def test_public_page_follows_the_french_model(client, demo):
    page = client.get("/accessibilite", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    text = page.text
    for heading in (
        "Déclaration d’accessibilité",
        "État de conformité",
        "Résultats des tests",
        "Non-conformités",
        "Dérogations pour charge disproportionnée",
        "Contenus non soumis à l’obligation d’accessibilité",
        "Établissement de cette déclaration d’accessibilité",
        "Retour d’information et contact",
        "Voies de recours",
    ):
        assert heading in text, heading
    assert "partiellement conforme" in text and "totalement conforme avec" not in text
    # The service's name, whatever its words, as a name in quotes: no « à le … ».
    assert "s’applique au service en ligne « Centre de services numériques (desk) »." in text
    assert "Le service « Centre de services numériques (desk) » est partiellement" in text
    assert "6 décembre 2026" in text  # the audit's date, from the data
    assert "Défenseur des droits" in text
    # Reporting a problem goes through the catalogue entry routed to desk's admins.
    assert 'href="/catalogue/signaler-probleme-accessibilite"' in text
    assert "accessibilite-desk@umontpellier.fr" in text


def test_english_page_and_french_fallback_marked_with_lang(client, demo):
    statement = _statement()
    statement.derogations_fr = "Le graphique historique"
    statement.derogations_en = ""
    db.session.commit()
    text = client.get("/accessibilite", headers={"Accept-Language": "en"}).text
    assert "Accessibility statement" in text and "partially compliant" in text
    assert "The service “Digital service centre (desk)” is partially compliant" in text
    assert "Remedies" in text and "Défenseur des droits" in text
    # No English text: the French one is shown, and said to be French (RGAA 8.7).
    assert re.search(r'<ul lang="fr"><li>Le graphique historique</li></ul>', text)


def test_every_page_links_to_the_statement_with_the_status(client, demo, login, demo_user):
    for response in (
        client.get("/login", headers={"Accept-Language": "fr"}),
        login(demo_user("claire.martin@umontpellier.fr"), "demo-requester").get("/home"),
    ):
        assert (
            '<a href="/accessibilite">Accessibilité : partiellement conforme</a>' in response.text
        )


def test_without_a_statement_the_service_is_not_compliant(client, app_ctx):
    text = client.get("/accessibilite", headers={"Accept-Language": "fr"}).text
    assert "Aucun audit d’accessibilité" in text
    assert "Accessibilité : non conforme" in text


def test_admin_edits_the_statement(demo, login, demo_user):
    admin = login(demo_user("admin@umontpellier.fr"), "demo-admin")
    form = admin.get("/admin/accessibilite", headers={"Accept-Language": "fr"}).text
    assert re.search(r'<input [^>]*checked [^>]*value="partial">', form)
    # The organisation's contact, not the admin's own address (WCAG 1.3.5 is about the user):
    # the browser must not offer to fill it with theirs.
    contact = re.search(r'<input [^>]*name="contact_email"[^>]*>', form)
    assert contact and 'autocomplete="off"' in contact.group(0)
    # The status is a radio group: a fieldset whose legend is the question.
    assert re.search(
        r'<fieldset class="choices[^"]*" id="status">\s*<legend>État de conformité', form
    )
    data = {
        "status": "full",
        "compliance_rate": "100",
        "audit_date": "15/01/2027",
        "statement_date": "2027-01-16",
        "contact_email": "a11y@umontpellier.fr",
        "service_name_fr": "Centre de services",
        "service_name_en": "",
        "entity_fr": "L’Université",
        "non_compliant_fr": "",
        "recourse_fr": "Défenseur des droits",
    }
    answer = admin.submit("/admin/accessibilite", data)
    assert answer.status_code == 302
    statement = _statement()
    assert statement.status is Conformance.FULL and statement.compliance_rate == 100
    assert statement.audit_date.isoformat() == "2027-01-15"
    assert statement.non_compliant_fr == "" and statement.service_name_en == ""
    text = admin.get("/accessibilite", headers={"Accept-Language": "fr"}).text
    assert "Le service « Centre de services » est totalement conforme" in text
    assert "100 % des critères" in text
    # The footer (a per-process copy of the status) follows the change at once.
    assert "Accessibilité : totalement conforme" in text


def test_the_footer_status_costs_no_query_per_page(demo, login, demo_user, app_ctx):
    from sqlalchemy import event

    from desk.extensions import db

    claire = login(demo_user("claire.martin@umontpellier.fr"), "demo-requester")
    claire.get("/home")  # the copy is loaded
    statements: list[str] = []

    def grab(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        page = claire.get("/home", headers={"Accept-Language": "fr"}).text
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert "Accessibilité : partiellement conforme" in page
    assert not [s for s in statements if "accessibility_statement" in s]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("compliance_rate", "140", "Saisissez un nombre de 0 à 100."),
        # int() reads "٣٠" (Arabic-Indic) as 30: desk reads ASCII digits only.
        ("compliance_rate", "\u0663\u0660", "Saisissez un nombre de 0 à 100."),
        ("service_name_fr", "", "Ce champ est obligatoire."),
        ("status", "parfait", "Choisissez un état de conformité."),
        ("contact_email", "pas-une-adresse", "Saisissez une adresse e-mail valide."),
        ("audit_date", "31/02/2027", "Saisissez une date, par exemple 30/11/2026."),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_saved(
    demo, login, demo_user, field, value, message
):
    admin = login(demo_user("admin@umontpellier.fr"), "demo-admin")
    data = {"status": "partial", "service_name_fr": "X", "entity_fr": "Y", field: value}
    answer = admin.submit("/admin/accessibilite", data, headers={"Accept-Language": "fr"})
    assert answer.status_code == 400
    assert 'aria-invalid="true"' in answer.text and message in answer.text
    assert answer.text.count("data-error-summary") == 1
    statement = _statement()
    assert statement.service_name_fr == "Centre de services numériques (desk)"


def test_only_admins_edit_the_statement(client, demo, login, demo_user):
    assert client.get("/admin/accessibilite").status_code == 302  # to the login page
    tech = login(demo_user("tech.reseau@umontpellier.fr"), "demo-technician")
    assert tech.get("/admin/accessibilite").status_code == 403
    assert tech.submit("/admin/accessibilite", {"status": "full"}, page="/home").status_code == 403
    assert _statement().status is Conformance.PARTIAL


def test_a_report_reaches_the_admins_queue(demo, login, demo_user):
    claire = login(demo_user("leo.petit@etu.umontpellier.fr"), "demo-student")
    data = {
        "page": "/mes-demandes",
        "problem": "Le tableau n’est pas lisible avec NVDA.",
        "assistive_technology": "Firefox + NVDA",
    }
    url = "/catalogue/signaler-probleme-accessibilite"
    empty = claire.submit(url, {"page": "", "problem": ""}, headers={"Accept-Language": "fr"})
    assert empty.status_code in (200, 400)
    assert "<title>2 erreurs – " in empty.text
    answer = claire.submit(url, data)
    assert answer.status_code == 302, answer.text[-800:]
    ticket = db.session.scalar(select(Ticket))
    assert ticket.queue.code == "centre-services"
    assert ticket.data["assistive_technology"] == "Firefox + NVDA"
    admins = [m.user.email for m in ticket.queue.memberships]
    assert admins == ["admin@umontpellier.fr"]


def test_the_reference_file_checks_the_statement(app_ctx, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("accessibility_statement:\n  - {status: parfait}\n", encoding="utf-8")
    with pytest.raises(LoadError, match="status must be one of full, partial, none"):
        load_reference(bad)
    bad.write_text("accessibility_statement:\n  - {colour: blue}\n", encoding="utf-8")
    with pytest.raises(LoadError, match="unknown key"):
        load_reference(bad)
    assert db.session.scalar(select(AccessibilityStatement)) is None
    make_user()  # the session still works after the refused loads
