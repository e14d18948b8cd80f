"""One filterset per model, shared by the dashboard pages and the JSON API.

Pages: ``f = EventFilter(request.GET, queryset=published_events_for(request.user),
request=request)``; when ``f.is_valid()`` is false show ``f.errors`` (the list then holds
only what the valid filters select). The API turns the same errors into a 400.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.postgres.search import SearchVector
from django.db.models import Exists, OuterRef, Q, QuerySet
from drf_spectacular.utils import extend_schema_field

from coding.forms import involving
from coding.models import ReviewStatus, Suggestion
from dashboard.forms import ISO_DATE, DateRangeForm, WindowForm
from ingest.models import Article, Feed, Mention
from ingest.relevance import CANDIDATE_KIND_HELP, RELEVANCE_BUCKETS, RELEVANCE_HELP
from relations.categories import Category
from relations.models import Actor, Alias, Allegation, Event, Participant
from relations.search import MAX_QUERY_LENGTH, has_words, search_events, websearch_query
from relations.visibility import can_see_drafts, events_visible_to

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
MATCH_CHOICES = [("any", "Any of these actors"), ("all", "All of these actors")]
BUCKET_CHOICES = [("week", "Week"), ("month", "Month")]
BOOLEAN_CHOICES = [("1", "Yes"), ("0", "No"), ("true", "Yes"), ("false", "No")]


def _picker(placeholder: str) -> forms.SelectMultiple:
    """A multi-select that static/js/forms.js turns into a searchable picker with chips
    (select2, served with the admin's static files); without the script it stays a select."""
    return forms.SelectMultiple(attrs={"data-picker": "true", "data-placeholder": placeholder})


def _truthy(value: str) -> bool:
    return value in ("1", "true")


def published_events_for(user) -> QuerySet[Event]:
    """Every event the user may see: published ones, and drafts too for editors.

    The search vector is left out: it is large, only SQL reads it, and loading it for every
    row of a list costs more than the rest of the row."""
    return events_visible_to(user, Event.objects.defer("search_vector"))


# A date, or empty (as a form submits an unset date field) for "no limit".
OPTIONAL_DATE = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]
}


def _date_filter(lookup: str, label: str) -> django_filters.DateFilter:
    date = django_filters.DateFilter(
        field_name="date",
        lookup_expr=lookup,
        label=label,
        input_formats=ISO_DATE,
        help_text="YYYY-MM-DD",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    return extend_schema_field(OPTIONAL_DATE)(date)


def _searchable(value: str) -> None:
    # Blank is "no search"; operators alone ("-", '"()') would match nothing, silently.
    if value.strip() and not has_words(value):
        raise forms.ValidationError("A search needs at least one word (letters or digits).")


def _search_filter() -> django_filters.CharFilter:
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        max_length=MAX_QUERY_LENGTH,
        validators=[_searchable],
        help_text=f'Words, "a phrase", or, -exclude; at most {MAX_QUERY_LENGTH} characters.',
    )
    return extend_schema_field({"type": "string", "maxLength": MAX_QUERY_LENGTH})(search)


def _actors_filter(help_text: str) -> django_filters.ModelMultipleChoiceFilter:
    actors = django_filters.ModelMultipleChoiceFilter(
        queryset=Actor.objects.all(),
        to_field_name="slug",
        method="filter_actors",
        label="Actors",
        help_text=help_text,
        widget=_picker("Type a name…"),
    )
    return extend_schema_field({"type": "string", "pattern": SLUG_PATTERN})(actors)


class EventFilter(django_filters.FilterSet):
    actor = _actors_filter("One or more (in a URL: each actor's slug, the parameter repeated).")
    match = django_filters.ChoiceFilter(
        choices=MATCH_CHOICES,
        method="filter_nothing",
        label="Match",
        empty_label=None,
        initial="any",
        help_text="With several actors: events with any of them (default) or all of them.",
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=Event.Kind.choices, label="Kind", widget=_picker("Any kind")
    )
    category = django_filters.MultipleChoiceFilter(
        choices=Category.choices, label="Category", widget=_picker("Any category")
    )
    since = _date_filter("gte", "From")
    until = _date_filter("lte", "Until")
    evidence_status = django_filters.MultipleChoiceFilter(
        field_name="allegation__evidence_status",
        choices=Allegation.EvidenceStatus.choices,
        label="Evidence status",
        widget=_picker("Any status"),
    )
    q = _search_filter()
    status = django_filters.ChoiceFilter(
        choices=Event.Status.choices, label="Status", help_text="Drafts: editors only."
    )

    class Meta:
        model = Event
        fields: list[str] = []
        form = DateRangeForm

    def filter_queryset(self, queryset):
        # Whatever queryset the caller passed, a non-editor never gets a draft.
        if not can_see_drafts(getattr(self.request, "user", None)):
            queryset = queryset.filter(status=Event.Status.PUBLISHED)
        return super().filter_queryset(queryset)

    def filter_actors(self, queryset, name, actors):
        actor_ids = [actor.pk for actor in actors]
        if not actor_ids:
            return queryset
        if self.form.cleaned_data.get("match") == "all":
            for actor_id in actor_ids:
                queryset = queryset.filter(
                    Exists(Participant.objects.filter(event=OuterRef("pk"), actor_id=actor_id))
                )
            return queryset
        return queryset.filter(
            Exists(Participant.objects.filter(event=OuterRef("pk"), actor_id__in=actor_ids))
        )

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_search(self, queryset, name, value):
        return search_events(queryset, value)


