"""The review queue in a real browser at 1280x900: an editor opens /suggestions/, sees the
story's evidence with the actors and the cue marked, clicks "Accept and publish", and finds the
new event on the timeline. Saves screenshots/suggestions.png."""

from __future__ import annotations

import re

import pytest

from coding.models import ReviewStatus, Story
from relations.models import Event, Meeting
from tests import factories
from tests.browser.support import screenshot
from tests.browser.test_inbox import editor, log_in  # noqa: F401 (a fixture)
from tests.coding.review_support import make_story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(transactional_db) -> Story:
    russia = factories.ActorFactory(name="Russia", slug="russia")
    hamas = factories.ActorFactory(name="Hamas", slug="hamas", kind="armed_group")
    return make_story(
        russia,
        hamas,
        cue="received",
        reports=[
            ("Reuters", "en", "Russia received a Hamas delegation in Moscow on Thursday.", 0.92),
            ("TASS", "ru", "Russia received Hamas envoys, the ministry said.", 0.8),
            ("Al Jazeera", "ar", "Russia received Hamas leaders for talks.", 0.7),
        ],
    )


def test_an_editor_accepts_a_story_and_sees_the_event_on_the_timeline(
    page,
    editor,  # noqa: F811
    story,
):
    page.goto("/suggestions/")
    log_in(page, editor)
    page.goto("/suggestions/")

    item = page.locator(f"#story-{story.pk}")
    assert "Russia → Hamas" in item.locator(".story-pair").inner_text()
    marks = item.locator("blockquote").first.locator("mark")
    assert [marks.nth(i).inner_text() for i in range(marks.count())] == [
        "Russia",
        "received",
        "Hamas",
    ]
    overflow = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert overflow[0] <= overflow[1], f"the page scrolls sideways: {overflow}"
    screenshot(page, "suggestions")

    item.get_by_role("button", name="Accept and publish").click()
    page.wait_for_url(re.compile(r"/suggestions/$"))
    assert "Accepted:" in page.locator(".messages").inner_text()
    assert "(published)" in page.locator(".messages").inner_text()
    assert "Accepted" in page.locator(f"#story-{story.pk} .story-outcome").inner_text()

    meeting = Meeting.objects.get()
    assert meeting.status == Event.Status.PUBLISHED
    assert meeting.sources.count() == 3
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.ACCEPTED

    page.goto("/timeline/")
    assert page.get_by_text(meeting.title).first.is_visible()
