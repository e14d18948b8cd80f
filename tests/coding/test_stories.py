"""Stories: the same interaction across outlets and languages is one story; different ones stay
apart; outlets, languages, confidence and evidence; the lookup is an index probe."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from pathlib import Path

import feedparser
import numpy as np
import pytest
from datasketch import MinHash
from django.db import connection

from coding import stories
from coding.models import ReviewStatus, Story, Suggestion
from coding.stage import code_articles
from tests.coding.stage_support import ScriptedCoder, actors, article, coded
from tests.factories import ActorFactory, FeedFactory

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "realworld"

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 5, 6)


@pytest.fixture
def cast():
    return actors()


def code(script, *articles):
    return code_articles([a.pk for a in articles], coder=ScriptedCoder(script))


def test_the_same_interaction_in_english_and_russian_is_one_story(cast):
    english = article("Lavrov meets Hamas", language="en")
    russian = article("Лавров встретился с ХАМАС", language="ru", day=DAY + dt.timedelta(days=1))
    script = {
        english.title: [coded(cast["russia"], cast["hamas"], "CONSULT", confidence=0.8)],
        russian.title: [coded(cast["russia"], cast["hamas"], "CONSULT", confidence=0.6)],
    }

    summary = code(script, english, russian)

    story = Story.objects.get()
    assert (summary.stories_new, summary.joined) == (1, 1)
    assert story.article_count == 2
    assert story.outlet_count == 2
    assert story.languages == ["en", "ru"]
    assert (story.first_seen.date(), story.last_seen.date()) == (DAY, DAY + dt.timedelta(days=1))
    # Either report right: 1 - (1 - 0.8)(1 - 0.6).
    assert story.confidence == pytest.approx(0.92)
    assert story.category == "CONSULT" and story.family == "engage"


def test_a_story_reported_by_hundreds_of_outlets_is_near_certain(cast):
    reports = [article(f"Strike report {n}") for n in range(150)]
    script = {
        a.title: [coded(cast["israel"], cast["hamas"], "ASSAULT", confidence=0.99)] for a in reports
    }

    code(script, *reports)

    story = Story.objects.get()
    assert story.outlet_count == 150
    assert 0.99 < story.confidence <= 1.0


def test_a_story_of_many_fairly_sure_outlets_can_still_be_written(cast):
    # 22 outlets at 0.81: the doubt left, 0.19 ** 22 (about 1e-16), is still a float: the
    # confidence is just below 1, not rounded up to certainty.
    reports = [article(f"Talks report {n}") for n in range(22)]
    script = {
        a.title: [coded(cast["russia"], cast["iran"], "CONSULT", confidence=0.81)] for a in reports
    }

    code(script, *reports)

    story = Story.objects.get()
    assert story.outlet_count == 22
    assert story.confidence == pytest.approx(1 - 0.19**22, abs=1e-18)
    assert story.confidence < 1.0


def test_a_story_of_more_sure_outlets_than_exp_can_take_is_certain(cast):
    # 120 outlets at 0.999: e^(120 ln 0.001), about 1e-360, is below the smallest float, and
    # PostgreSQL's exp() raises an underflow error there rather than give 0.
    reports = [article(f"Raid report {n}") for n in range(120)]
    script = {
        a.title: [coded(cast["israel"], cast["hamas"], "ASSAULT", confidence=0.999)]
        for a in reports
    }

    code(script, *reports)

    story = Story.objects.get()
    assert (story.outlet_count, story.confidence) == (120, 1.0)


def test_talks_reported_either_way_round_and_as_an_agreement_are_one_story(cast):
    first = article("Russia and Iran hold talks")
    second = article("Iran agrees with Russia")
    script = {
        first.title: [coded(cast["russia"], cast["iran"], "CONSULT")],
        second.title: [coded(cast["iran"], cast["russia"], "AGREE")],
    }

    code(script, first, second)

    assert Story.objects.count() == 1
    assert Story.objects.get().article_count == 2


def test_two_strikes_a_week_apart_are_two_stories(cast):
    first = article("Israel strikes Hamas", day=DAY)
    follow_up = article("Israel strikes Hamas again (report)", day=DAY + dt.timedelta(days=1))
    later = article("Israel strikes Hamas a week on", day=DAY + dt.timedelta(days=8))
    script = {
        title: [coded(cast["israel"], cast["hamas"], "ASSAULT")]
        for title in (first.title, follow_up.title, later.title)
    }

    code(script, first, follow_up, later)

    counts = sorted(Story.objects.values_list("article_count", flat=True))
    assert counts == [1, 2]


def test_a_meeting_and_an_accusation_between_the_same_pair_stay_apart(cast):
    meeting = article("Lavrov and Cohen meet")
    accusation = article("Russia accuses Israel")
    script = {
        meeting.title: [coded(cast["russia"], cast["israel"], "CONSULT")],
        accusation.title: [coded(cast["russia"], cast["israel"], "ACCUSE")],
    }

    code(script, meeting, accusation)

    assert sorted(Story.objects.values_list("family", flat=True)) == ["criticise", "engage"]


def test_an_accusation_is_directed(cast):
    one_way = article("Russia accuses Israel")
    other_way = article("Israel accuses Russia")
    script = {
        one_way.title: [coded(cast["russia"], cast["israel"], "ACCUSE")],
        other_way.title: [coded(cast["israel"], cast["russia"], "ACCUSE")],
    }

    code(script, one_way, other_way)

    assert Story.objects.count() == 2


def test_a_copy_of_another_feeds_article_does_not_count_as_another_outlet(cast):
    original = article("Russia accuses Israel", url="https://wire.example/a")
    copy = article(
        "Russia accuses Israel (via aggregator)",
        url="https://wire.example/a",
        duplicate_of=original,
    )
    script = {
        title: [coded(cast["russia"], cast["israel"], "ACCUSE")]
        for title in (original.title, copy.title)
    }

    code(script, original, copy)

    story = Story.objects.get()
    assert (story.article_count, story.outlet_count) == (2, 1)


def test_two_articles_of_one_feed_are_one_outlet(cast):
    feed = FeedFactory()
    first = article("Russia accuses Israel", feed=feed)
    second = article("Moscow blames Israel", feed=feed)
    script = {
        title: [coded(cast["russia"], cast["israel"], "ACCUSE")]
        for title in (first.title, second.title)
    }

    code(script, first, second)

    assert Story.objects.get().outlet_count == 1


WIRE = (
    "The Russian foreign ministry said on Monday that Israel had violated international law "
    "with its strikes and demanded an immediate halt to the operation in the Gaza Strip."
)


def test_a_near_duplicate_text_joins_the_story_beyond_the_window(cast):
    first = article("Russia demands a halt", summary=WIRE, day=DAY)
    later = DAY + dt.timedelta(days=10)
    republished = article("Russia demands a halt", summary=WIRE + " Updated.", day=later)
    rewritten = article(
        "Moscow speaks again",
        summary="Moscow repeated its call on Israel to stop, in a short statement.",
        day=later,
    )
    script = {
        first.title: [coded(cast["russia"], cast["israel"], "DEMAND")],
        rewritten.title: [coded(cast["russia"], cast["israel"], "DEMAND")],
    }

    code(script, first)
    code(script, republished, rewritten)

    story_of = dict(Suggestion.objects.values_list("article_id", "story_id"))
    assert story_of[republished.pk] == story_of[first.pk]
    assert story_of[rewritten.pk] != story_of[first.pk]
    assert Suggestion.objects.get(article=first).bands  # stored for later lookups


def test_reviewed_stories_take_no_new_reports(cast):
    first = article("Russia accuses Israel")
    code({first.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]}, first)
    Story.objects.update(status=ReviewStatus.ACCEPTED)
    later = article("Russia accuses Israel again")

    code({later.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]}, later)

    assert Story.objects.count() == 2
    accepted = Story.objects.get(status=ReviewStatus.ACCEPTED)
    assert accepted.article_count == 1


def test_the_best_evidence_is_the_most_confident_distinct_quotes(cast):
    articles = [article(f"Report {n}") for n in range(5)]
    quotes = ["Same wire text.", "Same wire text.", "Own words.", "Weak hint.", "Other words."]
    confidences = [0.9, 0.85, 0.8, 0.2, 0.7]
    script = {
        a.title: [coded(cast["russia"], cast["israel"], "ACCUSE", quote=q, confidence=c)]
        for a, q, c in zip(articles, quotes, confidences, strict=True)
    }
    code(script, *articles)
    story = Story.objects.get()

    best = stories.evidence([story.pk], per_story=3)[story.pk]

    assert [s.quote for s in best] == ["Same wire text.", "Own words.", "Other words."]
    assert set(stories.story_articles(story)) == set(articles)


def test_placing_a_suggestion_is_an_index_probe_among_many_stories(cast):
    first = article("Russia accuses Israel")
    code({first.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]}, first)
    others = [ActorFactory(name=f"Other {n}") for n in range(40)]
    with connection.cursor() as cursor:
        # 20,000 stories of other pairs, over a year.
        cursor.execute(
            f"""INSERT INTO {Story._meta.db_table} (source_id, target_id, category, family, kind,
                first_seen, last_seen, article_count, outlet_count, languages, confidence,
                status, reason, created_at)
            SELECT (%s::bigint[])[1 + n %% 40], (%s::bigint[])[1 + (n / 40) %% 40], 'ACCUSE',
                   'criticise', 'statement', now() - n * interval '25 minutes',
                   now() - n * interval '25 minutes', 1, 1, '{{en}}', 0.5, 'pending', '', now()
            FROM generate_series(1, 20000) AS n""",
            [[o.pk for o in others], [o.pk for o in reversed(others)]],
        )
        cursor.execute(f"ANALYZE {Story._meta.db_table}")
        start = dt.datetime(2024, 5, 6, tzinfo=dt.UTC)
        rows = [(cast["russia"].pk, cast["israel"].pk, "criticise", start, start)]
        sql = cursor.mogrify(stories._STORIES_NEAR_SQL, stories.stories_near_params(rows))
        cursor.execute(b"EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Seq Scan on coding_story" not in plan
    assert "Index Scan using story_" in plan


def test_the_bands_of_a_text_stay_what_earlier_runs_stored():
    # Stored bands are compared with new ones for as long as the rows live: these are what
    # the stage has written since the start (datasketch 2's MinHash, seed 1, affine32).
    assert stories.text_bands("Lavrov meets a Hamas delegation in Moscow") == [
        -6346584495106342753,
        -2707718544845647094,
        -7899671287187574546,
        4991531589229106427,
        -6131097605778788750,
        -5047409832285359219,
        -4583553215032607556,
        -4556525327766918325,
    ]
    assert stories.text_bands("Too short") == []


def datasketch_bands(text: str) -> list[int]:
    """The bands as the stage first computed them, one datasketch MinHash per text."""
    words = re.findall(r"\w+", text[: stories.SHINGLE_TEXT_CHARS].casefold())
    if len(words) < stories.SHINGLE_WORDS:
        return []
    minhash = MinHash(num_perm=stories.NUM_PERM, seed=1, hashfunc=zlib.crc32)
    minhash.update_batch(
        " ".join(words[i : i + stories.SHINGLE_WORDS]).encode()
        for i in range(len(words) - stories.SHINGLE_WORDS + 1)
    )
    rows = np.asarray(minhash.hashvalues).reshape(stories.BANDS, -1)
    return [
        int.from_bytes(
            hashlib.blake2b(bytes([band]) + row.tobytes(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        for band, row in enumerate(rows)
    ]


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="shared corpus not beside checkout")
def test_a_batch_of_real_texts_has_the_bands_datasketch_gives_each_alone():
    # Min-hashed together in one pass, each text gets exactly the bands its own MinHash gives:
    # the 663 real headlines and summaries, among short, empty, repeated and 3,000-character
    # texts (and texts beyond the cut) in one batch.
    texts = [
        f"{entry.get('title', '')} {entry.get('summary', '')}"
        for path in sorted(REALWORLD.iterdir())
        for entry in feedparser.parse(path.read_bytes()).entries
    ]
    assert len(texts) > 600
    texts[10:10] = ["", "Too short", "one two three", "word " * 2000, "Ünïcödé ΣΊΣΥΦΟΣ " * 300]
    texts.append(texts[0])

    assert stories.texts_bands(texts) == [datasketch_bands(text) for text in texts]
    assert stories.texts_bands([]) == []
    assert stories.texts_bands(["", "a b"]) == [[], []]


def test_a_copy_shares_bands_and_a_rewrite_does_not():
    wire = "Russian Foreign Minister Sergei Lavrov received a Hamas delegation in Moscow on Monday"
    copy = wire + ", the ministry said."
    rewrite = "Hamas leaders travelled to Moscow where they held talks with Lavrov on Monday"

    assert set(stories.text_bands(wire)) & set(stories.text_bands(copy))
    assert not set(stories.text_bands(wire)) & set(stories.text_bands(rewrite))
