"""The review actions (coding.review) and what each leaves in the database: the event of the
story's kind with its participants, interactions and one source per article quoting its
evidence sentence; the articles linked; the story and its suggestions closed; history kept."""

from __future__ import annotations

import datetime as dt

import pytest

from coding import review
from coding.models import ReviewStatus, Story
from ingest.models import Article
from relations.models import Action, Allegation, Event, Meeting, Source, Statement
from tests import factories
from tests.browser.test_inbox import longest_real_entries
from tests.coding.review_support import NOON, make_story

pytestmark = pytest.mark.django_db


def pairs(event: Event) -> list[tuple[str, str, float]]:
    return sorted(
        (i.source.slug, i.target.slug, i.score)
        for i in event.interactions.select_related("source", "target")
    )


def roles(event: Event) -> list[tuple[str, str]]:
    return sorted((p.actor.slug, p.role) for p in event.participants.select_related("actor"))


def test_accepting_a_meeting_makes_a_draft_meeting_recorded_both_ways(editor, russia, hamas):
    story = make_story(russia, hamas)

    event = review.accept(story, editor)

    assert isinstance(event, Meeting)
    assert event.status == Event.Status.DRAFT
    assert event.category == "CONSULT"
    assert event.date == NOON.date()
    assert event.created_by == editor
    assert event.title == "Russia met Hamas in Moscow."  # the best suggestion's article
    assert roles(event) == [("hamas", "participant"), ("russia", "participant")]
    assert pairs(event) == [("hamas", "russia", 2.1), ("russia", "hamas", 2.1)]
    assert f"story #{story.pk}" in event.note


def test_each_article_is_cited_once_quoting_its_evidence_and_linked(editor, russia, hamas):
    story = make_story(russia, hamas)
    articles = {a.feed.title: a for a in Article.objects.filter(suggestions__story=story)}

    event = review.accept(story, editor)

    sources = {s.outlet: s for s in event.sources.all()}
    assert set(sources) == {"Reuters", "TASS"}
    assert sources["Reuters"].quote == "Russia met Hamas in Moscow."
    assert sources["TASS"].quote == "Russia met Hamas, said the ministry."
    assert sources["TASS"].language == "ru"
    assert sources["Reuters"].url == articles["Reuters"].url
    assert sources["Reuters"].published_at == articles["Reuters"].published_at
    for article in Article.objects.filter(pk__in=[a.pk for a in articles.values()]):
        assert article.event_id == event.pk
        assert article.review_status == Article.ReviewStatus.LINKED


def test_accept_and_publish_publishes_it(editor, russia, hamas):
    event = review.accept(make_story(russia, hamas), editor, publish=True)

    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED


def test_the_story_and_its_suggestions_are_closed_with_who_and_when(editor, russia, hamas):
    story = make_story(russia, hamas)

    event = review.accept(story, editor)

    story.refresh_from_db()
    assert story.status == ReviewStatus.ACCEPTED
    assert story.event_id == event.pk
    assert story.reviewed_by == editor
    assert story.reviewed_at is not None
    assert set(story.suggestions.values_list("status", flat=True)) == {ReviewStatus.ACCEPTED}


def test_history_records_who_accepted_and_why(editor, russia, hamas):
    story = make_story(russia, hamas)

    event = review.accept(story, editor, publish=True)

    story_history = story.history.order_by("history_id").last()
    assert story_history.history_user == editor
    assert story_history.history_change_reason == f"Accepted as event #{event.pk}"
    reasons = list(
        Meeting.history.filter(id=event.pk)
        .order_by("history_id")
        .values_list("history_change_reason", "history_user")
    )
    assert reasons[0] == (f"Accepted machine-coded story #{story.pk}", editor.pk)
    assert reasons[-1] == ("Published", editor.pk)
    assert any(reason.startswith("Linked article") for reason, _ in reasons)


def test_a_statement_has_the_source_as_speaker(editor, russia, israel):
    story = make_story(russia, israel, category="PROTEST", kind="statement", cue="condemned")

    event = review.accept(story, editor)

    assert isinstance(event, Statement)
    assert event.speaker == russia
    assert event.quote == "Russia condemned Israel in Moscow."
    assert event.original_language == "en"
    assert roles(event) == [("israel", "target"), ("russia", "speaker")]
    assert pairs(event) == [("russia", "israel", -4.5)]


