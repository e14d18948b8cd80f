"""Seed cues that moved to another category in December 2026 (English, after the CAMEO
codebook: apology is SUPPORT 055, conviction ACCUSE 116, abduction and hostage-taking ASSAULT
181, lifting a siege or blockade, granting access and unfreezing RETREAT 085-0872).

``load_seeds`` adds and updates cues but never deletes one (an editor's own cues live in the
same table), so in a database seeded before the move the old rows would still fire beside
the new ones. This removes exactly those rows: the old identity (language, phrase, category,
polarity) of each moved cue. A cue an editor changed keeps its new identity and is left alone.
"""

from django.db import migrations

MOVED = [
    ("abduct", "COERCE"),
    ("apologi", "CONCEDE"),
    ("apology", "CONCEDE"),
    ("convict", "COERCE"),
    ("grant access", "CONCEDE"),
    ("granted access", "CONCEDE"),
    ("holding hostage", "COERCE"),
    ("holds hostage", "COERCE"),
    ("hostage-taking", "COERCE"),
    ("kidnap", "COERCE"),
    ("lift the blockade", "CONCEDE"),
    ("lift the siege", "CONCEDE"),
    ("lifted the blockade", "CONCEDE"),
    ("lifted the siege", "CONCEDE"),
    ("take hostage", "COERCE"),
    ("taken hostage", "COERCE"),
    ("took hostage", "COERCE"),
    ("unfreez", "CONCEDE"),
]


def remove_moved(apps, schema_editor):
    Cue = apps.get_model("relations", "Cue")
    for phrase, category in MOVED:
        Cue.objects.filter(language="en", phrase=phrase, category=category, polarity="act").delete()


class Migration(migrations.Migration):
    dependencies = [("relations", "0011_pair_month")]

    operations = [migrations.RunPython(remove_moved, migrations.RunPython.noop)]
