"""The editors' review queue, /suggestions/: machine-coded stories, pending first and the most
confident first, each with its evidence marked up and one-click accept, reject, merge and edit.

Readers who may not review see what /articles/ shows them: the list, read-only (public unless
DASHBOARD_LOGIN_REQUIRED), with no draft event named. The buttons post to views that refuse
anyone who may not review: an anonymous reader is sent to log in, anyone else gets a 403.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cached_property, wraps
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from coding import review
from coding import stories as coding_stories
from coding.forms import MergeForm, RejectForm, StoryFilter
from coding.models import ReviewStatus, Story
from relations.models import Actor, Event, Interaction
from relations.visibility import can_see_drafts, events_visible_to
from relwatch.permissions import login_required_if_configured

STORIES_PER_PAGE = 25
EVIDENCE_SHOWN = 3
# The merge picker offers the pair's events this close to the story's dates, the latest first.
MERGE_WINDOW = dt.timedelta(days=14)
MERGE_CHOICES = 8

# The queue's order: pending stories first, then the reviewed ones status by status (in the
# order ReviewStatus names them); within a status the most confident first, then the newest. A
# story's confidence is already the chance that at least one of its outlets' reports holds (a
# noisy-or over them, coding.stories), so the outlets are not counted again here.
QUEUE_STATUSES = tuple(ReviewStatus)
QUEUE_ORDER = ("-confidence", "-last_seen", "-id")


class Queue:
    """The filtered stories in the queue's order, as ``Paginator`` reads them (``count()`` and
    slices). Each status is its own stretch, read in the order of the ``story_queue`` index
    (status, confidence, last seen, id), so a page is an index range rather than a sort of
    every story; a page that straddles two statuses costs one query more."""

    def __init__(self, queryset):
        self.queryset = queryset

    @cached_property
    def counts(self) -> list[tuple[str, int]]:
        rows = self.queryset.order_by().values_list("status").annotate(stories=Count("pk"))
        counts = dict(rows)
        return [(status, counts.get(status, 0)) for status in QUEUE_STATUSES]

    def count(self) -> int:
        return sum(stories for _, stories in self.counts)

    def of_status(self, status: str):
        """One stretch of the queue: the stories of one status, in order."""
        return self.queryset.filter(status=status).order_by(*QUEUE_ORDER)

    def __getitem__(self, index: slice) -> list[Story]:
        start, stop = index.start or 0, index.stop
        stories: list[Story] = []
        offset = 0
        for status, count in self.counts:
            low, high = max(start - offset, 0), min(stop - offset, count)
            if low < high:
                stories += self.of_status(status)[low:high]
            offset += count
        return stories


def _queue(filterset: StoryFilter) -> Queue:
    return Queue(filterset.qs.select_related("source", "target", "event", "reviewed_by"))


def _page_number(request) -> int:
    return forms.IntegerField(min_value=1, max_value=1_000_000).clean(
        request.GET.get("page") or "1"
    )


def _merge_choices(stories: list[Story], user) -> None:
    """Give each pending story ``merge_choices``: events with an interaction between its pair
    (either way) near its dates, in one query for the page."""
    pending = [story for story in stories if story.status == ReviewStatus.PENDING]
    for story in stories:
        story.merge_choices = []
    if not pending:
        return
    actors = {story.source_id for story in pending} | {story.target_id for story in pending}
    since = min(story.first_seen for story in pending).date() - MERGE_WINDOW
    until = max(story.last_seen for story in pending).date() + MERGE_WINDOW
    # The page's actors among themselves (a few pairs too many, sorted out below): one plain
    # query rather than an OR of every pair.
    interactions = Interaction.objects.filter(
        source__in=actors, target__in=actors, event__date__range=(since, until)
    )
    if not can_see_drafts(user):
        interactions = interactions.filter(event__status=Event.Status.PUBLISHED)
    rows = interactions.values_list(
        "source", "target", "event", "event__title", "event__date"
    ).order_by("-event__date", "-event")[:500]
    by_pair = defaultdict(dict)
    for source, target, event, title, date in rows:
        by_pair[frozenset((source, target))][event] = (event, title, date)
    for story in pending:
        window = (story.first_seen.date() - MERGE_WINDOW, story.last_seen.date() + MERGE_WINDOW)
        events = by_pair[frozenset((story.source_id, story.target_id))].values()
        story.merge_choices = [e for e in events if window[0] <= e[2] <= window[1]][:MERGE_CHOICES]


def _web_url(url: str) -> str:
    """``url`` if it is a web address: a feed may carry any scheme in a link."""
    return url if urlsplit(url).scheme in ("http", "https") else ""


@login_required_if_configured
def suggestions(request):
    can_review = review.can_review(request.user)
    filterset = StoryFilter(request.GET, queryset=Story.objects.all())
    # Two probes of the foreign-key indexes per actor (one Exists with an OR scans stories).
    filterset.form.fields["actor"].queryset = Actor.objects.filter(
        Exists(Story.objects.filter(source=OuterRef("pk")))
        | Exists(Story.objects.filter(target=OuterRef("pk")))
    )
    context = {"form": filterset.form, "can_review": can_review, "errors": []}
    try:
        number = _page_number(request)
    except ValidationError as error:
        context["errors"] = [f"Page: {message}" for message in error.messages]
        return render(request, "coding/suggestions.html", context, status=400)
    if not filterset.is_valid():
        return render(request, "coding/suggestions.html", context, status=400)
    paginator = Paginator(_queue(filterset), STORIES_PER_PAGE)
    if number > paginator.num_pages:
        context["errors"] = [f"There is no page {number}: the list has {paginator.num_pages}."]
        return render(request, "coding/suggestions.html", context, status=400)
    page = paginator.page(number)
    stories = list(page.object_list)
    drafts_visible = can_see_drafts(request.user)
    evidence = coding_stories.evidence([story.pk for story in stories], EVIDENCE_SHOWN)
    for story in stories:
        story.evidence = evidence.get(story.pk, [])
        for suggestion in story.evidence:
            suggestion.highlighted = review.highlighted_quote(suggestion.quote, suggestion.spans)
            suggestion.web_url = _web_url(suggestion.article.url)
        if story.event is not None and not (story.event.is_published or drafts_visible):
            story.event = None  # a draft is not named to readers who may not see it
        if can_review and story.status == ReviewStatus.PENDING:
            story.edit_url = review.edit_url(story)
    if can_review:
        _merge_choices(stories, request.user)
    context.update(page=page, stories=stories, reject_form=RejectForm(), merge_form=MergeForm())
    return render(request, "coding/suggestions.html", context)


# --- the buttons ----------------------------------------------------------------------------


def review_action(view):
    """POST only, by someone who may review; the story looked up; back to the queue after."""

    @require_POST
    @wraps(view)
    def wrapper(request, pk):
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("coding:suggestions"))
        if not review.can_review(request.user):
            raise PermissionDenied("Reviewing machine-coded stories is for editors.")
        story = get_object_or_404(Story, pk=pk)
        try:
            view(request, story)
        except review.ReviewError as error:
            messages.warning(request, str(error))
        except ValidationError as error:
            messages.error(request, "Not saved: " + " ".join(error.messages))
        return HttpResponseRedirect(_back(request))

    return wrapper


def _back(request) -> str:
    """The queue page the button was pressed on (``next``), if it is one of this site's."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("coding:suggestions")


def _event_link(event: Event):
    return format_html('<a href="{}">{}</a>', event.get_absolute_url(), event.title)


@review_action
def accept(request, story):
    publish = request.POST.get("publish") == "1"
    event = review.accept(story, request.user, publish=publish)
    messages.success(
        request,
        format_html(
            "Accepted: {} ({}).", _event_link(event), "published" if publish else "a draft"
        ),
    )


@review_action
def reject(request, story):
    form = RejectForm(request.POST)
    if not form.is_valid():
        raise review.ReviewError(" ".join(form.errors["reason"]))
    review.reject(story, request.user, form.cleaned_data["reason"])
    messages.success(request, f"Rejected the story {story}.")


@review_action
def merge(request, story):
    form = MergeForm(request.POST)
    form.fields["event"].queryset = events_visible_to(request.user, Event.objects.all())
    if not form.is_valid():
        raise review.ReviewError(" ".join(form.errors["event"]))
    event = form.cleaned_data["event"]
    added = review.merge(story, event, request.user)
    messages.success(
        request, format_html("Merged into {}: {} source(s) added.", _event_link(event), added)
    )
