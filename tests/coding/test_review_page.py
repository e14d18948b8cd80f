"""/suggestions/: the editors' review queue. Who sees what and who may press the buttons, what
each button does, the ranking and filters, bad input, and escaping of what feeds and the coder
wrote (hostile quotes, titles, explanations)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coding import review, views
from coding.forms import StoryFilter
from coding.models import ReviewStatus, Story
from ingest.models import Article
from relations.models import Event, Meeting, Statement
from tests import factories
from tests.coding.review_support import NOON, make_story

pytestmark = pytest.mark.django_db

QUEUE = "/suggestions/"


@pytest.fixture
def story(russia, hamas) -> Story:
    return make_story(russia, hamas)


@pytest.fixture
def clients(client, analyst, editor, admin_user) -> dict[str, Client]:
    clients = {"anonymous": client}
    for role, user in (("analyst", analyst), ("editor", editor), ("admin", admin_user)):
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


def action_url(name: str, story: Story) -> str:
    return reverse(f"coding:{name}", args=[story.pk])


def story_items(response) -> list[str]:
    return re.findall(r'<li class="story story-(\w+)" id="story-(\d+)"', response.text)


# --- who sees what ----------------------------------------------------------------------------


def test_the_url_is_named(story):
    assert reverse("coding:suggestions") == QUEUE


@pytest.mark.parametrize("role", ["anonymous", "analyst", "editor", "admin"])
def test_everyone_reads_the_queue_as_they_read_the_articles(clients, story, role):
    response = clients[role].get(QUEUE)

    assert response.status_code == 200
    assert clients[role].get("/articles/").status_code == 200
    assert "Russia met Hamas in Moscow." in response.text
    reviews = role in ("editor", "admin")
    assert ("Accept and publish" in response.text) is reviews
    assert (action_url("accept", story) in response.text) is reviews


@pytest.mark.parametrize("role", ["anonymous", "analyst"])
def test_a_login_requirement_sends_readers_who_are_not_logged_in_away(
    clients, story, settings, role
):
    settings.DASHBOARD_LOGIN_REQUIRED = True

    response = clients[role].get(QUEUE)

    assert response.status_code == (302 if role == "anonymous" else 200)


@pytest.mark.parametrize("name", ["accept", "reject", "merge"])
def test_the_buttons_refuse_whoever_may_not_review(clients, story, name):
    anonymous = clients["anonymous"].post(action_url(name, story), {"event": 1})
    analyst = clients["analyst"].post(action_url(name, story), {"event": 1})

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert analyst.status_code == 403
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING
    assert not Event.objects.exists()


@pytest.mark.parametrize("name", ["accept", "reject", "merge"])
def test_a_button_url_followed_as_a_link_changes_nothing(clients, story, name):
    assert clients["editor"].get(action_url(name, story)).status_code == 405
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_accept(clients, story, role):
    response = clients[role].post(action_url("accept", story), {"publish": "1"}, follow=True)

    event = Event.objects.get()
    assert event.status == Event.Status.PUBLISHED
    assert response.redirect_chain[-1][0] == QUEUE
    assert f'Accepted: <a href="/events/{event.pk}/">' in response.text
    assert "(published)" in response.text


def test_a_post_without_the_csrf_token_is_refused(editor, story):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    assert client.post(action_url("accept", story)).status_code == 403
    assert not Event.objects.exists()


# --- the buttons ------------------------------------------------------------------------------


def test_accept_as_draft_makes_a_draft(editor_client, story):
    editor_client.post(action_url("accept", story), {"publish": "0"})

    assert Meeting.objects.get().status == Event.Status.DRAFT
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.ACCEPTED


def test_a_double_click_makes_one_event_and_says_so(editor_client, story):
    editor_client.post(action_url("accept", story), {"publish": "1"})
    response = editor_client.post(action_url("accept", story), {"publish": "1"}, follow=True)

    assert Event.objects.count() == 1
    assert "This story was already accepted by edna" in response.text


def test_reject_keeps_the_optional_reason(editor_client, story):
    response = editor_client.post(
        action_url("reject", story), {"reason": "Sport: a club named after a city."}, follow=True
    )

    story.refresh_from_db()
    assert (story.status, story.reason) == (
        ReviewStatus.REJECTED,
        "Sport: a club named after a city.",
    )
    assert "Rejected the story" in response.text
    assert "“Sport: a club named after a city.”" in response.text


def test_a_reason_too_long_is_refused_with_a_message(editor_client, story):
    response = editor_client.post(action_url("reject", story), {"reason": "x" * 1001}, follow=True)

    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING
    assert "at most 1000 characters" in response.text


def test_merge_cites_the_articles_on_the_chosen_event(editor_client, story):
    meeting = factories.MeetingFactory(title="Hamas delegation in Moscow")

    response = editor_client.post(action_url("merge", story), {"event": meeting.pk}, follow=True)

    assert meeting.sources.count() == 2
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.MERGED
    assert "Merged into <a" in response.text
    assert "2 source(s) added" in response.text


@pytest.mark.parametrize("event", ["999999", "abc", ""], ids=["unknown", "not-a-number", "empty"])
def test_merge_into_no_event_is_refused_with_a_message(editor_client, story, event):
    response = editor_client.post(action_url("merge", story), {"event": event}, follow=True)

    assert response.status_code == 200
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING
    assert re.search(
        r"There is no event with this id|This field is required|whole number", response.text
    )


def test_the_merge_picker_offers_the_pairs_events_near_the_story(
    editor_client, story, russia, hamas
):
    near = factories.MeetingFactory(title="Talks in Moscow", date=NOON.date())
    factories.InteractionFactory(event=near, source=hamas, target=russia)
    far = factories.MeetingFactory(title="Talks a year before", date=dt.date(2025, 2, 1))
    factories.InteractionFactory(event=far, source=russia, target=hamas)
    other_pair = factories.MeetingFactory(title="Another pair's talks", date=NOON.date())
    factories.InteractionFactory(event=other_pair, source=russia, target=factories.ActorFactory())

    text = editor_client.get(QUEUE).text

    assert f'<option value="{near.pk}">Talks in Moscow' in text
    assert "Talks a year before" not in text
    assert "Another pair&#x27;s talks" not in text and "Another pair's talks" not in text


def test_next_brings_the_editor_back_to_the_filtered_page(editor_client, story):
    response = editor_client.post(
        action_url("reject", story), {"next": "/suggestions/?category=CONSULT"}
    )

    assert response["Location"] == "/suggestions/?category=CONSULT"


def test_next_never_leaves_the_site(editor_client, story):
    response = editor_client.post(action_url("reject", story), {"next": "https://evil.example/"})

    assert response["Location"] == QUEUE


def test_an_unknown_story_is_a_404(editor_client):
    assert editor_client.post("/suggestions/999999/accept/").status_code == 404


def test_the_edit_link_opens_the_prefilled_form_and_saving_it_accepts_the_story(
    editor_client, russia, israel
):
    story = make_story(russia, israel, category="PROTEST", kind="statement", cue="condemned")
    text = editor_client.get(QUEUE).text
    url = f"/admin/relations/statement/add/?from_story={story.pk}"
    assert url.replace("&", "&amp;") in text

    form = editor_client.get(url)
    assert form.status_code == 200
    assert 'value="Russia condemned Israel in Moscow."' in form.text  # the title
    assert f"Prefilled from machine-coded story #{story.pk}" in form.text
    first = Article.objects.filter(suggestions__story=story).order_by("published_at").first()

    saved = editor_client.post(
        url,
        {
            "title": "Russia condemns Israel",
            "summary": "",
            "date": "2026-02-17",
            "date_precision": "day",
            "category": "PROTEST",
            "status": "draft",
            "speaker": russia.pk,
            "channel": "official_statement",
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
            "interactions-TOTAL_FORMS": "0",
            "interactions-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "1",
            "sources-INITIAL_FORMS": "0",
            "sources-0-url": first.url,
            "sources-0-outlet": "Reuters",
            "sources-0-quote": "Russia condemned Israel in Moscow.",
            "sources-0-language": "en",
            "articles-TOTAL_FORMS": "0",
            "articles-INITIAL_FORMS": "0",
        },
    )

    assert saved.status_code == 302, saved.context and saved.context["errors"]
    statement = Statement.objects.get()
    story.refresh_from_db()
    assert (story.status, story.event_id) == (ReviewStatus.ACCEPTED, statement.pk)
    # The article the form left out is cited too, with its evidence sentence.
    assert sorted(statement.sources.values_list("outlet", flat=True)) == ["Reuters", "TASS"]
    assert set(Article.objects.values_list("event", flat=True)) == {statement.pk}


def test_analysts_get_no_prefill_from_a_story(analyst_client, story):
    response = analyst_client.get(f"/admin/relations/meeting/add/?from_story={story.pk}")

    assert response.status_code == 403


# --- the list ---------------------------------------------------------------------------------


def test_pending_first_then_the_most_confident(editor, editor_client, russia, hamas, israel):
    # Ranked by confidence alone: a story's confidence already counts its outlets (a noisy-or
    # over them, coding.stories), so one outlet at 0.75 ranks above five at 0.7.
    one_outlet = make_story(russia, hamas, reports=[("Reuters", "en", "Russia met Hamas.", 0.75)])
    five_outlets = make_story(
        russia,
        israel,
        reports=[(f"Outlet {n}", "en", "Russia met Israel.", 0.7) for n in range(5)],
    )
    weak = make_story(israel, hamas, reports=[("Reuters", "en", "Israel met Hamas.", 0.3)])
    done = make_story(hamas, israel, reports=[("Reuters", "en", "Hamas met Israel.", 0.99)])
    review.reject(done, editor)

    order = [int(pk) for _, pk in story_items(editor_client.get(QUEUE))]

    assert order == [one_outlet.pk, five_outlets.pk, weak.pk, done.pk]


def test_more_outlets_do_not_lift_a_less_confident_story(editor_client, russia, hamas, israel):
    many = make_story(
        russia,
        israel,
        reports=[(f"Outlet {n}", "en", "Russia met Israel.", 0.6) for n in range(20)],
    )
    sure = make_story(russia, hamas, reports=[("Reuters", "en", "Russia met Hamas.", 0.61)])

    order = [int(pk) for _, pk in story_items(editor_client.get(QUEUE))]

    assert (many.outlet_count, sure.outlet_count) == (20, 1)
    assert order == [sure.pk, many.pk]


def test_equally_confident_stories_come_newest_first(editor_client, russia, hamas):
    report = [("Reuters", "en", "Russia met Hamas.", 0.5)]
    older = make_story(russia, hamas, reports=report, first_seen=NOON - dt.timedelta(days=3))
    newer = make_story(russia, hamas, reports=report)
    oldest = make_story(russia, hamas, reports=report, first_seen=NOON - dt.timedelta(days=9))

    order = [int(pk) for _, pk in story_items(editor_client.get(QUEUE))]

    assert order == [newer.pk, older.pk, oldest.pk]


def test_reviewed_stories_follow_status_by_status_and_pages_run_across(
    editor, editor_client, russia, hamas, israel
):
    def story(confidence):
        report = ("Reuters", "en", "Russia met Hamas.", confidence)
        return make_story(russia, hamas, reports=[report])

    rejected = [story(0.9), story(0.2)]
    for reviewed in rejected:
        review.reject(reviewed, editor)
    accepted = story(0.1)
    review.accept(accepted, editor, publish=False)
    pending = [story(0.8 - n / 100) for n in range(24)]

    first = [int(pk) for _, pk in story_items(editor_client.get(QUEUE))]
    second = [int(pk) for _, pk in story_items(editor_client.get(f"{QUEUE}?page=2"))]

    # Page 1 ends one story into the accepted ones; page 2 holds the rejected, best first.
    assert first == [s.pk for s in pending] + [accepted.pk]
    assert second == [s.pk for s in rejected]
    assert list(views.QUEUE_STATUSES)[:3] == ["pending", "accepted", "rejected"]


def test_each_story_shows_pair_category_kind_outlets_languages_and_dates(editor_client, story):
    text = editor_client.get(QUEUE).text

    assert '<a href="/actors/russia/">Russia</a> → <a href="/actors/hamas/">Hamas</a>' in text
    assert ">Consult</span>" in text and ">Meeting</span>" in text
    assert "<dd>2 <span" in text  # two outlets
    assert "<dd>en, ru</dd>" in text
    assert "17 Feb 2026 12:00" in text and "17 Feb 2026 14:00" in text
    assert "cue: «met» → CONSULT; source: Russia" in text


def test_the_actors_and_the_cue_are_marked_in_the_evidence(editor_client, story):
    text = editor_client.get(QUEUE).text

    assert (
        '<mark class="hl hl-source" title="who acts">Russia</mark> '
        '<mark class="hl hl-cue" title="the cue">met</mark> '
        '<mark class="hl hl-target" title="to whom">Hamas</mark> in Moscow.'
    ) in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=pending", ["consult"]),
        ("status=rejected", ["protest"]),
        ("actor=israel", ["protest"]),
        ("actor=hamas", ["consult"]),
        ("category=PROTEST", ["protest"]),
        ("kind=meeting", ["consult"]),
        ("", ["consult", "protest"]),
    ],
    ids=["pending", "rejected", "actor-israel", "actor-hamas", "category", "kind", "none"],
)
def test_filters(editor, editor_client, russia, hamas, israel, query, expected):
    stories = {
        "consult": make_story(russia, hamas),
        "protest": make_story(russia, israel, category="PROTEST", kind="statement"),
    }
    review.reject(stories["protest"], editor)

    listed = {int(pk) for _, pk in story_items(editor_client.get(f"{QUEUE}?{query}"))}

    assert listed == {stories[name].pk for name in expected}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=maybe", "Select a valid choice"),
        ("actor=nobody", "Select a valid choice"),
        ("category=HUG", "Select a valid choice"),
        ("page=0", "greater than or equal to 1"),
        ("page=x", "Enter a whole number"),
        ("page=9", "There is no page 9"),
    ],
    ids=["status", "actor", "category", "page-zero", "page-word", "page-past-the-end"],
)
def test_bad_parameters_are_a_400_with_a_message(editor_client, story, query, message):
    response = editor_client.get(f"{QUEUE}?{query}")

    assert response.status_code == 400
    assert message in response.text


def test_pages_of_25(editor_client, russia, hamas):
    for _ in range(26):
        make_story(russia, hamas, reports=[("Reuters", "en", "Russia met Hamas.", 0.5)])

    first, second = editor_client.get(QUEUE), editor_client.get(f"{QUEUE}?page=2")

    assert len(story_items(first)) == 25
    assert len(story_items(second)) == 1
    assert "Page 1 of 2" in first.text


def test_the_page_costs_the_same_queries_for_5_stories_as_for_20(editor_client, russia, hamas):
    make_story(russia, hamas)
    editor_client.get(QUEUE)  # sessions, permissions and content types warmed up
    for _ in range(4):
        make_story(russia, hamas)

    with CaptureQueriesContext(connection) as five:
        editor_client.get(QUEUE)
    for _ in range(15):
        make_story(russia, hamas)
    with CaptureQueriesContext(connection) as twenty:
        editor_client.get(QUEUE)

    assert len(twenty) == len(five)


def test_a_reviewed_story_names_its_event_and_reviewer_to_editors(editor, editor_client, story):
    event = review.accept(story, editor, publish=True)

    text = editor_client.get(QUEUE).text

    assert f'Accepted: <a href="/events/{event.pk}/">' in text
    assert "by edna" in text


def test_readers_are_not_told_of_a_draft_event_or_who_reviewed(editor, client, story):
    event = review.accept(story, editor, publish=False)

    text = client.get(QUEUE).text

    assert "Accepted" in text
    assert f"/events/{event.pk}/" not in text
    assert event.title not in text.split('class="story-outcome"')[1]
    assert "edna" not in text


# --- escaping ---------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def test_hostile_quotes_titles_and_explanations_are_escaped(editor_client, russia, hamas):
    quote = f"Russia met Hamas {HOSTILE}"
    story = make_story(russia, hamas, reports=[("<b>Evil outlet</b>", "en", quote, 0.9)])
    suggestion = story.suggestions.get()
    # A span that cuts into the tag, and one beyond the end, a reversed one and junk.
    suggestion.spans = {
        "source": [0, 6],
        "cue": [quote.index("<script>") + 1, quote.index("<script>") + 7],
        "target": [5, 9999],
        "claimant": "<script>",
    }
    suggestion.explanation = f"cue: {HOSTILE}"
    suggestion.save()
    Article.objects.filter(pk=suggestion.article_id).update(url="javascript:alert(1)")

    text = editor_client.get(QUEUE).text

    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert "<b>Evil outlet</b>" not in text
    assert 'href="javascript:' not in text
    assert '&lt;<mark class="hl hl-cue" title="the cue">script</mark>&gt;alert(' in text
    assert '<mark class="hl hl-source" title="who acts">Russia</mark>' in text
    assert "hl-target" not in text.split('id="story-list"')[1]
    assert "cue: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text


def test_an_actor_with_a_hostile_name_is_escaped(editor_client, russia):
    evil = factories.ActorFactory(name='<img src=x onerror="alert(1)">', slug="evil")
    make_story(russia, evil, reports=[("Reuters", "en", f"Russia met {evil.name}.", 0.9)])

    text = editor_client.get(QUEUE).text

    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</mark>" in text


@pytest.mark.parametrize("status", list(ReviewStatus))
def test_the_queue_is_read_in_the_order_of_its_index(russia, hamas, status):
    """Each status's stretch of the queue is a range of the story_queue index (coding 0006),
    in the order the view asks for, so a page is read from it rather than sorting every
    story."""
    make_story(russia, hamas)
    queue = views._queue(StoryFilter({}, queryset=Story.objects.all()))
    sql, params = queue.of_status(status)[25:50].query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny tables are scanned whatever the indexes: ask what the planner can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan using story_queue on coding_story" in plan, plan
    assert "Sort" not in plan, plan


def test_a_reviewer_who_may_not_see_drafts_cannot_merge_into_one(editor, client, story):
    """Reviewing takes creating events and triaging articles; seeing drafts takes changing
    events. A reviewer without the latter is offered, and may merge into, published events
    only."""
    reviewer = User.objects.create_user("rev", password="reviewer-pass-123", is_staff=True)
    reviewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_event", "change_article"])
    )
    draft = factories.MeetingFactory(title="A draft meeting", date=NOON.date())
    factories.InteractionFactory(event=draft, source=story.source, target=story.target)
    client.force_login(reviewer)

    page = client.get(QUEUE).text
    response = client.post(action_url("merge", story), {"event": draft.pk}, follow=True)

    assert "Accept and publish" in page and "A draft meeting" not in page
    assert "There is no event with this id" in response.text
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING


def test_saving_the_edit_form_after_another_editor_accepted_says_so(editor, editor_client, story):
    url = f"/admin/relations/meeting/add/?from_story={story.pk}"
    editor_client.get(url)
    other = User.objects.create_user("otto", is_staff=True)
    first = review.accept(story, other)

    response = editor_client.post(
        url,
        {
            "title": "Talks",
            "date": "2026-02-17",
            "date_precision": "day",
            "category": "CONSULT",
            "status": "draft",
            "format": "hosted",
            **{
                f"{prefix}-{name}": "0"
                for prefix in ("participants", "interactions", "sources", "articles")
                for name in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        },
        follow=True,
    )

    assert f"Story #{story.pk} was not changed: This story was already accepted by otto" in (
        response.text
    )
    assert Story.objects.get(pk=story.pk).event_id == first.pk


def test_several_actors_categories_and_kinds_may_be_asked_for(editor_client, russia, hamas, israel):
    consult = make_story(russia, hamas)
    protest = make_story(russia, israel, category="PROTEST", kind="statement")
    other = make_story(israel, hamas, category="ASSAULT", kind="action")

    def listed(query):
        return {int(pk) for _, pk in story_items(editor_client.get(f"{QUEUE}?{query}"))}

    assert listed("actor=hamas&actor=israel") == {consult.pk, protest.pk, other.pk}
    assert listed("category=CONSULT&category=PROTEST") == {consult.pk, protest.pk}
    assert listed("kind=action&kind=statement") == {protest.pk, other.pk}
