"""The monthly brief in a real browser, with the seed data (October 2023, the article's
month): its sparklines are drawn, and printed it drops the site's navigation and keeps the
core triangle on the first page. Saves screenshots/brief.png, which the README shows."""

import pytest
from django.core.management import call_command

from tests.browser.support import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An A4 page at 96 dots per inch inside the stylesheet's 12 mm margins (@page).
A4_PRINTABLE_PX = {"width": 703, "height": 1032}


@pytest.fixture
def seeded(transactional_db):
    call_command("load_seeds", with_samples=True, verbosity=0)


def test_the_brief_draws_its_sparklines_and_prints_the_triangle_on_one_page(page, seeded):
    response = page.goto("/brief/2023-10/")
    assert response.status == 200

    triangle = page.locator(".brief-triangle .brief-pair")
    assert triangle.count() == 3
    sparklines = page.locator(".brief-triangle svg.sparkline")
    assert sparklines.count() == 3
    for index in range(3):
        box = sparklines.nth(index).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20
    # A bar per month of the year, the month itself drawn in a colour (it had events).
    assert page.locator(".brief-triangle svg.sparkline rect").count() == 3 * 12
    last_bar = sparklines.first.locator("rect").last
    assert last_bar.get_attribute("fill") in ("#b2182b", "#2166ac")
    assert page.locator(".site-header").is_visible()
    screenshot(page, "brief")

    page.set_viewport_size(A4_PRINTABLE_PX)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
    assert not page.locator(".brief-months").is_visible()
    assert sparklines.first.is_visible()
    box = page.locator(".brief-triangle").bounding_box()
    assert box["y"] + box["height"] <= A4_PRINTABLE_PX["height"]
