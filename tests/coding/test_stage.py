"""The coding stage: suggestions written once, skipped when nothing changed, re-coded without
touching what editors reviewed, bounded on huge articles, safe with two coders at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from coding import stage, stories
from coding.models import ArticleCoding, ReviewStatus, Story, Suggestion
from coding.stage import code_articles
from ingest.models import Article
from ingest.parsing import ParsedEntry
from ingest.storing import store_entries
from tests.coding.stage_support import ScriptedCoder, actors, article, code_in_processes, coded
from tests.factories import AliasFactory, FeedFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return actors()


def test_coding_writes_suggestions_and_records_what_each_article_was_coded_with(cast):
    meeting = article("Lavrov meets Hamas", summary="Lavrov received a Hamas delegation.")
    quiet = article("Markets rally")
    coder = ScriptedCoder(
        {meeting.title: [coded(cast["russia"], cast["hamas"], "CONSULT", quote="Lavrov met.")]}
    )

    summary = code_articles([meeting.pk, quiet.pk], coder=coder)

    suggestion = Suggestion.objects.get()
    assert (suggestion.article, suggestion.source, suggestion.target) == (
        meeting,
        cast["russia"],
        cast["hamas"],
    )
    assert (suggestion.category, suggestion.kind, suggestion.quote) == (
        "CONSULT",
        "meeting",
        "Lavrov met.",
    )
    assert suggestion.status == ReviewStatus.PENDING
    assert suggestion.lexicon_version == "script-1"
    assert suggestion.story is not None
    assert (summary.coded, summary.created, summary.stories_new) == (2, 1, 1)
    assert set(ArticleCoding.objects.values_list("article_id", "coder_version")) == {
        (meeting.pk, "script-1"),
        (quiet.pk, "script-1"),
    }
    title, text, language, day = coder.calls[0]
    assert (title, language, day) == (meeting.title, "en", dt.date(2024, 5, 6))
    assert "Lavrov received a Hamas delegation." in text


def test_every_column_the_coder_fills_is_written_as_it_said(cast):
    report = article("Iran says Israel struck Hamas")
    said = coded(
        cast["israel"],
        cast["hamas"],
        "ACCUSE",
        quote="Iran said Israel struck Hamas.",
        confidence=1.3,  # out of range: written as 1
        cue="x" * 250,  # longer than the column: cut
        source_named_id=cast["iran"].pk,
        claimant_id=cast["iran"].pk,
        spans={"source": [10, 16], "target": [24, 29], "claimant": [0, 4]},
        explanation="cue: «struck» → ASSAULT, claimed by Iran",
    )

    code_articles([report.pk], coder=ScriptedCoder({report.title: [said]}, version="v7"))

    row = Suggestion.objects.values().get()
    expected = {column: getattr(said, column) for column in stage._COLUMNS if hasattr(said, column)}
    expected |= {"confidence": 1.0, "cue": "x" * stage.CUE_MAX}
    assert {column: row[column] for column in expected} == expected
    assert (row["article_id"], row["status"], row["lexicon_version"]) == (
        report.pk,
        ReviewStatus.PENDING,
        "v7",
    )
    assert len(row["bands"]) == stories.BANDS and row["coded_at"] is not None


def test_the_stage_writes_every_suggestion_field_but_its_id():
    columns = {field.column for field in Suggestion._meta.concrete_fields}

    assert set(stage._COLUMNS) == columns - {"id"}
    stage.check_columns(stage._COLUMNS)
    # A field added to the model that the stage cannot fill stops it at import.
    with pytest.raises(ImproperlyConfigured, match="reviewed_note"):
        stage.check_columns([*stage._COLUMNS, "reviewed_note"])


def test_a_second_run_with_nothing_changed_changes_nothing(cast):
    first = article("Russia accuses Israel")
    script = {first.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]}
    code_articles([first.pk], coder=ScriptedCoder(script))
    before = list(Suggestion.objects.values())
    stories_before = list(Story.objects.values())
    coder = ScriptedCoder(script)

    summary = code_articles([first.pk], coder=coder)

    assert (summary.coded, summary.skipped, summary.created, summary.updated) == (0, 1, 0, 0)
    assert coder.calls == []
    assert list(Suggestion.objects.values()) == before
    assert list(Story.objects.values()) == stories_before


def test_each_new_suggestion_is_written_once_with_its_story(cast):
    # Placed before it is written: no second write of every row (and of its ten indexes)
    # to set the story afterwards.
    reports = [article(f"Russia accuses Israel {n}") for n in range(3)]
    script = {a.title: [coded(cast["russia"], cast["israel"], "ACCUSE")] for a in reports}

    before = written(Suggestion)
    summary = code_articles([a.pk for a in reports], coder=ScriptedCoder(script))
    after = written(Suggestion)

    assert summary.created == 3
    assert Suggestion.objects.filter(story__isnull=True).count() == 0
    assert (after[0] - before[0], after[1] - before[1]) == (3, 0)  # (inserted, updated)


def test_a_suggestion_whose_story_was_deleted_is_placed_again(cast):
    first = article("Russia accuses Israel")
    script = {first.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]}
    code_articles([first.pk], coder=ScriptedCoder(script))
    Story.objects.all().delete()  # an editor cleared the queue: the suggestion keeps no story
    assert Suggestion.objects.get().story is None
    Article.objects.filter(pk=first.pk).update(content_hash="edited")

    summary = code_articles([first.pk], coder=ScriptedCoder(script))

    suggestion = Suggestion.objects.get()
    assert suggestion.story is not None and summary.stories_new == 1
    assert suggestion.story.article_count == 1


def written(model) -> tuple[int, int]:
    """Rows of ``model``'s table inserted and updated by this connection, counted from a
    moment before this transaction: PostgreSQL 15 and later keep a backend's counts from its
    earlier transactions here until it reports them (every second or so, between
    transactions), so only the difference of two readings in one transaction tells."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [model._meta.db_table],
        )
        return cursor.fetchone()


