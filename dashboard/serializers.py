"""Read-only representations for the JSON API.

Views hand these querysets whose relations are already selected or prefetched (see
dashboard.api), so a page of results costs the same few queries however long it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from ingest.models import Article, Feed
from relations.models import (
    Actor,
    Affiliation,
    Alias,
    Allegation,
    Event,
    Interaction,
    Meeting,
    Participant,
    Source,
    Statement,
    independent_outlets,
)


def net_score(scores: Iterable[float]) -> float:
    """An event's net score: the sum of its interactions' scores, as the API, the CSV and
    the pages name and show it (0.0 without interactions)."""
    return round(sum(scores, 0.0), 3)


class AliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alias
        fields = ["text", "language"]


class AffiliationSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Affiliation
        fields = ["parent", "role", "start_date", "end_date"]


class ActorSerializer(serializers.ModelSerializer):
    aliases = AliasSerializer(many=True, read_only=True)
    affiliations = AffiliationSerializer(many=True, read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Actor
        fields = [
            "slug",
            "name",
            "kind",
            "country_code",
            "title",
            "description",
            "colour",
            "wikidata_id",
            "is_core",
            "url",
            "aliases",
            "affiliations",
        ]


class ParticipantSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Participant
        fields = ["actor", "role"]


class InteractionSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    target = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Interaction
        fields = ["source", "target", "score"]


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["url", "outlet", "title", "published_at", "quote", "language", "reliability"]


class MeetingDetailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["format", "city", "purpose", "outcome"]


class StatementDetailSerializer(serializers.ModelSerializer):
    speaker = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    responding_to = serializers.SerializerMethodField()

    class Meta:
        model = Statement
        fields = ["speaker", "quote", "original_language", "channel", "responding_to"]

    def get_responding_to(self, statement: Statement) -> int | None:
        """The id of the event answered, when the reader may see it (it may be a draft)."""
        answered = statement.responding_to
        if answered is None:
            return None
        if answered.status != Event.Status.PUBLISHED and not self.context.get("show_drafts"):
            return None
        return answered.pk


class AllegationDetailSerializer(serializers.ModelSerializer):
    claimant = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    accused = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    responses = serializers.SerializerMethodField()

    class Meta:
        model = Allegation
        fields = ["claimant", "accused", "claim", "evidence_status", "evidence_note", "responses"]

    def get_responses(self, allegation: Allegation) -> list[int]:
        """Ids of the published events (all, for editors) that answer the claim."""
        show_drafts = self.context.get("show_drafts", False)
        return [
            event.pk
            for event in allegation.responses.all()
            if show_drafts or event.status == Event.Status.PUBLISHED
        ]


class EventSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    interactions = InteractionSerializer(many=True, read_only=True)
    sources = SourceSerializer(many=True, read_only=True)
    net_score = serializers.SerializerMethodField(
        help_text="Net score: the sum of the interactions' scores (0 without interactions)."
    )
    independent_outlets = serializers.SerializerMethodField()
    meeting = MeetingDetailSerializer(read_only=True, allow_null=True)
    statement = StatementDetailSerializer(read_only=True, allow_null=True)
    allegation = AllegationDetailSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "title",
            "summary",
            "date",
            "date_precision",
            "location",
            "category",
            "status",
            "url",
            "created_at",
            "updated_at",
            "participants",
            "interactions",
            "net_score",
            "sources",
            "independent_outlets",
            "meeting",
            "statement",
            "allegation",
        ]

    def get_net_score(self, event: Event) -> float:
        return net_score(interaction.score for interaction in event.interactions.all())

    def get_independent_outlets(self, event: Event) -> int:
        return independent_outlets(event.sources.all())

    def to_representation(self, event: Event) -> dict:
        """The same fields as the declared ones, written out by hand: DRF's generic walk over
        fields cost more than the page's queries (a page of 50 events has some 2,000 values).
        ``test_the_fast_event_representations_match_the_declared_fields`` holds the two
        together."""
        interactions = event.interactions.all()
        sources = event.sources.all()
        return {
            "id": event.pk,
            "kind": event.kind,
            "title": event.title,
            "summary": event.summary,
            "date": _date(event.date),
            "date_precision": event.date_precision,
            "location": event.location,
            "category": event.category,
            "status": event.status,
            "url": event.get_absolute_url(),
            "created_at": _datetime(event.created_at),
            "updated_at": _datetime(event.updated_at),
            "participants": [
                {"actor": _slug(participant.actor), "role": participant.role}
                for participant in event.participants.all()
            ],
            "interactions": [
                {
                    "source": _slug(interaction.source),
                    "target": _slug(interaction.target),
                    "score": _float(interaction.score),
                }
                for interaction in interactions
            ],
            "net_score": self.get_net_score(event),
            "sources": [source_json(source) for source in sources],
            "independent_outlets": independent_outlets(sources),
            "meeting": self._meeting(event),
            "statement": self._statement(event),
            "allegation": self._allegation(event),
        }

    def _meeting(self, event: Event) -> dict | None:
        meeting = _one_to_one(event, "meeting")
        if meeting is None:
            return None
        return {
            "format": meeting.format,
            "city": meeting.city,
            "purpose": meeting.purpose,
            "outcome": meeting.outcome,
        }

    def _statement(self, event: Event) -> dict | None:
        statement = _one_to_one(event, "statement")
        if statement is None:
            return None
        return {
            "speaker": _slug(statement.speaker),
            "quote": statement.quote,
            "original_language": statement.original_language,
            "channel": statement.channel,
            "responding_to": StatementDetailSerializer(context=self.context).get_responding_to(
                statement
            ),
        }

    def _allegation(self, event: Event) -> dict | None:
        allegation = _one_to_one(event, "allegation")
        if allegation is None:
            return None
        return {
            "claimant": _slug(allegation.claimant),
            "accused": _slug(allegation.accused),
            "claim": allegation.claim,
            "evidence_status": allegation.evidence_status,
            "evidence_note": allegation.evidence_note,
            "responses": AllegationDetailSerializer(context=self.context).get_responses(allegation),
        }


def _datetime(value) -> str | None:
    """As DRF's DateTimeField writes it (ISO 8601 in the current time zone, "Z" for UTC),
    without its per-value checks: a page of events holds hundreds of timestamps."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value) -> str | None:
    return None if value is None else value.isoformat()


