"""A small, known world for the page and browser tests: the core triangle, a minister who
rolls up to his state, a handful of sourced, scored events (and one draft), a feed and its
articles. ``grow(n)`` adds n more of everything, to check that query counts stay flat."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from ingest.models import Feed
from relations.analytics import rebuild_dyad_days
from relations.models import Actor, Allegation, Event
from relations.search import refresh_search_vectors
from tests.factories import (
    ActorFactory,
    AffiliationFactory,
    AliasFactory,
    AllegationFactory,
    ArticleFactory,
    FeedFactory,
    FetchLogFactory,
    InteractionFactory,
    MeetingFactory,
    MentionFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

PUBLISHED = Event.Status.PUBLISHED


@dataclass
class World:
    russia: Actor
    hamas: Actor
    israel: Actor
    ukraine: Actor
    lavrov: Actor
    meeting: Event
    praise: Event
    condemnation: Event
    allegation: Allegation
    denial: Event
    draft: Event
    feed: Feed
    failing_feed: Feed
    extra_events: list[Event] = field(default_factory=list)


def build_world() -> World:
    russia = ActorFactory(
        name="Russia", slug="russia", kind=Actor.Kind.STATE, is_core=True, country_code="RU"
    )
    hamas = ActorFactory(name="Hamas", slug="hamas", kind=Actor.Kind.ARMED_GROUP, is_core=True)
    israel = ActorFactory(
        name="Israel", slug="israel", kind=Actor.Kind.STATE, is_core=True, country_code="IL"
    )
    ukraine = ActorFactory(name="Ukraine", slug="ukraine", kind=Actor.Kind.STATE)
    lavrov = ActorFactory(
        name="Sergei Lavrov",
        slug="sergei-lavrov",
        kind=Actor.Kind.PERSON,
        title="Foreign Minister of Russia",
    )
    AffiliationFactory(actor=lavrov, parent=russia, role="Foreign Minister")
    AliasFactory(actor=russia, text="the Kremlin", language="en")
    AliasFactory(actor=russia, text="России", language="ru")

    meeting = MeetingFactory(
        title="Hamas delegation received in Moscow",
        date=dt.date(2023, 10, 26),
        status=PUBLISHED,
        city="Moscow",
        summary="A Hamas delegation meets a senior Russian official.",
    )
    _take_part(meeting, (russia, "host"), (hamas, "guest"))
    InteractionFactory(event=meeting, source=russia, target=hamas)
    InteractionFactory(event=meeting, source=hamas, target=russia)
    SourceFactory(event=meeting, outlet="Chronicle", quote="Hamas members met in Moscow.")
    SourceFactory(event=meeting, outlet="chronicle ", quote="The same outlet again.")
    SourceFactory(event=meeting, outlet="Other Wire", quote="A second outlet.")

    praise = StatementFactory(
        title="Hamas praises Russia's efforts",
        date=dt.date(2023, 10, 26),
        status=PUBLISHED,
        category="SUPPORT",
        speaker=hamas,
        quote="the crimes of Israel supported by the West",
        original_language="ar",
        responding_to=meeting,
    )
    _take_part(praise, (hamas, "speaker"), (russia, "target"))
    InteractionFactory(event=praise, source=hamas, target=russia)
    InteractionFactory(event=praise, source=hamas, target=israel, score=-2.0)
    SourceFactory(event=praise, quote="they praised Russia's efforts")

    condemnation = StatementFactory(
        title="Israel condemns the Moscow visit",
        date=dt.date(2023, 10, 26),
        status=PUBLISHED,
        category="ACCUSE",
        speaker=israel,
        responding_to=meeting,
    )
    _take_part(condemnation, (israel, "speaker"), (russia, "target"))
    InteractionFactory(event=condemnation, source=israel, target=russia, score=-4.0)
    SourceFactory(event=condemnation, quote="prompting condemnation from Israel")

    allegation = AllegationFactory(
        title="Ukraine says Russia armed Hamas",
        date=dt.date(2023, 11, 1),
        date_precision=Event.Precision.MONTH,
        status=PUBLISHED,
        category="ACCUSE",
        claimant=ukraine,
        accused=russia,
        claim="Russia supplied Hamas with arms.",
        evidence_status=Allegation.EvidenceStatus.UNVERIFIED,
    )
    _take_part(allegation, (ukraine, "claimant"), (russia, "accused"), (hamas, "subject"))
    InteractionFactory(event=allegation, source=ukraine, target=russia)
    InteractionFactory(event=allegation, source=russia, target=hamas, score=7.0)
    SourceFactory(event=allegation, quote="evidence for this allegation is lacking")
    # The evidence status changes once, so the allegation has a history to show.
    allegation.evidence_status = Allegation.EvidenceStatus.DISPUTED
    allegation.save()

    denial = StatementFactory(
        title="Lavrov denies arming Hamas",
        date=dt.date(2023, 11, 20),
        status=PUBLISHED,
        category="REJECT",
        speaker=lavrov,
    )
    _take_part(denial, (lavrov, "speaker"), (ukraine, "target"))
    InteractionFactory(event=denial, source=lavrov, target=ukraine)
    SourceFactory(event=denial, quote="Lavrov denied it.")
    allegation.responses.add(denial)

    draft = MeetingFactory(title="Unpublished draft meeting", date=dt.date(2023, 12, 1))
    _take_part(draft, (russia, "host"), (israel, "guest"))

    feed = FeedFactory(title="Wire feed", last_checked_at=timezone.now())
    failing_feed = FeedFactory(
        title="Broken feed", status=Feed.Status.FAILING, last_error="HTTP 500 from the server"
    )
    FetchLogFactory(feed=feed)
    article = ArticleFactory(
        feed=feed,
        title="Hamas officials visit Moscow",
        relevance=0.9,
        candidate_kind="meeting",
        event=meeting,
    )
    MentionFactory(article=article, actor=russia, count=2)
    MentionFactory(article=article, actor=hamas)
    ArticleFactory(feed=failing_feed, title="Weather report", relevance=0.0)

    rebuild_dyad_days()
    refresh_search_vectors()
    return World(
        russia=russia,
        hamas=hamas,
        israel=israel,
        ukraine=ukraine,
        lavrov=lavrov,
        meeting=meeting,
        praise=praise,
        condemnation=condemnation,
        allegation=allegation,
        denial=denial,
        draft=draft,
        feed=feed,
        failing_feed=failing_feed,
    )


def grow(world: World, count: int) -> None:
    """``count`` more published events of every kind, with participants, interactions,
    sources and articles, and more actors, feeds and articles."""
    first = len(world.extra_events) // 3
    for index in range(first, first + count):
        day = dt.date(2023, 12, 1) + dt.timedelta(days=7 * index)
        other = ActorFactory(name=f"Grown actor {index}", slug=f"grown-actor-{index}")
        AliasFactory(actor=other, text=f"Grown alias {index}")
        for event in (
            MeetingFactory(title=f"Grown meeting {index}", date=day, status=PUBLISHED),
            StatementFactory(
                title=f"Grown statement {index}", date=day, status=PUBLISHED, speaker=other
            ),
            AllegationFactory(
                title=f"Grown allegation {index}",
                date=day,
                status=PUBLISHED,
                claimant=other,
                accused=world.russia,
            ),
        ):
            _take_part(event, (world.russia, "participant"), (world.hamas, "participant"))
            _take_part(event, (other, "participant"))
            InteractionFactory(event=event, source=world.russia, target=world.hamas)
            InteractionFactory(event=event, source=other, target=world.russia)
            SourceFactory(event=event)
            world.extra_events.append(event)
        feed = FeedFactory(title=f"Grown feed {index}")
        article = ArticleFactory(feed=feed, event=world.extra_events[-1])
        MentionFactory(article=article, actor=world.russia)
        MentionFactory(article=article, actor=other)
    rebuild_dyad_days()
    refresh_search_vectors()


def _take_part(event: Event, *actors_and_roles) -> None:
    for actor, role in actors_and_roles:
        ParticipantFactory(event=event, actor=actor, role=role)
