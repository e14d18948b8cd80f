"""The gazetteer: whole-word matching in four languages, case rules, overlaps, the cache; and the
relevance and candidate kind of an article."""

import pytest

from ingest.matching import (
    ActorMatch,
    AliasEntry,
    Gazetteer,
    classify,
    get_gazetteer,
)
from relwatch.caching import gazetteer_version
from tests.factories import ActorFactory, AliasFactory

PUTIN, HAMAS, ISRAEL, RUSSIA, MINISTRY, US, PA, KREMLIN, LAVROV = range(1, 10)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(
        [
            AliasEntry(PUTIN, "Putin"),
            AliasEntry(PUTIN, "Путин", "ru"),
            AliasEntry(PUTIN, "פוטין", "he"),
            AliasEntry(PUTIN, "بوتين", "ar"),
            AliasEntry(HAMAS, "Hamas"),
            AliasEntry(HAMAS, "ХАМАС", "ru"),
            AliasEntry(HAMAS, "חמאס", "he"),
            AliasEntry(HAMAS, "حماس", "ar"),
            AliasEntry(ISRAEL, "Israel"),
            AliasEntry(ISRAEL, "Израиль", "ru"),
            AliasEntry(ISRAEL, "ישראל", "he"),
            AliasEntry(ISRAEL, "إسرائيل", "ar"),
            AliasEntry(RUSSIA, "Russia"),
            AliasEntry(RUSSIA, "Russian"),
            AliasEntry(RUSSIA, "Россия", "ru"),
            AliasEntry(RUSSIA, "Москва", "ru"),
            AliasEntry(MINISTRY, "Russian Foreign Ministry"),
            AliasEntry(US, "US", case_sensitive=True),
            AliasEntry(PA, "PA", case_sensitive=True),
            AliasEntry(KREMLIN, "الكرملين", "ar"),
            AliasEntry(LAVROV, "Sergei Lavrov"),
            AliasEntry(LAVROV, "Лавров", "ru"),
        ],
        core_actor_ids=[RUSSIA, ISRAEL, HAMAS],
    )


def found(gazetteer, text) -> set[int]:
    return set(gazetteer.match(text))


# --- word boundaries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Rasputin was a mystic",
        "Ayumi Hamasaki sang",
        "The Israelite tribes",
        "Распутин и Хамасаки",
        "Путинизм как явление",
        "Russiana is a font",
    ],
)
def test_an_alias_inside_another_word_is_not_a_mention(gazetteer, text):
    assert found(gazetteer, text) == set()


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("Putin's spokesman spoke", PUTIN),
        ("PUTIN SAYS", PUTIN),
        ("“Putin”, he said.", PUTIN),
        ("the Israel-Hamas war", HAMAS),
        ("Hamas-led attack", HAMAS),
        ("(Putin)", PUTIN),
        ("Putin", PUTIN),
        ("talks in Russia.", RUSSIA),
    ],
)
def test_an_alias_between_punctuation_or_at_the_edges_is_a_mention(gazetteer, text, actor):
    assert actor in found(gazetteer, text)


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("Лавров встретился с делегацией ХАМАС в Москве", HAMAS),
        ("Визит Путина в Израиль", PUTIN),
        ("Визит Путина в Израиль", ISRAEL),
        ("переговоры с Израилем", ISRAEL),
        ("позиция России", RUSSIA),
        ("в Москве заявили", RUSSIA),
        ("с Лавровым", LAVROV),
    ],
)
def test_russian_inflected_forms_are_found_from_the_nominative(gazetteer, text, actor):
    assert actor in found(gazetteer, text)


def test_russian_stems_do_not_reach_other_words(gazetteer):
    assert found(gazetteer, "россиянин и путинизм, лаврового листа") == set()


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("ישראל תגיב", ISRAEL),
        ("וישראל הגיבה", ISRAEL),  # and Israel
        ("המשלחת מישראל", ISRAEL),  # from Israel
        ("בחמאס אמרו", HAMAS),  # in Hamas
        ("ולחמאס אין", HAMAS),  # and to Hamas
        ("פוטין נפגש", PUTIN),
    ],
)
def test_hebrew_attached_prefixes_are_handled(gazetteer, text, actor):
    assert actor in found(gazetteer, text)


