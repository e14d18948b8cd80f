"""The analysts' pages. Each view reads its parameters through a filterset or form, asks
``relations.analytics`` or ``dashboard.summaries`` for the numbers, has ``dashboard.figures``
draw them, and renders. Bad parameters re-render the page with the form's errors and HTTP 400.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from urllib.parse import quote_plus, urlencode

from django.db import models
from django.db.models import Avg, Count, OuterRef, Prefetch, Q, Subquery, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from coding import layer
from coding.models import Story
from dashboard import exports, figures, rows, summaries
from dashboard.filters import (
    ARTICLE_ORDERS,
    ActorFilter,
    ArticleFilter,
    EventFilter,
    published_events_for,
)
from dashboard.forms import (
    WINDOW_PRESETS,
    OverviewForm,
    PageForm,
    PairForm,
    RelationsForm,
    TimelineChartForm,
    with_defaults,
)
from dashboard.pagination import CachedCountPaginator
from dashboard.serializers import net_score
from dashboard.templatetags.dashboard_format import event_date
from ingest.models import Article, Feed, Mention
from ingest.relevance import CANDIDATE_KIND_HELP, RELEVANCE_HELP
from ingest.triage import CATEGORY_BY_KIND, create_event_url, kind_for_article
from relations import analytics, categories
from relations.models import (
    Actor,
    Affiliation,
    Allegation,
    Event,
    Interaction,
    Participant,
    independent_outlets,
)
from relations.visibility import can_see_drafts
from relwatch import caching
from relwatch.permissions import login_required_if_configured

EVENTS_PER_PAGE = 25
ARTICLES_PER_PAGE = 50
ACTORS_PER_PAGE = 100
# The timeline chart shows at most this many of the newest matching events; the list below
# it pages through all of them.
TIMELINE_CHART_LIMIT = 500
# The machine-coded layer lists the newest of its stories beside a page's events (the API
# lists them all), and the relations page the busiest of its pairs.
MACHINE_ROWS = 10
MACHINE_PAIRS_SHOWN = 15
# The core triangle the overview leads with, in the order the issue names it.
CORE_DYADS = [("russia", "hamas"), ("russia", "israel"), ("israel", "hamas")]
ACTOR_RELATIONS_SHOWN = 6


# Pages are public unless DASHBOARD_LOGIN_REQUIRED; then anonymous readers log in first.
dashboard_page = login_required_if_configured


def _paginate(queryset, page_form: PageForm, per_page: int):
    """The requested page, or None (with an error on the form) when it does not exist."""
    paginator = CachedCountPaginator(queryset, per_page)
    number = page_form.page_number()
    if number > paginator.num_pages:
        page_form.add_error(
            "page",
            f"There is no page {number}: the list has {paginator.num_pages} "
            f"page{'s' if paginator.num_pages != 1 else ''}.",
        )
        return None
    return paginator.page(number)


# How str() labels the models offered in the filters' choice fields, from plain columns.
_CHOICE_LABELS = {
    Actor: (("name",), lambda name: name),
    Feed: (("title", "url"), lambda title, url: title or url),
}


def _listed_choices(form, *names: str) -> None:
    """Give model-choice fields their options as a plain list, read in one ordinary query.

    Django renders a model choice field through ``QuerySet.iterator()``, which PostgreSQL
    serves with a server-side cursor; a list avoids that, and the field still validates
    against its queryset.
    """
    for name in names:
        field = form.fields.get(name)
        if field is None:
            continue
        value = field.to_field_name or "pk"
        label = _CHOICE_LABELS.get(field.queryset.model)
        if label is not None:
            # Plain rows: the actor list has hundreds of entries on every page that shows it.
            columns, make_label = label
            choices = [
                (row[0], make_label(*row[1:]))
                for row in field.queryset.values_list(value, *columns)
            ]
        else:
            choices = [(getattr(obj, value), str(obj)) for obj in field.queryset]
        if not getattr(field.widget, "allow_multiple_selected", False):
            choices.insert(0, ("", field.empty_label or "---------"))
        field.widget.choices = choices


_KIND_LABELS = {value: str(label) for value, label in Event.Kind.choices}
_CATEGORY_LABELS = {value: str(label) for value, label in categories.Category.choices}


class ChartedEvent(NamedTuple):
    """What the timeline chart needs of an event, read as plain rows: building hundreds of
    model instances cost more than the query."""

    pk: int
    title: str
    date: dt.date
    date_precision: str
    kind: str
    mean_score: float | None

    def get_kind_display(self) -> str:
        return _KIND_LABELS.get(self.kind, self.kind)


def _scores_of_each_event(aggregate) -> Subquery:
    """``aggregate`` of each event's interaction scores (None without interactions), as a
    subquery, so the events and their scores are read in one query."""
    return Subquery(
        Interaction.objects.filter(event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(value=aggregate("score"))
        .values("value")
    )


def _with_scores(events):
    """Events with their mean interaction score."""
    return events.annotate(mean_score=_scores_of_each_event(Avg))


def _with_net_scores(events):
    """Events with their net score (the sum of their interactions' scores, as the API and
    the CSV name it)."""
    return events.annotate(net_score=_scores_of_each_event(Sum))


def _for_lists(events):
    """What an event list shows, prefetched so the number of queries stays fixed."""
    return (
        _with_net_scores(events)
        .select_related("allegation", "action")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("actor"))
        )
    )


def _actor_url(slug: str) -> str:
    return reverse("dashboard:actor", args=[slug])


def _actor_url_maker():
    """``_actor_url`` reversed once, for a chart of many actors (slugs need no quoting)."""
    prefix, middle, suffix = reverse("dashboard:actor", args=["a0"]).rpartition("a0")
    if middle != "a0":
        return _actor_url
    return lambda slug: f"{prefix}{slug}{suffix}"


def _pair_url(a: str, b: str, query: dict | None = None) -> str:
    url = reverse("dashboard:pair", args=[a, b])
    return f"{url}?{urlencode(query)}" if query else url


def _pair_url_maker(query: dict | None = None):
    """``_pair_url`` for many pairs with one query: reversed and encoded once, since charts
    link hundreds of pairs and reverse() is the slowest step of drawing them. Slugs are
    letters, digits, '-' and '_', which a URL path holds as they are."""
    prefix, middle, suffix = reverse("dashboard:pair", args=["a0", "b0"]).rpartition("a0/b0")
    if middle != "a0/b0":  # an unexpected URL shape: reverse each one
        return lambda a, b: _pair_url(a, b, query)
    tail = f"{suffix}?{urlencode(query)}" if query else suffix
    return lambda a, b: f"{prefix}{a}/{b}{tail}"


def _period_url_maker(url: str, before: dict, after: dict | None = None, joiner: str = "?"):
    """``f"{url}?{urlencode({**before, 'period': period, **after})}#events"`` for each
    period of a chart, with the fixed parts encoded once (a chart has a point per week)."""
    head = f"{url}{joiner}{urlencode({**before, 'period': ''})}"
    tail = f"&{urlencode(after)}" if after else ""
    return lambda period: f"{head}{quote_plus(str(period))}{tail}#events"


def _cache_parts(cleaned: dict) -> list[tuple[str, object]]:
    """A form's cleaned values as plain, ordered data for a cache key (rows by their ids)."""

    def plain(value):
        if isinstance(value, models.Model):
            return value.pk
        if isinstance(value, models.QuerySet | list | tuple | set):
            return sorted(plain(item) for item in value)
        return value if value is None or isinstance(value, int | float) else str(value)

    return sorted((name, plain(value)) for name, value in cleaned.items())


