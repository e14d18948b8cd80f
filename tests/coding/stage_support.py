"""What the stage, story and command tests share: a coder that answers from a script (so the
stage's own rules are tested apart from the coder's), article and feed builders, and a run of
``code_articles`` in another process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from django.conf import settings
from django.db import connection

from coding.coder import Coded, Coder
from relations.categories import default_score
from relwatch.config import database_url
from tests.factories import ActorFactory, ArticleFactory, FeedFactory, MentionFactory

KINDS = {
    "CONSULT": "meeting",
    "AGREE": "statement",
    "ACCUSE": "allegation",
    "ASSAULT": "action",
    "DEMAND": "statement",
}


def coded(source, target, category, *, quote="", confidence=0.7, **changes) -> Coded:
    """A coded interaction between two actors (model instances or ids)."""
    source_id = getattr(source, "pk", source)
    target_id = getattr(target, "pk", target)
    values = {
        "source_id": source_id,
        "target_id": target_id,
        "source_named_id": source_id,
        "target_named_id": target_id,
        "category": category,
        "kind": KINDS.get(category, "statement"),
        "score": default_score(category),
        "confidence": confidence,
        "quote": quote or f"{source_id} {category} {target_id}.",
        "cue": category.lower(),
        "explanation": f"cue: «{category.lower()}» → {category}",
        "spans": {"source": [0, 1], "target": [2, 3]},
    }
    return Coded(**(values | changes))


class ScriptedCoder(Coder):
    """Answers by the article's title; records what it was asked."""

    def __init__(self, script: dict[str, list[Coded]], version: str = "script-1"):
        self.script = script
        self.version = version
        self.calls: list[tuple[str, str, str, dt.date]] = []

    def code(self, title, text, language, day):
        self.calls.append((title, text, language, day))
        return list(self.script.get(title, []))


def actors():
    """Russia, Israel, Hamas and Iran."""
    return {
        slug: ActorFactory(name=slug.title(), slug=slug)
        for slug in ("russia", "israel", "hamas", "iran")
    }


def article(title, *, feed=None, day=dt.date(2024, 5, 6), language="en", mentions=(), **changes):
    feed = feed or FeedFactory(language=language)
    created = ArticleFactory(
        feed=feed,
        title=title,
        language=language,
        published_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
        **changes,
    )
    for actor in mentions:
        MentionFactory(article=created, actor=actor)
    return created


SCRIPT_RUNNER = """
import json, sys
import django
django.setup()
from coding.stage import code_articles
from tests.coding.stage_support import coded, ScriptedCoder
spec = json.loads(sys.argv[1])
script = {title: [coded(*row) for row in rows] for title, rows in spec["script"].items()}
print(code_articles(spec["ids"], coder=ScriptedCoder(script)))
"""


def code_in_processes(count: int, ids: list[int], script: dict[str, list[tuple]]):
    """Start ``count`` processes coding the same articles against this test's database at
    once; their outputs, after all have ended."""
    import json

    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "relwatch.settings",
        "DEBUG": "true",
    }
    spec = json.dumps({"ids": ids, "script": script})
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT_RUNNER, spec],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
    return [out for out, _err in results]
