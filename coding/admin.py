"""The coding app's admin: the review of stories and suggestions (admin_review). The cue
lexicon's admin is in relations."""

from coding import admin_review  # noqa: F401
