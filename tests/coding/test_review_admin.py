"""The review in the admin: the story list and its accept/reject actions (the same functions as
/suggestions/), the suggestions inline and list read-only, and the story's history read but
never reverted (a revert to "pending" would allow a second event)."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.test import Client

from coding import review
from coding.models import ReviewStatus, Story
from relations.models import Event
from tests import factories
from tests.coding.review_support import make_story

pytestmark = pytest.mark.django_db

STORIES = "/admin/coding/story/"


@pytest.fixture
def admin_client_(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def act(client: Client, action: str, *stories: Story):
    return client.post(
        STORIES,
        {"action": action, ACTION_CHECKBOX_NAME: [s.pk for s in stories]},
        follow=True,
    )


def test_the_list_shows_pair_status_outlets_and_confidence(admin_client_, russia, hamas):
    make_story(russia, hamas)

    response = admin_client_.get(STORIES)

    assert response.status_code == 200
    text = response.text
    assert "Russia → Hamas" in text
    assert "0.90" in text
    for name in ("accept_as_draft", "accept_and_publish", "reject"):
        assert f'value="{name}"' in text


@pytest.mark.parametrize(
    "query", ["status__exact=pending", "kind__exact=meeting", "category__exact=CONSULT"]
)
def test_the_list_filters(admin_client_, russia, hamas, israel, query):
    shown = make_story(russia, hamas)
    hidden = make_story(russia, israel, category="PROTEST", kind="statement")
    review.reject(hidden, None)

    text = admin_client_.get(f"{STORIES}?{query}").text

    assert f"/admin/coding/story/{shown.pk}/change/" in text
    assert f"/admin/coding/story/{hidden.pk}/change/" not in text


def test_accept_and_publish_from_the_admin(admin_client_, russia, hamas, israel):
    meeting = make_story(russia, hamas)
    statement = make_story(russia, israel, category="PROTEST", kind="statement")

    response = act(admin_client_, "accept_and_publish", meeting, statement)

    assert "Accepted 2 story(ies) as published event(s)" in response.text
    assert set(Event.objects.values_list("kind", "status")) == {
        ("meeting", "published"),
        ("statement", "published"),
    }
    assert set(Story.objects.values_list("status", flat=True)) == {ReviewStatus.ACCEPTED}


def test_accept_as_draft_skips_a_reviewed_story_and_says_so(
    admin_client_, admin_user, russia, hamas
):
    done = make_story(russia, hamas)
    review.reject(done, admin_user)
    pending = make_story(hamas, russia)

    response = act(admin_client_, "accept_as_draft", done, pending)

    assert Event.objects.get().status == Event.Status.DRAFT
    assert f"Not accepted: story #{done.pk}: This story was already rejected" in response.text
    assert Story.objects.get(pk=done.pk).status == ReviewStatus.REJECTED


def test_reject_from_the_admin(admin_client_, russia, hamas):
    story = make_story(russia, hamas)

    response = act(admin_client_, "reject", story)

    assert "Rejected 1 story(ies)" in response.text
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.REJECTED


def test_the_change_page_is_read_only_with_the_evidence_marked(admin_client_, russia, hamas):
    story = make_story(russia, hamas)

    text = admin_client_.get(f"{STORIES}{story.pk}/change/").text

    assert 'name="status"' not in text and 'name="confidence"' not in text
    assert '<mark class="hl hl-cue" title="the cue">met</mark>' in text
    assert f"from_story={story.pk}" in text  # the edit link


def test_no_story_is_added_by_hand(admin_client_):
    assert admin_client_.get(f"{STORIES}add/").status_code == 403


def test_the_history_is_shown_but_never_reverted(admin_client_, admin_user, russia, hamas):
    story = make_story(russia, hamas)
    review.reject(story, admin_user, "wrong pair")
    first = story.history.order_by("history_id").first()
    url = f"{STORIES}{story.pk}/history/{first.history_id}/"

    assert "wrong pair" in admin_client_.get(f"{STORIES}{story.pk}/history/").text
    assert admin_client_.get(url).status_code == 200
    assert admin_client_.post(url, {"status": "pending"}).status_code == 403
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.REJECTED


def test_suggestions_are_read_only(admin_client_, russia, hamas):
    story = make_story(russia, hamas)
    suggestion = story.suggestions.first()

    listed = admin_client_.get("/admin/coding/suggestion/")
    page = admin_client_.get(f"/admin/coding/suggestion/{suggestion.pk}/change/")

    assert listed.status_code == page.status_code == 200
    assert "Russia met Hamas" in listed.text
    assert 'name="quote"' not in page.text
    assert admin_client_.get("/admin/coding/suggestion/add/").status_code == 403


def test_the_actions_are_offered_only_to_reviewers(analyst, russia, hamas):
    """An analyst who may read stories (view permission) gets no review action."""
    analyst.user_permissions.add(
        Permission.objects.get(codename="view_story", content_type__app_label="coding")
    )
    story = make_story(russia, hamas)
    client = Client()
    client.force_login(analyst)

    text = client.get(STORIES).text
    response = act(client, "accept_and_publish", story)

    assert 'value="accept_and_publish"' not in text
    assert not Event.objects.exists()
    assert response.status_code == 200
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING


def test_a_draft_event_is_not_named_to_a_reader_in_the_admin(
    analyst, editor, admin_client_, russia, hamas
):
    analyst.user_permissions.add(
        Permission.objects.get(codename="view_story", content_type__app_label="coding")
    )
    story = make_story(russia, hamas)
    event = review.accept(story, editor)
    client = Client()
    client.force_login(analyst)

    # Its title is the article's headline, which the reader may read (the suggestions): the
    # link to the draft is what must not be there.
    draft_link = f"/admin/relations/meeting/{event.pk}/change/"
    assert draft_link not in client.get(STORIES).text
    assert draft_link not in client.get(f"{STORIES}{story.pk}/change/").text
    assert draft_link in admin_client_.get(f"{STORIES}{story.pk}/change/").text


def test_merged_into_an_event_links_it(admin_client_, admin_user, russia, hamas):
    meeting = factories.MeetingFactory(title="Talks in Moscow")
    story = make_story(russia, hamas)
    review.merge(story, meeting, admin_user)

    text = admin_client_.get(STORIES).text

    assert f'/admin/relations/meeting/{meeting.pk}/change/">Talks in Moscow</a>' in text
