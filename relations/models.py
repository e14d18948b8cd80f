"""The domain: actors and how they deal with each other, as sourced, scored events."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from relations.categories import SCORE_MAX, SCORE_MIN, Category, default_score


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    RUSSIAN = "ru", "Russian"
    HEBREW = "he", "Hebrew"
    ARABIC = "ar", "Arabic"
    UKRAINIAN = "uk", "Ukrainian"
    PERSIAN = "fa", "Persian"
    OTHER = "xx", "Other"


class Actor(models.Model):
    class Kind(models.TextChoices):
        STATE = "state", "State"
        GOVERNMENT_BODY = "government_body", "Government body"
        ORGANISATION = "organisation", "Organisation"
        ARMED_GROUP = "armed_group", "Armed group"
        PERSON = "person", "Person"
        INTERNATIONAL_BODY = "international_body", "International body"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    country_code = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use an ISO 3166-1 alpha-2 code, e.g. RU.")],
    )
    title = models.CharField(max_length=200, blank=True, help_text="For a person: their office.")
    description = models.TextField(blank=True)
    colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #1f77b4.")],
    )
    wikidata_id = models.CharField(
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[0-9]+$", "A Wikidata id looks like Q159.")],
    )
    is_core = models.BooleanField(default=False, help_text="Shown on the overview.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"], name="actor_kind_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dashboard:actor", args=[self.slug])


class Alias(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    text = models.CharField(max_length=200)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    case_sensitive = models.BooleanField(
        default=False,
        help_text="Match only with this exact case (for short forms such as 'US' or 'PA').",
    )

    class Meta:
        ordering = ["language", "text"]
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(
                Lower("text"), "language", name="alias_unique_text_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text} ({self.language})"


class Affiliation(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="affiliations")
    parent = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=200, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Empty while it holds.")

    class Meta:
        ordering = ["actor", "start_date"]
        indexes = [models.Index(fields=["actor", "start_date"], name="affiliation_actor_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="affiliation_dates_in_order",
                violation_error_message="The end date must not be before the start date.",
            ),
            models.CheckConstraint(
                condition=~models.Q(actor=models.F("parent")),
                name="affiliation_not_self",
                violation_error_message="An actor cannot be affiliated with itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} → {self.parent} ({self.role or 'member'})"

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or day <= self.end_date
        )


# The admin's event forms check the same rule with the sources of the submission (relations.forms).
PUBLISHED_NEEDS_SOURCE = "A published event needs at least one source: add one, or keep it a draft."

# Event dates: nothing the dashboard tracks happened before 1900, and an event is at most
# planned a year ahead. The database holds a fixed outer bound (a CHECK cannot read today's
# date), so rows written around the model (COPY, update()) cannot reach year 9999, whose
# weekly series once made a pair page 165 MB.
EARLIEST_EVENT_DATE = dt.date(1900, 1, 1)
EVENT_DATE_CEILING = dt.date(2200, 1, 1)
EVENT_DAYS_AHEAD = 366


def latest_event_date() -> dt.date:
    return dt.date.today() + dt.timedelta(days=EVENT_DAYS_AHEAD)


def validate_event_date(value: dt.date) -> None:
    if value < EARLIEST_EVENT_DATE:
        raise ValidationError(
            f"An event's date must be on or after {EARLIEST_EVENT_DATE:%Y-%m-%d}.",
            code="too_early",
        )
    latest = latest_event_date()
    if value > latest:
        raise ValidationError(
            f"An event's date can be at most a year ahead (until {latest:%Y-%m-%d}).",
            code="too_late",
        )


class Event(models.Model):
    """Concrete base of Meeting, Statement, Allegation and Action (multi-table inheritance)."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        STATEMENT = "statement", "Statement"
        ALLEGATION = "allegation", "Allegation"
        ACTION = "action", "Action"

    class Precision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"
        YEAR = "year", "Year"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    kind = models.CharField(max_length=12, choices=Kind.choices, editable=False)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    date = models.DateField(validators=[validate_event_date])
    date_precision = models.CharField(
        max_length=5, choices=Precision.choices, default=Precision.DAY
    )
    location = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=10, choices=Category.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(
        blank=True, help_text="Editors' note: how the date was set, where a source is wrong."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = SearchVectorField(null=True, editable=False)
    history = HistoricalRecords(inherit=True, excluded_fields=["search_vector"])

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["status", "-date", "-id"], name="event_status_date"),
            models.Index(fields=["kind", "status", "-date"], name="event_kind_status_date"),
            models.Index(fields=["category", "-date"], name="event_category_date"),
            GinIndex(fields=["search_vector"], name="event_search_vector"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date__gte=EARLIEST_EVENT_DATE)
                & models.Q(date__lt=EVENT_DATE_CEILING),
                name="event_date_in_range",
                violation_error_message="An event's date must be between 1900 and 2199.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dashboard:event", args=[self.pk])

    def save(self, *args, **kwargs):
        if not self.kind and type(self) is not Event:
            self.kind = type(self).KIND
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def clean(self):
        super().clean()
        if self.is_published and (self.pk is None or not self.sources.exists()):
            raise ValidationError({"status": PUBLISHED_NEEDS_SOURCE})

    def specific(self) -> Event:
        """The Meeting, Statement, Allegation or Action row behind this event."""
        if type(self) is not Event:
            return self
        return getattr(self, self.kind, self)

    def independent_outlet_count(self) -> int:
        return independent_outlets(self.sources.all())


