"""News feeds, every fetch of them, the articles they carry and the actors those mention."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.utils import timezone

from relations.models import Actor, Event, Language


class Feed(models.Model):
    class Status(models.TextChoices):
        OK = "ok", "OK"
        FAILING = "failing", "Failing"
        GONE = "gone", "Gone"
        DISABLED = "disabled", "Disabled"

    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=300, blank=True)
    site_url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, blank=True)
    active = models.BooleanField(default=True)
    poll_interval = models.DurationField(default=timezone.timedelta(minutes=30))
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(default=timezone.now)
    # A claim keeps two workers from fetching one feed at once; it expires on its own so a
    # worker that died mid-fetch does not hold the feed forever.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Who holds the claim (a Celery task id): the same task delivered again after its worker
    # died may take the claim back at once instead of waiting for it to expire.
    claimed_by = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "url"]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="feed_due",
                condition=models.Q(active=True, status__in=["ok", "failing"]),
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class FetchLog(models.Model):
    class Outcome(models.TextChoices):
        NEW = "new", "New entries"
        NOT_MODIFIED = "not_modified", "Not modified (304)"
        UNCHANGED = "unchanged", "Unchanged (nothing new)"
        ERROR = "error", "Error"
        GONE = "gone", "Gone (410)"
        MOVED = "moved", "Moved permanently"
        RATE_LIMITED = "rate_limited", "Rate limited"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="fetch_logs")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    entries_seen = models.PositiveIntegerField(default=0)
    entries_new = models.PositiveIntegerField(default=0)
    entries_updated = models.PositiveIntegerField(default=0)
    entries_duplicate = models.PositiveIntegerField(
        default=0, help_text="New entries that another feed already carried."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["feed", "-started_at"], name="fetchlog_feed_started")]

    def __str__(self) -> str:
        return f"{self.feed} at {self.started_at:%Y-%m-%d %H:%M}: {self.outcome}"


class Article(models.Model):
    class CandidateKind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        STATEMENT = "statement", "Statement"
        ALLEGATION = "allegation", "Allegation"

    class ReviewStatus(models.TextChoices):
        NEW = "new", "New"
        LINKED = "linked", "Linked"
        DISMISSED = "dismissed", "Dismissed"

    # No index of its own: (feed, guid) and (feed, published_at) lead with it, and every
    # ingested article would pay for a third.
    feed = models.ForeignKey(
        Feed, on_delete=models.CASCADE, related_name="articles", db_index=False
    )
    guid = models.CharField(
        max_length=1000, help_text="The entry's id, or its canonical link, or a hash of both."
    )
    url = models.URLField(max_length=2000, blank=True, help_text="Canonical link.")
    title = models.CharField(max_length=1000, blank=True)
    summary = models.TextField(blank=True, help_text="Plain text.")
    content = models.TextField(blank=True, help_text="Sanitised HTML.")
    author = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField()
    published_raw = models.CharField(
        max_length=200, blank=True, help_text="The date as the feed wrote it."
    )
    fetched_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=2, choices=Language.choices, blank=True)
    content_hash = models.CharField(max_length=64)
    relevance = models.FloatField(default=0)
    candidate_kind = models.CharField(max_length=12, choices=CandidateKind.choices, blank=True)
    review_status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.NEW
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    actors = models.ManyToManyField(Actor, through="Mention", related_name="articles")

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["feed", "guid"], name="article_unique_feed_guid")
        ]
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="article_published"),
            models.Index(fields=["url"], name="article_url"),
            models.Index(
                fields=["review_status", "-relevance", "-published_at"], name="article_inbox"
            ),
            models.Index(fields=["feed", "-published_at"], name="article_feed_published"),
            models.Index(fields=["fetched_at"], name="article_fetched"),
            # The inbox's search (dashboard.filters.ArticleFilter) matches this expression,
            # so a search of a million articles reads the index, not every row.
            GinIndex(SearchVector("title", "summary", config="simple"), name="article_search"),
        ]

    def __str__(self) -> str:
        return self.title or self.url or self.guid


class Mention(models.Model):
    # No single-column indexes: (article, actor) and (actor, article) lead with each.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="mentions", db_index=False
    )
    actor = models.ForeignKey(
        Actor, on_delete=models.CASCADE, related_name="mentions", db_index=False
    )
    count = models.PositiveIntegerField(default=1)
    alias = models.CharField(max_length=200, help_text="The alias that matched first.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "actor"], name="mention_unique_actor")
        ]
        indexes = [models.Index(fields=["actor", "article"], name="mention_actor_article")]

    def __str__(self) -> str:
        return f"{self.actor} ×{self.count}"