# --- The machine-coded layer -----------------------------------------------------------------


def _story_url_maker():
    """The evidence of a pending story: its suggestions, quotes and articles in the API."""
    prefix = reverse("api-story-detail", args=[0]).removesuffix("0/")
    return lambda story_id: f"{prefix}{story_id}/"


def _machine_list(stories) -> dict:
    """The newest pending stories of ``stories`` for a page's list, how many match, and
    the link to each one's evidence."""
    listed = summaries.machine_rows(stories, limit=MACHINE_ROWS)
    listed["story_url"] = _story_url_maker()
    return listed


def _timeline_machine_stories(data: dict):
    """The pending stories the timeline's filters select (``layer.matching_stories``). They
    have no evidence status: with that filter on, none."""
    if data.get("evidence_status"):
        return Story.objects.none()
    return layer.matching_stories(
        actor_ids=[actor.pk for actor in data.get("actor") or ()],
        match_all=data.get("match") == "all",
        kinds=data.get("kind") or (),
        categories=data.get("category") or (),
        since=data.get("since"),
        until=data.get("until"),
        search=data.get("q") or "",
    )


def _pair_machine_stories(a: Actor, b: Actor, since, until):
    pending = layer.stories_in_window(layer.pending_stories(), since, until)
    return pending.filter(Q(source=a, target=b) | Q(source=b, target=a)).order_by(
        "-first_seen", "-id"
    )


