"""The sweep: recent articles whose coding was lost (a coding task a broker outage dropped, a
coding commit a database crash lost) are found and coded; nothing else is."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from coding import stage, tasks
from coding.models import ArticleCoding, Suggestion
from coding.stage import code_articles, missed_articles
from tests.coding.stage_support import ScriptedCoder, actors, article, coded

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return actors()


def stored(title, cast, *, ago):
    """An article naming Russia and Israel, first stored ``ago`` before now."""
    return article(
        title, mentions=(cast["russia"], cast["israel"]), fetched_at=timezone.now() - ago
    )


def test_recent_articles_never_coded_are_missed_and_nothing_else(cast):
    lost = stored("Russia accuses Israel", cast, ago=dt.timedelta(hours=1))
    coded_already = stored("Russia thanks Israel", cast, ago=dt.timedelta(hours=1))
    changed_since = stored("Russia warns Israel", cast, ago=dt.timedelta(hours=1))
    still_queued = stored("Russia calls Israel", cast, ago=dt.timedelta(minutes=1))
    too_old = stored("Russia meets Israel", cast, ago=dt.timedelta(days=3))
    naming_no_one = article("Markets rally", fetched_at=timezone.now() - dt.timedelta(hours=1))
    code_articles([coded_already.pk, changed_since.pk], coder=ScriptedCoder({}))
    changed_since.content_hash = "edited"
    changed_since.save()

    assert missed_articles() == [lost.pk, changed_since.pk]
    assert {still_queued.pk, too_old.pk, naming_no_one.pk, coded_already.pk}.isdisjoint(
        missed_articles()
    )


def test_the_sweep_codes_what_was_missed_with_the_real_coder():
    from relations.models import Actor

    call_command("load_seeds", stdout=io.StringIO())

    russia, hamas = (Actor.objects.get(slug=slug) for slug in ("russia", "hamas"))
    lost = article(
        "Lavrov meets Hamas delegation in Moscow",
        mentions=(russia, hamas),
        fetched_at=timezone.now() - dt.timedelta(hours=1),
    )

    result = tasks.code_missed()

    assert "missed articles: 1" in result
    suggestion = Suggestion.objects.get(article=lost)
    assert (suggestion.source.slug, suggestion.target.slug, suggestion.category) == (
        "russia",
        "hamas",
        "CONSULT",
    )
    assert ArticleCoding.objects.filter(article=lost).exists()
    assert missed_articles() == []
    assert tasks.code_missed() == "no article missed"


def test_the_sweep_is_on_the_beat_schedule():
    from django_celery_beat.models import PeriodicTask

    from relwatch.celery import app

    periodic = PeriodicTask.objects.get(task=tasks.code_missed.name)
    assert periodic.enabled and periodic.task in app.tasks
    assert (periodic.interval.every, periodic.interval.period) == (10, "minutes")
    # The sweep looks back further than its interval: a lost batch is seen many times over.
    assert dt.timedelta(minutes=10) < stage.MISSED_WINDOW


def synchronous_commit_while_recording(cast, title):
    """What the coding batch's commit of ``title`` is set to do."""
    seen = []

    def watch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().startswith("INSERT INTO") and ArticleCoding._meta.db_table in sql:
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                seen.append(cursor.fetchone()[0])
        return result

    report = article(title)
    script = {report.title: [coded(cast["russia"], cast["israel"], "ACCUSE")]}
    with connection.execute_wrapper(watch):
        code_articles([report.pk], coder=ScriptedCoder(script))
    return seen


@pytest.mark.django_db(transaction=True)
def test_coding_commits_do_not_wait_for_the_disk(cast):
    # What makes the sweep needed: a crash may lose the last coding commits (never half of
    # one). Only the batch's own transaction is affected.
    assert synchronous_commit_while_recording(cast, "Russia accuses Israel") == ["off"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_coding_inside_a_callers_transaction_leaves_its_durability_alone(cast):
    # The test's own transaction is the caller's here: it may hold writes that must last.
    assert synchronous_commit_while_recording(cast, "Russia accuses Israel") == ["on"]