def _float(value) -> float | None:
    return None if value is None else float(value)


def _slug(actor) -> str | None:
    return None if actor is None else actor.slug


def _one_to_one(event: Event, name: str):
    """The kind's row of a multi-table event, or None (as DRF renders a missing one)."""
    try:
        return getattr(event, name)
    except ObjectDoesNotExist:
        return None


class FeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feed
        fields = [
            "id",
            "url",
            "title",
            "site_url",
            "language",
            "active",
            "status",
            "etag",
            "last_modified",
            "consecutive_failures",
            "last_error",
            "last_checked_at",
            "next_check_at",
        ]


class ArticleSerializer(serializers.ModelSerializer):
    actors = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "feed",
            "guid",
            "url",
            "title",
            "summary",
            "published_at",
            "language",
            "actors",
            "candidate_kind",
            "relevance",
            "review_status",
            "duplicate_of",
        ]


# Shapes of the analytics answers, for the OpenAPI schema (the views return plain dicts).


class DyadPointSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the week (Monday) or month.")
    period_end = serializers.DateField()
    a_to_b = serializers.FloatField(help_text="Sum of scores from a to b.")
    b_to_a = serializers.FloatField()
    a_to_b_count = serializers.IntegerField(help_text="Interactions from a to b.")
    b_to_a_count = serializers.IntegerField()
    events = serializers.IntegerField(help_text="Events between the two, either way.")


class DyadTotalsSerializer(serializers.Serializer):
    a_to_b = serializers.FloatField()
    b_to_a = serializers.FloatField()
    a_to_b_count = serializers.IntegerField()
    b_to_a_count = serializers.IntegerField()
    events = serializers.IntegerField()


