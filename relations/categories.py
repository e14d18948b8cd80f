"""The 16 PLOVER event categories and their default intensity on the −10..+10 scale.

One table, in code, so a default score is the same everywhere (admin, seeds, ingestion,
synthetic data). Positive is cooperation, negative conflict.
"""

from django.db import models


class Category(models.TextChoices):
    AGREE = "AGREE", "Agree"
    CONSULT = "CONSULT", "Consult"
    SUPPORT = "SUPPORT", "Support"
    CONCEDE = "CONCEDE", "Concede"
    COOPERATE = "COOPERATE", "Cooperate"
    AID = "AID", "Aid"
    RETREAT = "RETREAT", "Retreat"
    DEMAND = "DEMAND", "Demand"
    ACCUSE = "ACCUSE", "Accuse"
    REJECT = "REJECT", "Reject"
    THREATEN = "THREATEN", "Threaten"
    PROTEST = "PROTEST", "Protest"
    SANCTION = "SANCTION", "Sanction"
    MOBILIZE = "MOBILIZE", "Mobilize"
    COERCE = "COERCE", "Coerce"
    ASSAULT = "ASSAULT", "Assault"


DEFAULT_INTENSITY: dict[str, float] = {
    Category.AGREE: 4.8,
    Category.CONSULT: 2.1,
    Category.SUPPORT: 3.4,
    Category.CONCEDE: 5.0,
    Category.COOPERATE: 6.0,
    Category.AID: 7.0,
    Category.RETREAT: 7.6,
    Category.DEMAND: -3.0,
    Category.ACCUSE: -2.0,
    Category.REJECT: -4.0,
    Category.THREATEN: -6.0,
    Category.PROTEST: -4.5,
    Category.SANCTION: -7.0,
    Category.MOBILIZE: -7.2,
    Category.COERCE: -8.0,
    Category.ASSAULT: -9.3,
}

SCORE_MIN = -10.0
SCORE_MAX = 10.0


def default_score(category: str) -> float:
    return DEFAULT_INTENSITY[Category(category)]
