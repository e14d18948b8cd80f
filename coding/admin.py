"""The coding app's admin: the cue lexicon (admin_lexicon) and the review of stories
(admin_review)."""

from coding import admin_lexicon, admin_review  # noqa: F401
