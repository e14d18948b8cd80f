"""Read-only representations for the JSON API.

Views hand these querysets whose relations are already selected or prefetched (see
dashboard.api), so a page of results costs the same few queries however long it is.
"""

from __future__ import annotations

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
    net_score = serializers.SerializerMethodField()
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
        """The sum of the event's interaction scores."""
        return round(sum(interaction.score for interaction in event.interactions.all()), 3)

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
