"""The read-only JSON API (Django REST framework).

Lists are filtered by the same filtersets as the pages (dashboard.filters), paginated as
``{count, next, previous, results}``, and cost a fixed number of queries per page. Drafts
reach editors only. Bad parameters answer 400 with a message per parameter.
"""

from __future__ import annotations

import logging

from django.db.models import F, Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from coding.forms import StoryFilter
from coding.models import Story, Suggestion
from dashboard import summaries
from dashboard.filters import (
    GRAPH_DEFAULT_EDGES,
    GRAPH_MAX_EDGES,
    OPTIONAL_DATE,
    ActorFilter,
    ArticleFilter,
    DyadForm,
    EventFilter,
    GraphForm,
    SuggestionFilter,
    can_see_drafts,
    published_events_for,
)
from dashboard.pagination import CachedCountPaginator
from dashboard.serializers import (
    ActorSerializer,
    ArticleSerializer,
    DyadSeriesSerializer,
    EventSerializer,
    FeedSerializer,
    GraphSerializer,
    StorySerializer,
    SuggestionSerializer,
    declared_field_columns,
    event_page_data,
)
from ingest.models import Article, Feed
from relations.models import Actor, Affiliation, Event, Interaction, Participant, Source
from relwatch.api import (
    AUTHENTICATION,
    BAD_REQUEST,
    FORBIDDEN,
    NOT_FOUND,
    ApiSchema,
    ApiView,
)

logger = logging.getLogger(__name__)

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)


def list_responses(serializer) -> dict:
    return {200: serializer(many=True), 400: BAD_REQUEST, 403: FORBIDDEN}


def detail_responses(serializer) -> dict:
    return {200: serializer, 403: FORBIDDEN, 404: NOT_FOUND}


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers outside the results and page sizes out of range are client errors
    (400), not a missing page or a silent default."""

    django_paginator_class = CachedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) == "":
            raise ValidationError({self.page_query_param: ["Give a page number from 1."]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from exc

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        page, size = super().get_schema_operation_parameters(view)
        page["schema"]["minimum"] = 1
        size["schema"].update(minimum=1, maximum=self.max_page_size)
        return [page, size]


def form_errors(form) -> ValidationError:
    return ValidationError({field: list(messages) for field, messages in form.errors.items()})


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    authentication_classes = AUTHENTICATION
    pagination_class = StrictPageNumberPagination
    schema = ApiSchema()
    # Anything up to the slash reaches the view, so a malformed id is a JSON 404 too.
    lookup_value_regex = r"[^/]+"


@extend_schema_view(
    list=extend_schema(responses=list_responses(ActorSerializer)),
    retrieve=extend_schema(responses=detail_responses(ActorSerializer)),
)
class ActorViewSet(ReadOnlyViewSet):
    """Tracked actors, with their aliases and affiliations; ``/api/actors/<slug>/``."""

    serializer_class = ActorSerializer
    filterset_class = ActorFilter
    lookup_field = "slug"
    queryset = Actor.objects.prefetch_related(
        "aliases",
        Prefetch(
            "affiliations",
            queryset=Affiliation.objects.select_related("parent").order_by("start_date", "id"),
        ),
    ).order_by("name", "id")


def with_event_parts(events: QuerySet[Event]) -> QuerySet[Event]:
    """Events with all that EventSerializer reads selected or prefetched, the nested lists in
    the order the page's SQL (event_page_data) writes them."""
    return (
        events.select_related(
            "meeting",
            "statement__speaker",
            "statement__responding_to",
            "allegation__claimant",
            "allegation__accused",
            "action",
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
    )


@extend_schema_view(
    list=extend_schema(responses=list_responses(EventSerializer)),
    retrieve=extend_schema(parameters=[ID_PARAMETER], responses=detail_responses(EventSerializer)),
)
class EventViewSet(ReadOnlyViewSet):
    """Events, newest first, with participants, scored interactions, sources and the
    fields of their kind. Drafts only for editors."""

    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return with_event_parts(published_events_for(self.request.user)).order_by("-date", "-id")

    def list(self, request, *args, **kwargs):
        # The page's ids, then EventSerializer's representation of them written by the
        # database (dashboard.serializers.event_page_data): no model instance per row and
        # per nested item, and no field-by-field walk in Python.
        queryset = (
            self.filter_queryset(published_events_for(request.user))
            .order_by("-date", "-id")
            .values_list("id", flat=True)
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            event_page_data(list(page), show_drafts=can_see_drafts(request.user))
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_drafts"] = can_see_drafts(self.request.user)
        return context


@extend_schema_view(
    list=extend_schema(responses=list_responses(FeedSerializer)),
    retrieve=extend_schema(parameters=[ID_PARAMETER], responses=detail_responses(FeedSerializer)),
)
class FeedViewSet(ReadOnlyViewSet):
    """Feeds and their health. Their validators (ETag, Last-Modified) are public anyway."""

    serializer_class = FeedSerializer
    queryset = Feed.objects.order_by("title", "url", "id")


@extend_schema_view(
    list=extend_schema(responses=list_responses(ArticleSerializer)),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER], responses=detail_responses(ArticleSerializer)
    ),
)
class ArticleViewSet(ReadOnlyViewSet):
    """Ingested articles, newest first, with the actors they mention."""

    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    queryset = Article.objects.prefetch_related(
        Prefetch("actors", queryset=Actor.objects.only("id", "slug"))
    ).order_by("-published_at", "-id")


