"""Receivers: articles stored by ``ingest`` go to the coding stage (``coding.stage``).

At the end of ``manage.py ingest`` (``inline``) they are coded here and now, and the summary
is returned for the command to print; after a worker's fetch they are queued as
``coding.tasks.code_articles`` tasks, so the fetch path does no coding of its own.
"""

from django.dispatch import receiver

from coding import stage, tasks
from ingest.signals import articles_stored


@receiver(articles_stored, dispatch_uid="coding.code_stored_articles")
def code_stored_articles(sender, article_ids, inline, **kwargs):
    if inline:
        return stage.code_articles(article_ids)
    tasks.queue_coding(article_ids)
    return None
