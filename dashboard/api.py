"""The read-only JSON API (Django REST framework).

Lists are filtered by the same filtersets as the pages (dashboard.filters), paginated as
``{count, next, previous, results}``, and cost a fixed number of queries per page. Drafts
reach editors only. Bad parameters answer 400 with a message per parameter.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Max, Prefetch
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.filters import (
    ActorFilter,
    ArticleFilter,
    DyadForm,
    EventFilter,
    WindowForm,
    can_see_drafts,
    published_events_for,
)
from dashboard.serializers import (
    ActorSerializer,
    ArticleSerializer,
    DyadSeriesSerializer,
    EventSerializer,
    FeedSerializer,
    GraphSerializer,
)
from ingest.models import Article, Feed
from relations import analytics
from relations.models import Actor, Affiliation, Event, Interaction, Participant, Source
from relations.signals import data_version

logger = logging.getLogger(__name__)
BAD_REQUEST = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="A parameter is invalid: each offending parameter maps to its messages.",
)
NOT_FOUND = OpenApiResponse(response=OpenApiTypes.OBJECT, description="No such object.")


COUNT_CACHE_SECONDS = 60


class CachedCountPaginator(DjangoPaginator):
    """Counting every matching row is the one cost of a page that grows with the archive
    (hundreds of ms over 200,000 events), so counts are cached. The key holds the query,
    the data version (bumped after every change to events, so an editor's change shows at
    once) and the table's highest id (a cheap index lookup, so new rows, such as freshly
    ingested articles, show at once too). Other changes show within a minute."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        sql, params = queryset.query.sql_with_params()
        newest = queryset.model._base_manager.aggregate(newest=Max("pk"))["newest"]
        digest = hashlib.sha256(repr((sql, params, newest)).encode()).hexdigest()
        key = f"api:count:{data_version()}:{digest}"
        try:
            cached = cache.get(key)
        except Exception:  # a cache outage costs speed, never the answer
            cached = None
        if cached is not None:
            return cached
        count = super().count
        try:
            cache.set(key, count, COUNT_CACHE_SECONDS)
        except Exception:
            logger.warning("cache unreachable: page counts are not cached")
        return count


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers outside the results are a client error (400), not a missing page."""

    django_paginator_class = CachedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from exc


def form_errors(form) -> ValidationError:
    return ValidationError({field: list(messages) for field, messages in form.errors.items()})


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = StrictPageNumberPagination


@extend_schema_view(
    list=extend_schema(responses={200: ActorSerializer(many=True), 400: BAD_REQUEST}),
    retrieve=extend_schema(responses={200: ActorSerializer, 404: NOT_FOUND}),
)
class ActorViewSet(ReadOnlyViewSet):
    """Tracked actors, with their aliases and affiliations; ``/api/actors/<slug>/``."""

    serializer_class = ActorSerializer
    filterset_class = ActorFilter
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    queryset = Actor.objects.prefetch_related(
        "aliases",
        Prefetch(
            "affiliations",
            queryset=Affiliation.objects.select_related("parent").order_by("start_date", "id"),
        ),
    ).order_by("name", "id")


@extend_schema_view(
    list=extend_schema(responses={200: EventSerializer(many=True), 400: BAD_REQUEST}),
    retrieve=extend_schema(responses={200: EventSerializer, 404: NOT_FOUND}),
)
class EventViewSet(ReadOnlyViewSet):
    """Events, newest first, with participants, scored interactions, sources and the
    fields of their kind. Drafts only for editors."""

    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return (
            published_events_for(self.request.user)
            .select_related(
                "meeting",
                "statement__speaker",
                "statement__responding_to",
                "allegation__claimant",
                "allegation__accused",
            )
            .defer("statement__responding_to__search_vector")
            # Prefetches ordered by id: the models' default ordering ("event", ...) would join
            # each of them to the event table to sort by its date.
            .prefetch_related(
                Prefetch(
                    "participants",
                    queryset=Participant.objects.select_related("actor").order_by("id"),
                ),
                Prefetch(
                    "interactions",
                    queryset=Interaction.objects.select_related("source", "target").order_by("id"),
                ),
                Prefetch("sources", queryset=Source.objects.order_by("published_at", "id")),
                Prefetch(
                    "allegation__responses",
                    queryset=Event.objects.only("id", "status").order_by("id"),
                ),
            )
            .order_by("-date", "-id")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_drafts"] = can_see_drafts(self.request.user)
        return context


@extend_schema_view(
    list=extend_schema(responses={200: FeedSerializer(many=True), 400: BAD_REQUEST}),
    retrieve=extend_schema(responses={200: FeedSerializer, 404: NOT_FOUND}),
)
class FeedViewSet(ReadOnlyViewSet):
    """Feeds and their health. Their validators (ETag, Last-Modified) are public anyway."""

    serializer_class = FeedSerializer
    queryset = Feed.objects.order_by("title", "url", "id")


@extend_schema_view(
    list=extend_schema(responses={200: ArticleSerializer(many=True), 400: BAD_REQUEST}),
    retrieve=extend_schema(responses={200: ArticleSerializer, 404: NOT_FOUND}),
)
class ArticleViewSet(ReadOnlyViewSet):
    """Ingested articles, newest first, with the actors they mention."""

    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    queryset = Article.objects.prefetch_related(
        Prefetch("actors", queryset=Actor.objects.only("id", "slug"))
    ).order_by("-published_at", "-id")


def _window_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("since", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
        OpenApiParameter("until", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
        OpenApiParameter(
            "rollup",
            str,
            enum=["1", "0", "true", "false"],
            description="1: count people as their organisation or state on each event's date.",
        ),
    ]


class DyadView(APIView):
    """Scores each way between two actors and the count of events, per week or month."""

    @extend_schema(
        parameters=[
            OpenApiParameter("a", str, required=True, description="Actor slug."),
            OpenApiParameter("b", str, required=True, description="The other actor's slug."),
            OpenApiParameter("bucket", str, enum=["week", "month"], description="Default week."),
            *_window_parameters(),
        ],
        responses={200: DyadSeriesSerializer, 400: BAD_REQUEST},
    )
    def get(self, request):
        form = DyadForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        data = form.cleaned_data
        return Response(
            analytics.dyad_series(
                data["a"],
                data["b"],
                bucket=data["bucket"],
                since=data["since"],
                until=data["until"],
                rollup=data["rollup"],
            )
        )


class GraphView(APIView):
    """Actors as nodes and the pairs that dealt with each other as edges, over a window."""

    @extend_schema(
        parameters=_window_parameters(),
        responses={200: GraphSerializer, 400: BAD_REQUEST},
    )
    def get(self, request):
        form = WindowForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        data = form.cleaned_data
        return Response(
            analytics.relations_graph(
                since=data["since"], until=data["until"], rollup=data["rollup"]
            )
        )
