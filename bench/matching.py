"""How the cost of matching one article grows with the size of the gazetteer.

Two gazetteers are built in memory from synthetic aliases (names in Latin, Cyrillic, Hebrew and
Arabic letters, so the Russian, Hebrew and Arabic variant keys are generated too): 500 aliases,
and 50,000 aliases that include the same 500. The same articles, which mention some of those
500, are matched against both; the per-article time is the median of several runs.

Prints ``alias_scaling`` (per-article time with 50,000 aliases over the time with 500; the
target is at most 2.0) and the absolute times. No database is needed.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_seconds, report  # noqa: E402
from ingest.matching import AliasEntry, Gazetteer, classify  # noqa: E402

SMALL, LARGE = 500, 50_000
ARTICLES = 300
RUNS = 9
SEED = 20231026


def _words(text: str) -> list[str]:
    return text.split()


SYLLABLES = {
    "en": _words("ka ro mi sha ve lo ne da zu ri bo ta gen mar sel ov in ar el um tor"),
    "ru": _words("ка ро ми ша ве ло не да зу ри бо та ген мар сел ов ин ар ел ум тор"),
    "he": _words("כה רו מי שה וה לו נה דה זו רי בו טה גן מר סל אב ין אר אל ום תר"),
    "ar": _words("كا رو مي شا في لو ني دا زو ري بو تا جن مر سل اف ين ار ال وم تر"),
}
FILLER = _words(
    "the a of and to in on for with at by from said officials government minister talks "
    "war ceasefire security council meeting statement week after before during new report "
    "people city region border forces military aid agreement sanctions president prime "
    "foreign ministry spokesman according sources added would could also more than two "
    "three days hostages release negotiations delegation visit capital press conference"
)


def synthetic_aliases(count: int, rng: random.Random) -> list[AliasEntry]:
    languages = ["en"] * 7 + ["ru", "he", "ar"]
    entries, seen = [], set()
    while len(entries) < count:
        language = rng.choice(languages)
        syllables = SYLLABLES[language]
        words = [
            "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
            for _ in range(rng.choice((1, 2, 2, 3)))
        ]
        text = " ".join(word.capitalize() for word in words)
        if text.casefold() in seen:
            continue
        seen.add(text.casefold())
        entries.append(AliasEntry(actor_id=len(entries) // 3 + 1, text=text, language=language))
    return entries


def synthetic_articles(mentionable: list[AliasEntry], rng: random.Random) -> list[str]:
    articles = []
    for _ in range(ARTICLES):
        words = [rng.choice(FILLER) for _ in range(rng.randint(60, 140))]
        for alias in rng.sample(mentionable, rng.randint(1, 4)):
            words.insert(rng.randrange(len(words)), alias.text)
        articles.append(" ".join(words).capitalize() + ".")
    return articles


def per_article_seconds(gazetteer: Gazetteer, articles: list[str]) -> float:
    def match_all():
        for text in articles:
            mentions = gazetteer.match(text)
            classify(text, mentions, core_actor_ids=gazetteer.core_actor_ids, language="en")

    return median_seconds(match_all, runs=RUNS, warmup=2) / len(articles)


def main() -> None:
    rng = random.Random(SEED)
    large_aliases = synthetic_aliases(LARGE, rng)
    small_aliases = large_aliases[:SMALL]
    articles = synthetic_articles(small_aliases, rng)

    small = Gazetteer(small_aliases, core_actor_ids=range(1, 4))
    started = time.perf_counter()
    large = Gazetteer(large_aliases, core_actor_ids=range(1, 4))
    build_large = time.perf_counter() - started

    # Same articles, same mentions found: the larger gazetteer may not do more useful work.
    assert [small.match(text) for text in articles] == [large.match(text) for text in articles]

    small_time = per_article_seconds(small, articles)
    large_time = per_article_seconds(large, articles)
    report("alias_scaling", large_time / small_time)
    report(f"matching_us_per_article_{SMALL}_aliases", small_time * 1e6)
    report(f"matching_us_per_article_{LARGE}_aliases", large_time * 1e6)
    report(f"gazetteer_keys_{SMALL}_aliases", small.key_count)
    report(f"gazetteer_keys_{LARGE}_aliases", large.key_count)
    report(f"gazetteer_build_s_{LARGE}_aliases", build_large)


if __name__ == "__main__":
    main()
