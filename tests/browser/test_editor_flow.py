"""An editor's path from the inbox to a published event, in a real browser, counting clicks:
open the admin inbox, click the row's one-click "Create <kind>", check the prefilled form
(speaker, participants, an interaction scored by the guessed category, the source without
its wire dateline), click "Save and publish". Saves screenshots/event_form.png."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.models import Article
from relations.models import Event, Statement
from tests import factories
from tests.browser.support import screenshot
from tests.browser.test_inbox import editor, log_in  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The inbox row's one-click create link (ingest.admin.ArticleAdmin.triage).
CREATE_EVENT_LINK = "#result_list tbody tr .inbox-actions a:has-text('Create')"
MAX_CLICKS = 4


@pytest.fixture
def article(transactional_db):
    russia = factories.ActorFactory(name="Russia", slug="russia")
    israel = factories.ActorFactory(name="Israel", slug="israel")
    feed = factories.FeedFactory(title="Al-Monitor", language="en")
    article = factories.ArticleFactory(
        feed=feed,
        title="Russia condemns Israeli strikes on Syria, calls them a violation of sovereignty",
        summary=(
            "By Olivia Le Poidevin MOSCOW, Feb 17 (Reuters) - Russia's foreign ministry on "
            "Tuesday condemned Israeli air strikes near Damascus. It called on Israel to stop."
        ),
        url="https://www.al-monitor.com/originals/2026/02/russia-condemns-strikes",
        candidate_kind="statement",
        relevance=0.9,
        published_at=dt.datetime(2026, 2, 17, 12, 0, tzinfo=dt.UTC),
    )
    factories.MentionFactory(article=article, actor=russia, count=3)
    factories.MentionFactory(article=article, actor=israel, count=2)
    return article


def test_an_article_becomes_a_published_event_in_four_clicks(page, editor, article):  # noqa: F811
    clicks = 0
    page.goto("/admin/login/")
    log_in(page, editor)

    page.goto("/admin/ingest/article/")  # the editor opens the inbox
    clicks += 1
    page.locator(CREATE_EVENT_LINK).first.click()
    clicks += 1
    page.wait_for_url("**/admin/relations/statement/add/?from_article=*")

    # The prefill an editor checks before publishing.
    assert page.input_value("#id_title") == article.title
    assert page.input_value("#id_category") == "ACCUSE"
    assert page.input_value("#id_summary").startswith("Russia's foreign ministry on Tuesday")
    assert page.input_value("#id_interactions-0-score") == "-2.0"
    assert page.input_value("#id_sources-0-quote").startswith("Russia's foreign ministry")
    assert "Russia" in page.locator("#id_speaker option:checked").inner_text()
    screenshot(page, "event_form")

    page.locator("input[name=_publish]").first.click()
    clicks += 1
    page.wait_for_url("**/admin/ingest/article/**")  # no new article left: back to the inbox

    assert clicks <= MAX_CLICKS
    statement = Statement.objects.get()
    assert statement.status == Event.Status.PUBLISHED
    assert sorted(p.actor.slug for p in statement.participants.all()) == ["israel", "russia"]
    [interaction] = statement.interactions.all()
    assert (interaction.source.slug, interaction.target.slug, interaction.score) == (
        "russia",
        "israel",
        -2.0,
    )
    assert statement.sources.get().url == article.url
    article.refresh_from_db()
    assert article.review_status == Article.ReviewStatus.LINKED
    assert "Published" in page.locator("ul.messagelist").inner_text()
    print(f"\ninbox to a published event: {clicks} clicks")


def test_prefilled_scores_follow_the_category_and_typed_ones_stay(page, editor, article):  # noqa: F811
    page.goto("/admin/login/")
    log_in(page, editor)
    page.goto(f"/admin/relations/statement/add/?from_article={article.pk}")
    assert page.input_value("#id_interactions-0-score") == "-2.0"

    page.select_option("#id_category", "SUPPORT")
    assert page.input_value("#id_interactions-0-score") == "3.4"

    page.fill("#id_interactions-0-score", "5")
    page.select_option("#id_category", "REJECT")
    assert page.input_value("#id_interactions-0-score") == "5"
