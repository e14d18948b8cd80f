"""Editors' review of machine-coded stories: accept, reject, merge into an event, or edit.

Plain functions, each one transaction, shared by the /suggestions/ page and the admin. A story
is turned into an event through an ``ingest.triage.EventDraft``: the same draft prefills the
admin's event form ("edit") and is saved as it stands ("accept"), so both paths make the same
event. Articles are linked as the inbox links them (``ingest.triage.link_article``), each
cited by one Source quoting its evidence sentence.

Only a pending story can be reviewed. Its row is locked first, so a double click or two
editors at once make one event: the second call finds the story reviewed and says so. The
coding stage leaves reviewed stories alone, and nothing here ever sets a story back to pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.http import urlencode

from coding.models import ReviewStatus, Story, Suggestion
from ingest.triage import (
    EventDraft,
    change_reason,
    event_title,
    link_article,
    source_from_article,
)
from relations.categories import Category, default_score
from relations.models import EVENT_MODELS, Action, Event, Interaction, Participant, Source
from relwatch.caching import bump_data_version

# Accepting a story does in one click what an editor may do by hand from the inbox (create an
# event, link articles to it), so whoever may do that may review. Asked of the page and of the
# admin actions alike.
REVIEW_PERMISSIONS = ("relations.add_event", "ingest.change_article")

# An allegation's claimant accuses the actor said to have acted: scored as an accusation, as
# the seed allegations score it.
ACCUSATION = Category.ACCUSE

# An action's means where the category says it; the rest (an assault: a strike, rocket fire or
# a raid?) is for the editor to tell.
MEANS_BY_CATEGORY = {
    Category.AID: Action.Means.AID_DELIVERY,
    Category.SANCTION: Action.Means.SANCTION,
    Category.MOBILIZE: Action.Means.DEPLOYMENT,
}

# The edit form shows one source row per article: a big story's first few are enough to
# check; the others are cited when the event is saved (finish_edit).
EDIT_FORM_SOURCES = 10


class ReviewError(Exception):
    """A review that cannot be done; the message says why, for the editor."""


class AlreadyReviewed(ReviewError):
    def __init__(self, story: Story):
        self.story = story
        super().__init__(
            f"This story was already {story.get_status_display().lower()}"
            + (f" by {story.reviewed_by}" if story.reviewed_by else "")
            + ": nothing was changed."
        )


def can_review(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perms(REVIEW_PERMISSIONS))


# --- the evidence -------------------------------------------------------------------------


def ranked_suggestions(story: Story) -> list[Suggestion]:
    """The story's suggestions, most confident first (ties: the first coded)."""
    return list(
        story.suggestions.select_related("article__feed", "claimant").order_by("-confidence", "id")
    )


def evidence_by_article(suggestions: list[Suggestion]) -> list[Suggestion]:
    """One suggestion per article (its most confident), in the order given: an article is
    cited once, quoting its best evidence sentence."""
    seen: set[int] = set()
    best = []
    for suggestion in suggestions:
        if suggestion.article_id not in seen:
            seen.add(suggestion.article_id)
            best.append(suggestion)
    return best


def evidence_source(suggestion: Suggestion) -> Source:
    """An unsaved Source citing the suggestion's article, quoting its evidence sentence."""
    source = source_from_article(suggestion.article)
    source.quote = suggestion.quote or source.quote
    return source


# The parts of an evidence sentence the coder points at (Suggestion.spans), as the reviewer
# sees them marked.
SPAN_LABELS = {
    "source": "who acts",
    "target": "to whom",
    "cue": "the cue",
    "claimant": "who claims it",
}


def _spans(quote: str, spans) -> list[tuple[int, int, str]]:
    """The well-formed spans of ``spans`` within ``quote``, in order, overlaps left out (the
    first to start wins): what the coder stored is data, and a bad span marks nothing."""
    found = []
    if isinstance(spans, dict):
        for key in SPAN_LABELS:
            span = spans.get(key)
            if (
                isinstance(span, list | tuple)
                and len(span) == 2
                and all(type(n) is int for n in span)
                and 0 <= span[0] < span[1] <= len(quote)
            ):
                found.append((span[0], span[1], key))
    kept, end = [], 0
    for start, stop, key in sorted(found):
        if start >= end:
            kept.append((start, stop, key))
            end = stop
    return kept


def highlighted_quote(quote: str, spans) -> str:
    """``quote`` as HTML with the actors and the cue in ``<mark>``; every piece escaped."""
    pieces, position = [], 0
    for start, stop, key in _spans(quote, spans):
        pieces.append(escape(quote[position:start]))
        pieces.append(
            format_html(
                '<mark class="hl hl-{}" title="{}">{}</mark>',
                key,
                SPAN_LABELS[key],
                quote[start:stop],
            )
        )
        position = stop
    pieces.append(escape(quote[position:]))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