# --- Overview ---------------------------------------------------------------------------------


@dashboard_page
def overview(request):
    form = OverviewForm(request.GET)
    if not form.is_valid():
        return render(request, "dashboard/overview.html", {"form": form}, status=400)
    machine = form.cleaned_data["machine"]
    today = timezone.now().date()
    core = Actor.objects.in_bulk([slug for pair in CORE_DYADS for slug in pair], field_name="slug")
    cards = []
    for a_slug, b_slug in CORE_DYADS:
        a, b = core.get(a_slug), core.get(b_slug)
        if a is None or b is None:
            cards.append({"a_slug": a_slug, "b_slug": b_slug, "missing": True})
            continue
        series = summaries.dyad_series(a, b, bucket="month", rollup=True)
        coded = summaries.machine_dyad_series(a, b, bucket="month") if machine else None
        pair_url = reverse("dashboard:pair", args=[a.slug, b.slug])
        figure = figures.dyad_figure(
            series["points"],
            a_name=a.name,
            b_name=b.name,
            period_url=_period_url_maker(
                pair_url, {"bucket": "month"}, {"rollup": "1", **form.machine_query()}
            ),
            compact=True,
            machine=coded["points"] if coded else None,
        )
        if machine:
            pair_url = f"{pair_url}?{urlencode(form.machine_query())}"
        cards.append(
            {
                "a": a,
                "b": b,
                "url": pair_url,
                "machine": coded
                and {
                    "last_90": summaries.machine_net_score(a, b, days=90, today=today),
                    "all_time": coded["totals"],
                },
                "last_30": summaries.net_score(a, b, days=30, today=today, rollup=True),
                "last_90": summaries.net_score(a, b, days=90, today=today, rollup=True),
                "figure_id": f"dyad-{a.slug}-{b.slug}",
                "figure": figures.figure_json(figure),
                "has_series": bool(series["points"] or (coded and coded["points"])),
                "all_time": {
                    "net": series["totals"]["a_to_b"] + series["totals"]["b_to_a"],
                    "count": series["totals"]["a_to_b_count"] + series["totals"]["b_to_a_count"],
                },
            }
        )
    published = Event.objects.filter(status=Event.Status.PUBLISHED)
    return render(
        request,
        "dashboard/overview.html",
        {
            "form": form,
            "machine": _machine_list(layer.pending_stories().order_by("-first_seen", "-id"))
            if machine
            else None,
            "cards": cards,
            "latest_events": _for_lists(published)[:10],
            "allegations": summaries.allegations_by_status(published),
            "health": summaries.ingestion_health(),
        },
    )


# --- Timeline ---------------------------------------------------------------------------------


