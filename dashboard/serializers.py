"""Read-only representations for the JSON API.

Views hand these querysets whose relations are already selected or prefetched (see
dashboard.api), so a page of results costs the same few queries however long it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from operator import attrgetter
from typing import NamedTuple

from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import serializers

from coding.models import Story, Suggestion
from ingest.models import Article, Feed
from relations.models import (
    Action,
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


class ActionDetailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = [
            "means",
            "means_detail",
            "place",
            "killed",
            "wounded",
            "captives_taken",
            "casualties_note",
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
    action = ActionDetailSerializer(read_only=True, allow_null=True)

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
            "action",
        ]

    def get_net_score(self, event: Event) -> float:
        return net_score(interaction.score for interaction in event.interactions.all())

    def get_independent_outlets(self, event: Event) -> int:
        return independent_outlets(event.sources.all())


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


# --- Rows written from what the API's queries read -----------------------------------------

# Fields whose to_representation gives back a value as the database returns it (a str, an
# int, a float, a JSON document): their rows take the attribute as it is. Known by that
# method, since a subclass may write its value otherwise (MultipleChoiceField, a set).
_AS_STORED = {
    field.to_representation
    for field in (
        serializers.CharField,
        serializers.ChoiceField,
        serializers.IntegerField,
        serializers.FloatField,
    )
}


def _as_stored(field: serializers.Field) -> bool:
    write = type(field).to_representation
    if write is serializers.JSONField.to_representation:
        return not field.binary
    return write in _AS_STORED


def _column(attribute: str, field: serializers.Field | None = None):
    """A reader of one column of the row: as stored, or through ``field`` unless that gives
    it back as stored (a date in the active time zone); null stays null, as in DRF."""
    if field is None or _as_stored(field):
        return attrgetter(attribute)
    convert = field.to_representation

    def read(row):
        value = getattr(row, attribute)
        return None if value is None else convert(value)

    return read


def _nested_row(source: str, nested: serializers.ModelSerializer):
    """A related row's object from the columns ``declared_field_columns`` joins."""
    names, columns = [], []
    for field in nested._readable_fields:
        name = field.field_name
        if name != "id" and not (
            isinstance(field, serializers.PrimaryKeyRelatedField) or _as_stored(field)
        ):
            raise TypeError(f"{source}.{name}: no column for a {type(field).__name__}")
        names.append(name)
        columns.append(f"{source}_id" if name == "id" else f"{source}_{name}")
    key = attrgetter(f"{source}_id")
    values = attrgetter(*columns) if len(columns) > 1 else lambda row: (key(row),)

    def read(row):
        if key(row) is None:
            return None
        return dict(zip(names, values(row), strict=True))

    return read


def _reader(field: serializers.Field):
    """How a row of ``DeclaredFieldRows`` reads one declared field (see there)."""
    name, source = field.field_name, field.source
    if isinstance(field, serializers.SerializerMethodField):
        return field.to_representation
    if "." in source or source == "*":
        raise TypeError(f"{name}: no column for the source {source!r}")
    if isinstance(field, serializers.SlugRelatedField):
        return _column(f"{source}_slug")
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        return _column(f"{source}_id")
    if isinstance(field, serializers.ListSerializer):
        child = field.child
        return lambda row: [child.to_representation(item) for item in getattr(row, source).all()]
    if isinstance(field, serializers.ModelSerializer):
        return _nested_row(source, field)
    if isinstance(field, serializers.ListField):
        if not _as_stored(field.child):
            raise TypeError(f"{name}: no column for a list of {type(field.child).__name__}")
        read = attrgetter(source)
        return lambda row: None if (items := read(row)) is None else list(items)
    if isinstance(
        field,
        serializers.RelatedField | serializers.ManyRelatedField | serializers.BaseSerializer,
    ):
        raise TypeError(f"{name}: no column for a {type(field).__name__}")
    return _column(source, field)