# The inbox's orders; each ends in the id so that pages never overlap.
ARTICLE_ORDERS = {
    "newest": ("Newest first", ("-published_at", "-id")),
    "relevance": ("Most relevant first", ("-relevance", "-published_at", "-id")),
}


class ArticleFilter(django_filters.FilterSet):
    feed = django_filters.ModelChoiceFilter(queryset=Feed.objects.all(), label="Feed")
    actor = _actors_filter(
        "Articles mentioning any of these (in a URL: each actor's slug, the parameter repeated)."
    )
    kind = django_filters.ChoiceFilter(
        field_name="candidate_kind",
        choices=Article.CandidateKind.choices,
        label="Candidate kind",
        help_text=CANDIDATE_KIND_HELP,
    )
    review_status = django_filters.ChoiceFilter(
        choices=Article.ReviewStatus.choices, label="Review status", empty_label="Any status"
    )
    q = _search_filter()
    relevance = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in RELEVANCE_BUCKETS.items()],
        method="filter_relevance",
        label="Relevance",
        empty_label="Any relevance",
        help_text=RELEVANCE_HELP,
    )
    # For scripts (the API); the pages offer the buckets above and keep this one as it came.
    min_relevance = django_filters.NumberFilter(
        field_name="relevance",
        lookup_expr="gte",
        label="Minimum relevance",
        help_text="From 0 to 1.",
        widget=forms.HiddenInput,
    )
    order = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in ARTICLE_ORDERS.items()],
        method="filter_order",
        label="Order",
        empty_label=None,
    )

    class Meta:
        model = Article
        fields: list[str] = []

    def filter_relevance(self, queryset, name, value):
        return queryset.filter(RELEVANCE_BUCKETS[value][1])

    def filter_order(self, queryset, name, value):
        return queryset.order_by(*ARTICLE_ORDERS[value][1])

    def filter_actors(self, queryset, name, actors):
        actor_ids = [actor.pk for actor in actors]
        if not actor_ids:
            return queryset
        return queryset.filter(
            Exists(Mention.objects.filter(article=OuterRef("pk"), actor_id__in=actor_ids))
        )

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # The same expression as ingest's GIN index "article_search", which serves it.
        return queryset.annotate(search=SearchVector("title", "summary", config="simple")).filter(
            search=websearch_query(value)
        )


class ActorFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=Actor.Kind.choices, label="Kind", widget=_picker("Any kind")
    )
    q = extend_schema_field({"type": "string", "maxLength": MAX_QUERY_LENGTH})(
        django_filters.CharFilter(
            method="filter_search", label="Name or alias", max_length=MAX_QUERY_LENGTH
        )
    )
    is_core = extend_schema_field(
        {"type": "string", "enum": [value for value, _ in BOOLEAN_CHOICES]}
    )(django_filters.TypedChoiceFilter(choices=BOOLEAN_CHOICES, coerce=_truthy, label="Core actor"))

    class Meta:
        model = Actor
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Exists(Alias.objects.filter(actor=OuterRef("pk"), text__icontains=value))
        )


class SuggestionFilter(django_filters.FilterSet):
    feed = django_filters.ModelChoiceFilter(
        field_name="article__feed", queryset=Feed.objects.only("id"), label="Feed"
    )
    article = django_filters.ModelChoiceFilter(
        queryset=Article.objects.only("id"), label="Article", help_text="The article's id."
    )
    actor = _actors_filter(
        "Suggestions where any of these is the source or the target (in a URL: each actor's "
        "slug, the parameter repeated)."
    )
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label="Category")
    kind = django_filters.MultipleChoiceFilter(choices=Event.Kind.choices, label="Kind")
    status = django_filters.ChoiceFilter(
        choices=ReviewStatus.choices, label="Review status", help_text="The story's review."
    )
    story = django_filters.NumberFilter(field_name="story_id", label="Story")

    class Meta:
        model = Suggestion
        fields: list[str] = []

    def filter_actors(self, queryset, name, actors):
        return involving(queryset, actors)


class ApiWindowForm(WindowForm):
    """The pages' window for the graph, heatmap and dyad endpoints. Only the roll-up differs:
    the API shows people as themselves unless asked (its documented default) and also takes
    "true" and "false"."""

    rollup = forms.TypedChoiceField(
        choices=BOOLEAN_CHOICES,
        coerce=_truthy,
        required=False,
        empty_value=False,
        help_text="1: count people as their organisation or state on each event's date.",
    )


GRAPH_DEFAULT_EDGES = 500
GRAPH_MAX_EDGES = 5000


class GraphForm(ApiWindowForm):
    """A window, the roll-up switch and how many of the busiest edges to return."""

    max_edges = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=GRAPH_MAX_EDGES,
        help_text=f"The busiest edges to return (default {GRAPH_DEFAULT_EDGES}).",
    )

    def clean_max_edges(self) -> int:
        return self.cleaned_data.get("max_edges") or GRAPH_DEFAULT_EDGES


class DyadForm(ApiWindowForm):
    """A pair of actors (by slug) and the series' bucket."""

    a = forms.ModelChoiceField(queryset=Actor.objects.all(), to_field_name="slug")
    b = forms.ModelChoiceField(queryset=Actor.objects.all(), to_field_name="slug")
    bucket = forms.ChoiceField(choices=BUCKET_CHOICES, required=False)

    def clean_bucket(self) -> str:
        return self.cleaned_data.get("bucket") or "week"

    def clean(self):
        cleaned = super().clean()
        a, b = cleaned.get("a"), cleaned.get("b")
        if a and b and a.pk == b.pk:
            self.add_error("b", "Choose two different actors.")
        return cleaned