@dashboard_page
def timeline(request):
    filterset = EventFilter(
        request.GET, queryset=published_events_for(request.user), request=request
    )
    chart_form = TimelineChartForm(with_defaults(request.GET, TimelineChartForm))
    _listed_choices(filterset.form, "actor")
    context = {"filterset": filterset, "form": filterset.form, "chart_form": chart_form}
    if not (filterset.is_valid() and chart_form.is_valid()):
        return render(request, "dashboard/timeline.html", context, status=400)
    events = filterset.qs
    page = _paginate(_for_lists(events), chart_form, EVENTS_PER_PAGE)
    if page is None:
        return render(request, "dashboard/timeline.html", context, status=400)
    lanes = chart_form.cleaned_data["lanes"]
    machine = chart_form.cleaned_data["machine"]
    stories = _timeline_machine_stories(filterset.form.cleaned_data) if machine else None

    def draw_chart(coded=()):
        charted = [
            ChartedEvent(*row)
            for row in _with_scores(events).values_list(*ChartedEvent._fields)[
                :TIMELINE_CHART_LIMIT
            ]
        ]
        events_prefix = rows.url_prefix("dashboard:event")
        return figures.timeline_figure(
            charted,
            lanes=lanes,
            event_url=lambda event: f"{events_prefix}{event.pk}/",
            date_label=event_date,
            actor_names=summaries.actor_names(charted) if lanes == "actor" else None,
            machine=figures.machine_entries(
                coded,
                kind_labels=_KIND_LABELS,
                category_labels=_CATEGORY_LABELS,
                story_url=_story_url_maker(),
            ),
        )

    # The chart depends on the filters as read (not the page of the list, nor parameters the
    # forms ignore, so that made-up URLs cannot fill the cache) and on whether the reader
    # sees drafts; cached until the next change to events.
    chart_key = (
        _cache_parts(filterset.form.cleaned_data),
        lanes,
        can_see_drafts(request.user),
    )
    if machine:
        # The stories join the events' lanes, so both fan out together and a hollow marker
        # never hides an event: a chart of its own, which also follows new stories (the
        # newest id) and reviews (within summaries.MACHINE_SECONDS).
        figure = caching.cached(
            "timeline-chart-machine",
            (chart_key, caching.newest_id(Story)),
            lambda: draw_chart(summaries.machine_chart_rows(stories, limit=TIMELINE_CHART_LIMIT)),
            newest_of=Event,
            timeout=summaries.MACHINE_SECONDS,
        )
        context["machine"] = _machine_list(stories)
    else:
        figure = caching.cached("timeline-chart", chart_key, draw_chart, newest_of=Event)
    context.update(
        page=page,
        chart_limit=TIMELINE_CHART_LIMIT,
        lanes=lanes,
        downloads=exports.download_urls(exports.query_pairs(request.GET)),
    )
    context["figure"] = figures.figure_json(figure)
    return render(request, "dashboard/timeline.html", context)


# --- Relations --------------------------------------------------------------------------------


@dashboard_page
def relations(request):
    form = RelationsForm(with_defaults(request.GET, RelationsForm))
    context = {"form": form, "presets": _window_presets(request)}
    if not form.is_valid():
        return render(request, "dashboard/relations.html", context, status=400)
    window = form.window()
    query = form.query()

    pair_url = _pair_url_maker(query)
    # Only what the network draws is read: the busiest pairs among the most active actors.
    graph = summaries.relations_graph(
        **window, max_nodes=figures.NETWORK_MAX_NODES, max_edges=figures.NETWORK_MAX_EDGES
    )
    matrix = summaries.heatmap(**window)
    coded = None
    if form.cleaned_data["machine"]:
        coded = summaries.machine_graph(
            since=window["since"], until=window["until"], limit=figures.NETWORK_MAX_EDGES
        )
    context.update(
        graph=graph,
        network=figures.figure_json(
            figures.network_figure(
                graph,
                actor_url=_actor_url_maker(),
                pair_url=pair_url,
                machine_edges=coded["edges"] if coded else None,
            )
        ),
        heatmap=figures.figure_json(figures.heatmap_figure(matrix, pair_url=pair_url)),
        top_edges=_named_edges(graph)[:15],
        machine=coded and {**coded, "edges": coded["edges"][:MACHINE_PAIRS_SHOWN]},
        network_max_nodes=figures.NETWORK_MAX_NODES,
        network_max_edges=figures.NETWORK_MAX_EDGES,
        query_string=urlencode(query),
    )
    return render(request, "dashboard/relations.html", context)


def _window_presets(request) -> list[dict]:
    """Links for the usual windows, keeping the roll-up choice and the machine-coded layer."""
    today = timezone.now().date()
    kept = {name: request.GET[name] for name in ("rollup", "machine") if name in request.GET}
    presets = []
    for days, label in WINDOW_PRESETS:
        query = {"rollup": "1", **kept}
        if days:
            query.update(since=(today - dt.timedelta(days=days - 1)).isoformat(), until=today)
        presets.append({"label": label, "query": urlencode(query)})
    return presets


def _named_edges(graph: dict) -> list[dict]:
    names = {node["slug"]: node["name"] for node in graph["nodes"]}
    return [
        {**edge, "source_name": names[edge["source"]], "target_name": names[edge["target"]]}
        for edge in graph["edges"]
        if edge["source"] in names and edge["target"] in names
    ]


