"""Every redirect desk answers stays on this site, whatever the request says about where it
came from (`next` fields are covered by desk.core.input.local_path and tests/auth).

"Draft an article from this ticket" sent its refusal back to the Referer header: a POST
carrying another site's address there (a form relayed through a page that keeps its token,
a browser extension) was redirected off the site. It goes back to the ticket page now.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.security.access_world import build_access_world


def test_a_refused_draft_goes_back_to_the_ticket_never_to_the_referer(app_ctx, login):
    world = build_access_world()
    tech = login(world.users["tech_queue"])
    reference = world.ticket.reference  # still open: no article can be drafted from it
    tech.get(f"/tickets/{reference}")
    response = tech.post(
        f"/aide/gestion/depuis-ticket/{reference}",
        data={"csrf_token": tech.last_csrf},
        headers={"Referer": "https://evil.example/phish"},
    )
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc) in {("", ""), ("http", "localhost")}
    assert target.path == f"/tickets/{reference}"
    page = tech.get(target.path)
    assert page.status_code == 200
    assert 'class="flash flash-error"' in page.text