class DyadSeriesSerializer(serializers.Serializer):
    a = serializers.SlugField()
    b = serializers.SlugField()
    bucket = serializers.ChoiceField(choices=["week", "month"])
    rollup = serializers.BooleanField()
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    points = DyadPointSerializer(many=True)
    totals = DyadTotalsSerializer()


class GraphNodeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.CharField()
    colour = serializers.CharField(allow_blank=True)
    is_core = serializers.BooleanField()
    activity = serializers.IntegerField(help_text="Interactions the actor takes part in.")


class GraphEdgeSerializer(serializers.Serializer):
    source = serializers.SlugField()
    target = serializers.SlugField()
    net_score = serializers.FloatField(help_text="Sum of scores, both directions.")
    count = serializers.IntegerField(help_text="Interactions, both directions.")
    events = serializers.IntegerField()


class GraphSerializer(serializers.Serializer):
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    rollup = serializers.BooleanField()
    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)
    edges_total = serializers.IntegerField(help_text="Edges before any limit.")


# --- Lists of events as plain rows ------------------------------------------------------------

# The page query of /api/events/ reads these columns (the event and its kind's row, joined);
# ``event_list_data`` turns them and four batched queries into EventSerializer's output.
EVENT_LIST_COLUMNS = (
    "id",
    "kind",
    "title",
    "summary",
    "date",
    "date_precision",
    "location",
    "category",
    "status",
    "created_at",
    "updated_at",
    "meeting",
    "meeting__format",
    "meeting__city",
    "meeting__purpose",
    "meeting__outcome",
    "statement",
    "statement__speaker__slug",
    "statement__quote",
    "statement__original_language",
    "statement__channel",
    "statement__responding_to",
    "statement__responding_to__status",
    "allegation",
    "allegation__claimant__slug",
    "allegation__accused__slug",
    "allegation__claim",
    "allegation__evidence_status",
    "allegation__evidence_note",
)


class _SourceRow(NamedTuple):
    event_id: int
    url: str
    outlet: str
    title: str
    published_at: object
    quote: str
    language: str
    reliability: str


def event_list_data(rows, *, show_drafts: bool) -> list[dict]:
    """EventSerializer's representation of a page of events, from ``EVENT_LIST_COLUMNS``
    rows (values_list, in page order) and one query per nested list: no model instances and
    no prefetch machinery, which cost several times the queries on a page of 50 events.
    ``test_the_fast_event_representations_match_the_declared_fields`` holds the two together."""
    rows = [dict(zip(EVENT_LIST_COLUMNS, row, strict=True)) for row in rows]
    ids = [row["id"] for row in rows]
    participants: dict[int, list] = {pk: [] for pk in ids}
    interactions: dict[int, list] = {pk: [] for pk in ids}
    sources: dict[int, list] = {pk: [] for pk in ids}
    responses: dict[int, list] = {pk: [] for pk in ids}
    if ids:
        for event_id, actor, role in (
            Participant.objects.filter(event_id__in=ids)
            .order_by("id")
            .values_list("event_id", "actor__slug", "role")
        ):
            participants[event_id].append({"actor": actor, "role": role})
        for event_id, source, target, score in (
            Interaction.objects.filter(event_id__in=ids)
            .order_by("id")
            .values_list("event_id", "source__slug", "target__slug", "score")
        ):
            interactions[event_id].append(
                {"source": source, "target": target, "score": _float(score)}
            )
        for values in (
            Source.objects.filter(event_id__in=ids)
            .order_by("published_at", "id")
            .values_list(*_SourceRow._fields)
        ):
            source = _SourceRow(*values)
            sources[source.event_id].append(source)
        for allegation_id, event_id, status in (
            Allegation.responses.through.objects.filter(allegation_id__in=ids)
            .order_by("event_id")
            .values_list("allegation_id", "event_id", "event__status")
        ):
            if show_drafts or status == Event.Status.PUBLISHED:
                responses[allegation_id].append(event_id)
    prefix = reverse("dashboard:event", args=[0]).removesuffix("0/")
    return [
        _event_row_data(
            row,
            url=f"{prefix}{row['id']}/",
            participants=participants[row["id"]],
            interactions=interactions[row["id"]],
            sources=sources[row["id"]],
            responses=responses[row["id"]],
            show_drafts=show_drafts,
        )
        for row in rows
    ]


