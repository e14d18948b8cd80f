"""factory_boy factories for the domain and ingest models, shared by every test module.

Defaults make a valid, unpublished row with unique names; pass what a test cares about.
An actor is looked up by slug first, so ``ActorFactory(slug="russia")`` twice is one actor.
"""

import datetime as dt
from typing import NamedTuple

import factory
from django.utils import timezone
from django.utils.text import slugify

from coding.models import ReviewStatus, Story, Suggestion
from ingest.models import Article, Feed, FetchLog, Mention
from relations.categories import default_score
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
)


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Actor {n}")
    slug = factory.LazyAttribute(lambda actor: slugify(actor.name))
    kind = Actor.Kind.STATE


class AliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alias

    actor = factory.SubFactory(ActorFactory)
    text = factory.Sequence(lambda n: f"Alias {n}")
    language = "en"


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliation

    actor = factory.SubFactory(ActorFactory, kind=Actor.Kind.PERSON)
    parent = factory.SubFactory(ActorFactory)
    role = "Member"


class _EventFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Event {n}")
    summary = ""
    date = dt.date(2023, 10, 26)
    status = Event.Status.DRAFT


class MeetingFactory(_EventFactory):
    class Meta:
        model = Meeting

    category = "CONSULT"
    format = Meeting.Format.HOSTED


class StatementFactory(_EventFactory):
    class Meta:
        model = Statement

    category = "ACCUSE"
    speaker = factory.SubFactory(ActorFactory)
    quote = "We condemn this."


class AllegationFactory(_EventFactory):
    class Meta:
        model = Allegation

    category = "ACCUSE"
    claimant = factory.SubFactory(ActorFactory)
    accused = factory.SubFactory(ActorFactory)
    claim = "It armed them."


class ActionFactory(_EventFactory):
    class Meta:
        model = Action

    category = "ASSAULT"
    means = Action.Means.STRIKE


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    event = factory.SubFactory(MeetingFactory)
    actor = factory.SubFactory(ActorFactory)
    role = Participant.Role.PARTICIPANT


class InteractionFactory(factory.django.DjangoModelFactory):
    """Leave ``score`` out to get the event category's default."""

    class Meta:
        model = Interaction

    event = factory.SubFactory(MeetingFactory)
    source = factory.SubFactory(ActorFactory)
    target = factory.SubFactory(ActorFactory)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    event = factory.SubFactory(MeetingFactory)
    url = factory.Sequence(lambda n: f"https://news.example.com/story-{n}")
    outlet = "Example News"
    title = factory.Sequence(lambda n: f"Story {n}")
    published_at = factory.LazyFunction(timezone.now)
    quote = "They met in Moscow."


class FeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feed

    url = factory.Sequence(lambda n: f"https://feeds{n}.example.com/rss.xml")
    title = factory.Sequence(lambda n: f"Feed {n}")
    language = "en"


class FetchLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FetchLog

    feed = factory.SubFactory(FeedFactory)
    http_status = 200
    outcome = FetchLog.Outcome.NEW


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    feed = factory.SubFactory(FeedFactory)
    guid = factory.Sequence(lambda n: f"urn:example:article:{n}")
    url = factory.Sequence(lambda n: f"https://news.example.com/article-{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    summary = "Officials met in Moscow. They discussed the hostages."
    published_at = factory.LazyFunction(timezone.now)
    language = "en"
    content_hash = factory.Sequence(lambda n: f"{n:064x}")


class MentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mention

    article = factory.SubFactory(ArticleFactory)
    actor = factory.SubFactory(ActorFactory)
    count = 1
    alias = factory.LazyAttribute(lambda mention: mention.actor.name)


def spans_of(quote: str, **words: str) -> dict[str, list[int]]:
    """{"source": [s, e], ...}: where each of ``words`` first occurs in ``quote`` (those
    that do)."""
    spans = {}
    for key, word in words.items():
        start = quote.find(word)
        if word and start >= 0:
            spans[key] = [start, start + len(word)]
    return spans


class SuggestionFactory(factory.django.DjangoModelFactory):
    """One coded interaction in one article, as the coder stores it: the actors as named are
    the actors, the score is the category's default, and the spans mark the actors, the cue
    and the claimant where the quote names them."""

    class Meta:
        model = Suggestion

    article = factory.SubFactory(ArticleFactory)
    source = factory.SubFactory(ActorFactory)
    target = factory.SubFactory(ActorFactory)
    source_named = factory.SelfAttribute("source")
    target_named = factory.SelfAttribute("target")
    category = "CONSULT"
    kind = Event.Kind.MEETING
    score = factory.LazyAttribute(lambda row: default_score(row.category))
    confidence = 0.9
    cue = "met"
    quote = factory.LazyAttribute(lambda row: f"{row.source.name} {row.cue} {row.target.name}.")
    explanation = factory.LazyAttribute(
        lambda row: f"cue: «{row.cue}» → {row.category}; source: {row.source.name}"
    )
    claimant = None
    spans = factory.LazyAttribute(
        lambda row: spans_of(
            row.quote,
            source=row.source.name,
            target=row.target.name,
            cue=row.cue,
            **({"claimant": row.claimant.name} if row.claimant else {}),
        )
    )
    story = None
    status = factory.LazyAttribute(
        lambda row: row.story.status if row.story else ReviewStatus.PENDING
    )


class Report(NamedTuple):
    """One article of a story: its outlet (the feed's title), language, evidence sentence
    (also the article's title) and the coder's confidence."""

    outlet: str
    language: str
    quote: str
    confidence: float


# When a story made by StoryFactory is first seen, unless told.
STORY_SEEN = dt.datetime(2026, 2, 17, 12, 0, tzinfo=dt.UTC)

# The outlets of a story's default reports, in turn (past them: "Outlet <n>", English, 0.5),
# and how each one's sentence ends.
OUTLETS = (
    ("Reuters", "en", 0.9, " in Moscow."),
    ("TASS", "ru", 0.7, ", said the ministry."),
    ("Al Jazeera", "ar", 0.6, ", officials said."),
    ("AP", "en", 0.5, " on Thursday."),
)


def _default_reports(story) -> list[Report]:
    reports = []
    for n in range(story.outlets):
        outlet, language, confidence, ending = (
            OUTLETS[n] if n < len(OUTLETS) else (f"Outlet {n}", "en", 0.5, ".")
        )
        quote = story.quote or f"{story.source.name} {story.cue} {story.target.name}{ending}"
        reports.append(Report(outlet, story.language or language, quote, confidence))
    return reports


class StoryFactory(factory.django.DjangoModelFactory):
    """A machine-coded story of ``source`` → ``target`` with one suggestion per report, each
    from its own article (published an hour after the one before), as the coding stage
    stores them; the story's counts, languages, confidence and last sighting follow from
    its reports, and its suggestions share its status.

    ``StoryFactory(source=russia, target=hamas)`` is reported by Reuters (English, 0.9) and
    TASS (Russian, 0.7), each sentence naming both actors and the cue. Params:

    - ``outlets``: how many default reports (the outlets of ``OUTLETS`` in turn);
    - ``language``: every default report in this language (else each outlet's own);
    - ``quote``: every default report's sentence; ``cue``, ``claimant``: the suggestions';
    - ``reports``: a list of ``Report`` (or (outlet, language, quote, confidence) tuples)
      in place of the defaults;
    - ``feed``: one feed for every article (one story outlet), instead of a feed per outlet;
    - ``spans``: every suggestion's spans, instead of those found in its quote.
    """

    class Meta:
        model = Story
        skip_postgeneration_save = True

    class Params:
        outlets = 2
        language = None
        quote = ""
        cue = "met"
        claimant = None
        feed = None
        spans = None
        reports = factory.LazyAttribute(_default_reports)

    source = factory.SubFactory(ActorFactory)
    target = factory.SubFactory(ActorFactory)
    category = "CONSULT"
    family = factory.SelfAttribute("category")
    kind = Event.Kind.MEETING
    first_seen = STORY_SEEN
    last_seen = factory.LazyAttribute(
        lambda story: story.first_seen + dt.timedelta(hours=len(story.reports))
    )
    article_count = factory.LazyAttribute(lambda story: len(story.reports))
    outlet_count = factory.LazyAttribute(
        lambda story: 1 if story.feed else len({report[0] for report in story.reports})
    )
    languages = factory.LazyAttribute(lambda story: sorted({report[1] for report in story.reports}))
    confidence = factory.LazyAttribute(
        lambda story: max((report[3] for report in story.reports), default=0)
    )
    status = ReviewStatus.PENDING

    @factory.post_generation
    def suggestions(story, create, extracted, reports=(), feed=None, spans=None, **fields):
        if spans is not None:
            fields["spans"] = spans
        for n, (outlet, language, quote, confidence) in enumerate(reports):
            article = ArticleFactory(
                feed=feed or FeedFactory(title=outlet, language=language),
                title=quote,
                summary=f"{quote} More text follows.",
                language=language,
                published_at=story.first_seen + dt.timedelta(hours=n),
            )
            SuggestionFactory(
                article=article,
                source=story.source,
                target=story.target,
                category=story.category,
                kind=story.kind,
                confidence=confidence,
                quote=quote,
                story=story,
                **fields,
            )

    # The post-generation hook reads the params.
    suggestions__reports = factory.SelfAttribute("..reports")
    suggestions__feed = factory.SelfAttribute("..feed")
    suggestions__cue = factory.SelfAttribute("..cue")
    suggestions__claimant = factory.SelfAttribute("..claimant")
    suggestions__spans = factory.SelfAttribute("..spans")
