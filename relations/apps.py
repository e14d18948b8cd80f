from django.apps import AppConfig


class RelationsConfig(AppConfig):
    name = "relations"
    verbose_name = "Relations"

    def ready(self) -> None:
        from relations import signals

        signals.connect()
