from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _aliases_changed(sender, **kwargs):
    # Only a cache invalidation: the gazetteer is rebuilt lazily by whoever needs it next.
    from ingest.matching import invalidate_gazetteer

    invalidate_gazetteer()


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "Ingestion"

    def ready(self):
        from relations.models import Actor, Alias

        for model in (Alias, Actor):
            post_save.connect(
                _aliases_changed, sender=model, dispatch_uid=f"gazetteer-{model.__name__}"
            )
            post_delete.connect(
                _aliases_changed, sender=model, dispatch_uid=f"gazetteer-del-{model.__name__}"
            )