def _event_row_data(row, *, url, participants, interactions, sources, responses, show_drafts):
    meeting = statement = allegation = None
    if row["meeting"] is not None:
        meeting = {
            "format": row["meeting__format"],
            "city": row["meeting__city"],
            "purpose": row["meeting__purpose"],
            "outcome": row["meeting__outcome"],
        }
    if row["statement"] is not None:
        answered = row["statement__responding_to"]
        if answered is not None and not (
            show_drafts or row["statement__responding_to__status"] == Event.Status.PUBLISHED
        ):
            answered = None
        statement = {
            "speaker": row["statement__speaker__slug"],
            "quote": row["statement__quote"],
            "original_language": row["statement__original_language"],
            "channel": row["statement__channel"],
            "responding_to": answered,
        }
    if row["allegation"] is not None:
        allegation = {
            "claimant": row["allegation__claimant__slug"],
            "accused": row["allegation__accused__slug"],
            "claim": row["allegation__claim"],
            "evidence_status": row["allegation__evidence_status"],
            "evidence_note": row["allegation__evidence_note"],
            "responses": responses,
        }
    return {
        "id": row["id"],
        "kind": row["kind"],
        "title": row["title"],
        "summary": row["summary"],
        "date": _date(row["date"]),
        "date_precision": row["date_precision"],
        "location": row["location"],
        "category": row["category"],
        "status": row["status"],
        "url": url,
        "created_at": _datetime(row["created_at"]),
        "updated_at": _datetime(row["updated_at"]),
        "participants": participants,
        "interactions": interactions,
        "net_score": net_score(item["score"] for item in interactions),
        "sources": [source_json(source) for source in sources],
        "independent_outlets": independent_outlets(sources),
        "meeting": meeting,
        "statement": statement,
        "allegation": allegation,
    }


# --- A page of events written by the database -------------------------------------------------


def _iso_utc(column: str) -> str:
    """SQL writing a timestamptz as DRF does in UTC: '2023-10-26T12:00:00Z', with
    microseconds only when there are some."""
    local = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE "
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN extract(microseconds FROM {column})::bigint %% 1000000 <> 0 "
        f"THEN to_char({local}, '.US') ELSE '' END || 'Z' END"
    )


