"""In a real browser: the place lists refill in place, and the saved choice survives a reload."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.auth.models import User
from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from tests.support.factories import make_request_type, make_user
from tests.support.live_server import log_in, new_page


@pytest.fixture
def campus(app_ctx):
    """Two sites with buildings and floors, named as users see them."""
    triolet = Site(code="triolet", name="Campus Triolet")
    richter = Site(code="richter", name="Campus Richter")
    b16 = Building(site=triolet, code="b16", name="Bâtiment 16")
    b36 = Building(site=triolet, code="b36", name="Bâtiment 36")
    a = Building(site=richter, code="a", name="Bâtiment A")
    floors = [
        Floor(building=b16, code="0", name="Rez-de-chaussée", position=0),
        Floor(building=b16, code="2", name="2e étage", position=2),
        Floor(building=b36, code="0", name="RDC B36", position=0),
        Floor(building=a, code="-1", name="Sous-sol A", position=-1),
    ]
    db.session.add_all([triolet, richter, b16, b36, a, *floors])
    db.session.commit()
    return triolet, b16, floors[1]


def _preferences_page(chromium, live_server, user, *, javascript: bool = True):
    """A browser signed in as `user` (password demo-password), on their preferences page."""
    page = new_page(chromium, javascript=javascript)
    log_in(page, live_server, user.email, "demo-password")
    page.goto(f"{live_server}/preferences")
    return page


@pytest.mark.browser
def test_choose_site_building_floor_press_ok_and_reload(live_server, chromium, campus):
    from playwright.sync_api import expect

    triolet, b16, second_floor = campus
    user = make_user("claire.martin@umontpellier.fr", password="demo-password")
    page = new_page(chromium)
    log_in(page, live_server, user.email, "demo-password")

    page.click("summary")  # the user menu, top right
    page.click("text=Préférences utilisateur")
    expect(page).to_have_url(f"{live_server}/preferences")
    # JavaScript runs: the server round-trip button is hidden.
    expect(page.locator("button[name=refresh], input[name=refresh]")).to_be_hidden()

    page.select_option("#site", label="Campus Triolet")
    buildings = page.locator("#building option")
    expect(buildings).to_have_text(["— Choisissez un bâtiment —", "Bâtiment 16", "Bâtiment 36"])
    page.select_option("#building", label="Bâtiment 16")
    expect(page.locator("#floor option")).to_have_text(
        ["— Choisissez un étage —", "Rez-de-chaussée", "2e étage"]
    )
    page.select_option("#floor", label="2e étage")

    # Changing the site empties the lists below, then refills the buildings of the new site.
    page.select_option("#site", label="Campus Richter")
    expect(buildings).to_have_text(["— Choisissez un bâtiment —", "Bâtiment A"])
    expect(page.locator("#floor option")).to_have_count(1)
    page.select_option("#site", label="Campus Triolet")
    expect(buildings).to_have_count(3)
    page.select_option("#building", label="Bâtiment 16")
    expect(page.locator("#floor option")).to_have_count(3)
    page.select_option("#floor", label="2e étage")

    page.click("#save-top")
    expect(page.locator(".flash-success")).to_contain_text("Vos préférences sont enregistrées.")
    page.reload()
    expect(page.locator("#site")).to_have_value(str(triolet.id))
    expect(page.locator("#building")).to_have_value(str(b16.id))
    expect(page.locator("#floor")).to_have_value(str(second_floor.id))

    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.site_id, saved.building_id, saved.floor_id) == (
        triolet.id,
        b16.id,
        second_floor.id,
    )

    # The catalogue's network-problem form starts from the saved location.
    network = make_request_type(slug="network-problem", form_key="network_problem")
    page.goto(f"{live_server}/catalogue/{network.slug}")
    expect(page.locator("#site")).to_have_value(str(triolet.id))
    expect(page.locator("#building")).to_have_value(str(b16.id))
    expect(page.locator("#floor")).to_have_value(str(second_floor.id))


@pytest.mark.browser
def test_without_javascript_the_server_refills_the_lists(live_server, chromium, campus):
    from playwright.sync_api import expect

    _triolet, b16, second_floor = campus
    user = make_user("leo.petit@umontpellier.fr", password="demo-password")
    page = _preferences_page(chromium, live_server, user, javascript=False)

    refresh = page.locator("[name=refresh]")
    expect(refresh).to_be_visible()
    page.select_option("#site", label="Campus Triolet")
    refresh.click()
    expect(page.locator("#building option")).to_have_count(3)
    page.select_option("#building", label="Bâtiment 16")
    refresh.click()
    page.select_option("#floor", label="2e étage")
    page.click("#save-bottom")
    expect(page.locator(".flash-success")).to_be_visible()
    page.reload()
    expect(page.locator("#floor")).to_have_value(str(second_floor.id))
    db.session.expire_all()
    assert db.session.get(User, user.id).building_id == b16.id


@pytest.mark.browser
def test_a_deactivated_site_chosen_again_offers_back_the_users_own_places(
    live_server, chromium, campus
):
    """Someone whose site was closed after they chose it, who picks another site and then
    theirs again, finds their building and floor in the lists (and only those)."""
    from playwright.sync_api import expect

    richter = db.session.scalar(select(Site).where(Site.code == "richter"))
    a = richter.buildings[0]
    basement = a.floors[0]
    closed = Building(site=richter, code="b", name="Bâtiment B", is_active=False)
    db.session.add(closed)
    user = make_user("ines.roux@umontpellier.fr", password="demo-password")
    user.site_id, user.building_id, user.floor_id = richter.id, a.id, basement.id
    richter.is_active = False
    db.session.commit()
    page = _preferences_page(chromium, live_server, user)
    expect(page.locator("#site")).to_have_value(str(richter.id))

    page.select_option("#site", label="Campus Triolet")
    expect(page.locator("#building option")).to_have_count(3)
    page.select_option("#site", label="Campus Richter (désactivé)")
    expect(page.locator("#building option")).to_have_text(
        ["— Choisissez un bâtiment —", "Bâtiment A"]
    )
    page.select_option("#building", label="Bâtiment A")
    expect(page.locator("#floor option")).to_have_text(["— Choisissez un étage —", "Sous-sol A"])
    page.select_option("#floor", label="Sous-sol A")
    page.click("#save-top")
    expect(page.locator(".flash-success")).to_be_visible()
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.site_id, saved.building_id, saved.floor_id) == (richter.id, a.id, basement.id)


@pytest.mark.browser
def test_a_superseded_answer_does_not_end_the_wait(live_server, chromium, campus):
    # Site changed twice quickly: the first site's answer, arriving first, must leave the
    # building list busy while the second site's is still on its way.
    from playwright.sync_api import expect

    user = make_user("claire.martin@umontpellier.fr", password="demo-password")
    page = _preferences_page(chromium, live_server, user)
    held = []
    page.route("**/api/**", lambda route: held.append(route))
    page.select_option("#site", label="Campus Triolet")
    page.select_option("#site", label="Campus Richter")
    page.wait_for_function("() => document.querySelector('#building').ariaBusy === 'true'")
    for _ in range(50):
        if len(held) == 2:
            break
        page.wait_for_timeout(100)
    assert len(held) == 2, [r.request.url for r in held]
    first, second = held
    first.continue_()
    page.wait_for_timeout(300)
    expect(page.locator("#building")).to_have_attribute("aria-busy", "true")
    second.continue_()
    expect(page.locator("#building")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#building option")).to_have_text(
        ["— Choisissez un bâtiment —", "Bâtiment A"]
    )
    # Back to no site: nothing is awaited any more.
    page.select_option("#site", index=0)
    expect(page.locator("#building")).not_to_have_attribute("aria-busy", "true")


@pytest.mark.browser
def test_a_list_that_cannot_be_filled_is_announced(live_server, chromium, campus):
    # The buildings' request fails (the network, the server): the button that asks the
    # server came back, but silently; a screen-reader user waited for a list that stayed
    # empty. A status line now says so, and is emptied once a list fills again.
    from playwright.sync_api import expect

    user = make_user("claire.martin@umontpellier.fr", password="demo-password")
    page = _preferences_page(chromium, live_server, user)
    status = page.locator("[data-places-status]")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text("")
    page.route("**/api/**", lambda route: route.abort())
    page.select_option("#site", label="Campus Triolet")
    failed = status.get_attribute("data-failed")
    assert failed
    expect(status).to_have_text(failed)
    expect(page.locator("button[name=refresh]")).to_be_visible()
    # Back to no site: nothing is asked any more, so nothing has failed.
    page.select_option("#site", index=0)
    expect(status).to_have_text("")
    page.select_option("#site", label="Campus Triolet")
    expect(status).to_have_text(failed)
    page.unroute("**/api/**")
    page.select_option("#site", label="Campus Richter")
    expect(page.locator("#building option")).to_have_text(
        ["— Choisissez un bâtiment —", "Bâtiment A"]
    )
    expect(status).to_have_text("")
