"""The apps' dependencies point one way (README, "Code layout"):

    alerts → dashboard → coding → ingest → relations

An app imports only the apps below it, so ``ingest`` announces stored articles with a signal
instead of calling ``coding``, and the dashboard links to the alerts' pages by URL name. Read
from the source with ``ast``, every module of each app, migrations included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

LAYERS = ["relations", "ingest", "coding", "dashboard", "alerts"]


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name.split(".")[0] for name in names} & set(LAYERS)


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    root = Path(settings.BASE_DIR) / app
    wrong = {
        str(path.relative_to(settings.BASE_DIR)): sorted(_imported_apps(path) - allowed)
        for path in sorted(root.rglob("*.py"))
        if _imported_apps(path) - allowed
    }
    assert wrong == {}, f"{app} may import only {sorted(allowed)}"


def test_the_check_reads_imports():
    """The rule above would pass vacuously if the parser found nothing."""
    assert _imported_apps(Path(settings.BASE_DIR) / "coding" / "models.py") == {
        "relations",
    }
    assert "relations" in _imported_apps(Path(settings.BASE_DIR) / "ingest" / "models.py")