@dashboard_page
def pair(request, a, b):
    if a == b:
        raise Http404("A pair needs two different actors.")
    actors = Actor.objects.in_bulk([a, b], field_name="slug")
    if a not in actors or b not in actors:
        raise Http404("No such actor.")
    actor_a, actor_b = actors[a], actors[b]
    form = PairForm(with_defaults(request.GET, PairForm))
    context = {"a": actor_a, "b": actor_b, "form": form}
    if not form.is_valid():
        return render(request, "dashboard/pair.html", context, status=400)
    window = form.window()
    bucket = form.cleaned_data["bucket"]
    query = {**form.query(), "bucket": bucket}
    here = reverse("dashboard:pair", args=[a, b])

    period_url = _period_url_maker(here, query)

    series = summaries.dyad_series(actor_a, actor_b, bucket=bucket, **window)
    machine = form.cleaned_data["machine"]
    coded = None
    if machine:
        coded = summaries.machine_dyad_series(
            actor_a, actor_b, bucket=bucket, since=window["since"], until=window["until"]
        )
    bounds = form.period_bounds()
    latest_only = False
    if bounds:
        listed_since, listed_until = bounds
    else:
        # Years of a busy pair hold thousands of events, and finding them costs as much as
        # the span searched: without a chosen period, list the latest periods that fill a
        # page. A click on a bar lists any other period.
        listed_until = window["until"]
        listed_since = summaries.latest_periods_start(series["points"], EVENTS_PER_PAGE)
        latest_only = listed_since is not None and listed_since != series["points"][0]["period"]
        listed_since = dt.date.fromisoformat(listed_since) if latest_only else window["since"]
    if series["points"]:
        behind = analytics.events_between(
            actor_a,
            actor_b,
            period_start=listed_since,
            period_end=listed_until,
            rollup=window["rollup"],
        ).values("pk")
    else:
        behind = []
    events = published_events_for(request.user).filter(pk__in=behind)
    page = _paginate(_for_lists(events), form, EVENTS_PER_PAGE)
    if page is None:
        return render(request, "dashboard/pair.html", context, status=400)
    timeline_query = [("actor", a), ("actor", b), ("match", "all")]
    if listed_since:
        timeline_query.append(("since", listed_since.isoformat()))
    if listed_until:
        timeline_query.append(("until", listed_until.isoformat()))
    if machine:
        context["machine"] = {
            **_machine_list(_pair_machine_stories(actor_a, actor_b, listed_since, listed_until)),
            "totals": coded["totals"],
        }
    context.update(
        series=series,
        figure=figures.figure_json(
            figures.dyad_figure(
                series["points"],
                a_name=actor_a.name,
                b_name=actor_b.name,
                period_url=period_url,
                bucket=bucket,
                machine=coded["points"] if coded else None,
            )
        ),
        page=page,
        period=bounds,
        latest_only=latest_only,
        listed_since=listed_since,
        listed_until=listed_until,
        bucket=bucket,
        query=query,
        reverse_url=_pair_url(b, a, query),
        whole_window_url=f"{here}?{urlencode(query)}#events",
        timeline_url=(
            f"{reverse('dashboard:timeline')}?"
            f"{urlencode([*timeline_query, *form.machine_query().items()])}"
        ),
        downloads=exports.download_urls(timeline_query),
    )
    return render(request, "dashboard/pair.html", context)


# --- Actors -----------------------------------------------------------------------------------


@dashboard_page
def actors(request):
    published = Q(participations__event__status=Event.Status.PUBLISHED)
    queryset = Actor.objects.annotate(
        event_count=Count("participations__event", filter=published, distinct=True)
    ).order_by("name")
    filterset = ActorFilter(request.GET, queryset=queryset, request=request)
    page_form = PageForm(request.GET)
    context = {"filterset": filterset, "form": filterset.form, "page_form": page_form}
    if not (filterset.is_valid() and page_form.is_valid()):
        return render(request, "dashboard/actors.html", context, status=400)
    page = _paginate(filterset.qs, page_form, ACTORS_PER_PAGE)
    if page is None:
        return render(request, "dashboard/actors.html", context, status=400)
    context["page"] = page
    return render(request, "dashboard/actors.html", context)


