"""The timeline's filters as a person uses them, in a real browser under the strict
Content-Security-Policy (any script error or blocked resource fails the test): an actor found
by typing part of a name in the picker, a filter dropped from the line above the results, and
the filters folded away on a phone without the page overflowing."""

import re

import pytest

from tests.browser.support import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def listed(page) -> list[str]:
    return page.locator("#event-list > li .item-title").all_inner_texts()


def overflow(page) -> dict:
    return page.evaluate(
        "({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )


def choose_in_picker(page, field: str, typed: str, option: str) -> None:
    """Type part of a name into a picker and choose the option offered."""
    page.locator(f".field-{field} .select2-search__field").click()
    page.keyboard.type(typed)
    offered = page.locator(".select2-results__option", has_text=option)
    offered.wait_for()
    assert page.locator(".select2-results__option").count() == 1, "the search did not narrow"
    offered.click()


def test_an_actor_found_by_typing_part_of_its_name_narrows_the_list(page, world):
    page.goto("/timeline/")
    assert len(listed(page)) == 5
    # The plain multi-select is kept (for the form) but hidden behind the picker.
    assert page.locator(".field-actor .select2-container").is_visible()
    assert "select2-hidden-accessible" in page.locator("select[name=actor]").get_attribute("class")

    choose_in_picker(page, "actor", "kra", "Ukraine")
    chips = page.locator(".field-actor .select2-selection__choice")
    assert chips.count() == 1 and "Ukraine" in chips.first.inner_text()
    choose_in_picker(page, "kind", "stat", "Statement")
    page.click("#timeline-filters button[type=submit]")

    page.wait_for_url(re.compile(r"actor=ukraine"))
    assert "kind=statement" in page.url
    assert listed(page) == [world.denial.title]
    line = page.locator("#active-filters").inner_text()
    assert "Actors:" in line and "Ukraine" in line and "Statement" in line
    # The picker shows what the URL holds, ready for the next change.
    assert "Ukraine" in page.locator(".field-actor .select2-selection__choice").inner_text()
    screenshot(page, "timeline_filters")


def test_the_label_opens_the_picker_and_names_its_search_box(page, world):
    page.goto("/timeline/")
    search = page.locator(".field-actor .select2-search__field")
    assert search.get_attribute("aria-label") == "Actors"
    page.click("label[for=id_actor]")
    assert page.locator(".select2-results__option", has_text="Sergei Lavrov").is_visible()
    page.keyboard.type("lavr")
    page.keyboard.press("Enter")
    assert "Sergei Lavrov" in page.locator(".field-actor .select2-selection__choice").inner_text()


def test_a_filter_dropped_from_the_line_above_the_results(page, world):
    page.goto("/timeline/?actor=ukraine&kind=statement&since=2023-10-01")
    assert listed(page) == [world.denial.title]
    assert "1 October 2023" in page.locator("#active-filters").inner_text()

    page.click("#active-filters a[aria-label='Remove Kind: Statement']")

    page.wait_for_url(re.compile(r"/timeline/\?actor=ukraine&since=2023-10-01$"))
    assert sorted(listed(page)) == sorted([world.allegation.title, world.denial.title])
    assert "Statement" not in page.locator("#active-filters").inner_text()
    assert page.locator(".field-kind .select2-selection__choice").count() == 0
    assert page.locator("input[name=since]").input_value() == "2023-10-01"


def test_on_a_phone_the_filters_are_folded_and_nothing_overflows(page, world):
    page.set_viewport_size(PHONE)
    page.goto("/timeline/?actor=russia&actor=hamas&match=all&q=Moscow")

    fold = page.locator("details[data-fold]")
    assert fold.get_attribute("open") is None
    assert not page.locator("#timeline-filters").is_visible()
    # What is filtered stays in view above the results, and the count beside "Filters".
    assert page.locator("#active-filters").is_visible()
    assert "3 active" in fold.locator("summary").inner_text()
    sizes = overflow(page)
    assert sizes["scroll"] <= sizes["client"], sizes

    fold.locator("summary").click()
    assert page.locator("#timeline-filters").is_visible()
    assert page.locator(".field-actor .select2-container").is_visible()
    sizes = overflow(page)
    assert sizes["scroll"] <= sizes["client"], sizes


def test_on_a_phone_filters_that_need_correcting_stay_open(page, world):
    page.set_viewport_size(PHONE)
    response = page.goto("/timeline/?since=2023-13-45")
    assert response.status == 400
    page.problems.remove(
        "console error: Failed to load resource: the server responded with a status of 400 "
        "(Bad Request)"
    )
    assert page.locator("details[data-fold]").get_attribute("open") is not None
    since = page.locator("input[name=since]")
    assert since.is_visible() and since.input_value() == "2023-13-45"
    sizes = overflow(page)
    assert sizes["scroll"] <= sizes["client"], sizes


def test_on_a_wide_screen_the_filters_stay_open(page, world):
    page.goto("/articles/?actor=russia")
    assert page.locator("details[data-fold]").get_attribute("open") is not None
    assert page.locator(".field-actor .select2-selection__choice").inner_text().endswith("Russia")