def declared_field_columns(serializer: type[serializers.ModelSerializer]) -> dict[str, F]:
    """The columns a ``DeclaredFieldRows`` serializer reads beside the model's own, to join
    into its queryset: each actor's slug as ``<link>_slug``, and the columns of a nested
    related row as ``<link>_<name>`` (its id is the model's own ``<link>_id``)."""
    columns = {}
    for field in serializer()._readable_fields:
        if isinstance(field, serializers.SlugRelatedField):
            columns[f"{field.source}_slug"] = F(f"{field.source}__{field.slug_field}")
        elif isinstance(field, serializers.ModelSerializer):
            for name in field.Meta.fields:
                if name != "id":
                    columns[f"{field.source}_{name}"] = F(f"{field.source}__{name}")
    return columns


class DeclaredFieldRows(serializers.ModelSerializer):
    """A serializer of large pages whose rows are written from its declared fields, in
    their order, by readers chosen once per serializer rather than by DRF's walk, which
    costs several times the page's SQL (a page of stories nests a hundred suggestions).
    Each field by its kind:

    - an actor by slug (``SlugRelatedField``): the row's ``<source>_slug`` column;
    - a related row's key (``PrimaryKeyRelatedField``): ``<source>_id``;
    - a nested related row: its ``id`` from ``<source>_id``, the rest from the
      ``<source>_<name>`` columns;
    - a nested list: that serializer's rows of the related rows (prefetched);
    - a method field: the method;
    - any other field: the row's attribute of its source, through the field unless DRF gives
      it back as stored.

    ``declared_field_columns`` gives the joined columns for the queryset; a field of another
    kind raises TypeError on the first row. ``test_the_fast_representations_equal_the_
    declared_fields`` holds the rows equal to DRF's walk, to the byte."""

    @cached_property
    def _row_readers(self) -> list[tuple[str, object]]:
        return [(field.field_name, _reader(field)) for field in self._readable_fields]

    def to_representation(self, row) -> dict:
        return {name: read(row) for name, read in self._row_readers}


class SuggestedArticleSerializer(serializers.ModelSerializer):
    """The article a suggestion was coded from: enough to find it (and its feed) again."""

    class Meta:
        model = Article
        fields = ["id", "guid", "url", "title", "feed"]


class SuggestionSerializer(DeclaredFieldRows):
    """One machine-coded interaction in one article, with its evidence. Actors by slug:
    ``source`` and ``target`` rolled up as stories pair them, ``*_named`` as the text names
    them."""

    # (The docstring is the schema's description.) Rows from
    # dashboard.api.with_suggestion_parts: the slugs and the article's columns joined.

    article = SuggestedArticleSerializer(read_only=True)
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    target = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    source_named = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    target_named = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    claimant = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    spans = serializers.JSONField(
        read_only=True,
        help_text='Character spans in the quote: {"source": [start, end], "target": ..., '
        '"cue": ..., "claimant": ...}.',
    )

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "article",
            "source",
            "target",
            "source_named",
            "target_named",
            "claimant",
            "category",
            "kind",
            "score",
            "confidence",
            "quote",
            "cue",
            "explanation",
            "spans",
            "story",
            "status",
            "coded_at",
        ]


class StorySerializer(DeclaredFieldRows):
    """One interaction as reported by one or more articles, with their suggestions. The
    event it was accepted or merged into is named to readers who may see that event."""

    # (The docstring is the schema's description.) Rows from dashboard.api.StoryViewSet:
    # the slugs and the event's status joined.

    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    target = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    event = serializers.SerializerMethodField(
        help_text="The event it was accepted or merged into (null while pending, or when "
        "that event is a draft the reader may not see)."
    )
    suggestions = SuggestionSerializer(many=True, read_only=True)

    class Meta:
        model = Story
        fields = [
            "id",
            "source",
            "target",
            "category",
            "family",
            "kind",
            "status",
            "event",
            "confidence",
            "article_count",
            "outlet_count",
            "languages",
            "first_seen",
            "last_seen",
            "suggestions",
        ]

    def get_event(self, story: Story) -> int | None:
        if story.event_id is None:
            return None
        if story.event_status != Event.Status.PUBLISHED and not self.context.get("show_drafts"):
            return None
        return story.event_id


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


