"""Receivers: note what may trigger alerts and queue the work after the commit.

Handlers only compare the old and new status and enqueue a task with ids once the
transaction commits (alerts.tasks); the work, and the check that the thing is still
published when it runs, are the tasks'. A lost message costs a delay, not an alert: the
beat's sweep (alerts.triggers.sweep) finds what it missed. Connected in AlertsConfig.ready().
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from coding.models import Story
from coding.stories import stories_changed
from relations.models import Action, Actor, Allegation, Event, Meeting, Statement

logger = logging.getLogger(__name__)

EVENT_CLASSES = (Event, Meeting, Statement, Allegation, Action)


def _after_commit(task, *args) -> None:
    def enqueue():
        try:
            task.delay(*args)
        except Exception:
            logger.exception("could not enqueue %s%s; the sweep will catch up", task.name, args)

    transaction.on_commit(enqueue, robust=True)


def note_event_before_save(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._alerts_before = (None, None)
        return
    if isinstance(instance, Allegation):
        row = Allegation.objects.filter(pk=instance.pk).values_list("status", "evidence_status")
        instance._alerts_before = row.first() or (None, None)
    else:
        status = Event.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
        instance._alerts_before = (status, None)


def note_event_saved(sender, instance, raw=False, **kwargs) -> None:
    from alerts import tasks

    if raw or instance.status != Event.Status.PUBLISHED:
        return
    status, evidence = getattr(instance, "_alerts_before", (None, None))
    if status != Event.Status.PUBLISHED:
        _after_commit(tasks.event_published, instance.pk)
    elif isinstance(instance, Allegation) and evidence != instance.evidence_status:
        _after_commit(tasks.evidence_changed, instance.pk)


def note_story_saved(sender, instance, raw=False, **kwargs) -> None:
    from alerts import tasks

    if not raw:
        _after_commit(tasks.story_changed, instance.pk)


# Story ids per message when the coding stage announces stories in bulk.
STORIES_PER_TASK = 500


def note_stories_changed(sender, story_ids, **kwargs) -> None:
    """The coding stage writes stories in bulk (no post_save) and says which after commit:
    one task per STORIES_PER_TASK stories, not one per story (the sends cost the stage)."""
    from alerts import tasks

    story_ids = sorted(set(story_ids))
    for start in range(0, len(story_ids), STORIES_PER_TASK):
        _after_commit(tasks.stories_changed, story_ids[start : start + STORIES_PER_TASK])


def note_actor_before_save(sender, instance, raw=False, **kwargs) -> None:
    from alerts import tasks

    if raw or instance.pk is None:
        return
    old = Actor.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
    if old is not None and old != instance.slug:
        _after_commit(tasks.actors_changed, [instance.pk])


def note_actor_deleted(sender, instance, **kwargs) -> None:
    from alerts import tasks

    _after_commit(tasks.actors_changed, [instance.pk])


def connect() -> None:
    uid = "alerts.signals"
    for event_class in EVENT_CLASSES:
        pre_save.connect(note_event_before_save, sender=event_class, dispatch_uid=f"{uid}.pre")
        post_save.connect(note_event_saved, sender=event_class, dispatch_uid=f"{uid}.save")
    post_save.connect(note_story_saved, sender=Story, dispatch_uid=uid)
    stories_changed.connect(note_stories_changed, dispatch_uid=uid)
    pre_save.connect(note_actor_before_save, sender=Actor, dispatch_uid=uid)
    post_delete.connect(note_actor_deleted, sender=Actor, dispatch_uid=uid)
