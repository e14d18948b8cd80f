"""The editors' and analysts' groups and what each may do.

Kept in ingest (which may import relations) so one table names the apps' models by label;
the coding app's migrations sync it again once its models exist."""

ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "editors": {
        "relations.event": ("add", "change", "view"),
        "relations.meeting": ("add", "change", "view"),
        "relations.statement": ("add", "change", "view"),
        "relations.allegation": ("add", "change", "view"),
        "relations.action": ("add", "change", "view"),
        "relations.participant": ("add", "change", "delete", "view"),
        "relations.interaction": ("add", "change", "delete", "view"),
        "relations.source": ("add", "change", "delete", "view"),
        "relations.actor": ("add", "change", "view"),
        "relations.alias": ("add", "change", "delete", "view"),
        "relations.affiliation": ("add", "change", "delete", "view"),
        "relations.cue": ("add", "change", "delete", "view"),
        "ingest.feed": ("add", "change", "view"),
        "ingest.article": ("change", "view"),
        "ingest.mention": ("view",),
        "ingest.fetchlog": ("view",),
        "coding.story": ("change", "view"),
        "coding.suggestion": ("view",),
    },
    "analysts": dict.fromkeys(
        (
            "relations.event",
            "relations.meeting",
            "relations.statement",
            "relations.allegation",
            "relations.action",
            "relations.participant",
            "relations.interaction",
            "relations.source",
            "relations.actor",
            "relations.alias",
            "relations.affiliation",
            "relations.cue",
            "ingest.feed",
            "ingest.article",
            "ingest.mention",
            "ingest.fetchlog",
            "coding.story",
            "coding.suggestion",
        ),
        ("view",),
    ),
}


def sync_roles(apps) -> None:
    """Create the groups and give them exactly the permissions above, of the models ``apps``
    holds (a migration's state may predate a model: a later migration syncs again)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = []
        for label, actions in grants.items():
            app_label, model = label.split(".")
            try:
                apps.get_model(app_label, model)
            except LookupError:
                continue
            for action in actions:
                wanted.append(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        codename=f"{action}_{model}",
                    )
                )
        group.permissions.set(wanted)