def test_a_changed_article_is_coded_again(cast):
    first = article("Russia accuses Israel")
    script = {first.title: [coded(cast["russia"], cast["israel"], "ACCUSE", quote="Old.")]}
    code_articles([first.pk], coder=ScriptedCoder(script))
    Article.objects.filter(pk=first.pk).update(content_hash="edited")
    script[first.title] = [coded(cast["russia"], cast["israel"], "ACCUSE", quote="New.")]

    summary = code_articles([first.pk], coder=ScriptedCoder(script))

    assert (summary.coded, summary.updated) == (1, 1)
    assert Suggestion.objects.get().quote == "New."


def test_recoding_after_a_lexicon_change_updates_only_pending_suggestions(cast):
    russia, israel, hamas, iran = (cast[s] for s in ("russia", "israel", "hamas", "iran"))
    pending = article("Pending story")
    accepted = article("Accepted story")
    rejected = article("Rejected story")
    script = {
        pending.title: [
            coded(russia, israel, "ACCUSE", quote="Old quote."),
            coded(russia, hamas, "CONSULT"),
        ],
        accepted.title: [coded(iran, hamas, "AID", quote="Old aid quote.")],
        rejected.title: [coded(israel, iran, "THREATEN")],
    }
    code_articles([pending.pk, accepted.pk, rejected.pk], coder=ScriptedCoder(script))
    Story.objects.filter(suggestions__article=accepted).update(status=ReviewStatus.ACCEPTED)
    Suggestion.objects.filter(article=accepted).update(status=ReviewStatus.ACCEPTED)
    Story.objects.filter(suggestions__article=rejected).update(status=ReviewStatus.REJECTED)
    reviewed_before = list(
        Suggestion.objects.filter(article__in=[accepted, rejected]).order_by("id").values()
    )
    # The new lexicon: the accusation reads differently, the meeting is gone, and the
    # reviewed articles would now code otherwise.
    new_script = {
        pending.title: [coded(russia, israel, "ACCUSE", quote="New quote.")],
        accepted.title: [coded(iran, hamas, "AID", quote="New aid quote.")],
        rejected.title: [],
    }

    summary = code_articles(
        [pending.pk, accepted.pk, rejected.pk], coder=ScriptedCoder(new_script, version="v2")
    )

    assert (summary.coded, summary.updated, summary.removed) == (3, 1, 1)
    assert list(Suggestion.objects.filter(article=pending).values_list("category", "quote")) == [
        ("ACCUSE", "New quote.")
    ]
    assert (
        list(Suggestion.objects.filter(article__in=[accepted, rejected]).order_by("id").values())
        == reviewed_before
    )
    assert sorted(Story.objects.values_list("status", flat=True)) == [
        ReviewStatus.ACCEPTED,
        ReviewStatus.PENDING,
        ReviewStatus.REJECTED,
    ]  # the meeting's story left with its last suggestion