@dashboard_page
def actor(request, slug):
    actor = get_object_or_404(
        Actor.objects.prefetch_related(
            "aliases",
            Prefetch("affiliations", queryset=_affiliations().select_related("parent")),
            Prefetch("members", queryset=_affiliations().select_related("actor")),
        ),
        slug=slug,
    )
    # An actor that belongs to another is shown as itself; a top-level one with the people
    # and bodies that speak for it rolled into it.
    rollup = not actor.affiliations.all()
    relations = summaries.counterparts(actor, rollup=rollup, limit=ACTOR_RELATIONS_SHOWN)
    for row in relations:
        other = row["actor"]
        url = _pair_url(actor.slug, other.slug, {"rollup": "1" if rollup else "0"})
        series = summaries.dyad_series(actor, other, bucket="month", rollup=rollup)
        row.update(
            has_series=bool(series["points"]),
            url=url,
            figure_id=f"relation-{other.slug}",
            figure=figures.figure_json(
                figures.dyad_figure(
                    series["points"],
                    a_name=actor.name,
                    b_name=other.name,
                    # The pair's URL has a query already: the period's parameters follow it.
                    period_url=_period_url_maker(url, {"bucket": "month"}, joiner="&"),
                    compact=True,
                )
            ),
        )
    events = published_events_for(request.user).filter(
        pk__in=Participant.objects.filter(actor=actor).values("event_id")
    )
    articles = (
        Article.objects.filter(
            pk__in=Mention.objects.filter(actor=actor).values("article_id"),
            duplicate_of__isnull=True,
        )
        .select_related("feed")
        .order_by("-published_at", "-id")[:10]
    )
    return render(
        request,
        "dashboard/actor.html",
        {
            "actor": actor,
            "rollup": rollup,
            "relations": relations,
            "events": _for_lists(events)[:20],
            "articles": articles,
            "timeline_url": f"{reverse('dashboard:timeline')}?{urlencode({'actor': slug})}",
            "downloads": exports.download_urls([("actor", slug)]),
        },
    )


def _affiliations():
    return Affiliation.objects.order_by("start_date", "id")


# --- Events -----------------------------------------------------------------------------------


@dashboard_page
def event(request, pk):
    visible = published_events_for(request.user).select_related(
        "created_by",
        "meeting",
        "statement__speaker",
        "statement__responding_to",
        "allegation__claimant",
        "allegation__accused",
        "action",
    )
    event = get_object_or_404(visible, pk=pk)
    specific = event.specific()
    sources = list(event.sources.all())
    # The kind's own history: an allegation's records carry its evidence status.
    records = list(
        specific.history.select_related("history_user").order_by("-history_date", "-history_id")[
            :200
        ]
    )
    responses = responded_to = None
    visible_ids = published_events_for(request.user).values("pk")
    if event.kind == Event.Kind.ALLEGATION:
        responses = list(specific.responses.filter(pk__in=visible_ids).order_by("date", "id"))
    responded_to = list(
        event.responded_allegations.filter(pk__in=visible_ids).order_by("date", "id")
    )
    interactions = list(event.interactions.select_related("source", "target"))
    statement_responses = list(
        event.statement_responses.filter(pk__in=visible_ids)
        .select_related("speaker")
        .order_by("date", "id")
    )
    return render(
        request,
        "dashboard/event.html",
        {
            "event": event,
            "specific": specific,
            "participants": event.participants.select_related("actor"),
            "interactions": interactions,
            "interactions_figure": figures.figure_json(
                figures.interactions_figure(
                    interactions, pair_url=lambda a, b: _pair_url(a, b, {"rollup": "0"})
                )
            )
            if interactions
            else None,
            "sources": sources,
            "independent_outlets": independent_outlets(sources),
            "net_score": net_score(i.score for i in interactions),
            "average_score": (
                sum(i.score for i in interactions) / len(interactions) if interactions else None
            ),
            "articles": event.articles.select_related("feed").order_by("-published_at")[:50],
            "responses": responses,
            "responded_to": responded_to,
            "statement_responses": statement_responses,
            "responding_to_visible": _responding_to_visible(request.user, specific),
            "history": summaries.edit_history(records),
            "evidence_history": (
                summaries.evidence_status_history(records)
                if event.kind == Event.Kind.ALLEGATION
                else None
            ),
            "can_edit": can_see_drafts(request.user),
            # Who edited is the newsroom's business: readers see when and what, not the names.
            "show_editors": request.user.is_staff,
            "edit_url": _admin_url(f"admin:relations_{event.kind}_change", event.pk),
        },
    )


