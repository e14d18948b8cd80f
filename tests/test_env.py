import pytest
from django.core.exceptions import ImproperlyConfigured

from relwatch.env import envbool, envint, envlist


@pytest.mark.parametrize(
    "raw,expected", [("true", True), ("ON", True), ("0", False), ("no", False)]
)
def test_envbool_reads_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert envbool("FLAG", not expected) is expected


def test_envbool_uses_the_default_when_unset_or_blank(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert envbool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "  ")
    assert envbool("FLAG", False) is False


def test_envbool_refuses_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FLAG", "treu")
    with pytest.raises(ImproperlyConfigured, match="FLAG='treu' is not a boolean"):
        envbool("FLAG", False)


def test_envint_refuses_words_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("SIZE", "ten")
    with pytest.raises(ImproperlyConfigured, match="SIZE='ten' is not a whole number"):
        envint("SIZE", 1)
    monkeypatch.setenv("SIZE", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 1"):
        envint("SIZE", 5, minimum=1)
    monkeypatch.setenv("SIZE", "10_000")
    assert envint("SIZE", 5) == 10000


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert envlist("HOSTS", []) == ["a.example", "b.example"]