# --- A page of events written by the database -------------------------------------------------


def _json_object(serializer, table: str, **expressions: str) -> str:
    """SQL building a serializer's object: its declared fields as keys, in its order, each
    the column of ``table`` of that name unless ``expressions`` gives its SQL. A field added
    to the serializer reaches the page by itself, or fails loudly without a column."""
    fields = serializer.Meta.fields
    if unknown := set(expressions) - set(fields):
        raise ValueError(f"{serializer.__name__} has no fields {sorted(unknown)}")
    pairs = (f"'{name}', {expressions.get(name, f'{table}.{name}')}" for name in fields)
    return f"json_build_object({', '.join(pairs)})"


def _iso_datetime(column: str, *, utc: bool) -> str:
    """SQL writing a timestamptz as DRF's DateTimeField does: ISO 8601 in the active time
    zone, microseconds only when there are some, "Z" for a zero offset. In UTC (the site's
    zone) that is all; elsewhere the zone is the ``zone`` parameter, and the offset is
    written with its seconds when it has some (local mean time, before 1900)."""
    zone = "'UTC'" if utc else "%(zone)s"
    local = f"({column} AT TIME ZONE {zone})"
    if utc:
        suffix = "'Z'"
    else:
        offset = f"({local} - ({column} AT TIME ZONE 'UTC'))"
        size = f"greatest({offset}, -{offset})"
        suffix = (
            f"CASE WHEN {offset} = interval '0' THEN 'Z' "
            f"ELSE CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END "
            f"|| to_char({size}, 'HH24:MI') || CASE WHEN extract(second FROM {offset}) <> 0 "
            f"THEN to_char({size}, ':SS') ELSE '' END END"
        )
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE "
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN extract(microseconds FROM {column})::bigint %% 1000000 <> 0 "
        f"THEN to_char({local}, '.US') ELSE '' END || {suffix} END"
    )


def _json_list(item: str, order: str, joins: str) -> str:
    return f"coalesce((SELECT json_agg({item} ORDER BY {order}) {joins}), '[]')"


def _kind_row(table: str, json_object: str) -> str:
    """A kind's object, or null for an event of another kind (as DRF renders a missing one)."""
    return f"CASE WHEN {table}.event_ptr_id IS NOT NULL THEN {json_object} END"


def _visible(table: str) -> str:
    """Only drafts are hidden from readers (the nested serializers' method fields)."""
    return f"(%(show_drafts)s OR {table}.status = %(published)s)"


