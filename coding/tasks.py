"""Celery tasks: thin wrappers that take article ids and call the coding stage.

A task delivered twice (a worker died, two fetches stored the same article) is harmless: the
stage skips what it has coded with the same coder, and suggestions are unique per article,
pair and category.
"""

from __future__ import annotations

import logging

from celery import shared_task

from coding import stage
from ingest.pipeline import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

# Ids per task: a feed's stored batch is one task; a long list (a re-import) is cut so each
# task stays well inside the time limits.
TASK_IDS = 1000


@shared_task(
    name="coding.tasks.code_articles",
    # The database restarting, or a deadlock detected between two coders (both are
    # OperationalErrors): the whole batch is tried again.
    autoretry_for=DATABASE_UNAVAILABLE,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=8,
)
def code_articles(article_ids: list[int]) -> str:
    """Code these articles; the stage's summary line."""
    return str(stage.code_articles(article_ids))


def queue_coding(article_ids: list[int]) -> None:
    """Queue the coding of stored articles, in tasks of at most TASK_IDS ids."""
    ids = list(article_ids)
    for start in range(0, len(ids), TASK_IDS):
        code_articles.delay(ids[start : start + TASK_IDS])


@shared_task(
    name="coding.tasks.code_missed",
    autoretry_for=DATABASE_UNAVAILABLE,
    retry_backoff=True,
    max_retries=3,
)
def code_missed() -> str:
    """The sweep (every few minutes, on beat): code the recent articles whose coding was lost
    (``stage.missed_articles``)."""
    missed = stage.missed_articles()
    if not missed:
        return "no article missed"
    summary = stage.code_articles(missed)
    logger.info("coded %d missed articles: %s", len(missed), summary)
    return f"missed articles: {len(missed)}; {summary}"
