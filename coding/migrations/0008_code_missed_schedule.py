"""The beat schedule: "code missed articles" every 10 minutes (``coding.tasks.code_missed``), as
a django-celery-beat PeriodicTask so an editor can pause it or change its interval in the
admin."""

from django.db import migrations

TASK_NAME = "code missed articles"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "coding.tasks.code_missed",
            "interval": every_ten_minutes,
            "enabled": True,
            "description": (
                "Code the articles of the last two days whose coding was lost (a broker "
                "outage, a database crash)."
            ),
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0007_suggestion_article_covered"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
