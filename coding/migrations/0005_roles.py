from django.db import migrations


def sync_roles(apps, schema_editor):
    from ingest.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """Editors review stories and edit the cue lexicon; analysts read both (ingest.roles)."""

    dependencies = [
        ("coding", "0002_review_queue_index"),
        ("relations", "0009_cue_stop"),
        ("ingest", "0008_action_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
