"""The coding stage's record of what each article was coded with (coding.models.ArticleCoding),
and the bands' GIN index without its pending list.

fastupdate off: with it, new entries wait in a pending list that every search reads through
from start to end, and the stage both inserts bands and searches them in every batch (a
probe took 10 ms on a list of a few thousand rows instead of well under one). The state is
untouched (SQL only), so makemigrations sees nothing to do.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0002_layer_indexes"),
        ("ingest", "0008_action_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleCoding",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="coding",
                        serialize=False,
                        to="ingest.article",
                    ),
                ),
                ("coder_version", models.CharField(max_length=64)),
                ("content_hash", models.CharField(max_length=64)),
                ("coded_at", models.DateTimeField()),
            ],
        ),
        migrations.RunSQL(
            "ALTER INDEX suggestion_bands SET (fastupdate = off)",
            reverse_sql="ALTER INDEX suggestion_bands RESET (fastupdate)",
        ),
    ]
