import datetime as dt
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from relations.models import (
    Actor,
    Affiliation,
    Alias,
    Allegation,
    Event,
    Interaction,
    Participant,
    Source,
    Statement,
)
from relations.seeding import SeedError, default_seed_dir, load_relations_seeds

# The slugs DESIGN.md lists, copied by hand: the seeds must not be the test's own source.
DESIGN_SLUGS = [
    *("russia", "israel", "iran", "ukraine", "united-states", "syria", "qatar"),
    *("palestinian-authority", "un-security-council", "russian-foreign-ministry"),
    *("israeli-foreign-ministry", "ukrainian-defence-intelligence"),
    *("hamas", "hezbollah", "palestinian-islamic-jihad"),
    *("vladimir-putin", "sergei-lavrov", "mikhail-bogdanov", "maria-zakharova", "dmitry-peskov"),
    *("benjamin-netanyahu", "isaac-herzog", "eli-cohen", "mousa-abu-marzouk", "ismail-haniyeh"),
    *("kyrylo-budanov", "volodymyr-zelensky", "hossein-amir-abdollahian", "mahmoud-abbas"),
]

ARTICLE_PATH = Path(settings.BASE_DIR).parent / "shared/seed/article.txt"
OUTLET = "The Washington Daily Chronicle"


@pytest.fixture
def seeded(db):
    return load_relations_seeds()


@pytest.fixture
def seed_titles() -> dict[str, str]:
    """Seed event key → title, from the YAML itself, so the tests follow a rename."""
    data = yaml.safe_load((default_seed_dir() / "events.yaml").read_text(encoding="utf-8"))
    return {event["key"]: event["title"] for event in data["events"]}


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(default_seed_dir(), target)
    return target


def article_text() -> str:
    assert ARTICLE_PATH.is_file(), f"the seed article belongs beside the checkout: {ARTICLE_PATH}"
    return ARTICLE_PATH.read_text(encoding="utf-8")


def snapshot() -> dict:
    """Enough of the database to see whether a load changed anything."""
    return {
        "actors": sorted(Actor.objects.values_list("slug", "name", "updated_at")),
        "aliases": Alias.objects.count(),
        "affiliations": Affiliation.objects.count(),
        "events": sorted(Event.objects.values_list("title", "updated_at")),
        "history": Event.history.count(),
        "participants": Participant.objects.count(),
        "interactions": sorted(Interaction.objects.values_list("id", "score")),
        "sources": sorted(Source.objects.values_list("id", "quote")),
    }


def events_between(a: str, b: str) -> set[str]:
    pair = Interaction.objects.filter(source__slug__in=[a, b], target__slug__in=[a, b]).values_list(
        "event__title", flat=True
    )
    return set(pair)


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_actor_slug_in_design_exists_after_loading(seeded):
    assert set(DESIGN_SLUGS) <= set(Actor.objects.values_list("slug", flat=True))
    core = set(Actor.objects.filter(is_core=True).values_list("slug", flat=True))
    assert core == {"russia", "israel", "hamas"}
    assert all(Actor.objects.get(slug=slug).colour for slug in core)


def test_every_person_has_a_title_and_an_affiliation(seeded):
    for person in Actor.objects.filter(kind=Actor.Kind.PERSON):
        assert person.title, person.slug
        assert person.affiliations.exists(), person.slug


def test_aliases_cover_inflected_russian_hebrew_and_arabic(seeded):
    def owner(text, language):
        return Alias.objects.get(text__iexact=text, language=language).actor.slug

    for text in ["России", "Россией", "Москве", "Кремль"]:
        assert owner(text, "ru") == "russia"
    assert owner("Израиля", "ru") == "israel"
    assert owner("Путина", "ru") == owner("Путин", "ru") == "vladimir-putin"
    assert owner("Лавров", "ru") == owner("Лаврова", "ru") == "sergei-lavrov"
    assert owner("ХАМАС", "ru") == "hamas"
    assert owner("the Kremlin".removeprefix("the "), "en") == "russia"
    assert owner("Lavrov", "en") == "sergei-lavrov"
    assert owner("Tehran", "en") == "iran"
    assert owner("Kyiv", "en") == "ukraine"
    assert owner("Iranian", "en") == "iran"
    assert owner("חמאס", "he") == "hamas"
    assert owner("حماس", "ar") == "hamas"
    assert Alias.objects.get(text="US", language="en").case_sensitive
    assert not Alias.objects.filter(text__iexact="Jerusalem").exists()


