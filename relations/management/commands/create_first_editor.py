"""Create the first editor account of a fresh installation and print its password once.

``make run`` calls this on every start; it does nothing once any user exists, so the
password is shown only on the very first start and is never stored anywhere but as a hash.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

EDITORS_GROUP = "editors"
FIRST_EDITOR_LOCK = 0x52574544  # any constant unique to this command


class Command(BaseCommand):
    help = "Create an editor account (staff, group 'editors') when the database has no users."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor", help="user name (default: editor)")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        username = username.strip()
        if not username:
            raise CommandError("--username must not be blank.")
        try:
            editors = Group.objects.get(name=EDITORS_GROUP)
        except Group.DoesNotExist:
            raise CommandError(
                f"The group '{EDITORS_GROUP}' does not exist; run `manage.py migrate` first."
            ) from None

        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            # Two first starts at once must not both create an account: an advisory lock
            # serialises them (a row lock cannot, there is no row yet).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FIRST_EDITOR_LOCK])
            if User.objects.exists():
                if options["verbosity"] > 1:
                    self.stdout.write("Users exist already; no editor account created.")
                return
            user = User.objects.create_user(username, password=password, is_staff=True)
            user.groups.add(editors)

        self.stdout.write(
            self.style.SUCCESS("Created the first editor account (shown only this once):")
        )
        self.stdout.write(f"    user name: {user.get_username()}")
        self.stdout.write(f"    password:  {password}")
        self.stdout.write(
            "    Change it after logging in (admin, top right: 'Change password'). "
            "Create more accounts with `manage.py createsuperuser` or in the admin."
        )
