"""A saved page (path and query, as the owner saw it) read into a watchlist's columns.

The timeline's query goes through the timeline's own filterset (dashboard.filters.EventFilter)
and a pair's window through the pair page's form, so a watchlist accepts exactly what the
page accepts and refuses it with the page's messages. Only the timeline, a pair page and an
actor page can be watched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.http import QueryDict
from django.urls import Resolver404, resolve

from dashboard.filters import EventFilter
from dashboard.forms import PairForm, with_defaults
from relations.models import Actor, Event
from relations.search import plain_websearch

WATCHABLE = {
    "dashboard:timeline": "timeline",
    "dashboard:pair": "pair",
    "dashboard:actor": "actor",
}
MAX_SAVED_URL = 2000


class UnreadableFilters(ValueError):
    """The saved page cannot be read as filters; the message says why, for its owner."""


@dataclass
class SavedFilters:
    scope: str
    name: str
    actor_ids: list[int] = field(default_factory=list)
    match_all: bool = False
    kinds: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    evidence_statuses: list[str] = field(default_factory=list)
    since: object = None
    until: object = None
    search: str = ""
    pair_low: Actor | None = None
    pair_high: Actor | None = None
    rollup: bool = True

    def columns(self) -> dict:
        """The watchlist fields these filters set."""
        return {
            "scope": self.scope,
            "actor_ids": self.actor_ids,
            "match_all": self.match_all,
            "kinds": self.kinds,
            "categories": self.categories,
            "evidence_statuses": self.evidence_statuses,
            "since": self.since,
            "until": self.until,
            "search": self.search,
            "pair_low": self.pair_low,
            "pair_high": self.pair_high,
            "rollup": self.rollup,
        }


def read_saved_url(saved_url: str) -> SavedFilters:
    """The filters of a saved page; raises UnreadableFilters with a message for its owner."""
    saved_url = (saved_url or "").strip()
    if not saved_url.startswith("/") or saved_url.startswith("//"):
        raise UnreadableFilters("Only a page of this site can be watched.")
    if len(saved_url) > MAX_SAVED_URL:
        raise UnreadableFilters(f"The page's address is longer than {MAX_SAVED_URL} characters.")
    parts = urlsplit(saved_url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise UnreadableFilters("There is no such page to watch.") from None
    scope = WATCHABLE.get(match.view_name)
    if scope is None:
        raise UnreadableFilters("Only the timeline, a pair page or an actor page can be watched.")
    query = QueryDict(parts.query)
    if scope == "timeline":
        return _timeline(query)
    if scope == "pair":
        return _pair(match.kwargs["a"], match.kwargs["b"], query)
    return _actor(match.kwargs["slug"])


def _actors_by_slug(slugs: list[str]) -> dict[str, Actor]:
    found = Actor.objects.in_bulk(slugs, field_name="slug")
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        names = ", ".join(f"“{slug}”" for slug in missing)
        raise UnreadableFilters(
            f"No actor {names} exists any more, so the saved filters cannot be read."
        )
    return found


def _errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else name}: {' '.join(messages)}"
        for name, messages in form.errors.items()
    )


def _timeline(query: QueryDict) -> SavedFilters:
    # A deleted actor is named as such (the filterset would only say "not a valid choice").
    slugs = [slug for slug in query.getlist("actor") if slug]
    actors = _actors_by_slug(slugs)
    filterset = EventFilter(query, queryset=Event.objects.none())
    if not filterset.is_valid():
        raise UnreadableFilters(_errors(filterset.form))
    data = filterset.form.cleaned_data
    if data.get("status") == Event.Status.DRAFT:
        raise UnreadableFilters("Drafts are never alerted: watch published events instead.")
    actor_ids = sorted({actors[slug].pk for slug in slugs})
    names = [actors[slug].name for slug in dict.fromkeys(slugs)]
    return SavedFilters(
        scope="timeline",
        name="Timeline: " + (", ".join(names) if names else "all events"),
        actor_ids=actor_ids,
        match_all=data.get("match") == "all" and len(actor_ids) > 1,
        kinds=sorted(data.get("kind") or []),
        categories=sorted(data.get("category") or []),
        evidence_statuses=sorted(data.get("evidence_status") or []),
        since=data.get("since"),
        until=data.get("until"),
        # As the timeline searches it: a run of hyphens read as one NOT (relations.search).
        search=plain_websearch((data.get("q") or "").strip()),
    )


def _pair(a_slug: str, b_slug: str, query: QueryDict) -> SavedFilters:
    if a_slug == b_slug:
        raise UnreadableFilters("A pair needs two different actors.")
    actors = _actors_by_slug([a_slug, b_slug])
    form = PairForm(with_defaults(query, PairForm))
    if not form.is_valid():
        raise UnreadableFilters(_errors(form))
    window = form.window()
    a, b = actors[a_slug], actors[b_slug]
    low, high = sorted((a, b), key=lambda actor: actor.pk)
    return SavedFilters(
        scope="pair",
        name=f"{a.name} ↔ {b.name}",
        since=window["since"],
        until=window["until"],
        pair_low=low,
        pair_high=high,
        rollup=window["rollup"],
    )


def _actor(slug: str) -> SavedFilters:
    actor = _actors_by_slug([slug])[slug]
    return SavedFilters(scope="actor", name=actor.name, actor_ids=[actor.pk])