def test_netanyahu_is_prime_minister_with_his_time_out_of_office_left_out(seeded):
    netanyahu = Actor.objects.get(slug="benjamin-netanyahu")
    assert netanyahu.title == "Prime Minister of Israel"
    terms = netanyahu.affiliations.filter(parent__slug="israel")
    assert {term.role for term in terms} == {"Prime Minister"}

    def in_office(day):
        return any(term.is_valid_on(day) for term in terms)

    assert in_office(dt.date(2023, 10, 26))
    assert in_office(dt.date(2015, 1, 1))
    assert not in_office(dt.date(2022, 1, 1))
    assert "Israeli President" in netanyahu.description  # the note on the article's error


def test_herzog_is_israels_president(seeded):
    herzog = Actor.objects.get(slug="isaac-herzog")
    presidency = herzog.affiliations.get(parent__slug="israel")
    assert presidency.role == "President"
    assert presidency.start_date == dt.date(2021, 7, 7)
    assert presidency.is_valid_on(dt.date(2023, 10, 26))


def test_lavrov_rolls_up_through_the_foreign_ministry_to_russia(seeded):
    lavrov = Actor.objects.get(slug="sergei-lavrov")
    ministry = lavrov.affiliations.get().parent
    assert ministry.slug == "russian-foreign-ministry"
    assert ministry.affiliations.get().parent.slug == "russia"
    cohen = Actor.objects.get(slug="eli-cohen").affiliations.get()
    assert cohen.parent.slug == "israeli-foreign-ministry"
    assert cohen.is_valid_on(dt.date(2023, 10, 26))


def test_every_seed_event_has_a_source_quoting_the_article(seeded, seed_titles):
    text = article_text()
    title = text.splitlines()[0].strip()
    events = Event.objects.prefetch_related("sources")
    assert set(events.values_list("title", flat=True)) >= set(seed_titles.values())
    for event in events.filter(title__in=seed_titles.values()):
        sources = [s for s in event.sources.all() if s.outlet == OUTLET]
        assert sources, event.title
        for source in sources:
            assert source.title == title
            assert source.quote in text, f"{event.title}: quote not in the article"
            # One sentence at most: no sentence ends inside the quote.
            assert not re.search(r"[.!?][”\"]?\s+\S", source.quote), source.quote
        assert event.status == Event.Status.PUBLISHED


def test_required_events_have_the_right_kind_and_date(seeded, seed_titles):
    def event(key):
        return Event.objects.get(title=seed_titles[key])

    attack = event("hamas-attack-on-israel-2023-10-07")
    assert (attack.date, attack.date_precision) == (dt.date(2023, 10, 7), "day")
    moscow = event("hamas-delegation-moscow-2023-10-26")
    assert moscow.kind == "meeting" and moscow.date == dt.date(2023, 10, 26)
    assert moscow.meeting.city == "Moscow"
    assert event("unsc-rejects-russian-draft-2023-10-16").date == dt.date(2023, 10, 16)
    leningrad = event("putin-compares-gaza-blockade-to-leningrad-2023-10-13")
    assert leningrad.date == dt.date(2023, 10, 13)
    assert leningrad.statement.speaker.slug == "vladimir-putin"
    condemnation = event("israel-condemns-hamas-visit-2023-10-26").statement
    assert condemnation.responding_to_id == moscow.pk
    defence = event("russia-defends-hamas-contacts-2023-10")
    assert defence.date_precision == "month" and "month precision" in defence.note
    for key in [
        "russia-declines-to-call-attack-terrorism-2023-10",
        "iran-supplies-russia-with-weapons-2023-10",
        "israel-withholds-military-aid-from-ukraine-2023-10",
        "lavrov-criticises-israel-2023-10",
    ]:
        assert event(key).date_precision == "month", key


def test_the_allegations_are_unverified_where_the_article_says_so(seeded, seed_titles):
    crypto_key = "militants-use-russian-crypto-exchanges-2023-10"
    crypto = Allegation.objects.get(title=seed_titles[crypto_key])
    assert crypto.evidence_status == "unverified"
    arms = Allegation.objects.get(title=seed_titles["budanov-claims-russia-armed-hamas-2023-10"])
    assert arms.evidence_status == "unverified"
    assert "evidence is lacking" in arms.evidence_note.lower()
    assert (arms.claimant.slug, arms.accused.slug) == ("kyrylo-budanov", "russia")


