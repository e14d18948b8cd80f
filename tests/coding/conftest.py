"""Fixtures of the coder's tests."""

from __future__ import annotations

import pytest
from django.db import transaction

from coding.coder import Coder, Lexicon, RollUp
from ingest.matching import build_gazetteer
from relations.lexicon import seed_cues
from relations.models import Actor
from relations.seeding import load_relations_seeds


@pytest.fixture(scope="module")
def seed_coder(django_db_setup, django_db_blocker):
    """(a coder of the seed actors and lexicon, actor id → slug)."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_relations_seeds()
        coder = Coder(Lexicon(seed_cues()), build_gazetteer(), RollUp.from_database())
        slugs = dict(Actor.objects.values_list("id", "slug"))
        transaction.set_rollback(True)
    return coder, slugs
