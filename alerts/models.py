"""Watchlists and what they send.

- ``Watchlist``: a page a user saved ("Watch this" on the timeline, a pair or an actor), kept
  as the text they saw (``saved_url``) and parsed into indexed columns, so that matching a new
  event against every watchlist is one SQL statement (alerts.matching), not a Python loop.
- ``Notification``: one matching thing (an event, a story, an evidence change, a pair's shift)
  for one watchlist, unique on (watchlist, key): however many workers, beats or retries find
  it, ``INSERT ... ON CONFLICT DO NOTHING`` keeps one row.
- ``Delivery``: one mail or webhook POST carrying notifications (or a monthly brief), with its
  attempts and last error: the delivery log an owner reads.
- ``Publication``: when an event was first published (alerts only tell of events published
  after a watchlist was made).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from relations.models import Actor, Allegation, Event
from relations.search import MAX_QUERY_LENGTH

# What a pair's shift is measured against, in score points over 7 days (README "Alerts").
DEFAULT_SHIFT_THRESHOLD = 5.0
DEFAULT_STORY_OUTLETS = 3


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Watchlist(models.Model):
    class Scope(models.TextChoices):
        TIMELINE = "timeline", "Timeline filters"
        PAIR = "pair", "A pair of actors"
        ACTOR = "actor", "An actor"

    class EmailFrequency(models.TextChoices):
        OFF = "off", "No e-mail"
        IMMEDIATE = "immediate", "At once"
        DAILY = "daily", "Daily digest"
        WEEKLY = "weekly", "Weekly digest"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlists"
    )
    name = models.CharField(max_length=200)
    # The page as the owner saw it, path and query: the source of truth for the columns below.
    saved_url = models.CharField(max_length=2000)
    scope = models.CharField(max_length=8, choices=Scope.choices)
    actor_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    match_all = models.BooleanField(default=False)
    kinds = ArrayField(models.CharField(max_length=12), default=list, blank=True)
    categories = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    evidence_statuses = ArrayField(models.CharField(max_length=12), default=list, blank=True)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    search = models.CharField(max_length=MAX_QUERY_LENGTH, blank=True)
    # A pair watchlist: its two actors in id order, and whether people roll up into them.
    pair_low = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pair_high = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rollup = models.BooleanField(default=True)

    on_new_event = models.BooleanField("New published events", default=True)
    on_story = models.BooleanField("New machine-coded stories", default=False)
    story_min_outlets = models.PositiveSmallIntegerField(
        "Independent outlets at least",
        default=DEFAULT_STORY_OUTLETS,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    on_evidence = models.BooleanField("Evidence status changes", default=True)
    on_shift = models.BooleanField("Shifts in the pair", default=True)
    shift_threshold = models.FloatField(
        "Shift threshold (score points over 7 days)",
        default=DEFAULT_SHIFT_THRESHOLD,
        validators=[MinValueValidator(0.5), MaxValueValidator(200)],
    )

    email = models.CharField(
        max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE
    )
    webhook_url = models.URLField(max_length=2000, blank=True)
    webhook_secret = models.CharField(max_length=64, default=new_token)
    atom_token = models.CharField(max_length=64, default=new_token, unique=True)
    # Set when the webhook's last delivery gave up, cleared by the next success.
    webhook_problem = models.TextField(blank=True)

    paused = models.BooleanField(default=False)
    paused_reason = models.TextField(blank=True, help_text="Why the system paused it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["owner", "name"], name="watchlist_owner"),
            # Candidates for a new event: those naming one of its actors...
            GinIndex(fields=["actor_ids"], name="watchlist_actors"),
            # ... those naming none (every event of their kinds and dates) ...
            models.Index(
                fields=["id"],
                condition=models.Q(actor_ids=[]) & ~models.Q(scope="pair"),
                name="watchlist_any_actor",
            ),
            # ... and the pairs it is between.
            models.Index(fields=["pair_low", "pair_high"], name="watchlist_pair"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pair_low__isnull=True)
                | models.Q(pair_high__isnull=True)
                | models.Q(pair_low__lt=models.F("pair_high")),
                name="watchlist_pair_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("alerts:watchlist", args=[self.pk])

    @property
    def is_pair(self) -> bool:
        return self.scope == self.Scope.PAIR


class Publication(models.Model):
    """When an event was first seen published; a watchlist is told of events published after
    it was made. Written by the trigger (alerts.triggers), backfilled by the migration."""

    event = models.OneToOneField(Event, primary_key=True, on_delete=models.CASCADE)
    published_at = models.DateTimeField(db_index=True)
    # When the watchlists were last matched against it: the sweep re-matches those without.
    matched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"event {self.event_id} published {self.published_at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"
        BRIEF = "brief", "Monthly brief e-mail"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        RETRYING = "retrying", "Failed, will retry"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, gave up"
        WITHDRAWN = "withdrawn", "Nothing left to send"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    watchlist = models.ForeignKey(
        Watchlist, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Where it went (an address or a URL), as it was when sent.
    recipient = models.CharField(max_length=2000, blank=True)
    # A brief's month (its first day).
    month = models.DateField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["watchlist", "-created_at"], name="delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "retrying"]),
                name="delivery_due",
            ),
        ]
        constraints = [
            # One brief a month per owner, however many beats send it.
            models.UniqueConstraint(
                fields=["owner", "month"],
                condition=models.Q(channel="brief"),
                name="delivery_one_brief_a_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}: {self.get_status_display()}"


class Notification(models.Model):
    class Trigger(models.TextChoices):
        EVENT = "event", "New event"
        STORY = "story", "Machine-coded story"
        EVIDENCE = "evidence", "Evidence status change"
        SHIFT = "shift", "Shift in the pair"

    watchlist = models.ForeignKey(Watchlist, on_delete=models.CASCADE, related_name="notifications")
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    # What was notified, e.g. "event:12", "evidence:345" (a history record), "shift:2026-W49:down".
    key = models.CharField(max_length=100)
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    story = models.ForeignKey(
        "coding.Story", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    # The shift's figures and the events behind it; the evidence change's old and new status.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    email_delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    webhook_delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["watchlist", "key"], name="notification_once"),
        ]
        indexes = [
            models.Index(
                fields=["watchlist"],
                condition=models.Q(email_delivery__isnull=True),
                name="notification_unmailed",
            ),
            models.Index(
                fields=["watchlist"],
                condition=models.Q(webhook_delivery__isnull=True),
                name="notification_unposted",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BriefSubscription(models.Model):
    """An owner who asked for the monthly brief by e-mail."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brief_subscription"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"monthly brief for {self.owner}"


EVIDENCE_LABELS = dict(Allegation.EvidenceStatus.choices)