# --- the event a story implies ------------------------------------------------------------


@dataclass
class _Roles:
    participants: list[tuple[int, str]]  # (actor id, role)
    interactions: list[tuple[int, int, str]]  # (source id, target id, category)
    initial: dict


def _roles(story: Story, best: Suggestion, claimant_id: int | None) -> _Roles:
    """Participants, interactions and the kind's own fields, as the seeds model each kind."""
    source, target, category = story.source_id, story.target_id, story.category
    Role = Participant.Role
    if story.kind == Event.Kind.MEETING:
        # The seeds record a meeting both ways; who hosted is not in a coded pair.
        return _Roles(
            [(source, Role.PARTICIPANT), (target, Role.PARTICIPANT)],
            [(source, target, category), (target, source, category)],
            {},
        )
    if story.kind == Event.Kind.STATEMENT:
        return _Roles(
            [(source, Role.SPEAKER), (target, Role.TARGET)],
            [(source, target, category)],
            {"speaker": source, "quote": best.quote, "original_language": _language(best)},
        )
    if story.kind == Event.Kind.ALLEGATION:
        claim = {"claim": best.quote}
        if claimant_id is not None and claimant_id != source:
            # "B says A armed C": B claims, A is accused of the act on C, and B's claim is an
            # accusation of A.
            interactions = [(source, target, category), (claimant_id, source, ACCUSATION)]
            return _Roles(
                [(claimant_id, Role.CLAIMANT), (source, Role.ACCUSED), (target, Role.SUBJECT)],
                [i for i in interactions if i[0] != i[1]],
                {**claim, "claimant": claimant_id, "accused": source},
            )
        # "A accuses B": the source claims, the target is accused.
        return _Roles(
            [(source, Role.CLAIMANT), (target, Role.ACCUSED)],
            [(source, target, category)],
            {**claim, "claimant": source, "accused": target},
        )
    return _Roles(
        [(source, Role.PARTICIPANT), (target, Role.TARGET)],
        [(source, target, category)],
        {"means": MEANS_BY_CATEGORY.get(category, Action.Means.OTHER)},
    )


def _language(suggestion: Suggestion) -> str:
    article = suggestion.article
    return article.language or article.feed.language or ""


def story_note(story: Story) -> str:
    languages = ", ".join(story.languages) or "unknown language"
    return (
        f"Machine-coded story #{story.pk}: {story.article_count} article(s) from "
        f"{story.outlet_count} outlet(s) ({languages}), first seen "
        f"{timezone.localtime(story.first_seen):%Y-%m-%d}."
    )


def story_draft(story: Story, suggestions: list[Suggestion] | None = None) -> EventDraft:
    """The event ``story`` implies: its kind, a title from the best suggestion's article, the
    date it was first seen, its category, participants and interactions by kind (see
    ``_roles``), and one source per article quoting that article's evidence sentence."""
    suggestions = ranked_suggestions(story) if suggestions is None else suggestions
    if not suggestions:
        raise ReviewError("This story has no coded article left: nothing to make an event of.")
    if story.source_id == story.target_id:
        # Two people of one state, rolled up: no interaction can run from an actor to itself.
        raise ReviewError("Both sides of this story are one actor: edit it into an event by hand.")
    best = suggestions[0]
    claimant_id = next((s.claimant_id for s in suggestions if s.claimant_id), None)
    roles = _roles(story, best, claimant_id)
    draft = EventDraft(kind=story.kind)
    draft.initial = {
        "title": event_title(best.article),
        "summary": best.quote,
        "date": timezone.localtime(story.first_seen).date(),
        "date_precision": Event.Precision.DAY,
        "category": story.category,
        "note": story_note(story),
        **roles.initial,
    }
    draft.participants = [{"actor": actor, "role": role} for actor, role in roles.participants]
    draft.interactions = [
        {"source": source, "target": target, "score": default_score(category)}
        for source, target, category in roles.interactions
    ]
    draft.sources = [
        {
            name: getattr(source, name)
            for name in ("url", "outlet", "title", "published_at", "quote", "language")
        }
        for source in map(evidence_source, evidence_by_article(suggestions))
    ]
    return draft


def edit_url(story: Story) -> str:
    """The add form of the story's event kind, prefilled from the story (coding.admin_review
    reads ``from_story``, and on save finishes the review with ``finish_edit``)."""
    return reverse(f"admin:relations_{story.kind}_add") + "?" + urlencode({"from_story": story.pk})


# --- the actions --------------------------------------------------------------------------