def _event_page(*, utc: bool) -> str:
    """One statement for a whole page, in the page's order, each event keyed and ordered as
    EventSerializer declares its fields: nested lists as correlated subqueries, ordered as
    EventViewSet's prefetches order them. net_score and independent_outlets are left to
    Python (the serializer's own functions)."""
    event = _json_object(
        EventSerializer,
        "e",
        date="to_char(e.date, 'YYYY-MM-DD')",
        url="%(prefix)s || e.id || '/'",
        created_at=_iso_datetime("e.created_at", utc=utc),
        updated_at=_iso_datetime("e.updated_at", utc=utc),
        participants=_json_list(
            _json_object(ParticipantSerializer, "p", actor="a.slug"),
            "p.id",
            "FROM relations_participant p JOIN relations_actor a ON a.id = p.actor_id "
            "WHERE p.event_id = e.id",
        ),
        interactions=_json_list(
            # The score as text: JSON has no negative zero, and Python reads the exact float.
            _json_object(
                InteractionSerializer, "i", source="s.slug", target="t.slug", score="i.score::text"
            ),
            "i.id",
            "FROM relations_interaction i JOIN relations_actor s ON s.id = i.source_id "
            "JOIN relations_actor t ON t.id = i.target_id WHERE i.event_id = e.id",
        ),
        net_score="NULL",
        sources=_json_list(
            _json_object(
                SourceSerializer, "so", published_at=_iso_datetime("so.published_at", utc=utc)
            ),
            "so.published_at, so.id",
            "FROM relations_source so WHERE so.event_id = e.id",
        ),
        independent_outlets="NULL",
        meeting=_kind_row("m", _json_object(MeetingDetailSerializer, "m")),
        statement=_kind_row(
            "st",
            _json_object(
                StatementDetailSerializer,
                "st",
                speaker="sp.slug",
                responding_to=f"CASE WHEN {_visible('answered')} THEN answered.id END",
            ),
        ),
        allegation=_kind_row(
            "al",
            _json_object(
                AllegationDetailSerializer,
                "al",
                claimant="claimant.slug",
                accused="accused.slug",
                responses=_json_list(
                    "r.event_id",
                    "r.event_id",
                    "FROM relations_allegation_responses r "
                    "JOIN relations_event response ON response.id = r.event_id "
                    f"WHERE r.allegation_id = e.id AND {_visible('response')}",
                ),
            ),
        ),
        action=_kind_row("ac", _json_object(ActionDetailSerializer, "ac")),
    )

    return f"""
SELECT coalesce(json_agg({event} ORDER BY page.position), '[]')
FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS page(id, position)
JOIN relations_event e ON e.id = page.id
LEFT JOIN relations_meeting m ON m.event_ptr_id = e.id
LEFT JOIN relations_statement st ON st.event_ptr_id = e.id
LEFT JOIN relations_actor sp ON sp.id = st.speaker_id
LEFT JOIN relations_event answered ON answered.id = st.responding_to_id
LEFT JOIN relations_allegation al ON al.event_ptr_id = e.id
LEFT JOIN relations_actor claimant ON claimant.id = al.claimant_id
LEFT JOIN relations_actor accused ON accused.id = al.accused_id
LEFT JOIN relations_action ac ON ac.event_ptr_id = e.id
"""


# In UTC (the site's zone) timestamps need no offset arithmetic, which costs some 5-10 % of a
# page's time elsewhere (50 events of a 20,000-event load: 9.1-9.7 ms in UTC, 9.9-10.2 ms).
_EVENT_PAGES = {utc: _event_page(utc=utc) for utc in (True, False)}


class _Outlet(NamedTuple):
    url: str
    outlet: str


def _zone() -> str:
    """The active time zone as PostgreSQL reads it: its IANA name, or for a fixed offset a
    POSIX zone, whose sign is the other way round ('UTC+09:30' is 9:30 behind UTC)."""
    zone = timezone.get_current_timezone()
    if name := getattr(zone, "key", None):
        return name
    seconds = int(zone.utcoffset(None).total_seconds())
    hours, rest = divmod(abs(seconds), 3600)
    return f"UTC{'-' if seconds > 0 else '+'}{hours:02}:{rest // 60:02}:{rest % 60:02}"


def event_page_data(event_ids: list[int], *, show_drafts: bool) -> list[dict]:
    """EventSerializer's representation of these events, in this order.

    The database writes the page as JSON in one statement, so the cost of a page stays in
    SQL rather than in building and walking Python objects (DRF's walk over some 2,000
    values costs more than the page's queries). ``test_the_events_page_writes_what_the_
    serializer_declares`` holds the two equal, event for event, in several time zones."""
    if not event_ids:
        return []
    zone = _zone()
    with connection.cursor() as cursor:
        cursor.execute(
            _EVENT_PAGES[zone == "UTC"],
            {
                "ids": list(event_ids),
                "prefix": reverse("dashboard:event", args=[0]).removesuffix("0/"),
                "show_drafts": show_drafts,
                "published": Event.Status.PUBLISHED,
                "zone": zone,
            },
        )
        (events,) = cursor.fetchone()
    if isinstance(events, str):  # a driver that leaves json undecoded
        events = json.loads(events)
    for event in events:
        for interaction in event["interactions"]:
            interaction["score"] = float(interaction["score"])
        event["net_score"] = net_score(i["score"] for i in event["interactions"])
        event["independent_outlets"] = independent_outlets(
            [_Outlet(source["url"], source["outlet"]) for source in event["sources"]]
        )
    return events