def _admin_url(name: str, pk: int) -> str:
    """A link into the admin, or nothing when that admin page is not registered."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def _responding_to_visible(user, specific) -> bool:
    target = getattr(specific, "responding_to", None)
    return target is not None and (target.is_published or can_see_drafts(user))


# --- Articles and feeds -----------------------------------------------------------------------


@dashboard_page
def articles(request):
    queryset = Article.objects.select_related("feed", "event").prefetch_related(
        Prefetch("mentions", queryset=Mention.objects.select_related("actor").order_by("-count"))
    )
    can_triage = request.user.has_perm("ingest.change_article")
    query = request.GET
    if can_triage:
        # Editors open on their inbox: what is left to triage, most relevant first. Only a
        # missing parameter takes the default: the form's "Any status" (empty) lists all.
        query = query.copy()
        query.setdefault("review_status", Article.ReviewStatus.NEW)
        query.setdefault("order", "relevance")
    filterset = ArticleFilter(query, queryset=queryset, request=request)
    _listed_choices(filterset.form, "feed", "actor")
    page_form = PageForm(request.GET)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page_form": page_form,
        "can_triage": can_triage,
        "relevance_help": RELEVANCE_HELP,
        "candidate_kind_help": CANDIDATE_KIND_HELP,
    }
    if not (filterset.is_valid() and page_form.is_valid()):
        return render(request, "dashboard/articles.html", context, status=400)
    page = _paginate(filterset.qs, page_form, ARTICLES_PER_PAGE)
    if page is None:
        return render(request, "dashboard/articles.html", context, status=400)
    if context["can_triage"]:
        for article in page.object_list:
            article.create_event_kind = kind_for_article(article)
            article.create_event_url = create_event_url(article, article.create_event_kind)
    context["page"] = page
    order = filterset.form.cleaned_data.get("order") or "newest"
    context["order_label"] = ARTICLE_ORDERS[order][0].lower()
    return render(request, "dashboard/articles.html", context)


@dashboard_page
def feeds(request):
    per_day = summaries.articles_per_day(days=30)
    articles_url = reverse("dashboard:articles")
    figure = figures.articles_per_day_figure(
        per_day["rows"],
        days=per_day["days"],
        feed_url=lambda feed_id: f"{articles_url}?{urlencode({'feed': feed_id})}",
    )
    return render(
        request,
        "dashboard/feeds.html",
        {
            "feeds": summaries.feeds_with_counts(per_day),
            "figure": figures.figure_json(figure),
            "has_articles": bool(per_day["rows"]),
            "health": summaries.ingestion_health(),
        },
    )


# --- Reference ----------------------------------------------------------------------------------


@dashboard_page
def methodology(request):
    """How the numbers are made: the scale, the categories' default scores, the kinds,
    evidence statuses and the roll-up and sourcing rules, each read from the table or
    choices the code uses, so the page cannot drift from what is computed."""
    return render(
        request,
        "dashboard/methodology.html",
        {
            "score_min": categories.SCORE_MIN,
            "score_max": categories.SCORE_MAX,
            "categories": [
                {"value": value, "label": label, "score": categories.DEFAULT_INTENSITY[value]}
                for value, label in categories.Category.choices
            ],
            "kinds": [
                {
                    "value": value,
                    "label": label,
                    "category": categories.Category(CATEGORY_BY_KIND[value]).label
                    if value in CATEGORY_BY_KIND
                    else None,
                }
                for value, label in Event.Kind.choices
            ],
            "precisions": Event.Precision.choices,
            "evidence_statuses": Allegation.EvidenceStatus.choices,
            "roles": Participant.Role.choices,
            "rolling_kinds": [Actor.Kind(kind).label for kind in analytics.ROLLING_KINDS],
            "fixed_kinds": [
                label for value, label in Actor.Kind.choices if value not in analytics.ROLLING_KINDS
            ],
        },
    )


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to: send them to the icon."""
    return redirect(static("favicon.svg"))
