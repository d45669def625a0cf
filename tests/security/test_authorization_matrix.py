"""Every route × every role × every method, on objects each may and may not touch.

The table below is the expectation: one line per URL rule and method, naming a profile (who
gets what). A route added to the app without a line here fails `test_every_route_has_an_entry`:
add it with the profile that says who may use it. Outcomes are compared as categories:
"ok" (the view ran: 2xx, a redirect elsewhere than the login page, or a 400/409 refusal of the
empty form we send), "login" (anonymous sent to log in), "403", "404".
POSTs carry a valid CSRF token and no fields, so they exercise the access checks, not the forms.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.conftest import Client
from tests.security.access_world import ROLES, build_access_world

OK, LOGIN, DENIED, HIDDEN = "ok", "login", "403", "404"


def _profile(anonymous=LOGIN, requesters=OK, techs=OK, admin=OK, **each):
    """Expected outcome per role; `requesters` covers A, B and the student."""
    base = {
        "anonymous": anonymous,
        "requester_a": requesters,
        "requester_b": requesters,
        "student": requesters,
        "tech_queue": techs,
        "tech_other": techs,
        "tech_hr": techs,
        "admin": admin,
    }
    base.update(each)
    return base


PUBLIC = _profile(anonymous=OK)
NOWHERE = _profile(anonymous=HIDDEN, requesters=HIDDEN, techs=HIDDEN, admin=HIDDEN)
SENT_TO_LOGIN = _profile(requesters=LOGIN, techs=LOGIN, admin=LOGIN)
AUTHENTICATED = _profile()
STAFF = _profile(requesters=DENIED)
ADMIN = _profile(requesters=DENIED, techs=DENIED)
# Ticket A's files: its requester, the technicians of its queue and admins.
TICKET_FILES = _profile(requesters=HIDDEN, techs=HIDDEN, requester_a=OK, tech_queue=OK)
# The requester's own pages of ticket A (the portal, the confirmation): staff use /tickets.
REQUESTER_ONLY = _profile(requesters=HIDDEN, techs=HIDDEN, admin=HIDDEN, requester_a=OK)
# Ticket A's staff page and actions, queue `reseau`'s list: its technicians and admins.
QUEUE_WORK = _profile(requesters=DENIED, techs=HIDDEN, tech_queue=OK)

# A staff-only help article: not found for anyone else, anonymous visitors included.
STAFF_ARTICLE = _profile(anonymous=HIDDEN, requesters=HIDDEN)

# (rule, method) → profile. Parameters of the rule are filled from the world (see PARAMS).
TABLE: dict[tuple[str, str], dict[str, str]] = {
    ("/", "GET"): _profile(),  # anonymous visitors are sent to log in, the others home
    ("/login", "GET"): PUBLIC,
    ("/login", "POST"): PUBLIC,
    ("/healthz", "GET"): PUBLIC,
    ("/accessibilite", "GET"): PUBLIC,
    ("/donnees-personnelles", "GET"): PUBLIC,
    # One's own data: whoever is signed in (what it holds is in tests/privacy).
    ("/donnees-personnelles/mes-donnees.json", "GET"): AUTHENTICATED,
    # Prometheus: only for the configured addresses or token (none in tests): 404 to anyone.
    ("/metrics", "GET"): NOWHERE,
    # The suite runs with the CAS off: its routes are not found, /login/local sends to /login.
    ("/login/local", "GET"): SENT_TO_LOGIN,
    ("/login/local", "POST"): SENT_TO_LOGIN,
    ("/cas/login", "GET"): NOWHERE,
    ("/cas/callback", "GET"): NOWHERE,
    ("/cas/callback", "POST"): NOWHERE,
    # Confirming a CAS sign-in desk did not start (tests/identity/test_login_csrf.py).
    ("/cas/confirmation", "GET"): NOWHERE,
    ("/cas/confirmation", "POST"): NOWHERE,
    ("/home", "GET"): AUTHENTICATED,
    ("/account/password", "GET"): AUTHENTICATED,
    ("/account/password", "POST"): AUTHENTICATED,
    ("/session/prolonger", "POST"): AUTHENTICATED,  # the session warning's "Stay signed in"
    ("/catalogue", "GET"): AUTHENTICATED,
    ("/catalogue/<slug>", "GET"): AUTHENTICATED,
    ("/catalogue/<slug>", "POST"): AUTHENTICATED,
    ("/catalogue/modele-invites.csv", "GET"): AUTHENTICATED,
    # Its requester's; staff see one only for a ticket they filed for someone (test_behalf).
    ("/catalogue/confirmation/<reference>", "GET"): REQUESTER_ONLY,
    ("/catalogue/pour-un-usager", "GET"): STAFF,
    # Without a directory (this world) there is nobody to pick: not found for staff too
    # (tests/identity/test_behalf_directory.py runs it against slapd).
    ("/catalogue/pour-un-usager/annuaire", "POST"): _profile(
        requesters=DENIED, techs=HIDDEN, admin=HIDDEN
    ),
    ("/mes-demandes", "GET"): AUTHENTICATED,
    ("/mes-demandes/recherche", "GET"): AUTHENTICATED,
    ("/mes-demandes/<reference>", "GET"): REQUESTER_ONLY,
    ("/mes-demandes/<reference>/commentaire", "POST"): REQUESTER_ONLY,
    ("/mes-demandes/<reference>/annulation", "POST"): REQUESTER_ONLY,
    ("/mes-demandes/<reference>/reouverture", "POST"): REQUESTER_ONLY,
    # People in copy of ticket A: its requester and its staff manage them (tests/watchers).
    ("/demandes/<reference>/en-copie", "GET"): TICKET_FILES,
    ("/demandes/<reference>/en-copie", "POST"): TICKET_FILES,
    ("/demandes/<reference>/en-copie/<int:user_id>/retrait", "POST"): TICKET_FILES,
    ("/attachments/<int:attachment_id>", "GET"): TICKET_FILES,
    ("/notifications", "GET"): AUTHENTICATED,
    ("/notifications/read-all", "POST"): AUTHENTICATED,
    # Marking read is scoped to the user's own rows: others' ids change nothing.
    ("/notifications/<int:notification_id>/read", "POST"): AUTHENTICATED,
    ("/preferences", "GET"): AUTHENTICATED,
    ("/preferences", "POST"): AUTHENTICATED,
    ("/preferences/notifications", "GET"): AUTHENTICATED,
    ("/preferences/notifications", "POST"): AUTHENTICATED,
    ("/preferences/absence", "GET"): STAFF,
    ("/preferences/absence", "POST"): STAFF,
    ("/preferences/absence/fin", "POST"): STAFF,
    # Reminders: one's own list; dropping one names a reminder nobody has here (the owner's
    # case, and anyone else's 404, are in tests/followups).
    ("/rappels", "GET"): STAFF,
    ("/rappels/<int:followup_id>/suppression", "POST"): _profile(
        requesters=DENIED, techs=HIDDEN, admin=HIDDEN
    ),
    ("/api/places/buildings", "GET"): AUTHENTICATED,
    ("/api/places/floors", "GET"): AUTHENTICATED,
    ("/queues", "GET"): STAFF,
    ("/queues/<code>", "GET"): QUEUE_WORK,
    ("/queues/<code>/bulk", "POST"): QUEUE_WORK,
    ("/queues/<code>/export.csv", "GET"): QUEUE_WORK,
    ("/recherche", "GET"): STAFF,
    # Knowledge base: the help pages are public; the world's article is for desk staff only,
    # so it is not found for the others (tests/kb covers the other audiences).
    ("/aide", "GET"): PUBLIC,
    ("/aide/suggestions", "GET"): PUBLIC,
    ("/aide/<slug>", "GET"): STAFF_ARTICLE,
    ("/aide/<slug>/merci", "GET"): STAFF_ARTICLE,
    ("/aide/<slug>/resolu", "POST"): STAFF_ARTICLE,
    ("/aide/gestion", "GET"): STAFF,
    ("/aide/gestion/nouveau", "GET"): STAFF,
    ("/aide/gestion/nouveau", "POST"): STAFF,
    ("/aide/gestion/<int:article_id>", "GET"): STAFF,
    ("/aide/gestion/<int:article_id>", "POST"): STAFF,
    ("/aide/gestion/<int:article_id>/historique", "GET"): STAFF,
    ("/aide/gestion/depuis-ticket/<reference>", "POST"): QUEUE_WORK,
    ("/aide/rapport", "GET"): STAFF,
    ("/sla/report", "GET"): STAFF,
    # Ticket A's requester following a staff link is sent to their own page of it.
    ("/tickets/<reference>", "GET"): {**QUEUE_WORK, "requester_a": OK},
    **{
        (f"/tickets/<reference>/{action}", "POST"): QUEUE_WORK
        for action in (
            "assign",
            "claim",
            "duplicate",
            "give-back",
            "note",
            "reminder",
            "priority",
            "reply",
            "status",
            "transfer",
        )
    },
    **{
        (rule, method): ADMIN
        for rule, methods in {
            "/admin": "GET",
            "/admin/domains": "GET",
            "/admin/domains/new": "GET POST",
            "/admin/domains/<int:domain_id>": "GET POST",
            "/admin/domains/<int:domain_id>/delete": "POST",
            "/admin/domains/<int:domain_id>/categories/new": "GET POST",
            "/admin/categories/<int:category_id>": "GET POST",
            "/admin/categories/<int:category_id>/delete": "POST",
            "/admin/queues": "GET",
            "/admin/queues/new": "GET POST",
            "/admin/queues/<int:queue_id>": "GET POST",
            "/admin/queues/<int:queue_id>/delete": "POST",
            "/admin/queues/<int:queue_id>/members": "GET POST",
            "/admin/queues/<int:queue_id>/members/<int:user_id>/lead": "POST",
            "/admin/queues/<int:queue_id>/members/<int:user_id>/remove": "POST",
            "/admin/catalogue": "GET",
            "/admin/catalogue/<int:request_type_id>": "POST",
            "/admin/catalogue/rules/new": "GET POST",
            "/admin/catalogue/rules/<int:rule_id>": "GET POST",
            "/admin/catalogue/rules/<int:rule_id>/delete": "POST",
            "/admin/catalogue/rules/<int:rule_id>/move/<any(up, down):direction>": "POST",
            "/admin/catalogue/rules/<int:rule_id>/<any(activate, deactivate):action>": "POST",
            "/admin/notifications": "GET",
            "/admin/accessibilite": "GET POST",
            "/admin/identity": "GET",
            "/admin/identity/sync": "POST",
            "/admin/notifications/<int:notification_id>/retry": "POST",
            "/admin/places": "GET POST",
            "/admin/places/import": "GET POST",
            "/admin/places/<any(site, building, floor):level>/<int:place_id>": "GET",
            "/admin/places/<any(site, building, floor):level>/<int:place_id>/rename": "POST",
            "/admin/places/<any(site, building, floor):level>/<int:place_id>/active": "POST",
            "/admin/places/<any(site, building):level>/<int:place_id>/children": "POST",
            "/sla/settings": "GET",
            "/sla/calendars/new": "GET POST",
            "/sla/calendars/<int:calendar_id>": "GET POST",
            "/sla/policies/new": "GET POST",
            "/sla/policies/<int:policy_id>": "GET POST",
            "/sla/policies/<int:policy_id>/delete": "POST",
        }.items()
        for method in methods.split()
    },
    # A user without a directory conflict: nothing to resolve, not found even for the admin.
    ("/admin/identity/conflicts/<int:user_id>/directory", "POST"): _profile(
        requesters=DENIED, techs=DENIED, admin=HIDDEN
    ),
    ("/admin/accounts", "GET"): ADMIN,
    # Incoming mail: admins only; this world received no message, so one's pages are not found.
    ("/admin/inbound", "GET"): ADMIN,
    ("/admin/inbound/<int:message_id>/original", "GET"): _profile(
        requesters=DENIED, techs=DENIED, admin=HIDDEN
    ),
    ("/admin/inbound/<int:message_id>/retry", "POST"): _profile(
        requesters=DENIED, techs=DENIED, admin=HIDDEN
    ),
    ("/admin/accounts/new", "GET"): ADMIN,
    ("/admin/accounts/new", "POST"): ADMIN,
    ("/admin/accounts/<int:user_id>", "GET"): ADMIN,
    ("/admin/accounts/<int:user_id>", "POST"): ADMIN,
    ("/admin/accounts/<int:user_id>/deactivate", "POST"): ADMIN,
    ("/admin/accounts/<int:user_id>/reactivate", "POST"): ADMIN,
    ("/admin/accounts/<int:user_id>/cas-link", "POST"): ADMIN,
    ("/admin/accounts/<int:user_id>/absence", "GET"): ADMIN,
    ("/admin/accounts/<int:user_id>/donnees.json", "GET"): ADMIN,
    ("/admin/accounts/<int:user_id>/effacement", "GET"): ADMIN,
    ("/admin/accounts/<int:user_id>/effacement", "POST"): ADMIN,
    ("/admin/accounts/<int:user_id>/absence", "POST"): ADMIN,
    ("/admin/accounts/<int:user_id>/absence/fin", "POST"): ADMIN,
    # Satisfaction: the signed link is the credential (whoever holds the e-mail rates, without
    # logging in; tests/satisfaction covers forged and expired ones); the requester rates their
    # own ticket from its page.
    ("/evaluation/<token>", "GET"): PUBLIC,
    ("/evaluation/<token>", "POST"): PUBLIC,
    # The view answers (a refusal of the empty form) for those who see the ticket.
    ("/mes-demandes/<reference>/evaluation", "POST"): TICKET_FILES,
    # Canned replies: queue leads and admins (these technicians lead no queue).
    ("/reponses-types", "GET"): ADMIN,
    ("/reponses-types/nouvelle", "GET"): ADMIN,
    ("/reponses-types/nouvelle", "POST"): ADMIN,
    ("/reponses-types/<int:reply_id>", "GET"): ADMIN,
    ("/reponses-types/<int:reply_id>", "POST"): ADMIN,
    ("/reponses-types/<int:reply_id>/suppression", "POST"): ADMIN,
    # Service status: everyone reads it, anonymous visitors too; anyone signed in follows a
    # disruption; staff publish, edit and end them.
    ("/etat-des-services", "GET"): PUBLIC,
    ("/etat-des-services/calendrier.ics", "GET"): PUBLIC,
    ("/etat-des-services/nouvelle", "GET"): STAFF,
    ("/etat-des-services/nouvelle", "POST"): STAFF,
    ("/etat-des-services/<int:disruption_id>/modifier", "GET"): STAFF,
    ("/etat-des-services/<int:disruption_id>/modifier", "POST"): STAFF,
    ("/etat-des-services/<int:disruption_id>/fin", "POST"): STAFF,
    ("/etat-des-services/<int:disruption_id>/suivre", "POST"): AUTHENTICATED,
    ("/etat-des-services/<int:disruption_id>/ne-plus-suivre", "POST"): AUTHENTICATED,
    # Linking a ticket to a disruption: staff, on a ticket of their queues (the empty form
    # names no ticket: not found); unlinking ticket A: its queue's technicians and admins.
    ("/etat-des-services/<int:disruption_id>/tickets", "POST"): _profile(
        requesters=DENIED, techs=HIDDEN, admin=HIDDEN
    ),
    ("/etat-des-services/tickets/<reference>/detacher", "POST"): QUEUE_WORK,
    # Everyone ends on the login page: logged out, or (anonymous) never logged in.
    ("/logout", "POST"): _profile(requesters=LOGIN, techs=LOGIN, admin=LOGIN),
}

# Rules whose parameters name a spare object (the admin's POST deletes or changes it).
SPARE = {
    "/admin/accounts/<int:user_id>": {"user_id": "spare_user"},
    "/admin/accounts/<int:user_id>/deactivate": {"user_id": "spare_user"},
    "/admin/accounts/<int:user_id>/reactivate": {"user_id": "spare_user"},
    "/admin/domains/<int:domain_id>/delete": {"domain_id": "spare_domain"},
    "/admin/categories/<int:category_id>/delete": {"category_id": "spare_category"},
    "/admin/queues/<int:queue_id>/delete": {"queue_id": "spare_queue"},
    "/admin/queues/<int:queue_id>/members/<int:user_id>/remove": {"queue_id": "member_queue"},
    "/admin/queues/<int:queue_id>/members/<int:user_id>/lead": {"queue_id": "member_queue"},
    "/admin/notifications/<int:notification_id>/retry": {"notification_id": "failed_notification"},
    "/admin/catalogue/rules/<int:rule_id>/delete": {"rule_id": "spare_rule"},
    "/sla/policies/<int:policy_id>/delete": {"policy_id": "spare_policy"},
}


def params(world, rule: str) -> dict[str, object]:
    """Values for the rule's parameters: the objects of ticket A's world."""
    values = {
        "reference": world.ticket.reference,
        "code": "reseau",
        "attachment_id": world.public_attachment.id,
        "notification_id": world.notification.id,
        "domain_id": world.it.id,
        "category_id": world.cats["network"].id,
        "queue_id": world.queues["reseau"].id,
        "user_id": world.users["tech_other"].id,
        "request_type_id": world.types["zoom"].id,
        "rule_id": world.rules[0].id,
        "direction": "down",
        "action": "deactivate",
        "level": "site",
        "place_id": world.triolet[0].id,
        "calendar_id": world.calendar.id,
        "policy_id": world.policy.id,
        "article_id": world.staff_article.id,
        "slug": world.staff_article.slug if rule.startswith("/aide/") else world.types["list"].slug,
        "reply_id": world.canned_reply.id,
        "disruption_id": world.disruption.id,
        "message_id": 1,
        "followup_id": 999_999,
        "token": world.rating_token,
    }
    for name, attribute in SPARE.get(rule, {}).items():
        values[name] = getattr(world, attribute).id
    return values


def _routes(app) -> list[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/probe"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.rule, method))
    return sorted(found)


def test_every_route_has_an_entry(app):
    routes = set(_routes(app))
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    assert missing == [], "add these routes to TABLE with the profile of who may use them"
    assert stale == [], "these TABLE entries no longer match a route"


def _category(response) -> str:
    status = response.status_code
    if status >= 500:
        return f"5xx ({status})"
    if status in (301, 302, 303) and urlsplit(response.headers["Location"]).path == "/login":
        return LOGIN
    if status in (401, 403):
        return DENIED
    if status == 404:
        return HIDDEN
    if status == 405:
        return "405"
    return OK


def _clients(app, world) -> dict[str, Client]:
    app.test_client_class = Client
    clients = {}
    for role in ROLES:
        client: Client = app.test_client()  # type: ignore[assignment]
        if role == "anonymous":
            client.get("/login")
        else:
            assert client.login(world.users[role].email).status_code == 302
            client.get("/account/password")  # any page with a form: the session's CSRF token
        clients[role] = client
    return clients


def _ordered(routes):
    """GETs first, then POSTs; those that delete or log out last."""

    def key(route):
        rule, method = route
        destructive = rule.endswith(("/delete", "/remove", "/suppression"))
        return (rule == "/logout", destructive, method == "POST", rule)

    return sorted(routes, key=key)


def test_authorization_matrix(app, app_ctx):
    world = build_access_world()
    clients = _clients(app, world)
    mismatches = []
    for rule_text, method in _ordered(_routes(app)):
        rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
        url = _build(app, rule, params(world, rule_text))
        for role in ROLES:
            client = clients[role]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": client.last_csrf or ""})
            got = _category(response)
            want = TABLE[(rule_text, method)][role]
            if got != want:
                mismatches.append(f"{method} {url} as {role}: {got}, expected {want}")
    assert mismatches == []


def _build(app, rule, values) -> str:
    with app.test_request_context():
        from flask import url_for

        args = {name: values[name] for name in rule.arguments}
        return url_for(rule.endpoint, **args)