class Meeting(Event):
    KIND = Event.Kind.MEETING

    class Format(models.TextChoices):
        VISIT = "visit", "Visit"
        HOSTED = "hosted", "Hosted"
        THIRD_PARTY = "third_party", "Third party"
        MULTILATERAL = "multilateral", "Multilateral"
        PHONE = "phone", "Phone call"

    format = models.CharField(max_length=12, choices=Format.choices, default=Format.HOSTED)
    city = models.CharField(max_length=100, blank=True)
    purpose = models.TextField(blank=True)
    outcome = models.TextField(blank=True)


class Statement(Event):
    KIND = Event.Kind.STATEMENT

    class Channel(models.TextChoices):
        PRESS_CONFERENCE = "press_conference", "Press conference"
        INTERVIEW = "interview", "Interview"
        OFFICIAL_STATEMENT = "official_statement", "Official statement"
        SOCIAL_MEDIA = "social_media", "Social media"
        SPEECH = "speech", "Speech"
        VOTE_EXPLANATION = "vote_explanation", "Explanation of vote"

    speaker = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="statements")
    quote = models.TextField(blank=True)
    original_language = models.CharField(max_length=2, choices=Language.choices, blank=True)
    channel = models.CharField(
        max_length=20, choices=Channel.choices, default=Channel.OFFICIAL_STATEMENT
    )
    responding_to = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="statement_responses"
    )


class Allegation(Event):
    KIND = Event.Kind.ALLEGATION

    class EvidenceStatus(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        DISPUTED = "disputed", "Disputed"
        CORROBORATED = "corroborated", "Corroborated"
        CONFIRMED = "confirmed", "Confirmed"
        REFUTED = "refuted", "Refuted"
        RETRACTED = "retracted", "Retracted"

    claimant = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="claims_made")
    accused = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="claims_against")
    claim = models.TextField()
    evidence_status = models.CharField(
        max_length=12, choices=EvidenceStatus.choices, default=EvidenceStatus.UNVERIFIED
    )
    evidence_note = models.TextField(blank=True)
    responses = models.ManyToManyField(
        Event,
        blank=True,
        related_name="responded_allegations",
        help_text="Denials, corroborations and other events that answer this claim.",
    )

    class Meta:
        indexes = [models.Index(fields=["evidence_status"], name="allegation_evidence_status")]


class Action(Event):
    """Something done rather than said: a strike, rocket fire, an aid delivery, a sanction, a
    deployment, an expulsion, a release of captives. No category is forced: an editor picks one
    (ASSAULT for an attack, AID for a delivery, SANCTION for a sanction...)."""

    KIND = Event.Kind.ACTION

    class Means(models.TextChoices):
        STRIKE = "strike", "Strike"
        ROCKET_FIRE = "rocket_fire", "Rocket fire"
        GROUND_ASSAULT = "ground_assault", "Ground assault"
        AID_DELIVERY = "aid_delivery", "Aid delivery"
        SANCTION = "sanction", "Sanction"
        DEPLOYMENT = "deployment", "Deployment"
        EXPULSION = "expulsion", "Expulsion"
        CAPTIVE_RELEASE = "captive_release", "Release of captives"
        OTHER = "other", "Other"

    means = models.CharField(max_length=16, choices=Means.choices, default=Means.OTHER)
    means_detail = models.CharField(
        max_length=300, blank=True, help_text="In words: what was used or done, e.g. drones."
    )
    place = models.CharField(max_length=200, blank=True, help_text="Where it was done.")
    killed = models.PositiveIntegerField(
        null=True, blank=True, help_text="Reported dead; empty when no figure is given."
    )
    wounded = models.PositiveIntegerField(null=True, blank=True, help_text="Reported wounded.")
    captives_taken = models.PositiveIntegerField(
        null=True, blank=True, help_text="Reported taken hostage or captive."
    )
    casualties_note = models.TextField(
        blank=True, help_text="Whose figures these are and how the source words them."
    )


EVENT_MODELS: dict[str, type[Event]] = {
    Event.Kind.MEETING: Meeting,
    Event.Kind.STATEMENT: Statement,
    Event.Kind.ALLEGATION: Allegation,
    Event.Kind.ACTION: Action,
}


