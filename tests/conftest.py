import pytest
from django.contrib.auth.models import Group, User


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("edna", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def analyst(db) -> User:
    user = User.objects.create_user("anna", password="analyst-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="analysts"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client