# One statement for a whole page: the nested lists as correlated subqueries, ordered as the
# prefetches of EventViewSet order them. net_score and independent_outlets are left to
# Python (the same functions as the serializer's); keys keep EventSerializer's order.
_EVENT_PAGE = f"""
SELECT coalesce(json_agg(json_build_object(
    'id', e.id, 'kind', e.kind, 'title', e.title, 'summary', e.summary,
    'date', to_char(e.date, 'YYYY-MM-DD'), 'date_precision', e.date_precision,
    'location', e.location, 'category', e.category, 'status', e.status,
    'url', %(prefix)s || e.id || '/',
    'created_at', {_iso_utc("e.created_at")}, 'updated_at', {_iso_utc("e.updated_at")},
    'participants', coalesce((
        SELECT json_agg(json_build_object('actor', a.slug, 'role', p.role) ORDER BY p.id)
        FROM relations_participant p JOIN relations_actor a ON a.id = p.actor_id
        WHERE p.event_id = e.id), '[]'),
    'interactions', coalesce((
        -- The score as text: JSON has no negative zero, and Python reads the exact float.
        SELECT json_agg(json_build_object('source', s.slug, 'target', t.slug,
                                          'score', i.score::text) ORDER BY i.id)
        FROM relations_interaction i
        JOIN relations_actor s ON s.id = i.source_id
        JOIN relations_actor t ON t.id = i.target_id
        WHERE i.event_id = e.id), '[]'),
    'net_score', NULL,
    'sources', coalesce((
        SELECT json_agg(json_build_object(
            'url', so.url, 'outlet', so.outlet, 'title', so.title,
            'published_at', {_iso_utc("so.published_at")}, 'quote', so.quote,
            'language', so.language, 'reliability', so.reliability)
            ORDER BY so.published_at, so.id)
        FROM relations_source so WHERE so.event_id = e.id), '[]'),
    'independent_outlets', NULL,
    'meeting', CASE WHEN m.event_ptr_id IS NOT NULL THEN json_build_object(
        'format', m.format, 'city', m.city, 'purpose', m.purpose, 'outcome', m.outcome) END,
    'statement', CASE WHEN st.event_ptr_id IS NOT NULL THEN json_build_object(
        'speaker', sp.slug, 'quote', st.quote, 'original_language', st.original_language,
        'channel', st.channel,
        'responding_to', CASE WHEN %(show_drafts)s OR answered.status = %(published)s
                              THEN answered.id END) END,
    'allegation', CASE WHEN al.event_ptr_id IS NOT NULL THEN json_build_object(
        'claimant', claimant.slug, 'accused', accused.slug, 'claim', al.claim,
        'evidence_status', al.evidence_status, 'evidence_note', al.evidence_note,
        'responses', coalesce((
            SELECT json_agg(r.event_id ORDER BY r.event_id)
            FROM relations_allegation_responses r
            JOIN relations_event response ON response.id = r.event_id
            WHERE r.allegation_id = e.id
              AND (%(show_drafts)s OR response.status = %(published)s)), '[]')) END
) ORDER BY page.position), '[]')
FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS page(id, position)
JOIN relations_event e ON e.id = page.id
LEFT JOIN relations_meeting m ON m.event_ptr_id = e.id
LEFT JOIN relations_statement st ON st.event_ptr_id = e.id
LEFT JOIN relations_actor sp ON sp.id = st.speaker_id
LEFT JOIN relations_event answered ON answered.id = st.responding_to_id
LEFT JOIN relations_allegation al ON al.event_ptr_id = e.id
LEFT JOIN relations_actor claimant ON claimant.id = al.claimant_id
LEFT JOIN relations_actor accused ON accused.id = al.accused_id
"""


class _Outlet(NamedTuple):
    url: str
    outlet: str


def event_page_data(event_ids: list[int], *, show_drafts: bool) -> list[dict]:
    """EventSerializer's representation of these events, in this order.

    The database writes the page as JSON in one statement, so the cost of a page stays in
    SQL rather than in building and walking Python objects. Outside UTC (the site's zone)
    the rows go through ``event_list_data`` instead, which dates in any zone.
    ``test_the_fast_event_representations_match_the_declared_fields`` holds both to the
    serializer."""
    if timezone.get_current_timezone_name() != "UTC":
        rows = (
            Event.objects.filter(pk__in=event_ids)
            .order_by("-date", "-id")
            .values_list(*EVENT_LIST_COLUMNS)
        )
        by_id = {row[0]: row for row in rows}
        return event_list_data([by_id[pk] for pk in event_ids], show_drafts=show_drafts)
    if not event_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _EVENT_PAGE,
            {
                "ids": list(event_ids),
                "prefix": reverse("dashboard:event", args=[0]).removesuffix("0/"),
                "show_drafts": show_drafts,
                "published": Event.Status.PUBLISHED,
            },
        )
        (events,) = cursor.fetchone()
    if isinstance(events, str):  # a driver that leaves json undecoded
        events = json.loads(events)
    for event in events:
        for interaction in event["interactions"]:
            interaction["score"] = _float(interaction["score"])
        event["net_score"] = net_score(i["score"] for i in event["interactions"])
        event["independent_outlets"] = independent_outlets(
            [_Outlet(source["url"], source["outlet"]) for source in event["sources"]]
        )
    return events


def source_json(source) -> dict:
    """One source as the events API writes it (both writers share it)."""
    return {
        "url": source.url,
        "outlet": source.outlet,
        "title": source.title,
        "published_at": _datetime(source.published_at),
        "quote": source.quote,
        "language": source.language,
        "reliability": source.reliability,
    }
