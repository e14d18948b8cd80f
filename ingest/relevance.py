"""What an article's relevance and candidate kind mean to an editor: the buckets both inboxes
filter by, and the words that explain the two numbers wherever they are shown.

``ingest.matching.classify`` scores relevance as ``1 - exp(-raw / 2)``, in [0, 1). One
passing mention of an actor outside the core triangle scores 0.26, one of Russia, Israel or
Hamas 0.39; any two actors score 0.59 to 0.70, two core actors 0.89, and a cue word adds to
that; a single actor reaches 0.6 only when named six times or more. The 663 real headlines of
the shared corpus fall into the same steps: 458 name no actor (0), 59 one actor in passing
(0.26), 93 one actor more often or a core one, or two minor ones once each (0.33 to 0.59), and
54 two actors or more (0.68 to 0.95: what a relation event is made of). The buckets' edges sit
in the gaps between those steps.
"""

from __future__ import annotations

from django.db.models import Q

HIGH = 0.6
MEDIUM = 0.3

# key: (label, condition); the order is the filters' order.
RELEVANCE_BUCKETS: dict[str, tuple[str, Q]] = {
    "high": (f"high (≥ {HIGH})", Q(relevance__gte=HIGH)),
    "medium": (f"medium ({MEDIUM}–{HIGH})", Q(relevance__gte=MEDIUM, relevance__lt=HIGH)),
    "low": (f"low (under {MEDIUM})", Q(relevance__gt=0, relevance__lt=MEDIUM)),
    "none": ("none (0)", Q(relevance__lte=0)),
}

RELEVANCE_HELP = (
    "Relevance, from 0 to 1, grows with the tracked actors an article names and how often; "
    "Russia, Israel and Hamas count more, two actors or more (a relation) most. "
    f"High ≥ {HIGH} (mostly two actors or more), medium {MEDIUM}–{HIGH} (one actor), "
    f"low under {MEDIUM} (a passing mention), none: no tracked actor."
)
CANDIDATE_KIND_HELP = (
    "Candidate kind: the event the cue words suggest (“met”, “said”, “accused”), given only "
    "when two actors or more are named. Create event starts from it (a statement when none)."
)


def relevance_bucket(relevance: float) -> str:
    """The key of the bucket ``relevance`` falls in."""
    if relevance >= HIGH:
        return "high"
    if relevance >= MEDIUM:
        return "medium"
    return "low" if relevance > 0 else "none"
