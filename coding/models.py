"""What the machine coder produces and editors review (its lexicon is ``relations.Cue``).

- ``Suggestion``: one coded interaction found in one article: who did what to whom, the
  evidence sentence, the cue that fired, and how sure the coder is.
- ``Story``: the suggestions that report the same thing (same rolled-up pair, same category
  family, within a few days, across outlets and languages). Editors accept, reject or merge a
  story; its status survives re-coding.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from simple_history.models import HistoricalRecords

from relations.categories import Category
from relations.models import Actor, Event


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    MERGED = "merged", "Merged into an event"


class Story(models.Model):
    """One interaction as reported by one or more articles."""

    source = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=10, choices=Category.choices)
    # The category's close kin (e.g. ASSAULT/COERCE): stories join within a family.
    family = models.CharField(max_length=16)
    kind = models.CharField(max_length=12, choices=Event.Kind.choices)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    article_count = models.PositiveIntegerField(default=0)
    outlet_count = models.PositiveIntegerField(default=0)
    languages = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    confidence = models.FloatField(default=0)
    status = models.CharField(
        max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories"
    )
    reason = models.TextField(blank=True, help_text="Why it was rejected (optional).")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-last_seen"]
        verbose_name_plural = "stories"
        indexes = [
            # Placing a new suggestion: the pair, the family, and a window on last_seen.
            models.Index(fields=["source", "target", "family", "last_seen"], name="story_assign"),
            # The review queue (coding.views) reads each status most confident first, then
            # newest; the admin's list (status, then confidence) reads it too.
            models.Index(fields=["status", "-confidence", "-last_seen", "-id"], name="story_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}: {self.category} ({self.first_seen:%Y-%m-%d})"


class Suggestion(models.Model):
    """One coded interaction in one article."""

    # No index of its own: suggestion_unique (article, source, target, category) leads with
    # it, and every index more is one more write for each suggestion the stage inserts.
    article = models.ForeignKey(
        "ingest.Article", on_delete=models.CASCADE, related_name="suggestions", db_index=False
    )
    # Rolled up (a minister to their state, valid on the article's date) where an analyst
    # would expect it; the actors as named in the text are kept beside.
    source = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    source_named = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    target_named = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=10, choices=Category.choices)
    kind = models.CharField(max_length=12, choices=Event.Kind.choices)
    score = models.FloatField()
    confidence = models.FloatField()
    quote = models.TextField(help_text="The evidence sentence.")
    cue = models.CharField(max_length=200, help_text="The words that fired.")
    explanation = models.TextField(blank=True, help_text="Why the coder decided so.")
    # Character spans in the quote: {"source": [s, e], "target": [s, e], "cue": [s, e],
    # "claimant": [s, e] (reported claims)}.
    spans = models.JSONField(default=dict, blank=True)
    claimant = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # MinHash LSH band hashes of the article's text: near-duplicates share a band.
    bands = ArrayField(models.BigIntegerField(), default=list, blank=True)
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    status = models.CharField(
        max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    lexicon_version = models.CharField(max_length=64, blank=True)
    coded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-confidence", "id"]
        constraints = [
            # Two workers coding the same batch create one row.
            models.UniqueConstraint(
                fields=["article", "source", "target", "category"], name="suggestion_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0) & models.Q(confidence__lte=1),
                name="suggestion_confidence_0_1",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-confidence"], name="suggestion_queue"),
            GinIndex(fields=["bands"], name="suggestion_bands"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}: {self.category} (article {self.article_id})"


class ArticleCoding(models.Model):
    """What an article was last coded with (the stage skips it while both are unchanged).
    Its own table: ``ingest`` knows nothing of coding."""

    article = models.OneToOneField(
        "ingest.Article", on_delete=models.CASCADE, primary_key=True, related_name="coding"
    )
    coder_version = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)
    coded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"article {self.article_id} coded with {self.coder_version}"