def test_a_reported_claim_becomes_an_allegation_with_the_claimant_kept(editor, russia, hamas):
    ukraine = factories.ActorFactory(name="Ukraine", slug="ukraine")
    quote = "Ukraine says Russia supplied Hamas with arms."
    story = make_story(
        russia,
        hamas,
        category="AID",
        kind="allegation",
        cue="supplied",
        claimant=ukraine,
        reports=[("Kyiv Independent", "en", quote, 0.8)],
    )

    event = review.accept(story, editor)

    assert isinstance(event, Allegation)
    assert (event.claimant, event.accused, event.claim) == (ukraine, russia, quote)
    assert roles(event) == [("hamas", "subject"), ("russia", "accused"), ("ukraine", "claimant")]
    # The alleged act, and the claim as an accusation (as the seed allegations are scored).
    assert pairs(event) == [("russia", "hamas", 7.0), ("ukraine", "russia", -2.0)]


def test_an_accusation_without_a_claimant_has_the_source_claim(editor, israel, hamas):
    story = make_story(israel, hamas, category="ACCUSE", kind="allegation", cue="accused")

    event = review.accept(story, editor)

    assert (event.claimant, event.accused) == (israel, hamas)
    assert roles(event) == [("hamas", "accused"), ("israel", "claimant")]
    assert pairs(event) == [("israel", "hamas", -2.0)]


@pytest.mark.parametrize(
    ("category", "means"),
    [("ASSAULT", "other"), ("AID", "aid_delivery"), ("SANCTION", "sanction")],
    ids=["assault", "aid", "sanction"],
)
def test_an_action_takes_its_means_from_the_category(editor, israel, hamas, category, means):
    story = make_story(israel, hamas, category=category, kind="action", cue="struck")

    event = review.accept(story, editor)

    assert isinstance(event, Action)
    assert event.means == means
    assert roles(event) == [("hamas", "target"), ("israel", "participant")]
    assert [(s, t) for s, t, _ in pairs(event)] == [("israel", "hamas")]


def test_accepting_twice_makes_one_event(editor, russia, hamas):
    story = make_story(russia, hamas)
    event = review.accept(story, editor)

    with pytest.raises(review.AlreadyReviewed, match="already accepted by edna"):
        review.accept(story, editor)  # the same, stale, story object: a double click

    assert Event.objects.count() == 1
    assert Story.objects.get(pk=story.pk).event_id == event.pk


def test_a_reviewed_story_cannot_be_rejected_or_merged(editor, russia, hamas):
    story = make_story(russia, hamas)
    event = review.accept(story, editor)

    with pytest.raises(review.AlreadyReviewed):
        review.reject(story, editor)
    with pytest.raises(review.AlreadyReviewed):
        review.merge(story, event, editor)
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.ACCEPTED


def test_rejecting_keeps_the_reason_and_makes_no_event(editor, russia, hamas):
    story = make_story(russia, hamas)

    review.reject(story, editor, reason="  A football match, not a meeting. ")

    story.refresh_from_db()
    assert story.status == ReviewStatus.REJECTED
    assert story.reason == "A football match, not a meeting."
    assert story.reviewed_by == editor
    assert set(story.suggestions.values_list("status", flat=True)) == {ReviewStatus.REJECTED}
    assert not Event.objects.exists()
    assert not Article.objects.filter(event__isnull=False).exists()
    last = story.history.order_by("history_id").last()
    assert last.history_change_reason == "Rejected: A football match, not a meeting."


def test_merging_cites_the_articles_on_the_existing_event(editor, russia, hamas):
    meeting = factories.MeetingFactory(title="Hamas delegation in Moscow")
    factories.SourceFactory(event=meeting, outlet="Al-Monitor", quote="They met.")
    story = make_story(russia, hamas)

    added = review.merge(story, meeting, editor)

    assert added == 2
    assert sorted(meeting.sources.values_list("outlet", flat=True)) == [
        "Al-Monitor",
        "Reuters",
        "TASS",
    ]
    assert Source.objects.get(event=meeting, outlet="TASS").quote == (
        "Russia met Hamas, said the ministry."
    )
    assert set(Article.objects.values_list("event", flat=True)) == {meeting.pk}
    assert not meeting.participants.exists()  # the event's own record is the editor's
    story.refresh_from_db()
    assert (story.status, story.event_id) == (ReviewStatus.MERGED, meeting.pk)
    reasons = Meeting.history.filter(id=meeting.pk).values_list("history_change_reason", flat=True)
    assert f"Merged machine-coded story #{story.pk}" in reasons


