from django.db import migrations


def sync_roles(apps, schema_editor):
    from ingest.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """The editors and analysts get the new event kind, action, as they have the others."""

    dependencies = [
        ("ingest", "0007_drop_indexes_covered_by_composites"),
        ("relations", "0007_statement_attack_becomes_action"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