def with_suggestion_parts(suggestions: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    """Suggestions as ``SuggestionSerializer`` writes them: their article's few listed
    columns (never its body, which may run to megabytes) and their actors' slugs joined in
    the same query, as plain attributes (``article_guid``, ``source_slug``...), the columns
    its declared fields name (``declared_field_columns``): a page of stories nests a
    hundred suggestions, and an article and five actors built for each cost more than the
    page's SQL."""
    return suggestions.only(
        *(field.name for field in Suggestion._meta.concrete_fields if field.name != "bands")
    ).annotate(**declared_field_columns(SuggestionSerializer))


class MachineCodedViewSet(ReadOnlyViewSet):
    """Machine-coded data comes from public articles: whoever may read the dashboard may
    read it. Only the events that stories went into follow the drafts rule."""

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_drafts"] = can_see_drafts(self.request.user)
        return context


@extend_schema_view(
    list=extend_schema(responses=list_responses(SuggestionSerializer)),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER], responses=detail_responses(SuggestionSerializer)
    ),
)
class SuggestionViewSet(MachineCodedViewSet):
    """Machine-coded interactions, one per article and pair and category, newest first,
    with the evidence sentence, the cue that fired and the story they belong to."""

    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter
    queryset = with_suggestion_parts(Suggestion.objects.all()).order_by("-id")


@extend_schema_view(
    list=extend_schema(responses=list_responses(StorySerializer)),
    retrieve=extend_schema(parameters=[ID_PARAMETER], responses=detail_responses(StorySerializer)),
)
class StoryViewSet(MachineCodedViewSet):
    """Stories (the same interaction across outlets and languages), last seen first, with
    their suggestions, outlets, languages and review status."""

    serializer_class = StorySerializer
    filterset_class = StoryFilter
    queryset = (
        Story.objects.annotate(
            **declared_field_columns(StorySerializer), event_status=F("event__status")
        )
        .prefetch_related(
            Prefetch(
                "suggestions",
                queryset=with_suggestion_parts(Suggestion.objects.all()).order_by(
                    "-confidence", "id"
                ),
            )
        )
        .order_by("-last_seen", "-id")
    )


def _window_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("since", OPTIONAL_DATE, description="First day (YYYY-MM-DD)."),
        OpenApiParameter("until", OPTIONAL_DATE, description="Last day (YYYY-MM-DD)."),
        OpenApiParameter(
            "rollup",
            str,
            enum=["1", "0", "true", "false"],
            description="1: count people as their organisation or state on each event's date.",
        ),
    ]


def _json_response(text: str) -> HttpResponse:
    """JSON text sent as it is (a cached answer, already encoded as the JSON renderer would)."""
    return HttpResponse(text, content_type="application/json")


class DyadView(ApiView):
    """Scores each way between two actors and the count of events, per week or month."""

    @extend_schema(
        parameters=[
            OpenApiParameter("a", str, required=True, description="Actor slug."),
            OpenApiParameter("b", str, required=True, description="The other actor's slug."),
            OpenApiParameter("bucket", str, enum=["week", "month"], description="Default week."),
            *_window_parameters(),
        ],
        responses={200: DyadSeriesSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def get(self, request):
        form = DyadForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        data = form.cleaned_data
        return _json_response(
            summaries.dyad_series(
                data["a"],
                data["b"],
                bucket=data["bucket"],
                since=data["since"],
                until=data["until"],
                rollup=data["rollup"],
                as_json=True,
            )
        )


class GraphView(ApiView):
    """Actors as nodes and the pairs that dealt with each other as edges, over a window."""

    @extend_schema(
        parameters=[
            *_window_parameters(),
            OpenApiParameter(
                "max_edges",
                {"type": "integer", "minimum": 1, "maximum": GRAPH_MAX_EDGES},
                description=(
                    f"The busiest edges to return, 1 to {GRAPH_MAX_EDGES} (default "
                    f"{GRAPH_DEFAULT_EDGES}); edges_total tells how many the window has."
                ),
            ),
        ],
        responses={200: GraphSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def get(self, request):
        form = GraphForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        data = form.cleaned_data
        return _json_response(
            summaries.relations_graph(
                since=data["since"],
                until=data["until"],
                rollup=data["rollup"],
                max_edges=data["max_edges"],
                as_json=True,
            )
        )
