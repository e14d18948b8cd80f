"""The review queue's order is now plain columns: within a status, the most confident stories
first, then the newest (coding.views). A story's confidence is already a noisy-or over its
outlets (coding.stories), so the expression index of 0002_review_queue_index, which ranked by
1 - (1 - confidence) ^ outlets, counted the outlets twice. It goes, and ``story_queue`` grows
to the queue's whole order (status, confidence, last seen, id); the admin's list (status, then
confidence) reads it as well. tests/coding/test_review_page.py checks the planner reads the
queue from it.
"""

from django.db import migrations, models

# What 0002_review_queue_index made, for going back.
OLD_QUEUE_INDEX = """
CREATE INDEX story_review_queue ON coding_story (
    (CASE WHEN status = 'pending' THEN 0 ELSE 1 END),
    ((1.0 - POWER((1.0 - confidence), (outlet_count)::double precision))) DESC,
    last_seen DESC,
    id DESC
)
"""


class Migration(migrations.Migration):
    dependencies = [("coding", "0005_roles")]

    operations = [
        migrations.RunSQL("DROP INDEX story_review_queue", reverse_sql=OLD_QUEUE_INDEX),
        migrations.RemoveIndex(model_name="story", name="story_queue"),
        migrations.AddIndex(
            model_name="story",
            index=models.Index(
                fields=["status", "-confidence", "-last_seen", "-id"], name="story_queue"
            ),
        ),
    ]