class Participant(models.Model):
    class Role(models.TextChoices):
        HOST = "host", "Host"
        GUEST = "guest", "Guest"
        PARTICIPANT = "participant", "Participant"
        SPEAKER = "speaker", "Speaker"
        TARGET = "target", "Target"
        CLAIMANT = "claimant", "Claimant"
        ACCUSED = "accused", "Accused"
        MEDIATOR = "mediator", "Mediator"
        SUBJECT = "subject", "Subject"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PARTICIPANT)

    class Meta:
        ordering = ["event", "id"]
        indexes = [models.Index(fields=["actor", "event"], name="participant_actor_event")]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "actor", "role"], name="participant_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor} ({self.role})"


class Interaction(models.Model):
    """A directed, scored relation between two actors that an event shows."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="interactions")
    source = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="interactions_out")
    target = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="interactions_in")
    score = models.FloatField(
        blank=True,
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)],
        help_text="−10 (conflict) to +10 (cooperation). Empty: the category's default.",
    )

    class Meta:
        ordering = ["event", "id"]
        indexes = [
            models.Index(fields=["source", "target"], name="interaction_dyad"),
            models.Index(fields=["target", "source"], name="interaction_dyad_reverse"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=SCORE_MIN) & models.Q(score__lte=SCORE_MAX),
                name="interaction_score_range",
                violation_error_message="The score must lie between −10 and +10.",
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="interaction_distinct_actors",
                violation_error_message="Source and target must be different actors.",
            ),
            models.UniqueConstraint(
                fields=["event", "source", "target"], name="interaction_unique_per_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}: {self.score:+.1f}"

    def save(self, *args, **kwargs):
        if self.score is None:
            self.score = default_score(self.event.category)
        super().save(*args, **kwargs)


class Source(models.Model):
    class Reliability(models.TextChoices):
        A = "A", "A — completely reliable"
        B = "B", "B — usually reliable"
        C = "C", "C — fairly reliable"
        D = "D", "D — not usually reliable"
        E = "E", "E — unreliable"
        F = "F", "F — reliability cannot be judged"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(max_length=2000, blank=True)
    outlet = models.CharField(max_length=200)
    title = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    quote = models.TextField(help_text="The exact words that support the event.")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    reliability = models.CharField(max_length=1, choices=Reliability.choices, blank=True)

    class Meta:
        ordering = ["event", "published_at", "id"]
        indexes = [models.Index(fields=["event"], name="source_event")]

    def __str__(self) -> str:
        return f"{self.outlet}: {self.title or self.url}"


def independent_outlets(sources) -> int:
    """How many independent outlets support an event: one URL or one outlet counts once."""
    seen_outlets: set[str] = set()
    seen_urls: set[str] = set()
    count = 0
    for source in sources:
        outlet = source.outlet.strip().casefold()
        url = _url_identity(source.url)
        if outlet in seen_outlets or (url and url in seen_urls):
            continue
        seen_outlets.add(outlet)
        if url:
            seen_urls.add(url)
        count += 1
    return count


def _url_identity(url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}?{parts.query}"


class DyadDay(models.Model):
    """One directed pair's published interactions on one day, summed: what charts read.

    Kept current by relations.signals (see relations.analytics.refresh_dyad_days), so the dyad
    series, graph and heatmap never scan raw interactions. ``rollup`` rows count a person (or
    a government body) as the organisation or state it belonged to on the event's date.
    """

    day = models.DateField()
    source = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    rollup = models.BooleanField()
    score_sum = models.FloatField()
    interaction_count = models.PositiveIntegerField()
    event_count = models.PositiveIntegerField(help_text="Events with this directed interaction.")
    # Events between the two in either direction that day, kept on one of the pair's two rows
    # (source < target when both exist) and 0 on the other, so summing rows over any window
    # counts each event once without a raw scan.
    pair_event_count = models.PositiveIntegerField(
        help_text="Events between the pair that day, either way; on one of its two rows only."
    )

    class Meta:
        constraints = [
            # Also covers a pair's series and net scores: its rows are read from the index
            # alone, wherever on the table they lie.
            models.UniqueConstraint(
                fields=["rollup", "source", "target", "day"],
                include=["score_sum", "interaction_count", "pair_event_count"],
                name="dyadday_unique_pair_day",
            ),
        ]
        indexes = [
            # Covers the graph and heatmap: a window's rows are read from the index alone.
            models.Index(
                fields=["rollup", "day"],
                include=["source", "target", "score_sum", "interaction_count", "pair_event_count"],
                name="dyadday_rollup_day_covering",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.source_id} → {self.target_id} {self.score_sum:+.1f}"


class PairContribution(models.Model):
    """What one published event added to one rolled-up pair's net score: the sum of its
    interactions between the two, both ways, after roll-up (as the DyadDay ``rollup`` rows
    count them). What the monthly brief ranks a pair's "driving" events and lists its
    allegations by, without reading the month's interactions.

    Kept current with the DyadDay rows, by the same refresh of whole days
    (relations.analytics.refresh_dyad_days) after the same commits.
    """

    # Their own indexes would repeat the first columns of the unique constraint's and of
    # the drivers index.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+", db_index=False)
    low = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+", db_index=False)
    high = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(help_text="The event's date.")
    month = models.DateField(help_text="The first day of the event's month.")
    contribution = models.FloatField()
    allegation = models.BooleanField(help_text="The event is an allegation.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "low", "high"], name="paircontribution_unique_event_pair"
            ),
        ]
        indexes = [
            # A pair's month in order of contribution: its top drivers are the first (or
            # last) few entries, whichever way the month went.
            models.Index(
                fields=["low", "high", "month", "contribution", "date", "event"],
                name="paircontribution_drivers",
            ),
            # A pair's allegations of a month by date.
            models.Index(
                fields=["low", "high", "date", "event"],
                condition=models.Q(allegation=True),
                include=["contribution"],
                name="paircontribution_allegations",
            ),
            # The refresh of whole days.
            models.Index(fields=["date"], name="paircontribution_date"),
        ]

    def __str__(self) -> str:
        pair = f"{self.low_id}–{self.high_id}"
        return f"{self.date}: event {self.event_id} {pair} {self.contribution:+.1f}"


class PairMonth(models.Model):
    """One rolled-up pair's month, both directions together: the sum of its DyadDay
    ``rollup`` rows (net score, interactions, events). What the monthly brief judges pairs
    by, twelve rows a pair for a year instead of a row a day and direction.

    Kept current with the DyadDay rows, by the same refresh (relations.analytics
    .refresh_dyad_days recomputes the months of the days it refreshes).
    """

    # Its own index would repeat the first column of the unique constraint's.
    low = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+", db_index=False)
    high = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    net = models.FloatField(help_text="Both directions' scores, summed.")
    interactions = models.PositiveIntegerField()
    events = models.PositiveIntegerField(help_text="Events between the two, either way.")

    class Meta:
        constraints = [
            # Covers a pair's months: read from the index alone.
            models.UniqueConstraint(
                fields=["low", "high", "month"],
                include=["net", "interactions", "events"],
                name="pairmonth_unique_pair_month",
            ),
        ]
        indexes = [
            # Covers the month's pairs and their events.
            models.Index(
                fields=["month"], include=["low", "high", "events"], name="pairmonth_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.low_id}–{self.high_id} {self.net:+.1f}"


class Cue(models.Model):
    """One entry of the cue lexicon: a phrase that signals a PLOVER category (or negates or
    reports one) in one language. Loaded from ``seeds/cues-<language>.yaml`` by ``load_seeds``,
    editable in the admin; the event form's category guess (``relations.cues``) and the machine
    coder (``coding``) both read it."""

    class Match(models.TextChoices):
        PREFIX = "prefix", "Word start (“condemn” matches “condemned”)"
        WORD = "word", "Whole word or phrase"
        LEMMA = "lemma", "Lemma (any inflected form; Russian through pymorphy3)"

    class Polarity(models.TextChoices):
        ACT = "act", "Codes the category"
        NEGATION = "negation", "Denial or negation: the act is not coded"
        REPORT = "report", "Reported claim: coded as an allegation of the act"
        STOP = "stop", "Sport, culture, markets: a sentence with it is not coded"
        MODAL = "modal", "Future or conditional: a forceful act it governs is a threat"

    category = models.CharField(max_length=10, choices=Category.choices, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices)
    phrase = models.CharField(max_length=200)
    match = models.CharField(max_length=6, choices=Match.choices, default=Match.PREFIX)
    polarity = models.CharField(max_length=8, choices=Polarity.choices, default=Polarity.ACT)
    kind_hint = models.CharField(max_length=12, choices=Event.Kind.choices, blank=True)
    symmetric = models.BooleanField(
        default=False, help_text="Talks, calls, agreements: coded once per pair."
    )
    passive = models.BooleanField(
        default=False,
        help_text="The phrase is passive (“was received by”): the actor after it is the source.",
    )
    weight = models.FloatField(default=1.0, help_text="How strongly the phrase signals its act.")
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language", "category", "phrase"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "phrase", "category", "polarity"], name="cue_unique"
            ),
            models.CheckConstraint(condition=~models.Q(phrase=""), name="cue_phrase_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: «{self.phrase}» → {self.category or self.polarity}"

    def clean(self) -> None:
        if self.polarity == self.Polarity.ACT and not self.category:
            raise ValidationError({"category": "A cue that codes an act needs its category."})
        if not self.phrase.strip():
            raise ValidationError({"phrase": "A cue needs a phrase."})
