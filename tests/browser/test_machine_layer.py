"""The machine-coded layer in a real browser: on the pair page, ticking the switch sends the
form, the URL keeps machine=1, and the chart gains a hollow-marker series in its legend while
the rows of pending stories carry their badge, under the strict Content-Security-Policy."""

import datetime as dt
import re

import pytest

from tests.browser.support import plots_with_data, screenshot
from tests.dashboard.test_suggestions_api import coded_story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MACHINE_NAME = "machine-coded (unreviewed)"


def trace_names(page, figure_id: str) -> list[str]:
    return page.evaluate(
        f"document.querySelector('[data-figure={figure_id}]').data.map(t => t.name || '')"
    )


def switch_of(page):
    return page.get_by_role("checkbox", name="Include machine-coded, unreviewed")


def test_the_pair_page_switches_the_machine_layer_on_and_keeps_it_in_the_url(page, world):
    story = coded_story(
        world.hamas,
        world.russia,
        category="ACCUSE",
        kind="statement",
        seen=dt.datetime(2023, 11, 14, 8, tzinfo=dt.UTC),
        articles=2,
    )
    page.goto("/relations/russia/hamas/?bucket=month")
    plots_with_data(page, 1)
    assert MACHINE_NAME not in trace_names(page, "pair-figure")
    assert page.locator(".story-item").count() == 0

    switch = switch_of(page)
    assert not switch.is_checked()
    switch.check()  # the form sends itself (data-autosubmit)
    page.wait_for_url(re.compile(r"[?&]machine=1(&|$)"))
    plots_with_data(page, 1)

    assert switch_of(page).is_checked()
    assert "bucket=month" in page.url
    assert MACHINE_NAME in trace_names(page, "pair-figure")
    # Drawn hollow, and named in the chart's legend.
    symbols = page.evaluate(
        "document.querySelector('[data-figure=pair-figure]').data"
        f".find(t => t.name === '{MACHINE_NAME}').marker.symbol"
    )
    assert symbols == ["diamond-open"]
    legend = page.locator(".chart[data-figure=pair-figure] .legend")
    assert MACHINE_NAME in legend.text_content()
    assert page.locator(".chart[data-figure=pair-figure] .scatterlayer .point").count() >= 1
    # The row of the pending story, its badge leading to the evidence.
    row = page.locator(f'.story-item[data-story-id="{story.pk}"]')
    badge = row.locator("a.badge-machine")
    assert badge.text_content().strip() == "machine-coded, unreviewed"
    assert badge.get_attribute("href") == f"/api/stories/{story.pk}/"
    screenshot(page, "pair_machine_layer")

    # A link onward keeps the layer on: the other way round.
    page.get_by_role("link", name="Swap the pair").click()
    page.wait_for_url(re.compile(r"/relations/hamas/russia/\?.*machine=1"))
    assert switch_of(page).is_checked()

    # Unticked, the layer is gone and so is the parameter.
    switch_of(page).uncheck()
    page.wait_for_url(lambda url: "machine=1" not in url)
    plots_with_data(page, 1)
    assert MACHINE_NAME not in trace_names(page, "pair-figure")
