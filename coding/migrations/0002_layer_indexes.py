"""Indexes for the machine-coded layer of the analysts' pages (coding.layer) and the API.

Partial indexes over pending stories only: the layer never reads the others, and reviewed
stories pile up while the pending ones stay few. Written as SQL rather than Meta.indexes so
the model (coding/models.py, the review's and the stage's) keeps only what they read; the
state is untouched, so makemigrations sees nothing to do.
"""

from django.db import migrations

INDEXES = {
    # A pair's series and net scores (pair page, overview): one range scan per direction.
    "story_pending_pair": (
        "coding_story (source_id, target_id, first_seen) INCLUDE (category) "
        "WHERE status = 'pending'"
    ),
    # The graph of a window and the timeline's newest stories.
    "story_pending_seen": (
        "coding_story (first_seen DESC, id DESC) INCLUDE (source_id, target_id, category, kind) "
        "WHERE status = 'pending'"
    ),
    # /api/stories/, newest first.
    "story_last_seen": "coding_story (last_seen DESC, id DESC)",
}


class Migration(migrations.Migration):
    dependencies = [("coding", "0001_initial")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {definition}",
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, definition in INDEXES.items()
    ]
