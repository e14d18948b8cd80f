"""The beat schedule: "poll due feeds" every minute, as a django-celery-beat PeriodicTask so an
editor can pause it or change its interval in the admin."""

from django.db import migrations

TASK_NAME = "poll due feeds"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "ingest.tasks.poll_due_feeds",
            "interval": every_minute,
            "enabled": True,
            "description": "Enqueue one fetch_feed task per feed that is due.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0003_fetch_claims_and_counts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