def test_hebrew_alias_inside_a_longer_word_is_not_a_mention(gazetteer):
    assert found(gazetteer, "ישראלים רבים") == set()  # "many Israelis": another word


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("حماس ترحب", HAMAS),
        ("وحماس", HAMAS),  # and Hamas
        ("لحماس", HAMAS),  # for Hamas
        ("بوتين يستقبل", PUTIN),
        ("وإسرائيل", ISRAEL),
        ("والكرملين", KREMLIN),
        ("للكرملين", KREMLIN),  # li + al contracted
        ("بالكرملين", KREMLIN),
        ("حَمَاس", HAMAS),  # with harakat
        ("أسرائيل", ISRAEL),  # alef spelled with hamza above
    ],
)
def test_arabic_attached_prefixes_and_spellings_are_handled(gazetteer, text, actor):
    assert actor in found(gazetteer, text)


def test_arabic_alias_inside_a_longer_word_is_not_a_mention(gazetteer):
    assert found(gazetteer, "حماسة كبيرة") == set()  # "great enthusiasm"


# --- case, overlaps, counts ---------------------------------------------------------------


def test_case_sensitive_aliases_match_only_their_exact_case(gazetteer):
    assert US in found(gazetteer, "The US said")
    assert found(gazetteer, "Tell us what you said") == set()
    assert PA in found(gazetteer, "the PA announced")
    assert found(gazetteer, "my pa and ma") == set()


def test_overlapping_aliases_prefer_the_longest(gazetteer):
    matches = gazetteer.match("The Russian Foreign Ministry said")

    assert matches == {MINISTRY: ActorMatch(1, "Russian Foreign Ministry")}


def test_neighbouring_aliases_are_both_found(gazetteer):
    assert found(gazetteer, "Russia Israel Hamas") == {RUSSIA, ISRAEL, HAMAS}


def test_it_counts_mentions_and_keeps_the_first_alias(gazetteer):
    matches = gazetteer.match("Путин said. Later Putin and Putin's aide left.")

    assert matches[PUTIN] == ActorMatch(3, "Путин")


def test_empty_text_and_empty_gazetteer_find_nothing(gazetteer):
    assert gazetteer.match("") == {}
    assert Gazetteer([]).match("Putin met Hamas") == {}


def test_matching_with_many_aliases_still_finds_the_right_actor():
    entries = [AliasEntry(1000 + n, f"Person {n} Surname{n}") for n in range(20_000)]
    entries.append(AliasEntry(PUTIN, "Putin"))

    matches = Gazetteer(entries).match("Putin met Person 1234 Surname1234 and Person 12")

    assert set(matches) == {PUTIN, 2234}


# --- relevance and candidate kind ---------------------------------------------------------


def relevance_and_kind(gazetteer, text):
    return classify(
        text, gazetteer.match(text), core_actor_ids=gazetteer.core_actor_ids, language="en"
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Putin met a Hamas delegation in Moscow", "meeting"),
        ("Israel held talks with Russia", "meeting"),
        ("Putin hosted Hamas leaders", "meeting"),
        ("Israel condemned the Russian invitation to Hamas", "statement"),
        ("Russia called for a ceasefire between Israel and Hamas", "statement"),
        ("Israel alleged that Russia armed Hamas", "allegation"),
        ("Hamas reportedly received Russian weapons", "allegation"),
        ("Russia said it met Hamas, Israel accused Moscow", "allegation"),  # precedence
        ("Israel said Russia met Hamas", "meeting"),
        ("Russia and Hamas", ""),
        ("Лавров встретился с делегацией ХАМАС", "meeting"),
        ("Израиль осудил визит ХАМАС в Москву", "meeting"),
        ("Израиль обвинил Россию в поддержке ХАМАС", "allegation"),
        ("ישראל גינתה את חמאס", "statement"),
        ("ישראל האשימה את חמאס", "allegation"),
        ("נציגי חמאס נפגשו עם פוטין", "meeting"),
        ("اتهمت إسرائيل حماس", "allegation"),
        ("التقى بوتين وفد حماس", "meeting"),
        ("قال بوتين إن حماس", "statement"),
    ],
)
def test_candidate_kind_comes_from_cue_words(gazetteer, text, kind):
    assert relevance_and_kind(gazetteer, text)[1] == kind


