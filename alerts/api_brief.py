"""The monthly brief in the JSON API: ``/api/brief/YYYY-MM/``, the page's data.

Readers get the published brief as cached JSON text, sent as it is; editors also get the
month's drafts, which no verdict counts yet. The view follows the dashboard API's
conventions (relwatch.api: authentication and schema; read-only permission and throttling
from settings).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from alerts import brief as briefs
from relations.models import Event
from relations.visibility import can_see_drafts
from relwatch.api import FORBIDDEN, NOT_FOUND, ApiView


class BriefActorSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class BriefEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="The event's page on this site.")
    title = serializers.CharField()
    kind = serializers.CharField(required=False)
    date = serializers.DateField()
    date_precision = serializers.ChoiceField(choices=Event.Precision.choices)
    contribution = serializers.FloatField(
        required=False, help_text="The event's share of the pair's net score this month."
    )
    evidence_status = serializers.CharField(allow_null=True, help_text="Allegations only.")
    evidence_label = serializers.CharField(allow_null=True)


class BriefAllegationSerializer(BriefEventSerializer):
    claimant = serializers.CharField()
    accused = serializers.CharField()


class SparkPointSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM.")
    net = serializers.FloatField()
    events = serializers.IntegerField()


class BriefPairSerializer(serializers.Serializer):
    a = BriefActorSerializer()
    b = BriefActorSerializer()
    url = serializers.CharField(help_text="The pair's page, listing the month's events.")
    verdict = serializers.ChoiceField(choices=list(briefs.VERDICT_LABELS))
    verdict_label = serializers.CharField()
    summary = serializers.CharField()
    net = serializers.FloatField(help_text="Net score of the month, both ways, rolled up.")
    events = serializers.IntegerField()
    interactions = serializers.IntegerField()
    baseline = serializers.FloatField(help_text="Mean monthly net score of the months before.")
    spread = serializers.FloatField(help_text="Their standard deviation.")
    threshold = serializers.FloatField(help_text="How far from the baseline is a move.")
    change = serializers.FloatField(help_text="Net score minus baseline.")
    sparkline = SparkPointSerializer(many=True)
    drivers = BriefEventSerializer(many=True)
    allegations = BriefEventSerializer(many=True)


class BriefRuleSerializer(serializers.Serializer):
    baseline_months = serializers.IntegerField()
    spread_factor = serializers.FloatField()
    min_threshold = serializers.FloatField()
    min_events = serializers.IntegerField()
    text = serializers.CharField()


class MorePairsSerializer(serializers.Serializer):
    too_few_events = serializers.IntegerField(help_text="Other active pairs, too quiet to judge.")
    beyond_limit = serializers.IntegerField(help_text="Judged pairs beyond those listed.")


class BriefDraftsSerializer(serializers.Serializer):
    listed = BriefEventSerializer(many=True)
    total = serializers.IntegerField()


class BriefSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM.")
    since = serializers.DateField()
    until = serializers.DateField()
    complete = serializers.BooleanField(help_text="False for the current month so far.")
    rollup = serializers.BooleanField()
    rule = BriefRuleSerializer()
    events = serializers.IntegerField(help_text="Published events dated in the month.")
    triangle = BriefPairSerializer(many=True, help_text="The core actors' pairs, always.")
    pairs = BriefPairSerializer(many=True, help_text="Other judged pairs, moves first.")
    more_pairs = MorePairsSerializer()
    allegations = BriefAllegationSerializer(many=True)
    allegations_total = serializers.IntegerField()
    drafts = BriefDraftsSerializer(required=False, help_text="Editors only.")


class BriefView(ApiView):
    """The monthly brief: a verdict per pair (the core triangle first), with the events
    behind it and the month's allegations."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "month",
                {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                OpenApiParameter.PATH,
                description="YYYY-MM: a month from 1900 up to the current one.",
            )
        ],
        responses={200: BriefSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, month: str):
        today = timezone.localdate()
        try:
            first = briefs.parse_month(month, today=today)
        except briefs.BadMonth as error:
            raise NotFound(str(error)) from error
        if can_see_drafts(request.user):
            brief = briefs.monthly_brief(first, today)
            return Response({**brief, "drafts": briefs.month_drafts(first)})
        text = briefs.monthly_brief(first, today, as_json=True)
        return HttpResponse(text, content_type="application/json")