def test_the_russia_hamas_pair_has_the_meeting_the_praise_and_both_allegations(seeded, seed_titles):
    pair = events_between("russia", "hamas")
    for key in [
        "hamas-delegation-moscow-2023-10-26",
        "hamas-praises-russia-2023-10-26",
        "militants-use-russian-crypto-exchanges-2023-10",
        "budanov-claims-russia-armed-hamas-2023-10",
    ]:
        assert seed_titles[key] in pair, key


def test_the_russia_israel_pair_has_the_condemnation_and_the_leningrad_comparison(
    seeded, seed_titles
):
    pair = events_between("russia", "israel")
    assert seed_titles["israel-condemns-hamas-visit-2023-10-26"] in pair
    assert seed_titles["putin-compares-gaza-blockade-to-leningrad-2023-10-13"] in pair
    condemnation = Interaction.objects.get(
        event__title=seed_titles["israel-condemns-hamas-visit-2023-10-26"],
        source__slug="israel",
        target__slug="russia",
    )
    assert condemnation.score < 0


def test_an_interaction_without_a_score_takes_the_category_default(seeded, seed_titles):
    meeting = Interaction.objects.get(
        event__title=seed_titles["hamas-delegation-moscow-2023-10-26"],
        source__slug="russia",
        target__slug="hamas",
    )
    assert meeting.score == 2.1  # CONSULT


def test_a_second_run_changes_nothing_and_says_so(seeded):
    assert seeded.changed
    before = snapshot()
    again = load_relations_seeds()
    assert not again.changed
    assert again.tallies["actors"].unchanged == len(DESIGN_SLUGS)
    assert snapshot() == before


def test_a_renamed_event_is_updated_in_place(seeded, seed_copy, seed_titles):
    old = seed_titles["hamas-delegation-moscow-2023-10-26"]
    pk = Event.objects.get(title=old).pk
    replace_once(
        seed_copy / "events.yaml",
        f"    title: {old}\n",
        f"    title: Hamas delegation in Moscow\n    formerly: [{old}]\n",
    )
    report = load_relations_seeds(seed_copy)
    assert Event.objects.get(pk=pk).title == "Hamas delegation in Moscow"
    assert not Event.objects.filter(title=old).exists()
    assert report.tallies["meetings"].updated == 1
    assert report.tallies["participants"].created == 0


def test_a_changed_actor_is_updated_in_place_and_a_changed_quote_added(seeded, seed_copy):
    russia_pk = Actor.objects.get(slug="russia").pk
    replace_once(seed_copy / "actors.yaml", "    name: Russia\n", "    name: Russian Federation\n")
    old_quote = (
        "There have been reports of Palestinian militants using Russian cryptocurrency "
        "exchanges to circumvent Western sanctions."
    )
    new_quote = "There have been reports of Palestinian militants"
    replace_once(seed_copy / "events.yaml", old_quote, new_quote)
    report = load_relations_seeds(seed_copy)
    assert Actor.objects.get(slug="russia").pk == russia_pk
    assert Actor.objects.get(slug="russia").name == "Russian Federation"
    assert report.tallies["actors"].updated == 1
    # A source is identified by its outlet, title and quote: a new quote is a new source, and
    # the import deletes nothing, so the old one stays until an editor removes it.
    assert Source.objects.filter(quote=new_quote).exists()
    assert Source.objects.filter(quote=old_quote).exists()
    assert report.tallies["sources"].created == 1


def test_the_loader_leaves_an_editors_own_source_and_alias_alone(seeded, seed_titles):
    event = Event.objects.get(title=seed_titles["hamas-delegation-moscow-2023-10-26"])
    Source.objects.create(event=event, outlet="Reuters", quote="Hamas officials were in Moscow.")
    Alias.objects.create(actor=Actor.objects.get(slug="russia"), text="Rossiya", language="en")
    load_relations_seeds()
    assert event.sources.filter(outlet="Reuters").exists()
    assert Alias.objects.filter(text="Rossiya").exists()