def test_only_articles_about_two_actors_get_a_candidate_kind(gazetteer):
    assert relevance_and_kind(gazetteer, "Putin met the pope")[1] == ""
    assert relevance_and_kind(gazetteer, "Putin met Hamas")[1] == "meeting"


def test_cue_words_inside_other_words_do_not_count(gazetteer):
    assert relevance_and_kind(gazetteer, "Russia metallurgy and Hamas")[1] == ""


def test_an_article_without_mentions_has_no_relevance(gazetteer):
    assert relevance_and_kind(gazetteer, "Weather in Paris") == (0.0, "")


def test_relevance_weighs_core_actors_and_several_actors_more(gazetteer):
    score = {
        text: relevance_and_kind(gazetteer, text)[0]
        for text in [
            "Putin arrives",  # one non-core actor
            "Hamas arrives",  # one core actor
            "Hamas and Putin",  # core + other
            "Hamas and Israel",  # two core actors
            "Hamas met Israel",  # two core actors and a cue
        ]
    }

    assert 0 < score["Putin arrives"] < score["Hamas arrives"]
    assert score["Hamas arrives"] < score["Hamas and Putin"] < score["Hamas and Israel"]
    assert score["Hamas and Israel"] < score["Hamas met Israel"] < 1


def test_more_mentions_raise_relevance(gazetteer):
    once = relevance_and_kind(gazetteer, "Hamas")[0]
    thrice = relevance_and_kind(gazetteer, "Hamas, Hamas and Hamas")[0]

    assert once < thrice


# --- the cached gazetteer of the database -------------------------------------------------


@pytest.mark.django_db
def test_the_database_gazetteer_finds_aliases_and_actor_names():
    russia = ActorFactory(name="Russia", slug="russia", is_core=True)
    AliasFactory(actor=russia, text="the Kremlin")

    gazetteer = get_gazetteer()

    assert set(gazetteer.match("The Kremlin and Russia")) == {russia.pk}
    assert gazetteer.core_actor_ids == {russia.pk}


@pytest.mark.django_db
def test_a_new_alias_is_found_on_the_next_call():
    hamas = ActorFactory(name="Hamas", slug="hamas")
    assert get_gazetteer().match("حماس") == {}

    AliasFactory(actor=hamas, text="حماس", language="ar")

    assert set(get_gazetteer().match("حماس")) == {hamas.pk}


@pytest.mark.django_db
def test_an_edited_alias_is_matched_under_its_new_text():
    actor = ActorFactory(name="Hezbollah", slug="hezbollah")
    alias = AliasFactory(actor=actor, text="Hizbullah")
    assert set(get_gazetteer().match("Hizbullah fighters")) == {actor.pk}

    alias.text = "Hizballah"
    alias.save()

    gazetteer = get_gazetteer()
    assert gazetteer.match("Hizbullah fighters") == {}
    assert set(gazetteer.match("Hizballah fighters")) == {actor.pk}


@pytest.mark.django_db
def test_aliases_bulk_inserted_without_signals_are_picked_up():
    from relations.models import Alias

    actor = ActorFactory(name="Qatar", slug="qatar")
    get_gazetteer()

    Alias.objects.bulk_create([Alias(actor=actor, text="Doha", language="en")])

    assert set(get_gazetteer().match("talks in Doha")) == {actor.pk}


@pytest.mark.django_db
def test_a_deleted_alias_is_no_longer_matched():
    actor = ActorFactory(name="Iran", slug="iran")
    alias = AliasFactory(actor=actor, text="Tehran")
    assert get_gazetteer().match("Tehran said")

    alias.delete()

    assert get_gazetteer().match("Tehran said") == {}


@pytest.mark.django_db
def test_the_gazetteer_is_reused_while_nothing_changes(django_assert_num_queries):
    ActorFactory(name="Syria", slug="syria")
    first = get_gazetteer()

    with django_assert_num_queries(1):  # the change check only; no rebuild
        second = get_gazetteer()

    assert second is first


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_bumps_the_shared_version_for_other_processes():
    before = gazetteer_version()

    AliasFactory(actor=ActorFactory(name="Ukraine", slug="ukraine"), text="Kyiv")

    assert gazetteer_version() != before