def _lock_pending(story: Story) -> Story:
    """The story's row, locked until the transaction ends; refused unless still pending."""
    # Only the story's row: the reviewer's row, joined for the message, is not locked.
    stories = Story.objects.select_for_update(of=("self",)).select_related("reviewed_by")
    locked = stories.get(pk=story.pk)
    if locked.status != ReviewStatus.PENDING:
        raise AlreadyReviewed(locked)
    return locked


def _save_event(event: Event, user, reason: str, **kwargs) -> None:
    event._history_user = user
    event._change_reason = change_reason(event, reason)
    event.save(**kwargs)


def _create_event(draft: EventDraft, user, reason: str) -> Event:
    """Save ``draft`` as a draft event with its participants and interactions (no sources)."""
    model = EVENT_MODELS[draft.kind]
    fields = {model._meta.get_field(name).attname: value for name, value in draft.initial.items()}
    event = model(**fields, status=Event.Status.DRAFT, created_by=user)
    event.full_clean()
    _save_event(event, user, reason)
    for row in draft.participants:
        Participant.objects.create(event=event, actor_id=row["actor"], role=row["role"])
    for row in draft.interactions:
        Interaction.objects.create(
            event=event, source_id=row["source"], target_id=row["target"], score=row["score"]
        )
    return event


def _cite_and_link(event: Event, suggestions: list[Suggestion], user) -> int:
    """Cite each article of ``suggestions`` on ``event`` (once, quoting its best evidence
    sentence) and link it to the event as the inbox does. An article already linked to another
    event stays linked there (an editor put it there) but is still cited. Returns how many
    sources were added."""
    cited_urls = set(event.sources.exclude(url="").values_list("url", flat=True))
    added = 0
    for suggestion in evidence_by_article(suggestions):
        article = suggestion.article
        if not (article.url and article.url in cited_urls):
            source = evidence_source(suggestion)
            source.event = event
            source.full_clean()
            source.save()
            cited_urls.add(article.url)
            added += 1
        if article.event_id in (None, event.pk):
            # Cited above, so this only links the article and notes it in the event's history.
            link_article(article, event, user)
    return added


def _close(story: Story, status: str, user, reason: str, event: Event | None = None) -> None:
    story.status = status
    story.event = event
    story.reviewed_by = user
    story.reviewed_at = timezone.now()
    story._history_user = user
    story._change_reason = change_reason(story, reason)
    story.save()
    story.suggestions.update(status=status)
    # The machine-coded layer draws pending stories only: once this commits, the pages'
    # cached answers are stale even when no event changed (a rejection).
    transaction.on_commit(bump_data_version, robust=True)


@transaction.atomic
def accept(story: Story, user, publish: bool = False) -> Event:
    """Make the event ``story`` implies (see ``story_draft``), a draft or published, cite and
    link its articles, and mark the story and its suggestions accepted."""
    story = _lock_pending(story)
    suggestions = ranked_suggestions(story)
    draft = story_draft(story, suggestions)
    event = _create_event(draft, user, f"Accepted machine-coded story #{story.pk}")
    _cite_and_link(event, suggestions, user)
    if publish:
        event.status = Event.Status.PUBLISHED
        _save_event(event, user, "Published", update_fields=["status", "updated_at"])
    _close(story, ReviewStatus.ACCEPTED, user, f"Accepted as event #{event.pk}", event)
    return event


@transaction.atomic
def reject(story: Story, user, reason: str = "") -> Story:
    """Mark ``story`` and its suggestions rejected, with the editor's optional reason."""
    story = _lock_pending(story)
    story.reason = reason.strip()
    why = f"Rejected: {story.reason}" if story.reason else "Rejected"
    _close(story, ReviewStatus.REJECTED, user, why)
    return story


@transaction.atomic
def merge(story: Story, event: Event, user) -> int:
    """Cite ``story``'s articles on an existing ``event`` (one source each, quoting its
    evidence sentence), link them, and mark the story merged into it. Returns how many
    sources were added."""
    story = _lock_pending(story)
    suggestions = ranked_suggestions(story)
    if not suggestions:
        raise ReviewError("This story has no coded article left: nothing to merge.")
    event = event.specific()
    added = _cite_and_link(event, suggestions, user)
    _save_event(
        event,
        user,
        f"Merged machine-coded story #{story.pk}",
        update_fields=["updated_at"],
    )
    _close(story, ReviewStatus.MERGED, user, f"Merged into event #{event.pk}", event)
    return added


@transaction.atomic
def finish_edit(story: Story, event: Event, user) -> int:
    """After an editor saved the prefilled form of ``story`` (``edit_url``) as ``event``: cite
    and link the articles the form left out, and mark the story accepted. Returns how many
    sources were added."""
    story = _lock_pending(story)
    added = _cite_and_link(event.specific(), ranked_suggestions(story), user)
    _close(story, ReviewStatus.ACCEPTED, user, f"Accepted, edited, as event #{event.pk}", event)
    return added