def test_a_5_mb_body_is_read_only_up_to_the_bound(cast):
    paragraph = "<p>Israel and Hamas exchanged fire near the border again today.</p>"
    huge = article("Long live blog", summary="", content=paragraph * (5_000_000 // len(paragraph)))
    coder = ScriptedCoder({huge.title: [coded(cast["israel"], cast["hamas"], "ASSAULT")]})

    summary = code_articles([huge.pk], coder=coder)

    (_title, text, _language, _day) = coder.calls[0]
    assert len(huge.content) > 4_900_000
    assert 0 < len(text) <= stage.MAX_TEXT_CHARS
    assert summary.created == 1


def test_the_summary_says_what_happened():
    summary = stage.CodingSummary(coded=3, created=2, updated=1, removed=1, stories_new=1)
    summary.joined, summary.skipped = 1, 4
    assert str(summary) == (
        "articles coded: 3, suggestions created: 2, updated: 1, removed: 1, stories new: 1, "
        "joined: 1, skipped: 4"
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_coding_the_same_batch_create_no_duplicates(cast):
    russia, israel, hamas = cast["russia"], cast["israel"], cast["hamas"]
    articles = [article(f"Report {n}", day=dt.date(2024, 5, 1 + n % 3)) for n in range(450)]
    script = {
        a.title: [(russia.pk, israel.pk, "ACCUSE"), (israel.pk, hamas.pk, "ASSAULT")]
        for a in articles
    }

    outputs = code_in_processes(2, [a.pk for a in articles], script)

    assert Suggestion.objects.count() == 900
    # One story per pair and family (the three days fit one window), not one per process.
    assert Story.objects.count() == 2
    assert sorted(Story.objects.values_list("article_count", flat=True)) == [450, 450]
    assert ArticleCoding.objects.count() == 450
    created = [int(out.split("suggestions created: ")[1].split(",")[0]) for out in outputs]
    assert sum(created) == 900


def test_changed_stories_are_announced_once_the_batch_commits(cast, committed):
    first = article("Russia accuses Israel")
    coder = ScriptedCoder({first.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]})
    heard = []

    def listen(sender, story_ids, **kwargs):
        heard.append(story_ids)

    stories.stories_changed.connect(listen)
    try:
        with committed():
            code_articles([first.pk], coder=coder)
            assert heard == []  # not before the commit
    finally:
        stories.stories_changed.disconnect(listen)

    assert heard == [[Story.objects.get().pk]]


def test_a_story_several_batches_change_is_announced_once(cast, committed, monkeypatch):
    monkeypatch.setattr(stage, "BATCH_SIZE", 1)
    reports = [article(f"Russia accuses Israel, report {n}") for n in range(3)]
    other = article("Iran meets Hamas")
    script = {a.title: [coded(cast["russia"], cast["israel"], "ACCUSE")] for a in reports}
    script[other.title] = [coded(cast["iran"], cast["hamas"], "CONSULT")]
    heard = []

    def listen(sender, story_ids, **kwargs):
        heard.append(story_ids)

    stories.stories_changed.connect(listen)
    try:
        with committed():
            code_articles([a.pk for a in [*reports, other]], coder=ScriptedCoder(script))
    finally:
        stories.stories_changed.disconnect(listen)

    assert Story.objects.count() == 2
    assert heard == [sorted(Story.objects.values_list("pk", flat=True))]


def test_what_committed_before_a_batch_failed_is_announced(cast, committed, monkeypatch):
    monkeypatch.setattr(stage, "BATCH_SIZE", 1)
    first, second = article("Russia accuses Israel"), article("Iran meets Hamas")

    class FailingCoder(ScriptedCoder):
        def code(self, title, text, language, day):
            if title == second.title:
                raise RuntimeError("the coder broke")
            return super().code(title, text, language, day)

    script = {first.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]}
    heard = []

    def listen(sender, story_ids, **kwargs):
        heard.append(story_ids)

    stories.stories_changed.connect(listen)
    try:
        with committed(), pytest.raises(RuntimeError, match="the coder broke"):
            code_articles([first.pk, second.pk], coder=FailingCoder(script))
    finally:
        stories.stories_changed.disconnect(listen)

    assert heard == [[Story.objects.get().pk]]


def test_storing_hands_on_new_articles_naming_an_actor_and_every_changed_one(cast):
    AliasFactory(actor=cast["russia"], text="Moscow")
    feed = FeedFactory()
    published = dt.datetime(2024, 5, 6, 9, tzinfo=dt.UTC)

    def entry(guid, title):
        return ParsedEntry(
            guid=guid,
            url=f"https://news.example.com/{guid}",
            title=title,
            summary="",
            content="",
            author="",
            published_at=published,
            published_raw="Mon, 06 May 2024 09:00:00 GMT",
            language="en",
        )

    first = store_entries(
        feed, [entry("a", "Moscow talks"), entry("b", "Weather")], fetched_at=published
    )
    assert first.article_ids == [Article.objects.get(guid="a").pk]

    # Both change; the one naming nobody now may have codes to lose, so it goes too.
    second = store_entries(
        feed, [entry("a", "Moscow talks again"), entry("b", "Weather, later")], fetched_at=published
    )
    assert sorted(second.article_ids) == sorted(Article.objects.values_list("pk", flat=True))


def test_an_articles_suggestions_are_found_through_the_unique_key_alone():
    # Each index on the table is one more write per inserted suggestion: the article has no
    # index of its own, as the unique key (article first) serves every lookup by article.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Suggestion._meta.db_table]
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM {Suggestion._meta.db_table} WHERE article_id = ANY(%s)",
            [[1, 2, 3]],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert not [index for index in indexes if index.endswith("(article_id)")]
    assert "suggestion_unique" in plan