def test_merging_does_not_cite_an_article_twice(editor, russia, hamas):
    story = make_story(russia, hamas)
    meeting = factories.MeetingFactory()
    reuters = Article.objects.get(suggestions__story=story, feed__title="Reuters")
    factories.SourceFactory(event=meeting, url=reuters.url, outlet="Reuters")

    assert review.merge(story, meeting, editor) == 1
    assert meeting.sources.filter(url=reuters.url).count() == 1


def test_an_article_linked_elsewhere_by_an_editor_stays_there_but_is_cited(editor, russia, hamas):
    story = make_story(russia, hamas)
    other = factories.MeetingFactory(title="Another event")
    tass = Article.objects.get(suggestions__story=story, feed__title="TASS")
    tass.event = other
    tass.review_status = Article.ReviewStatus.LINKED
    tass.save()

    event = review.accept(story, editor)

    assert Article.objects.get(pk=tass.pk).event_id == other.pk
    assert event.sources.filter(url=tass.url).exists()


def test_one_source_per_article_quoting_its_most_confident_sentence(editor, russia, hamas):
    story = make_story(russia, hamas, reports=[("Reuters", "en", "Russia met Hamas.", 0.6)])
    article = Article.objects.get(suggestions__story=story)
    better = story.suggestions.get()
    better.pk = None
    better.category = "COOPERATE"
    better.quote = "Russia and Hamas met again in Moscow, Russia said."
    better.confidence = 0.95
    better.save()

    event = review.accept(story, editor)

    [source] = event.sources.all()
    assert (source.url, source.quote) == (article.url, better.quote)


def test_a_long_headline_is_fitted_to_the_title(editor, russia, hamas):
    headline = "Russia met Hamas " + "and talked at great length " * 20
    story = make_story(russia, hamas, reports=[("Reuters", "en", headline, 0.9)])

    event = review.accept(story, editor)

    assert len(event.title) <= Event._meta.get_field("title").max_length
    assert event.title.endswith("…")


def test_a_story_without_suggestions_is_refused(editor, russia, hamas):
    story = make_story(russia, hamas)
    story.suggestions.update(story=None)

    with pytest.raises(review.ReviewError, match="no coded article"):
        review.accept(story, editor)
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING
    assert not Event.objects.exists()


def test_an_impossible_date_is_refused_and_changes_nothing(editor, russia, hamas):
    story = make_story(russia, hamas, first_seen=NOON + dt.timedelta(days=3 * 366))

    with pytest.raises(Exception, match="at most a year ahead"):
        review.accept(story, editor)
    assert not Event.objects.exists()
    assert Story.objects.get(pk=story.pk).status == ReviewStatus.PENDING


def test_the_draft_is_what_accept_saves(editor, russia, hamas):
    """The edit form's prefill and the one-click accept make the same event."""
    story = make_story(russia, hamas, category="PROTEST", kind="statement", cue="condemned")
    draft = review.story_draft(story)

    event = review.accept(story, editor)

    assert draft.kind == "statement"
    assert draft.initial["title"] == event.title
    assert draft.initial["speaker"] == event.speaker_id
    assert [(p["actor"], p["role"]) for p in draft.participants] == list(
        event.participants.values_list("actor", "role")
    )
    assert [s["quote"] for s in draft.sources] == list(
        event.sources.order_by("published_at").values_list("quote", flat=True)
    )


def test_a_story_of_one_actor_with_itself_is_refused(editor, russia):
    story = make_story(russia, russia, reports=[("Reuters", "en", "Russia met Russia.", 0.9)])

    with pytest.raises(review.ReviewError, match="one actor"):
        review.accept(story, editor)
    assert not Event.objects.exists()


def test_real_headlines_and_outlets_fit_the_event_and_its_sources(editor, russia, hamas):
    """The longest real headlines of the shared corpus, as evidence sentences and titles, from
    their real outlets: every copy fits its column and the quote is kept whole."""
    entries = longest_real_entries(25)
    stories = [
        make_story(russia, hamas, cue="", reports=[(outlet[:300], "en", title, 0.9)])
        for outlet, title, _, _ in entries
    ]

    events = [review.accept(story, editor, publish=True) for story in stories]

    for event, (_, title, _, _) in zip(events, entries, strict=True):
        assert len(event.title) <= Event._meta.get_field("title").max_length
        [source] = event.sources.all()
        assert source.quote == title
        assert len(source.outlet) <= Source._meta.get_field("outlet").max_length
        assert len(source.title) <= Source._meta.get_field("title").max_length
    assert Event.objects.filter(status=Event.Status.PUBLISHED).count() == len(entries)