BAD_EDITS = [
    pytest.param(
        "events.yaml",
        "      - {actor: mousa-abu-marzouk, role: guest}",
        "      - {actor: mousa-abu-marzuk, role: guest}",
        ["hamas-delegation-moscow-2023-10-26", "unknown actor slug 'mousa-abu-marzuk'"],
        id="unknown-slug",
    ),
    pytest.param(
        "events.yaml",
        "      - {source: israel, target: russia, score: -4.0}",
        "      - {source: israel, target: russia, score: 11}",
        [
            "israel-condemns-hamas-visit-2023-10-26",
            "score: Ensure this value is less than or equal to 10",
        ],
        id="score-11",
    ),
    pytest.param(
        "events.yaml",
        "    date: 2023-10-16\n",
        "    date: 2023-13-45\n",
        [
            "unsc-rejects-russian-draft-2023-10-16",
            "“2023-13-45”",
            "invalid date",
        ],
        id="bad-date",
    ),
    pytest.param(
        "actors.yaml",
        "      - {parent: israel, role: President, start: 2021-07-07}",
        "      - {parent: israel, role: President, start: 2021-02-30}",
        [
            "actor 'isaac-herzog'",
            "start_date: “2021-02-30”",
            "invalid date",
        ],
        id="bad-affiliation-date",
    ),
    pytest.param(
        "events.yaml",
        "    category: CONSULT\n",
        "    category: CHAT\n",
        ["hamas-delegation-moscow-2023-10-26", "category: Value 'CHAT' is not a valid choice"],
        id="unknown-category",
    ),
    pytest.param(
        "events.yaml",
        "      - {actor: hamas, role: guest}",
        "      - {actor: hamas, role: friend}",
        ["hamas-delegation-moscow-2023-10-26", "role: Value 'friend' is not a valid choice"],
        id="unknown-role",
    ),
    pytest.param(
        "actors.yaml",
        "      en: [Qatar, Qatari, Doha]",
        "      en: [Qatar, Qatari, Doha, tehran]",
        ["actor 'qatar'", "alias 'tehran' (en) is listed twice", "actor 'iran'"],
        id="duplicate-alias",
    ),
    pytest.param(
        "events.yaml",
        "    responding_to: hamas-delegation-moscow-2023-10-26\n    participants:\n"
        "      - {actor: israeli-foreign-ministry",
        "    responding_to: no-such-event\n    participants:\n"
        "      - {actor: israeli-foreign-ministry",
        ["israel-condemns-hamas-visit-2023-10-26", "unknown event key 'no-such-event'"],
        id="unknown-event-key",
    ),
    pytest.param(
        "events.yaml",
        "    kind: meeting\n    title: UN Security Council",
        "    kind: meeting\n    title: [UN Security Council",
        ["not valid YAML"],
        id="broken-yaml",
    ),
]


@pytest.mark.parametrize(("filename", "old", "new", "expected"), BAD_EDITS)
def test_a_bad_file_names_the_problem_and_changes_nothing(
    seeded, seed_copy, filename, old, new, expected
):
    # A good change to another record in the same load must be rolled back too.
    replace_once(seed_copy / "actors.yaml", "    name: Russia\n", "    name: Changed Russia\n")
    replace_once(seed_copy / filename, old, new)
    before = snapshot()
    with pytest.raises(SeedError) as caught:
        load_relations_seeds(seed_copy)
    message = str(caught.value)
    assert filename in message
    assert re.search(r"line \d+", message)
    for part in expected:
        assert part in message
    assert snapshot() == before
    assert Actor.objects.get(slug="russia").name == "Russia"


def test_a_bad_file_leaves_an_empty_database_empty(db, seed_copy):
    replace_once(
        seed_copy / "events.yaml",
        "      - {source: israel, target: russia, score: -4.0}",
        "      - {source: israel, target: russia, score: -10.5}",
    )
    with pytest.raises(SeedError, match="greater than or equal to -10"):
        load_relations_seeds(seed_copy)
    assert not Actor.objects.exists()
    assert not Event.objects.exists()


def test_the_command_reports_counts_then_no_changes(db):
    out = StringIO()
    call_command("load_seeds", stdout=out)
    first = out.getvalue()
    assert f"actors: {len(DESIGN_SLUGS)} created" in first
    assert "No changes." not in first
    out = StringIO()
    call_command("load_seeds", stdout=out)
    assert "actors: 0 created, 0 updated" in out.getvalue()
    assert out.getvalue().rstrip().endswith("No changes.")


def test_the_command_fails_with_the_file_and_reason(db, seed_copy):
    replace_once(seed_copy / "events.yaml", "    date: 2023-10-16\n", "    date: 2023-13-45\n")
    with pytest.raises(CommandError) as caught:
        call_command("load_seeds", dir=seed_copy)
    assert "events.yaml" in str(caught.value)
    assert "2023-13-45" in str(caught.value)
    assert not Actor.objects.exists()


def test_statements_and_allegations_point_at_real_actors(seeded):
    for statement in Statement.objects.select_related("speaker"):
        assert statement.speaker.participations.filter(event=statement).exists()
    for allegation in Allegation.objects.all():
        assert allegation.participants.filter(role="claimant").exists()
        assert allegation.participants.filter(role="accused", actor=allegation.accused).exists()
